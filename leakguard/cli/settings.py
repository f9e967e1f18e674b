"""The configuration as the commands see it (the file, or defaults, with command-line overrides),
and the commands about configuration: ``init`` and ``codename-hash``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from leakguard.cli.group import cli
from leakguard.enums import Severity


def load(config_path: Path | None, no_config: bool, fail_on: str | None = None,
         codenames: tuple[str, ...] = (), codenames_file: Path | None = None, start: Path | None = None) -> Any:
    """The config file (or defaults: discovered from ``start``, else the working directory), with
    command-line overrides applied."""
    import dataclasses

    from leakguard.policy.config import load_config

    config = load_config(config_path, start=start, discover_config=not no_config)
    if fail_on is not None:
        config = dataclasses.replace(config, fail_on=Severity.threshold(fail_on))
    extra = list(codenames) + (_read_names(codenames_file) if codenames_file is not None else [])
    if extra:
        config = dataclasses.replace(config, codenames=(*config.codenames, *extra))
    check_selectors(config)
    return config


def check_selectors(config: Any) -> None:
    """Every rule id, family or category the config names in ``disable``, ``severity`` and
    ``allow`` must exist: a typo would silently disable nothing, or allow nothing (exit 2)."""
    named = [(f"disable: {name!r}", name) for name in config.disable]
    named += [(f"severity.{name}", name) for name, _ in config.severity]
    named += [(f"allow[{e.index}].rule", e.rule) for e in config.allow if e.rule is not None]
    if not named:
        return
    from leakguard import catalogue
    from leakguard.errors import ConfigError

    known = catalogue.selectors(catalogue.entries(config.rules))
    for key, name in named:
        problem = catalogue.unknown(name, known)
        if problem is not None:
            raise ConfigError.bad_key(str(config.source or "config"), key.split(":")[0], problem)


def _read_names(path: Path) -> list[str]:
    from leakguard.textfile import read_text

    lines = read_text(path, "codenames file").splitlines()
    return [name for line in lines if (name := line.split("#", 1)[0].strip())]


@cli.command("init")
@click.option("--pyproject", "target", flag_value="pyproject", help="Add [tool.leakguard] to pyproject.toml.")
@click.option("--toml", "target", flag_value="toml", help="Write a .leakguard.toml.")
def init(target: str | None) -> None:
    """Write a commented starter config (into pyproject.toml if there is one, else .leakguard.toml).

    \b
    Example:
      leakguard init && leakguard baseline create -o .leakguard-baseline.json dist/*
    """
    from leakguard.policy.starter import init as write_starter

    written = write_starter(Path.cwd(), prefer=target)
    click.echo(f"leakguard: wrote a starter config to {written}")


@cli.command("codename-hash")
@click.argument("names", nargs=-1, required=True)
def codename_hash(names: tuple[str, ...]) -> None:
    """Print the sha256 of each normalised NAME beside the name (as sha256sum does), for
    ``codenames-sha256`` in the config.

    \b
    Example:
      leakguard codename-hash capybara fennec   # then: codenames-sha256 = ["<hash>", "<hash>"]
    """
    from leakguard.match.custom import codename_hash as digest
    from leakguard.match.custom import normalise

    for name in names:
        click.echo(f"{digest(name)}  {normalise(name)}")
