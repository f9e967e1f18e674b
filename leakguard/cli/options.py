"""Option groups shared by the commands that scan (``scan``, ``npm``, ``baseline``, ``diff``):
each option is defined once, so the commands cannot drift apart. Part of the CLI package."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from leakguard.enums import FAIL_ON
from leakguard.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("text", "json", "sarif", "markdown", "github", "html")
NPM_REGISTRY = "https://registry.npmjs.org"


def _web_url(option: str, example: str) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """A callback that makes a non-http(s) URL a usage error naming the option, before any work."""

    def check(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        # Checked here, without importing leakguard.registry: a scan of local files never loads it.
        if value is None:
            return value
        parts = urllib.parse.urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            shown = value if parts.password is None else value.replace(f":{parts.password}@", ":***@")
            raise UsageError(f"{option} {shown}: expected an http(s) URL, e.g. {example}")
        return value

    return check


def _selectors(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """``--only wheel,sdist --only '*.zip'`` -> ``("wheel", "sdist", "*.zip")``."""
    return tuple(part.strip() for item in value for part in item.split(",") if part.strip())


OUTPUT = (
    click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
                 help="Report format."),
    click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here."),
    click.option("--report", "reports", multiple=True, metavar="FORMAT:FILE",
                 help="Also write the same verdict in another format (repeatable), e.g. sarif:leakguard.sarif."),
    click.option("--show-secrets", is_flag=True, help="Print secret values instead of redacting them."),
    click.option("--context", is_flag=True,
                 help="Show the line around each finding, its value redacted (text and JSON reports)."),
    click.option("-q", "--quiet", is_flag=True, help="Print only the verdict."),
    click.option("-v", "--verbose", is_flag=True, help="Also list info findings and members skipped by policy."),
    click.option("--no-color", is_flag=True, help="No ANSI colours (also when NO_COLOR is set or not a terminal)."),
)

CONFIG = (
    click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                 help="A pyproject.toml or .leakguard.toml to use instead of discovery."),
    click.option("--no-config", is_flag=True, help="Ignore config files; use the defaults."),
)

POLICY = (
    click.option("--fail-on", type=click.Choice(FAIL_ON, case_sensitive=False),
                 help="Lowest severity that blocks (default: high, or the config's fail-on)."),
    *CONFIG,
    click.option("--engine", type=click.Choice(["auto", "pyahocorasick", "ahocorasick-rs"]), default="auto",
                 show_default=True, help="Keyword prefilter engine."),
    click.option("-j", "--jobs", type=click.IntRange(min=1),
                 help="Worker processes (default: usable cores, at most 8; 1: one process)."),
    click.option("--codename", "codenames", multiple=True, metavar="NAME",
                 help="An unreleased name that must not ship (repeatable; adds to the config's codenames)."),
    click.option("--codenames-file", type=click.Path(dir_okay=False, path_type=Path),
                 help="A file of codenames, one per line, # comments."),
    click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path),
                 help="Findings in this baseline file are reported as suppressed, not blocking."),
    click.option("--strict-allows", is_flag=True, help="Allow entries that matched nothing block the release."),
)

REGISTRY = (
    click.option("--registry", default=NPM_REGISTRY, show_default=True, metavar="URL",
                 callback=_web_url("--registry", NPM_REGISTRY),
                 help="npm registry for npm: specs (private registries and mirrors)."),
    click.option("--index-url", metavar="URL", callback=_web_url("--index-url", "https://pypi.org/simple"),
                 help="Python package index (a Simple API root) for pypi: specs [default: pip's index-url "
                      "(PIP_INDEX_URL, pip.conf), else https://pypi.org/simple]."),
    click.option("--only", multiple=True, metavar="wheel|sdist|GLOB", callback=_selectors,
                 help="Scan only these files of pypi: releases: wheel, sdist, or a file-name glob "
                      "(repeatable or comma-separated)."),
)

AGAINST = (
    click.option("--against", multiple=True, metavar="OLD",
                 help="The previous release: its findings are carried over; risky new members and growth block."),
)


def options(*groups: tuple[Callable[[F], F], ...]) -> Callable[[F], F]:
    """A decorator applying every option of ``groups``, in the order written."""

    def apply(func: F) -> F:
        for decorator in reversed([d for group in groups for d in group]):
            func = decorator(func)
        return func

    return apply
