"""The ``leakguard`` command group and its global options (``--version``, ``--debug``). Every
command module registers itself on :data:`cli`."""

from __future__ import annotations

import os
from collections.abc import Sequence

import click

from leakguard import about


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"leakguard {about.version()}")
        ctx.exit()


def debugging(argv: Sequence[str] = ()) -> bool:
    """``leakguard --debug ...`` or ``LEAKGUARD_DEBUG=1``: print the traceback of an unexpected
    error, and of every internal error a scan met."""
    return os.environ.get("LEAKGUARD_DEBUG", "").lower() in ("1", "true", "yes") or "--debug" in argv[:1]


def debug_requested() -> bool:
    """Inside a command: was ``--debug`` given (or ``LEAKGUARD_DEBUG`` set)?"""
    return bool(click.get_current_context().find_root().meta.get("debug")) or debugging()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and exit.")
@click.option("--debug", is_flag=True, expose_value=False, callback=lambda ctx, _p, v: ctx.meta.update(debug=v),
              help="Print the traceback of an unexpected error (also LEAKGUARD_DEBUG=1).")
def cli() -> None:
    """leakguard: stop secrets and source code from leaking through package releases.

    \b
    Examples:
      leakguard scan dist/*          # fail the release if anything leaks
      leakguard rules check          # lint the packaged rule set
    """
