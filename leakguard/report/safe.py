"""Text from an artifact made harmless for the reader of a report.

Member names, messages that quote them, package names and (with ``--show-secrets``) secret
values come from the artifact under scan. Printed raw they could clear a terminal (``ESC [2J``),
plant a hyperlink (OSC 8), overwrite the line before (``\\r``), reorder what a reviewer sees
(bidi overrides, U+202E), or start a line of their own that a CI runner executes as a workflow
command (``\\n::error::...``). Each such character is written as a visible escape instead.
Names that are not UTF-8 reach the reports as lone surrogates (``surrogateescape``); they are
written as the byte they stand for (``\\xff``) in text, and as a JSON ``\\udcff`` escape in
JSON and SARIF, so the report is always written and nothing is lost.
"""

from __future__ import annotations

import re

# C0 controls but tab, DEL, C1 controls, the bidi embeddings, overrides, isolates and marks, the
# line and paragraph separators, and lone surrogates.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape of the byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return {"\n": "\\n", "\r": "\\r"}.get(char, f"\\x{code:02x}")
    return f"\\u{code:04x}"


def clean(text: str) -> str:
    """``text`` with control, bidi and undecodable characters written as visible escapes."""
    return _UNSAFE.sub(_escape, text)


def json_text(document: str) -> str:
    """A JSON document made by ``json.dumps(..., ensure_ascii=False)``, with lone surrogates
    written as ``\\uXXXX`` escapes: valid JSON that decodes to the same string, and encodable."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)
