"""Walker limits and the budget each artifact draws on.

Every limit is charged with bytes actually produced by decompression, never with sizes that
archive headers claim (FIELD-NOTES: TruffleHog trusted declared sizes; gitleaks skipped its cap
inside archives). Hitting a limit raises ``LimitHit``, which the walker turns into a blocking
``policy`` finding that names the limit and the config key that raises it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@dataclass(frozen=True, slots=True)
class Limits:
    """Configurable walker limits. Defaults fit the largest real releases (hundreds of MB)."""

    max_depth: int = 8
    max_total_bytes: int = 4 * GIB
    # Expanded bytes per compressed byte read so far, for the artifact and for each compressed
    # member or layer (GuardDog-style). The bench artifacts stay under 8:1 (botocore's wheel at
    # its worst point, 7.7:1); deflate cannot exceed 1032:1, so a bomb passes 200:1 at once.
    max_ratio: float = 200.0
    # The ratio is only enforced past this many expanded bytes: small files of repeated text
    # compress far better than 200:1 and are harmless (scipy 1.18.1's sdist holds a 33.5 MB
    # array of 119 kB in an .npz). A bomb stops after this much.
    ratio_floor: int = 128 * MIB
    # Every entry counts, directories and links included.
    max_members: int = 250_000
    max_member_bytes: int = 2 * GIB
    # Members larger than this are scanned in overlapping windows of this size; a member up to it
    # arrives whole (claude-code 2.1.88's 57 MiB source map does), and memory is bounded by it.
    window_bytes: int = 64 * MIB
    window_overlap: int = 64 * KIB


# Config keys (kebab-case) for each limit, for messages that say how to raise it.
LIMIT_KEYS = {
    "max_depth": "max-depth",
    "max_total_bytes": "max-total-bytes",
    "max_ratio": "max-ratio",
    "max_members": "max-members",
    "max_member_bytes": "max-member-bytes",
}


def members(count: int) -> str:
    """``1 member``, ``2 members``."""
    return f"{count:,} member{'' if count == 1 else 's'}"


class LimitHit(Exception):
    """A limit was reached; ``limit`` is the Limits field name."""

    def __init__(self, limit: str, detail: str) -> None:
        super().__init__(detail)
        self.limit = limit
        self.detail = detail

    @property
    def key(self) -> str:
        """The config key of the limit (``max-members``)."""
        return LIMIT_KEYS.get(self.limit, self.limit)

    def advice(self) -> str:
        """The finding's message: what was reached, and the key that sets it (the policy adds where
        that key lives, as only it knows the config file in use)."""
        return f"{self.detail} (limit `{self.key}`)"


# The artifact's ratio counts every nested layer again, so it is enforced past this many times the
# floor: scipy 1.18.1's sdist had produced 134 MB from its first 394 kB (sparse arrays in .npz
# files), 10:1 over the whole artifact.
ARTIFACT_FLOOR = 2


def check_ratio(limits: Limits, expanded: int, packed: int, what: str, *, floor: int = 1) -> None:
    """Raise ``LimitHit`` when ``expanded`` bytes came from too few ``packed`` bytes (past ``floor``
    times the ratio floor)."""
    if expanded > floor * limits.ratio_floor and expanded > limits.max_ratio * max(packed, 1):
        raise LimitHit("max_ratio", f"expansion ratio over {limits.max_ratio:g}:1 for {what} "
                                    f"({expanded:,} bytes from {packed:,})")


class Ratio:
    """The expansion ratio of one compressed member or layer, checked as its bytes come out."""

    __slots__ = ("_expanded", "_limits", "_packed", "_source", "_what")

    def __init__(self, limits: Limits, what: str, packed: Callable[[], int] | None = None) -> None:
        self._limits = limits
        self._what = what
        self._source = packed
        self._packed = 0
        self._expanded = 0

    def add_packed(self, size: int) -> None:
        """Account for ``size`` more compressed bytes read (when no ``packed`` callable tells)."""
        self._packed += size

    def expanded(self, size: int) -> None:
        """Account for ``size`` more bytes out; raise ``LimitHit`` past the ratio."""
        self._expanded += size
        packed = self._source() if self._source is not None else self._packed
        check_ratio(self._limits, self._expanded, packed, self._what)


@dataclass(slots=True)
class Budget:
    """What one artifact has drawn so far. Mutable by design: one per artifact, never shared.

    ``expanded`` counts every byte produced by reading (each nesting layer again, headers and
    padding included); ``consumed`` the artifact's own bytes read so far (re-reads included)."""

    limits: Limits
    expanded: int = 0
    consumed: int = 0
    members: int = 0
    entries: int = 0
    notes: list[str] = field(default_factory=list)

    def charge(self, size: int) -> None:
        """Account for ``size`` more decompressed bytes; raise ``LimitHit`` past a limit."""
        self.expanded += size
        limits = self.limits
        if self.expanded > limits.max_total_bytes:
            raise LimitHit(
                "max_total_bytes",
                f"more than {limits.max_total_bytes:,} byte{'' if limits.max_total_bytes == 1 else 's'} unpacked",
            )
        check_ratio(limits, self.expanded, self.consumed, "the artifact", floor=ARTIFACT_FLOOR)

    def read_raw(self, size: int) -> None:
        """Account for ``size`` more bytes read from the artifact itself."""
        self.consumed += size

    def count_entry(self, *, member: bool) -> None:
        """Account for one more entry (a member unless a directory); raise ``LimitHit`` past the limit."""
        self.entries += 1
        self.members += member
        if self.entries > self.limits.max_members:
            raise LimitHit("max_members", f"more than {members(self.limits.max_members)}")
