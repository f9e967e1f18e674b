"""The policy layer: configuration, exceptions and the release decision (``decide``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leakguard.policy.decision import decide

__all__ = ["decide"]


def __getattr__(name: str) -> Any:
    """``decide`` on first use, so that importing ``leakguard.policy.config`` stays light."""
    if name == "decide":
        from leakguard.policy.decision import decide

        return decide
    raise AttributeError(f"module 'leakguard.policy' has no attribute {name!r}")
