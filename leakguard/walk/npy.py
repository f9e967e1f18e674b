"""NumPy arrays stored as floating-point numbers: data that holds no text to match.

scipy 1.18.1's sdist keeps benchmark problems as ``.npz`` archives (zips of ``.npy`` arrays) whose
dense float matrices inflate up to 890:1, about 6 GB from 30 MB: past every limit, and shaped like a
zip bomb. A float or complex array is numbers, not text; its header (format version 1.0-3.0,
https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html) says so before any of its
data is inflated. Such a member is recorded as skipped by policy, with its type and shape; any other
array (bytes, strings, objects, structured records) is read like every member.
"""

from __future__ import annotations

import re
import struct

MAGIC = b"\x93NUMPY"
# What numpy writes: a dict literal of exactly these keys, in this order, padded with spaces.
_HEADER = re.compile(
    rb"\{'descr': '(?P<descr>[<>|=]?[fc](?:2|4|8|10|12|16|20|24|32))', 'fortran_order': (?:True|False), "
    rb"'shape': \((?P<shape>[0-9, ]{0,200})\), \} *\n")
# Enough for the header numpy writes (padded to 64 bytes, a few hundred at most for any shape).
HEAD = 512


def numeric(head: bytes) -> str | None:
    """``float64 array of shape (3, 4)`` when ``head`` starts an ``.npy`` file of floating-point or
    complex numbers, else None."""
    if not head.startswith(MAGIC) or len(head) < 12:
        return None
    major = head[6]
    if major == 1:
        (size,), start = struct.unpack_from("<H", head, 8), 10
    elif major in (2, 3):
        (size,), start = struct.unpack_from("<I", head, 8), 12
    else:
        return None
    match = _HEADER.fullmatch(head, start, start + size) if start + size <= len(head) else None
    if match is None:
        return None
    descr = match["descr"].decode("ascii").lstrip("<>|=")
    kind = {"f": "float", "c": "complex"}[descr[0]]
    return f"{kind}{int(descr[1:]) * 8} array of shape ({match['shape'].decode('ascii')})"
