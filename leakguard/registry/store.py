"""Downloads into the cache, by digest: a file is fetched once, verified against the digest the
registry published before anyone reads it, and re-verified whenever it is taken from the cache."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from leakguard.errors import ScanError
from leakguard.registry.http import Client
from leakguard.registry.remote import RemoteFile

MAX_DOWNLOAD = 2 * 1024**3
CHUNK = 1024 * 1024


def cache_dir() -> Path:
    """``$LEAKGUARD_CACHE_DIR``, else ``$XDG_CACHE_HOME/leakguard``, else ``~/.cache/leakguard``."""
    explicit = os.environ.get("LEAKGUARD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "leakguard"


def location(file: RemoteFile, cache: Path) -> Path:
    """Where the cache keeps ``file``: a folder named by its digest, holding it under its own name."""
    if "/" in file.filename or "\\" in file.filename or file.filename in ("", ".", ".."):
        raise ScanError(f"{file.spec}: the registry names a file {file.filename!r} that is not a plain file name")
    return cache / f"{file.algorithm}-{file.digest[:32]}" / file.filename


def cached(file: RemoteFile, cache: Path) -> bool:
    """True when a copy is in the cache (``fetch`` still verifies it)."""
    return location(file, cache).is_file()


def verify(path: Path, algorithm: str, digest: str) -> bool:
    """True when the file's ``algorithm`` digest is ``digest`` (hex)."""
    hasher = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            hasher.update(block)
    return hasher.hexdigest() == digest.lower()


def fetch(file: RemoteFile, client: Client, cache: Path,
          on_bytes: Callable[[int], None] | None = None) -> Path:
    """The verified file in the cache, downloaded (atomically) unless a verified copy is there.
    ``on_bytes`` is told the size of each block as it arrives. A download that does not match the
    published digest is deleted and raises ``ScanError``."""
    target = location(file, cache)
    if target.is_file():
        if verify(target, file.algorithm, file.digest):
            return target
        target.unlink()  # damaged or tampered with: fetch it again
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".download-", dir=target.parent)
    try:
        size = 0
        hasher = hashlib.new(file.algorithm)
        with os.fdopen(fd, "wb") as out, client.stream(file.url, label=file.spec) as response:
            for block in iter(lambda: response.read(CHUNK), b""):
                size += len(block)
                if size > MAX_DOWNLOAD:
                    raise ScanError(f"{file.spec}: {file.filename} is larger than {MAX_DOWNLOAD:,} bytes")
                hasher.update(block)
                out.write(block)
                if on_bytes is not None:
                    on_bytes(len(block))
        if hasher.hexdigest() != file.digest.lower():
            raise ScanError(f"{file.spec}: {file.filename}: {file.algorithm} integrity mismatch: the download is "
                            "not what the registry published")
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target
