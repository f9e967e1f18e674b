"""Reporters: ``REPORTERS[name](verdict, redact=True) -> str``. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Callable

from leakguard.model import Verdict
from leakguard.report import github, html, json, markdown, sarif, text

Reporter = Callable[..., str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": json.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
    "github": github.render,
    "html": html.render,
}

__all__ = ["REPORTERS", "Reporter", "Verdict"]
