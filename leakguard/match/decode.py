"""Encodings that hide a secret from a byte-level matcher: UTF-16 text, JSON's ``\\/`` escape,
base64 runs and ``data:`` URIs.

``views(blob)`` gives the text to match in place of the raw bytes (usually the blob itself).
``embedded(blob)`` gives decoded base64 payloads as child blobs located at
``member!/<base64 at line N>``. Full base64-run detection runs only on members up to
``FULL_SCAN_BYTES`` (config files, manifests, small JSON): a regex over every byte of a 60 MB
bundle would cost more than the whole scan. In larger members only ``;base64,`` data URIs are
decoded, found with ``bytes.find``.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
from collections.abc import Iterator

from leakguard.model import Blob, Span

FULL_SCAN_BYTES = 256 * 1024
MAX_PAYLOAD = 4 * 1024 * 1024
MIN_RUN = 32
MAX_DEPTH = 2

# Base64 characters become b"A", everything else b" ": runs are then found with bytes.find, at C
# speed, instead of a regex over every byte of the member.
_B64_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"
_RUN_MAP = bytes(65 if c in _B64_CHARS else 32 for c in range(256))
_RUN_SEED = b"A" * MIN_RUN
_DATA_RUN = re.compile(rb"[A-Za-z0-9+/_-]*={0,2}")
_TEXT_BYTES = bytes([9, 10, 13, *range(0x20, 0x7F)])


def looks_utf16(data: bytes) -> str | None:
    """``utf-16`` (BOM), ``utf-16-le``/``-be`` (text with every other byte NUL), or None."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    head = data[:1024]
    if len(head) < 16 or b"\x00" not in head:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _bom_only(data: bytes) -> bool:
    """A byte order mark followed by text without UTF-16's NULs (``FF FE`` then ``key = ...``)."""
    body = data[2:1026]
    return data[:2] in (b"\xff\xfe", b"\xfe\xff") and len(body) >= 4 and body.count(0) < len(body) // 8


def views(blob: Blob) -> list[Blob]:
    """What to match instead of the raw bytes (``[blob]`` itself when it needs no other view).
    Line numbers are preserved in every view."""
    data = blob.data
    if not blob.whole:
        return [blob]
    encoding = looks_utf16(data)
    if encoding is not None:
        text = data.decode(encoding, "replace").encode("utf-8")
        decoded = Blob(blob.origin, text, blob.depth, derived=blob.derived)
        # A UTF-16 byte order mark over text that is not UTF-16 (ASCII after it): read both, as
        # the bytes may be read either way.
        return [decoded, blob] if _bom_only(data) else [decoded]
    if escapes_slash(data):
        # JSON may escape '/' (https:\/\/user:pass@host); no other ASCII is escaped in practice.
        return [Blob(blob.origin, _ESCAPED_SLASH.sub(b"/", data), blob.depth, derived=blob.derived)]
    return [blob]


# The same bytes as ``data.replace(b"\\/", b"/")``, faster (bench/RESULTS.md): bytes.replace
# counts the pairs, then finds them again, each time with a search whose filter every 'o' passes
# (see escapes_slash); the regex engine looks for the backslash alone.
_ESCAPED_SLASH = re.compile(rb"\\/")

# Past this many backslashes before a '/', the escape is taken as real without counting further.
_BACKSLASH_RUN = 64


def escapes_slash(data: bytes) -> bool:
    """Does ``data`` hold JSON's ``\\/`` escape: a '/' after an odd number of backslashes? After an
    even number (``\\\\/``, common in regex patterns inside JSON) it is an escaped backslash, then '/'.

    Backslashes are found with ``bytes.find`` of one byte (memchr): most text holds few, and a
    two-byte ``find`` of ``\\/`` reads every byte with a filter that 'o' also passes. Where they
    are dense (past ``_BACKSLASHES``, more than one in ``_SPARSE`` bytes), the rest is searched
    for ``\\/`` itself."""
    pos, seen = data.find(b"\\"), 0
    while pos != -1:
        seen += 1
        if seen > _BACKSLASHES and pos < seen * _SPARSE:
            return any(_odd_escape(data, at) for at in places(data, b"\\/", pos))
        if data[pos + 1 : pos + 2] == b"/" and _odd_escape(data, pos):
            return True
        pos = data.find(b"\\", pos + 1)
    return False


