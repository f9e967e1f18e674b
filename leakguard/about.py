"""leakguard's installed version, read from the package metadata only when asked (the import of
``importlib.metadata`` costs 30 ms of every start-up otherwise)."""

from __future__ import annotations

import functools


@functools.cache
def version() -> str:
    """The installed distribution's version, or ``0+unknown`` in a checkout that was never installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("leakguard")
    except PackageNotFoundError:
        return "0+unknown"
