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
    (".lzma", frozenset({"lzma"})),
    (".tar", frozenset({"tar"})),
    (".zip", frozenset({"zip"})),
    (".whl", frozenset({"zip"})),
    (".jar", frozenset({"zip"})),
    (".war", frozenset({"zip"})),
    (".egg", frozenset({"zip"})),
    (".vsix", frozenset({"zip"})),
    (".nupkg", frozenset({"zip"})),
    (".apk", frozenset({"zip"})),
    (".pyz", frozenset({"zip"})),
    (".crx", frozenset({"zip"})),
)
# How far sniffing looks: past leading zero blocks for a tar (readers that skip them find its
# members), and at the end of a file for a zip after a prefix (its end record is there).
HEAD = 64 * 1024
TAIL = 64 * 1024 + 22  # a zip's end record, after a comment of up to 65,535 bytes
# Prefixes before a zip that real tools write: a zipapp's shebang line (PEP 441), a Chrome
# extension's CRX header.
_ZIP_PREFIXES = (b"#!", b"Cr24")


def sniff(head: bytes, tail: bytes = b"") -> Format | None:
    """The container or compression format of data starting with ``head`` (up to ``HEAD`` bytes)
    and ending with ``tail`` (up to ``TAIL`` bytes; needed only for a zip after a prefix)."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh" and head[3:4].isdigit():
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if head[:2] == b"\x1f\x9d":
        return "compress"
    if head.startswith(_ZIP_PREFIXES) and b"PK\x05\x06" in tail:
        return "zip"
    if _is_lzma_alone(head):
        return "lzma"
    if _is_tar(head[:512]) or (head[:512] == bytes(512) and _is_tar(_first_nonzero_block(head))):
        return "tar"
    return None


def needs_tail(head: bytes) -> bool:
    """Can the format of data starting with ``head`` depend on its end (a prefixed zip)?"""
    return head.startswith(_ZIP_PREFIXES)


def _first_nonzero_block(head: bytes) -> bytes:
    """A tar that starts with zero blocks (which some readers skip): its first real header."""
    for at in range(512, len(head) - 511, 512):
        if head[at : at + 512] != bytes(512):
            return head[at : at + 512]
    return b""


_LZMA_DICTS = frozenset(size for n in range(12, 31) for size in (1 << n, 3 << (n - 1)))


def _is_lzma_alone(head: bytes) -> bool:
    """LZMA-alone (``.lzma``, xz-utils' legacy format) has no magic: a properties byte (lc/lp/pb,
    0x5D for every encoder's default), a dictionary size (a power of two, or 3 times one) and an
    unpacked size (-1 when unknown). Text never matches: every usual dictionary size has NUL bytes."""
    if len(head) < 14 or head[0] != 0x5D:
        return False
    dictionary = int.from_bytes(head[1:5], "little")
    size = head[5:13]
    return dictionary in _LZMA_DICTS and (size == b"\xff" * 8 or int.from_bytes(size, "little") < 1 << 40)


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
