"""The static check for catastrophic backtracking in a user's regex (leakguard/redos.py)."""

from __future__ import annotations

import pytest

from leakguard.redos import risk

REFUSED = [r"(a+)+", r"(\w+\s?)*x", r"(a|ab)+", r"(a|a)*", r"(\d|1x)*", r"(.*)*", r"(?:x|y?)+", rb"(a+)+",
           r"(a+){20}", r"((ab)*c)+"]
ACCEPTED = [r"capy(bara|x)\d*", r"[\w-]+", r"(foo|bar)+", r"(?:\d+\.){3}\d+", r"(?>a+)+", r"a++", r"(?:ab{2})+",
            r"acme_[a-z0-9]{32}", r"(?:[a-z]\d)+"]


@pytest.mark.parametrize("pattern", REFUSED)
def test_exponential_shapes_are_refused(pattern: str | bytes) -> None:
    assert risk(pattern) is not None


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_safe_shapes_are_accepted(pattern: str) -> None:
    assert risk(pattern) is None