# Backslashes looked at one by one before escapes_slash may search for the pair instead, and the
# density (one in this many bytes) past which it does: a turn of its loop costs about as much as
# reading a few hundred bytes with find.
_BACKSLASHES = 64
_SPARSE = 256


def _odd_escape(data: bytes, pos: int) -> bool:
    """Is the backslash at ``pos`` (before a '/') the last of an odd run?"""
    run = 1
    while run < _BACKSLASH_RUN and pos >= run and data[pos - run] == 0x5C:
        run += 1
    return run % 2 == 1 or run == _BACKSLASH_RUN


def places(data: bytes, needle: bytes, start: int = 0) -> Iterator[int]:
    """Every start of ``needle`` in ``data`` from ``start``, overlapping ones included."""
    pos = data.find(needle, start)
    while pos != -1:
        yield pos
        pos = data.find(needle, pos + 1)


# UTF-16LE text in a binary: a text byte (printable ASCII, tab, newline, CR) then a NUL, repeated.
# Each byte becomes P (text), Z (NUL) or "."; strings are then found with bytes.find, and a regex
# only extends each one from where it starts.
_UTF16_MAP = bytes(80 if 0x20 <= c < 0x7F or c in (9, 10, 13) else 90 if c == 0 else 46 for c in range(256))
UTF16_MIN_CHARS = 3  # the shortest codename
_UTF16_SEED = b"PZ" * UTF16_MIN_CHARS
_UTF16_RUN = re.compile(rb"(?:PZ)+")


def binary(blob: Blob) -> bool:
    """A whole member with a NUL in its first 8 KiB: the members ``utf16_strings`` reads."""
    return blob.whole and b"\x00" in blob.data[:8192]


