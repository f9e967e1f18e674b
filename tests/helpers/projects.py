"""Builders for whole packages as their build tools lay them out, and for the file contents that
path rules look into (PEM blocks, core dumps, database dumps). Pure: bytes in memory."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Mapping

from tests.helpers.archives import npm_tarball, sdist, wheel


def base64_body(seed: str, size: int = 96) -> str:
    """Deterministic base64 lines, 64 characters each (RFC 7468 layout); not a real key."""
    raw = b"".join(hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(size // 32 + 1))[:size]
    text = base64.b64encode(raw).decode()
    return "\n".join(text[i : i + 64] for i in range(0, len(text), 64))


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    length = bytes([size]) if size < 0x80 else bytes([0x80 | 2]) + size.to_bytes(2, "big")
    return bytes([tag]) + length + content


def _random(seed: str, size: int) -> bytes:
    return b"".join(hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(size // 32 + 1))[:size]


def key_der(label: str, seed: str = "k") -> bytes:
    """DER shaped as the key ``label`` holds (leakguard checks structure and size, not the maths):
    PKCS#1 RSA with a 1024-bit modulus, SEC1 EC, or PKCS#8 Ed25519; other labels get random bytes."""
    integer = lambda size, n: _der(0x02, b"\x00" + _random(f"{seed}:{n}", size))  # noqa: E731
    if label == "RSA PRIVATE KEY":
        body = _der(0x02, b"\x00") + integer(128, 1) + _der(0x02, b"\x01\x00\x01")
        body += b"".join(integer(64, n) for n in range(2, 8))
        return _der(0x30, body)
    if label == "EC PRIVATE KEY":
        return _der(0x30, _der(0x02, b"\x01") + _der(0x04, _random(seed, 32)))
    if label == "PRIVATE KEY":
        ed25519 = _der(0x30, _der(0x06, b"\x2b\x65\x70"))
        return _der(0x30, _der(0x02, b"\x00") + ed25519 + _der(0x04, _der(0x04, _random(seed, 32))))
    return _random(seed, 96)


def pem(label: str, seed: str = "k") -> str:
    """A PEM block with the given label (``PRIVATE KEY``, ``CERTIFICATE``...) around key-sized material."""
    text = base64.b64encode(key_der(label, seed)).decode()
    body = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


def elf_core(size: int = 256) -> bytes:
    """An ELF64 little-endian header with ``e_type = ET_CORE`` (4), padded to ``size``."""
    header = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack("<HH", 4, 62)
    return header + bytes(size - len(header))


def elf_shared_object(size: int = 256) -> bytes:
    """An ELF64 header with ``e_type = ET_DYN`` (3): a compiled extension module, not a dump."""
    header = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack("<HH", 3, 62)
    return header + bytes(size - len(header))


MYSQL_DUMP = "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost\n" \
             "INSERT INTO `users` VALUES (1,'alice@example.com','$2b$12$abc');\n"
MIGRATION = "CREATE TABLE users (id integer primary key, email text not null);\n"


def source_map(sources: list[str], contents: list[str] | None = None) -> str:
    """A Source Map v3 document with the given ``sources`` (and ``sourcesContent`` if given)."""
    doc: dict[str, object] = {"version": 3, "sources": sources, "names": [], "mappings": "AAAA"}
    if contents is not None:
        doc["sourcesContent"] = contents
    return json.dumps(doc, indent=2)


def ts_library(manifest: Mapping[str, object] | None = None, extra: Mapping[str, str | bytes] | None = None,
               *, name: str = "widget", version: str = "1.0.0") -> bytes:
    """An npm tarball of a TypeScript library built by tsc into dist/, with its src/ left in.

    ``manifest`` is merged into package.json (default: main and types pointing at dist/)."""
    files: dict[str, str | bytes] = {
        "src/index.ts": "export { greet } from './greet';\n",
        "src/greet.ts": "export const greet = (name: string) => `hello ${name}`;\n",
        "src/index.d.ts": "export declare const greet: (name: string) => string;\n",
        "dist/index.js": "export { greet } from './greet.js';\n",
        "dist/greet.js": "export const greet = (name) => `hello ${name}`;\n",
        "dist/index.d.ts": "export declare const greet: (name: string) => string;\n",
        "README.md": "# widget\n",
    }
    files.update(extra or {})
    fields: dict[str, object] = {"main": "dist/index.js", "types": "dist/index.d.ts"}
    fields.update(manifest or {})
    return npm_tarball(files, name=name, version=version, extra=fields)


def extension_wheel(extra: Mapping[str, str | bytes] | None = None, *, compiled: bool = True,
                    name: str = "speedy", version: str = "1.0.0") -> bytes:
    """A wheel of a package with a C extension: its sources, and the built ``.so`` when ``compiled``."""
    files: dict[str, str | bytes] = {
        f"{name}/__init__.py": "from ._core import add\n",
        f"{name}/_core.c": "#include <Python.h>\nstatic PyObject *add(PyObject *s, PyObject *a) { return a; }\n",
        f"{name}/_fast.pyx": "def add(int a, int b):\n    return a + b\n",
    }
    if compiled:
        files[f"{name}/_core.cpython-311-x86_64-linux-gnu.so"] = elf_shared_object()
    files.update(extra or {})
    return wheel(files, name=name, version=version)


def python_sdist(extra: Mapping[str, str | bytes] | None = None, *, name: str = "speedy",
                 version: str = "1.0.0") -> bytes:
    """An sdist as setuptools writes it: ``name-version/`` with pyproject, the package and its tests."""
    files: dict[str, str | bytes] = {
        "pyproject.toml": f'[project]\nname = "{name}"\nversion = "{version}"\n',
        f"src/{name}/__init__.py": "",
        "tests/test_core.py": "def test_add():\n    assert 1 + 1 == 2\n",
    }
    files.update(extra or {})
    return sdist(files, name=name, version=version)
