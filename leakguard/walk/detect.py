"""Formats by content (magic bytes), never by file name; and what a file name promises."""

from __future__ import annotations

from typing import Literal

Format = Literal["gzip", "bzip2", "xz", "zstd", "lzma", "compress", "zip", "tar"]

COMPRESSED: frozenset[str] = frozenset({"gzip", "bzip2", "xz", "zstd", "lzma", "compress"})
ARCHIVES: frozenset[str] = frozenset({"zip", "tar"})

# What an extension promises. Checked against the sniffed format; a mismatch is a finding.
_PROMISES: tuple[tuple[str, frozenset[str]], ...] = (
    (".tar.gz", frozenset({"gzip"})),
    (".tgz", frozenset({"gzip"})),
    (".gz", frozenset({"gzip"})),
    (".tar.bz2", frozenset({"bzip2"})),
    (".tbz2", frozenset({"bzip2"})),
    (".bz2", frozenset({"bzip2"})),
    (".tar.xz", frozenset({"xz"})),
    (".txz", frozenset({"xz"})),
    (".xz", frozenset({"xz"})),
    (".zst", frozenset({"zstd"})),
    (".tar", frozenset({"tar"})),
    (".zip", frozenset({"zip"})),
    (".whl", frozenset({"zip"})),
    (".jar", frozenset({"zip"})),
    (".war", frozenset({"zip"})),
    (".egg", frozenset({"zip"})),
    (".vsix", frozenset({"zip"})),
    (".nupkg", frozenset({"zip"})),
    (".apk", frozenset({"zip"})),
)


def sniff(head: bytes) -> Format | None:
    """The container or compression format of data starting with ``head`` (>= 512 bytes if any)."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh" and head[3:4].isdigit():
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if head[:2] == b"\x1f\x9d":
        return "compress"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if _is_tar(head):
        return "tar"
    return None


def _is_tar(head: bytes) -> bool:
    if len(head) < 512:
        return False
    if head[257:262] == b"ustar":  # POSIX ustar, pax and GNU tar
        return True
    # Old v7 tar has no magic: accept a header whose checksum (bytes 148-155, octal) is right.
    field = head[148:156].split(b"\x00", 1)[0].strip()
    if not field or not all(48 <= c <= 55 for c in field) or head[0] == 0:
        return False
    total = sum(head[:148]) + 8 * 32 + sum(head[156:512])
    return int(field, 8) == total


def promised(name: str) -> frozenset[str] | None:
    """The formats a file name promises, or None when its extension promises nothing."""
    lower = name.lower()
    for suffix, formats in _PROMISES:
        if lower.endswith(suffix):
            return formats
    return None
