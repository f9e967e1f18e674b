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
_WS = " \t\n\r"
_KEY = b'"sourcesContent"'


@dataclass(frozen=True, slots=True)
class Entry:
    """One sourcesContent string: ``start``/``end`` bound its literal, quotes included."""

    index: int
    name: str
    start: int
    end: int


class Splitter:
    """Feed it a map's bytes in order; it returns the entries each feed completes."""

    def __init__(self) -> None:
        self.state = "prefix"  # -> "entries" -> "done"; or "dead"
        self.prefix: sourcemap.Prefix | None = None
        self.starts: list[int | None] = []
        self.end = 0  # after the closing bracket, once done
        self._tail = b""
        self._at = 0  # offset of _tail[0] in the map
        self._comma = False  # an item was read: a comma or the closing bracket comes next
        self._key = False  # "sourcesContent" has been seen

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
        text = self._tail.decode("latin-1")
        found: list[Entry] = []
        pos, size = 0, len(text)
        while True:
            while pos < size and text[pos] in _WS:
                pos += 1
            if pos >= size:
                break
            char = text[pos]
            if self._comma or (char == "]" and not self.starts):
                if char == "]":
                    self.state = "done"
                    pos += 1
                    self.end = self._at + pos
                    break
                if char != ",":
                    self.state = "dead"
                    break
                self._comma = False
                pos += 1
                continue
            if char == '"':
                try:
                    _, end = scanstring(text, pos + 1, True)
                except ValueError:  # unfinished (or bad: then the full parse disagrees)
                    break
                index = len(self.starts)
                self.starts.append(self._at + pos)
                found.append(Entry(index, sourcemap.source_name(raw.source_root, raw.sources, index),
                                   self._at + pos, self._at + end))
                pos = end
            elif text.startswith("null", pos):
                self.starts.append(None)
                pos += 4
            elif "null".startswith(text[pos : pos + 4]):
                break
            else:
                self.state = "dead"
                break
            self._comma = True
        self._tail, self._at = self._tail[pos:], self._at + pos
        return found
