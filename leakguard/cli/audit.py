"""The audit commands: ``audit``, ``watch`` and ``findings`` (registered on the ``leakguard`` group).

Thin, like the rest of the CLI: parse, build a ``Setup``, call ``leakguard.audit.run``, print a
progress line on a terminal and a summary. Findings are data here, not failures: ``audit`` exits 0
when every target was scanned and stored, 3 when some could not be, 2 on usage errors.
"""

from __future__ import annotations

import datetime
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from leakguard.cli.group import cli
from leakguard.enums import ExitCode, Severity
from leakguard.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_DB = "sqlite:///leakguard-audit.db"

AUDIT_EXAMPLES = """\b
Examples:
  leakguard audit npm:left-pad@1.3.0 pypi:requests==2.32.3 dist/*.whl
  leakguard audit --from releases.txt --db postgresql://audit@db.internal/leakguard
  leakguard audit --engine dask --scheduler tcp://scheduler:8786 --from releases.txt
  leakguard findings --new --severity high
"""


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?)?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "ki": 1024, "mi": 1024**2, "gi": 1024**3}


def _size(text: str) -> int:
    """``512MB``, ``2GiB``, ``1000000`` -> bytes."""
    found = _SIZE.match(text)
    if found is None:
        raise UsageError(f"--max-download {text!r}: expected a size such as 512MB or 2GiB")
    return int(float(found.group(1)) * _UNITS[(found.group(2) or "").lower()])


_engine_options = [
    click.option("--db", default=DEFAULT_DB, show_default=True, metavar="URL",
                 help="sqlite:///FILE or postgresql://USER@HOST/DB (the [postgres] extra)."),
    click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
                 help="local processes, or Dask (the [dask] extra)."),
    click.option("--scheduler", metavar="ADDR", help="Dask: an existing cluster's scheduler (tcp://host:8786)."),
    click.option("--workers", type=click.IntRange(min=1), help="Local processes, or LocalCluster workers "
                 "(default: usable cores)."),
    click.option("--registry", default="https://registry.npmjs.org", show_default=True, metavar="URL",
                 help="npm registry (packuments and tarballs)."),
    click.option("--index-url", default="https://pypi.org", show_default=True, metavar="URL",
                 help="Python package index (Simple API, XML-RPC journal)."),
    click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                 help="A pyproject.toml or .leakguard.toml (rules, codenames, limits)."),
    click.option("--no-config", is_flag=True, help="Ignore config files; use the defaults."),
    click.option("--rate", type=click.FloatRange(min=0.01), default=20.0, show_default=True,
                 help="Requests per second per registry, over every worker."),
    click.option("--downloads", type=click.IntRange(min=1), default=8, show_default=True,
                 help="Concurrent downloads, over every worker."),
    click.option("--retries", type=click.IntRange(min=0), default=5, show_default=True,
                 help="Attempts after a 429 or a 5xx answer (backing off, honouring Retry-After)."),
    click.option("--max-download", default="512MB", show_default=True, metavar="SIZE",
                 help="Largest artifact downloaded; a larger one is recorded as an error."),
    click.option("--batch", type=click.IntRange(min=1), default=64, show_default=True,
                 help="Outcomes stored per transaction."),
]


def _engine_opts(func: F) -> F:
    for decorator in reversed(_engine_options):
        func = decorator(func)
    return func


def _setup(options: dict[str, Any]) -> Any:
    from leakguard.audit.gate import Politeness
    from leakguard.audit.run import Setup

    if options["scheduler"] and options["engine"] != "dask":
        raise UsageError("--scheduler needs --engine dask")
    politeness = Politeness(rate=options["rate"], downloads=options["downloads"], retries=options["retries"],
                            max_bytes=_size(options["max_download"]))
    return Setup(db=options["db"], engine=options["engine"], scheduler=options["scheduler"],
                 workers=options["workers"], politeness=politeness, batch=options["batch"])


