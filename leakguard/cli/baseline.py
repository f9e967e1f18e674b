"""``leakguard baseline create|update|prune``: record the findings a release already has."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import click

from leakguard.cli import settings
from leakguard.cli.group import cli
from leakguard.cli.options import CONFIG, REGISTRY, options
from leakguard.cli.output import check, terminal, write
from leakguard.cli.targets import Fetching, resolve
from leakguard.errors import LeakguardError, UsageError


@cli.group()
def baseline() -> None:
    """Record the findings an existing release already has, so only new ones block.

    \b
    Examples:
      leakguard baseline create --output .leakguard-baseline.json dist/*
      leakguard scan --baseline .leakguard-baseline.json dist/*
      leakguard baseline update .leakguard-baseline.json dist/*
      leakguard baseline prune .leakguard-baseline.json dist/*
    """


def _baseline_scan(targets: tuple[str, ...], config_path: Path | None, no_config: bool,
                   fetch: dict[str, Any]) -> list[Any]:
    import dataclasses

    from leakguard.app import scan as run_scan

    # Scan without any baseline so every current finding is seen.
    config = dataclasses.replace(settings.load(config_path, no_config), baseline=None)
    verdict = run_scan(list(resolve(targets, Fetching(**fetch, progress=terminal()))), config)
    if verdict.problems:
        first = verdict.problems[0]
        raise LeakguardError(f"{first.origin}: {first.kind}: {first.detail}; baseline not written")
    return [*verdict.blocking, *verdict.reported, *(f for f in verdict.suppressed if f.suppression and
                                                    f.suppression.kind == "baseline")]


_baseline_options = options((click.argument("targets", nargs=-1, required=True),), CONFIG, REGISTRY)


@baseline.command("create")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_baseline_options
def baseline_create(output: Path, targets: tuple[str, ...], config_path: Path | None, no_config: bool,
                    **fetch: Any) -> None:
    """Write a baseline of every current finding of TARGETS (never the secrets themselves).

    \b
    Example:
      leakguard baseline create --output .leakguard-baseline.json dist/*
    """
    from leakguard.policy import baseline as baselines

    if output.exists():
        raise UsageError(f"{output} exists; use `leakguard baseline update` or remove it")
    check(output)
    entries = baselines.create(_baseline_scan(targets, config_path, no_config, fetch))
    write(baselines.render(entries), output)
    click.echo(f"baseline: {_entries(len(entries))} written to {output}", err=True)


@baseline.command("update")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_baseline_options
def baseline_update(file: Path, targets: tuple[str, ...], config_path: Path | None, no_config: bool,
                    **fetch: Any) -> None:
    """Add the current findings of TARGETS to FILE, keeping existing entries and their reasons.

    \b
    Example:
      leakguard baseline update .leakguard-baseline.json dist/*
    """
    _rewrite(file, "update", lambda: _baseline_scan(targets, config_path, no_config, fetch))


@baseline.command("prune")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_baseline_options
def baseline_prune(file: Path, targets: tuple[str, ...], config_path: Path | None, no_config: bool,
                   **fetch: Any) -> None:
    """Remove entries of FILE that TARGETS no longer produce.

    \b
    Example:
      leakguard baseline prune .leakguard-baseline.json dist/*
    """
    _rewrite(file, "prune", lambda: _baseline_scan(targets, config_path, no_config, fetch))


def _rewrite(file: Path, how: Literal["update", "prune"], findings: Callable[[], list[Any]]) -> None:
    """``baseline update`` and ``prune``: FILE read, checked writable, changed by a scan, rewritten."""
    from leakguard.policy import baseline as baselines

    existing = baselines.load(file)
    check(file)
    entries = (baselines.update if how == "update" else baselines.prune)(existing, findings())
    changed = abs(len(entries) - len(existing.entries))
    write(baselines.render(entries), file)
    click.echo(f"baseline: {_entries(changed)} {'added to' if how == 'update' else 'pruned from'} {file}", err=True)


def _entries(count: int) -> str:
    return f"{count:,} entr{'y' if count == 1 else 'ies'}"
