"""Builders for real archives: tar in every compression, zip, npm tarballs, wheels, sdists, maps.

Everything is built in memory with the standard library, exactly as packing tools lay it out.
"""

from __future__ import annotations

import base64
import bz2
import gzip
import hashlib
import io
import json
import lzma
import tarfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

Members = Mapping[str, "bytes | str | Special"]


@dataclass(frozen=True)
class Special:
    """A non-regular tar member: kind is symlink, hardlink, chr, blk, fifo or dir."""

    kind: str
    target: str = ""


def _bytes(value: bytes | str) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def tar_bytes(members: Members, *, compression: str = "gz", fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """A tar archive (``compression`` in gz, bz2, xz or '') with the given members, in order."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as archive:
        for name, value in members.items():
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            if isinstance(value, Special):
                info.type = {
                    "symlink": tarfile.SYMTYPE,
                    "hardlink": tarfile.LNKTYPE,
                    "chr": tarfile.CHRTYPE,
                    "blk": tarfile.BLKTYPE,
                    "fifo": tarfile.FIFOTYPE,
                    "dir": tarfile.DIRTYPE,
                }[value.kind]
                info.linkname = value.target
                archive.addfile(info)
            else:
                data = _bytes(value)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return compress(raw.getvalue(), compression)


def compress(data: bytes, compression: str) -> bytes:
    """gzip, bzip2 or xz one stream ('' returns the data)."""
    if compression == "gz":
        return gzip.compress(data, mtime=0)
    if compression == "bz2":
        return bz2.compress(data)
    if compression == "xz":
        return lzma.compress(data)
    assert compression == "", compression
    return data


def zip_bytes(members: Mapping[str, bytes | str], *, symlinks: Mapping[str, str] | None = None,
              encrypted: Iterable[str] = ()) -> bytes:
    """A zip archive. ``symlinks`` maps member name -> target (unix symlink mode);
    ``encrypted`` names members whose encryption flag is set (content stays readable bytes)."""
    raw = io.BytesIO()
    secret = set(encrypted)
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in members.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            if name in secret:
                info.flag_bits |= 0x1
            archive.writestr(info, _bytes(value))
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, target)
    data = bytearray(raw.getvalue())
    # zipfile rewrites flag bits on write: set the encryption bit in both headers afterwards
    # (APPNOTE 4.3.7: local header flags at +6, 4.3.12: central directory flags at +8).
    for name in secret:
        encoded = name.encode()
        local = data.find(b"PK\x03\x04")
        while local != -1:
            if data[local + 30 : local + 30 + len(encoded)] == encoded:
                data[local + 6] |= 0x1
            local = data.find(b"PK\x03\x04", local + 4)
        central = data.find(b"PK\x01\x02")
        while central != -1:
            if data[central + 46 : central + 46 + len(encoded)] == encoded:
                data[central + 8] |= 0x1
            central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def npm_tarball(files: Mapping[str, bytes | str | Special], *, name: str = "widget", version: str = "1.0.0",
                license: str | None = "MIT", extra: Mapping[str, object] | None = None) -> bytes:
    """An npm tarball as ``npm pack`` lays it out: every path under ``package/``."""
    manifest: dict[str, object] = {"name": name, "version": version, "main": "index.js"}
    if license is not None:
        manifest["license"] = license
    manifest.update(extra or {})
    members: dict[str, bytes | str | Special] = {"package/package.json": json.dumps(manifest, indent=2)}
    members.update({f"package/{path}": value for path, value in files.items()})
    return tar_bytes(members)


def wheel(files: Mapping[str, bytes | str], *, name: str = "widget", version: str = "1.0.0",
          license: str | None = "MIT") -> bytes:
    """A wheel: files plus ``.dist-info/{METADATA,WHEEL,RECORD}``."""
    info = f"{name}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    if license is not None:
        meta += f"License: {license}\n"
    members: dict[str, bytes | str] = dict(files)
    members[f"{info}/METADATA"] = meta
    members[f"{info}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = []
    for path, value in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(_bytes(value)).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(_bytes(value))}")
    record.append(f"{info}/RECORD,,")
    members[f"{info}/RECORD"] = "\n".join(record) + "\n"
    return zip_bytes(members)


def sdist(files: Mapping[str, bytes | str], *, name: str = "widget", version: str = "1.0.0") -> bytes:
    """An sdist ``.tar.gz``: ``name-version/`` with PKG-INFO."""
    root = f"{name}-{version}"
    members: dict[str, bytes | str | Special] = {
        f"{root}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nLicense: MIT\n"
    }
    members.update({f"{root}/{path}": value for path, value in files.items()})
    return tar_bytes(members)


def source_map(sources: Iterable[tuple[str | None, str | None]], **fields: object) -> bytes:
    """A Source Map v3 with ``sources``/``sourcesContent`` from (path, content) pairs."""
    pairs = list(sources)
    doc: dict[str, object] = {"version": 3}
    doc.update(fields)
    doc["sources"] = [p for p, _ in pairs]
    doc["sourcesContent"] = [c for _, c in pairs]
    doc["mappings"] = "AAAA;AACA"
    doc.setdefault("names", [])
    return json.dumps(doc, indent=2).encode()


def write(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``folder/name`` and return the path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
