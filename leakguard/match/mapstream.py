"""sourcesContent entries of a source map found while the map is still being decompressed.

A 60 MB map takes a third of a second to inflate; waiting for its last byte before scanning its
first entry leaves the workers idle. ``Splitter`` is fed the map's bytes as they arrive and
returns each entry as soon as its JSON string is complete: its index, its name and where its
literal lies in the map. It understands one layout, the one bundlers write (plain keys, then
``"sourcesContent": [...]``) and gives up on anything else. It is only a head start: once the
whole map is in, the full parser must agree with every entry it returned (``agrees``), or the
caller throws the head start away and scans the map as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]

from leakguard.match import sourcemap

# Give up (the map is then scanned once it is whole) when the keys before sourcesContent, or one
# unfinished entry, grow past this: re-reading them on every chunk would cost more than it saves.
MAX_PENDING = 16 * 1024 * 1024
_WS = b" \t\n\r"
_QUOTE, _COMMA, _CLOSE = ord('"'), ord(","), ord("]")
_KEY = b'"sourcesContent"'


@dataclass(frozen=True, slots=True)
class Entry:
    """One sourcesContent string: ``start``/``end`` bound its literal, quotes included."""

    index: int
    name: str
    start: int
    end: int


class Splitter:
    """Feed it a map's bytes in order; it returns the entries each feed completes. Their literals
    lie in ``held``, the bytes read since the previous feed's last entry, which starts at
    ``held_at`` in the map (until the next feed)."""

    def __init__(self) -> None:
        self.state = "prefix"  # -> "entries" -> "done"; or "dead"
        self.prefix: sourcemap.Prefix | None = None
        self.starts: list[int | None] = []
        self.end = 0  # after the closing bracket, once done
        self._tail = b""
        self._at = 0  # offset of _tail[0] in the map
        self._comma = False  # an item was read: a comma or the closing bracket comes next
        self._key = False  # "sourcesContent" has been seen
        # The layout: once a newline has been seen between two entries, each entry ends on its own
        # line (see _line_end); until then each is read with scanstring.
        self._lines = False
        self._after: int | None = None  # in _tail: just after the last item read
        self._searched = 0  # in _tail: no newline before this (the unfinished entry's line)
        self.held = b""
        self.held_at = 0

    def feed(self, chunk: bytes) -> list[Entry]:
        if self.state in ("done", "dead"):
            return []
        self._tail += chunk
        if self.state == "prefix":
            # Parse the keys only once the array's key has arrived: maps that put it after a 13 MB
            # "mappings" string would otherwise be parsed again on every chunk.
            self._key = self._key or _KEY in self._tail[-(len(chunk) + len(_KEY)) :]
            try:
                prefix = sourcemap.parse_prefix(self._tail.decode("latin-1")) if self._key else None
            except sourcemap.Unstreamable:
                self.state = "dead"
                return []
            if prefix is None:
                if len(self._tail) > MAX_PENDING:
                    self.state = "dead"
                return []
            self.prefix, self.state = prefix, "entries"
            self._tail, self._at = self._tail[prefix.items :], prefix.items
        found = self._entries()
        if self.state == "entries" and len(self._tail) > MAX_PENDING:
            self.state = "dead"
        return found

    def known(self) -> sourcemap.Known | None:
        """The array as read, for the full parse to skip (when the split is done)."""
        if self.state != "done" or self.prefix is None:
            return None
        return sourcemap.Known(self.prefix.items, self.end, tuple(self.starts))

    def agrees(self, parsed: sourcemap.ParsedMap) -> bool:
        """True when the whole map's parse has exactly the entries (and names) this returned."""
        starts, sources, root, sectioned = parsed.entries()
        return (self.state == "done" and self.prefix is not None and not sectioned and starts == self.starts
                and sources == self.prefix.raw.sources and root == self.prefix.raw.source_root)

    def _entries(self) -> list[Entry]:
        assert self.prefix is not None
        raw = self.prefix.raw
        tail = self._tail
        text: str | None = None  # the tail decoded, for scanstring; only while the layout is unknown
        found: list[Entry] = []
        pos, size = 0, len(tail)
        while True:
            while pos < size and tail[pos] in _WS:
                pos += 1
            if pos >= size:
                break
            char = tail[pos]
            if self._comma or (char == _CLOSE and not self.starts):
                if char == _CLOSE:
                    self.state = "done"
                    pos += 1
                    self.end = self._at + pos
                    break
                if char != _COMMA:
                    self.state = "dead"
                    break
                self._comma = False
                pos += 1
                continue
            if char == _QUOTE:
                # One entry per line? Learnt from the gap before the second entry.
                self._lines = self._lines or (self._after is not None and b"\n" in tail[self._after : pos])
                if self._lines:
                    end = self._line_end(tail, pos)
                else:
                    text = tail.decode("latin-1") if text is None else text
                    try:
                        _, end = scanstring(text, pos + 1, True)
                    except ValueError:  # unfinished (or bad: then the full parse disagrees)
                        end = None
                if end is None:  # unfinished, or dead
                    break
                index = len(self.starts)
                self.starts.append(self._at + pos)
                found.append(Entry(index, sourcemap.source_name(raw.source_root, raw.sources, index),
                                   self._at + pos, self._at + end))
                pos = self._after = end
            elif tail.startswith(b"null", pos):
                self.starts.append(None)
                pos = self._after = pos + 4
            elif b"null".startswith(tail[pos : pos + 4]):
                break
            else:
                self.state = "dead"
                break
            self._comma = True
        self.held, self.held_at = tail, self._at
        self._tail, self._at = tail[pos:], self._at + pos
        self._searched = max(0, self._searched - pos)
        if self._after is not None:
            self._after = max(0, self._after - pos)
        return found

    def _line_end(self, tail: bytes, pos: int) -> int | None:
        """Where the string starting at ``pos`` ends, in a map that puts one entry per line (what
        most bundlers write): before the next raw newline, which a JSON string cannot hold, at
        the last quote. Found with ``bytes.find``/``rfind`` instead of decoding the entry here;
        the worker that decodes it checks that the string ends exactly there, so a map laid out
        otherwise is found out and scanned whole. None while the line is unfinished."""
        newline = tail.find(b"\n", max(pos + 1, self._searched))
        if newline == -1:
            self._searched = len(tail)
            return None
        quote = tail.rfind(b'"', pos + 1, newline)
        if quote == -1:  # a raw newline inside the string: not JSON
            self.state = "dead"
            return None
        return quote + 1