class Progress:
    """The live line (a terminal only) and the summary at the end, both on stderr."""

    def __init__(self, verb: str) -> None:
        self.verb = verb
        self.live = sys.stderr.isatty() and "CI" not in os.environ
        self._last = 0.0

    def __call__(self, counts: Any) -> None:
        import time

        now = time.monotonic()
        if not self.live or now - self._last < 0.2:
            return
        self._last = now
        click.echo(f"\r\033[K{self.verb}: {counts.done:,} done, {counts.queued:,} queued, {counts.failed:,} failed, "
                   f"{counts.per_minute:,.0f}/min", nl=False, err=True)

    def summary(self, run_id: int, counts: Any, db: str) -> None:
        if self.live:
            click.echo("\r\033[K", nl=False, err=True)
        click.echo(f"{self.verb}: {counts.done:,} artifacts stored ({counts.failed:,} could not be scanned), "
                   f"{counts.skipped:,} skipped as already stored, {counts.findings:,} findings, "
                   f"{counts.seconds:.1f}s ({counts.per_minute:,.0f}/min); run {run_id} in {_safe(db)}", err=True)


def _safe(url: str) -> str:
    """A database URL without its password."""
    scheme, sep, rest = url.partition("://")
    user, at, host = rest.rpartition("@")
    return f"{scheme}{sep}{user.split(':', 1)[0]}{at}{host}" if at else url


def _registries(setup: Any, gate: Any, registry: str, index_url: str, feed: str | None = None) -> Any:
    from leakguard.audit import npm_feed
    from leakguard.audit.http import Client
    from leakguard.audit.sources import Registries

    return Registries(npm=Client(gate, setup.politeness, "npm"), pypi=Client(gate, setup.politeness, "pypi"),
                      registry=registry, index_url=index_url, feed=feed or npm_feed.FEED)


@cli.command("audit", epilog=AUDIT_EXAMPLES)
@click.argument("targets", nargs=-1)
@click.option("--from", "from_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Read targets from FILE, one per line (- for standard input).")
@_engine_opts
def audit(targets: tuple[str, ...], from_file: Path | None, **options: Any) -> None:
    """Scan each target (npm:NAME@VERSION, pypi:NAME==VERSION, files, directories) and store the
    results in the audit database. Targets whose digest is already stored with the current rules
    are skipped.

    Exit codes: 0 every target scanned and stored, 3 some could not be, 2 usage error.
    """
    from leakguard.audit.run import run
    from leakguard.audit.sources import read_targets, target_tasks
    from leakguard.cli.handler import Exit
    from leakguard.cli.settings import load as load_config

    wanted = [*targets, *(read_targets(from_file) if from_file is not None else [])]
    if not wanted:
        raise UsageError("no targets: name them, or give --from FILE")
    setup = _setup(options)
    config = load_config(options["config_path"], options["no_config"])
    progress = Progress("audit")

    def items(_store: Any, gate: Any) -> Any:
        return target_tasks(wanted, _registries(setup, gate, options["registry"], options["index_url"]))

    run_id, counts = run(setup, config, "audit", items, progress)
    progress.summary(run_id, counts, setup.db)
    raise Exit(ExitCode.SCAN_ERROR if counts.failed else ExitCode.PASS)


@cli.command("watch")
@click.argument("feed", type=click.Choice(["npm", "pypi"]))
@click.option("--since", metavar="CURSOR", type=click.IntRange(min=0),
              help="Start here (npm: a feed sequence, pypi: a journal serial) instead of the stored cursor.")
@click.option("--once", is_flag=True, help="Process what the feed holds now, then exit.")
@click.option("--feed", "feed_url", metavar="URL", help="npm replication feed (default: npm's public one).")
@click.option("--poll", type=click.FloatRange(min=0.1), default=60.0, show_default=True, help="Seconds between polls.")
@click.option("--limit", type=click.IntRange(min=1, max=10000), default=1000, show_default=True,
              help="npm: feed entries asked for per page (one page's cursor is stored with its results).")
