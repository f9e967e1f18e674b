"""Walker limits and the budget each artifact draws on.

Every limit is charged with bytes actually produced by decompression, never with sizes that
archive headers claim (FIELD-NOTES: TruffleHog trusted declared sizes; gitleaks skipped its cap
inside archives). Hitting a limit raises ``LimitHit``, which the walker turns into a blocking
``policy`` finding that names the limit and the config key that raises it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@dataclass(frozen=True, slots=True)
class Limits:
    """Configurable walker limits. Defaults fit the largest real releases (hundreds of MB)."""

    max_depth: int = 8
    max_total_bytes: int = 4 * GIB
    max_ratio: float = 200.0
    # The ratio is only enforced past this many expanded bytes: small files of repeated text
    # compress far better than 200:1 and are harmless.
    ratio_floor: int = 64 * MIB
    max_members: int = 250_000
    max_member_bytes: int = 2 * GIB
    # Members larger than this are scanned in overlapping windows of this size.
    window_bytes: int = 256 * MIB
    window_overlap: int = 64 * KIB


# Config keys (kebab-case) for each limit, for messages that say how to raise it.
LIMIT_KEYS = {
    "max_depth": "max-depth",
    "max_total_bytes": "max-total-bytes",
    "max_ratio": "max-ratio",
    "max_members": "max-members",
    "max_member_bytes": "max-member-bytes",
}


class LimitHit(Exception):
    """A limit was reached; ``limit`` is the Limits field name."""

    def __init__(self, limit: str, detail: str) -> None:
        super().__init__(detail)
        self.limit = limit
        self.detail = detail

    def advice(self) -> str:
        """How to raise the limit, for the finding's message."""
        key = LIMIT_KEYS.get(self.limit, self.limit)
        return f"{self.detail}; raise `{key}` in [tool.leakguard.limits] if this artifact is legitimate"


@dataclass(slots=True)
class Budget:
    """What one artifact has drawn so far. Mutable by design: one per artifact, never shared."""

    limits: Limits
    compressed_size: int
    expanded: int = 0
    members: int = 0
    notes: list[str] = field(default_factory=list)

    def charge(self, size: int) -> None:
        """Account for ``size`` more decompressed bytes; raise ``LimitHit`` past a limit."""
        self.expanded += size
        limits = self.limits
        if self.expanded > limits.max_total_bytes:
            raise LimitHit(
                "max_total_bytes",
                f"more than {limits.max_total_bytes:,} bytes unpacked",
            )
        if self.expanded > limits.ratio_floor and self.compressed_size > 0:
            ratio = self.expanded / self.compressed_size
            if ratio > limits.max_ratio:
                raise LimitHit(
                    "max_ratio",
                    f"expansion ratio over {limits.max_ratio:g}:1 "
                    f"({self.expanded:,} bytes from {self.compressed_size:,})",
                )

    def count_member(self) -> None:
        """Account for one more member; raise ``LimitHit`` past the member limit."""
        self.members += 1
        if self.members > self.limits.max_members:
            raise LimitHit("max_members", f"more than {self.limits.max_members:,} members")