def utf16_strings(blob: Blob) -> list[tuple[Blob, list[tuple[int, int]]]]:
    """UTF-16LE strings inside a binary (Windows resources, .NET, some .node modules): a view of
    every other byte for strings at even offsets and one for strings at odd offsets, each with
    the ranges of the view that hold a string of ``UTF16_MIN_CHARS`` characters or more. Offsets
    in a view are half the member's; the origin says which view it is. A view without strings is
    not made."""
    if not binary(blob) or looks_utf16(blob.data) is not None:
        return []
    data = blob.data
    mapped = data.translate(_UTF16_MAP)
    runs: tuple[list[tuple[int, int]], list[tuple[int, int]]] = ([], [])
    pos = mapped.find(_UTF16_SEED)
    while pos != -1:
        run = _UTF16_RUN.match(mapped, pos)
        assert run is not None  # the seed is there
        end = run.end()
        runs[pos % 2].append((pos // 2, end // 2))  # byte 2i + parity is character i of its view
        pos = mapped.find(_UTF16_SEED, end)
    return [
        (Blob(blob.origin.child(f"<utf-16le strings, {parity} offsets>"), data[start::2], blob.depth, derived=True),
         runs[start])
        for start, parity in ((0, "even"), (1, "odd")) if runs[start]
    ]


def wide(keyword: bytes) -> bytes:
    """``keyword`` as UTF-16LE text holds it inside a binary: each byte then a NUL (the last
    one's NUL left off, so a string that ends the member still holds it)."""
    return b"\x00".join(keyword[i : i + 1] for i in range(len(keyword)))


def within(span: Span | None, strings: list[tuple[int, int]]) -> bool:
    """Does ``span`` lie inside one of ``strings`` (sorted, disjoint ranges of a view)?"""
    if span is None:
        return False
    at = bisect.bisect_right(strings, (span.start, 1 << 62)) - 1  # the last range starting at or before it
    return at >= 0 and strings[at][0] <= span.start and span.end <= strings[at][1]


def _printable(data: bytes) -> bool:
    if not data:
        return False
    sample = data[:4096]
    return len(sample.translate(None, _TEXT_BYTES)) <= 0.05 * len(sample)


# The first character of each 4-character group holds the top 6 bits of a decoded byte: for text
# (tab, newline, CR, space to ~) those are C, D, I-Z and a-f. Every other lead is a byte that
# ``_printable`` counts against the payload, so a run with too many of them is dropped before
# it is decoded (most long identifiers and paths in source code are such runs).
_TEXT_LEADS = b"CDIJKLMNOPQRSTUVWXYZabcdef"
_LEAD_SAMPLE = 4 * 1365  # leads of the first 4,095 decoded bytes, inside _printable's sample


def _not_text(run: bytes) -> bool:
    return _bad_leads(run[:_LEAD_SAMPLE:4])


def _bad_leads(leads: bytes) -> bool:
    allowed = 3 * len(leads) + 2  # at most 4,097: leads of 4,095 bytes (_LEAD_SAMPLE)
    return len(leads.translate(None, _TEXT_LEADS)) * 20 > (allowed if allowed < 4096 else 4096)


def decode_run(run: bytes) -> bytes | None:
    """A base64 run (standard or URL-safe alphabet, padding optional) decoded, or None."""
    run = run.rstrip(b"=")
    if len(run) % 4 == 1:
        return None
    padded = run + b"=" * (-len(run) % 4)
    try:
        if b"-" in run or b"_" in run:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _runs(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Base64 runs worth decoding, with their starts: those whose group leads pass the text check
    (``_not_text``), which is made on the member's bytes before a run is copied out of them."""
    if len(data) <= FULL_SCAN_BYTES:
        mapped = data.translate(_RUN_MAP)
        find = mapped.find
        pos = find(_RUN_SEED)
        while pos != -1:
            end = find(b" ", pos + MIN_RUN)
            if end == -1:
                end = len(data)
            if not _bad_leads(data[pos : end if end - pos < _LEAD_SAMPLE else pos + _LEAD_SAMPLE : 4]):
                yield pos, data[pos:end]
            pos = find(_RUN_SEED, end)
        return
    pos = data.find(b";base64,")
    while pos != -1:
        start = pos + 8
        payload = _DATA_RUN.match(data, start, start + MAX_PAYLOAD)
        if payload is not None and len(payload.group()) >= MIN_RUN and not _not_text(payload.group()):
            yield start, payload.group()
        pos = data.find(b";base64,", start)


def embedded(blob: Blob, depth: int = 0, maps: list[tuple[int, int]] | None = None) -> Iterator[Blob]:
    """Decoded base64 payloads that are text, as child blobs (recursively, to ``MAX_DEPTH``).
    ``maps`` receives the span of every payload of the blob itself that is an inline source map
    (``sourceMappingURL=data:...;base64,``): its decoded child is matched, so the base64 text
    itself need not be (see ``outside``)."""
    if depth >= MAX_DEPTH or not blob.whole:
        return
    data = blob.data
    line, counted = 1, 0
    for start, run in _runs(data):
        if len(run) > MAX_PAYLOAD:
            continue
        decoded = decode_run(run)
        if decoded is None or len(decoded) < 16 or not _printable(decoded):
            continue
        if maps is not None and _inline_map(data, start, decoded):
            maps.append((start, start + len(run)))
        line += data.count(b"\n", counted, start)  # runs arrive in order: count each byte once
        counted = start
        child = Blob(blob.origin.child(f"<base64 at line {line}>"), decoded, blob.depth, derived=True)
        yield child
        yield from embedded(child, depth + 1)


# How far before a payload its "sourceMappingURL=data:application/json;charset=utf-8;base64," starts.
_LINK_REACH = 128


def _inline_map(data: bytes, start: int, decoded: bytes) -> bool:
    """Is the payload at ``start`` a source map inlined in a ``sourceMappingURL`` data URI?"""
    return (data.endswith(b";base64,", 0, start)
            and data.rfind(b"sourceMappingURL=data:", max(0, start - _LINK_REACH), start) != -1
            and decoded[:64].lstrip().startswith(b"{") and b'"mappings"' in decoded)


def outside(spans: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` without ``spans`` (sorted by start; they may overlap)."""
    ranges, pos = [], lo
    for start, end in spans:
        if start > pos:
            ranges.append((pos, min(start, hi)))
        pos = max(pos, end)
    if pos < hi:
        ranges.append((pos, hi))
    return [(a, b) for a, b in ranges if a < b]