@click.option("--window", type=click.IntRange(min=0), default=1000, show_default=True,
              help="npm: sequences re-read behind the cursor each cycle, for late entries.")
@click.option("--lookback", type=click.FloatRange(min=0), default=24.0, show_default=True,
              help="npm: versions published up to this many hours before a packument is read count as new.")
@_engine_opts
def watch(feed: str, since: int | None, once: bool, feed_url: str | None, poll: float, limit: int, window: int,
          lookback: float, **options: Any) -> None:
    """Follow a registry's change feed and audit every new version's artifacts. The cursor is
    stored with the results it covers; a restart resumes from it.

    \b
    Examples:
      leakguard watch npm --once                  # what is new since the stored cursor, then exit
      leakguard watch pypi --db postgresql://audit@db/leakguard --engine dask --scheduler tcp://s:8786
    """
    from leakguard.audit.run import run
    from leakguard.audit.sources import Follow, npm_key, npm_watch, pypi_key, pypi_watch
    from leakguard.cli.handler import Exit
    from leakguard.cli.settings import load as load_config

    setup = _setup(options)
    config = load_config(options["config_path"], options["no_config"])
    follow = Follow(once=once, poll=poll, limit=limit, window=window, lookback=lookback * 3600)
    progress = Progress(f"watch {feed}")

    def items(store: Any, gate: Any) -> Any:
        where = _registries(setup, gate, options["registry"], options["index_url"], feed_url)
        if feed == "npm":
            return npm_watch(where, store.cursor(npm_key(where)), since, follow)
        return pypi_watch(where, store.cursor(pypi_key(where)), since, follow)

    run_id, counts = run(setup, config, f"watch {feed}", items, progress)
    progress.summary(run_id, counts, setup.db)
    raise Exit(ExitCode.SCAN_ERROR if counts.failed else ExitCode.PASS)


def _date(text: str | None) -> datetime.datetime | None:
    if text is None:
        return None
    try:
        when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since {text}: expected a date (2026-12-01) or an ISO time") from None
    return when.astimezone(datetime.UTC).replace(tzinfo=None) if when.tzinfo else when


@cli.command("findings")
@click.option("--db", default=DEFAULT_DB, show_default=True, metavar="URL")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "csv"]), default="text",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.option("--since", metavar="DATE", help="Artifacts scanned at or after DATE (UTC).")
@click.option("--severity", type=click.Choice([s.label for s in Severity]), help="At least this severity.")
@click.option("--rule", metavar="RULE", help="A rule id or family (github matches github.*).")
@click.option("--artifact", metavar="SPEC", help="A spec, file name or package (npm:left-pad).")
@click.option("--new", is_flag=True, help="Only fingerprints first seen in the last run (each once).")
def findings(db: str, fmt: str, output: Path | None, since: str | None, severity: str | None, rule: str | None,
             artifact: str | None, new: bool) -> None:
    """Query the findings stored by audit and watch. Never shows a secret: the database holds
    fingerprints and redacted previews only.

    \b
    Examples:
      leakguard findings --severity high --since 2026-12-01
      leakguard findings --new --format json          # what to alert on after a run
      leakguard findings --artifact npm:left-pad --format csv -o left-pad.csv
    """
    from leakguard.audit.render import FORMATS
    from leakguard.audit.store import Query, Store
    from leakguard.cli.output import check, write

    check(output)
    query = Query(since=_date(since), severity=Severity.parse(severity) if severity else None, rule=rule,
                  artifact=artifact, new=new)
    store = Store.open(db)
    try:
        rows = store.findings(query)
    finally:
        store.close()
    if new:  # each new fingerprint once: its first finding
        rows = list({r["fingerprint"]: r for r in reversed(rows)}.values())[::-1]
    write(FORMATS[fmt](rows), output)
