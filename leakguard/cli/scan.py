"""The commands that scan and decide: ``scan``, ``npm`` (pack, then scan) and ``diff``."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from leakguard.cli import settings
from leakguard.cli.group import cli, debug_requested
from leakguard.cli.handler import Exit
from leakguard.cli.options import AGAINST, CONFIG, OUTPUT, POLICY, REGISTRY, options
from leakguard.cli.output import Progress, check, terminal, write
from leakguard.cli.targets import Fetching, resolve
from leakguard.enums import ExitCode
from leakguard.errors import UsageError

if TYPE_CHECKING:
    from leakguard.model import Source

SCAN_EXAMPLES = """\b
Examples:
  leakguard scan dist/*                      # the release gate: wheels, sdists, npm tarballs
  leakguard scan --format json -o report.json pkg-1.0.tgz
  npm pack --json | ... ; leakguard scan ./my-pkg-1.0.0.tgz
  cat build.zip | leakguard scan -           # from standard input
  leakguard scan pypi:requests==2.32.3 --only wheel   # a published release (npm:NAME@VERSION too)
"""


@cli.command(epilog=SCAN_EXAMPLES)
@click.argument("targets", nargs=-1, required=True)
@options(OUTPUT, POLICY, REGISTRY, AGAINST)
def scan(targets: tuple[str, ...], **given: Any) -> None:
    """Scan release artifacts, files, directories, stdin (-) or published packages
    (npm:NAME@VERSION, npm:@scope/NAME, pypi:NAME==VERSION, pypi:NAME).

    Exit codes: 0 pass, 1 blocking findings, 2 usage or config error, 3 scan error.
    """
    gate(targets, Gate(**given))


@dataclass(frozen=True, slots=True)
class Gate:
    """Every option of ``scan`` (``npm`` takes the same): what to scan against, how to decide,
    where to report."""

    fmt: str
    output: Path | None
    reports: tuple[str, ...]
    show_secrets: bool
    context: bool
    quiet: bool
    verbose: bool
    no_color: bool
    fail_on: str | None
    config_path: Path | None
    no_config: bool
    engine: str
    jobs: int | None
    codenames: tuple[str, ...]
    codenames_file: Path | None
    baseline_path: Path | None
    strict_allows: bool
    registry: str
    index_url: str | None
    only: tuple[str, ...]
    against: tuple[str, ...]

    def fetching(self, *, show: bool) -> Fetching:
        """How this command fetches registry specs."""
        return Fetching(self.registry, self.index_url, self.only, self.quiet, show)


def gate(targets: Sequence[str | Source], given: Gate, config_start: Path | None = None) -> NoReturn:
    """Resolve, scan, decide, report and exit: the body of ``scan`` and ``npm``."""
    from leakguard.app import scan as run_scan
    from leakguard.policy.baseline import load as load_baseline
    from leakguard.report import REPORTERS

    extra_reports = [_report_spec(spec, REPORTERS) for spec in given.reports]
    for path in (given.output, *(p for _, p in extra_reports)):
        check(path)  # an unwritable report path fails now, not after the scan
    show = sys.stderr.isatty() and not given.quiet and not (given.fmt != "text" and given.output is None) \
        and "CI" not in os.environ
    config = settings.load(given.config_path, given.no_config, given.fail_on, given.codenames, given.codenames_file,
                           start=config_start)
    baseline = load_baseline(given.baseline_path) if given.baseline_path is not None else None
    # Downloads last: a bad config or baseline fails before anything is fetched.
    fetching = given.fetching(show=show)
    resolved = resolve(targets, fetching)
    against = resolve(given.against, fetching)
    progress = Progress() if show else None
    try:
        verdict = run_scan(resolved, config, engine=given.engine, baseline=baseline,
                           strict_allows=given.strict_allows, jobs=given.jobs, on_progress=progress, against=against)
    finally:
        if progress is not None:
            progress.close()
    _traces(verdict.problems)
    color = not given.no_color and given.output is None and given.fmt == "text" and sys.stdout.isatty() \
        and "NO_COLOR" not in os.environ
    write(REPORTERS[given.fmt](verdict, **_render(given.fmt, given, color=color)), given.output)
    for extra_fmt, path in extra_reports:
        write(REPORTERS[extra_fmt](verdict, **_render(extra_fmt, given, color=False)), path)
    if given.output is not None and not given.quiet:
        click.echo(f"{verdict.status.upper()}: report written to {given.output}", err=True)
    raise Exit(verdict.exit_code)


def _render(fmt: str, given: Gate, *, color: bool) -> dict[str, Any]:
    """The options a reporter of ``fmt`` takes."""
    render: dict[str, Any] = {"redact": not given.show_secrets, "color": color}
    if fmt == "text":
        render.update(verbose=given.verbose, quiet=given.quiet)
    if fmt in ("text", "json"):
        render.update(context=given.context)
    return render


def _report_spec(spec: str, reporters: dict[str, Any]) -> tuple[str, Path]:
    fmt, sep, path = spec.partition(":")
    if not sep or not path or fmt not in reporters:
        raise UsageError(f"--report {spec!r}: expected FORMAT:FILE with FORMAT one of {', '.join(reporters)}")
    return fmt, Path(path)


def _traces(problems: Sequence[Any]) -> None:
    """With ``--debug``, the traceback of every internal error the scan met (on stderr)."""
    if debug_requested():
        for problem in problems:
            if problem.trace:
                click.echo(f"leakguard: {problem.origin}: {problem.detail}\n{problem.trace.rstrip()}", err=True)


@cli.command("npm")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path), default=".")
@options(OUTPUT, POLICY, REGISTRY, AGAINST)
def npm_gate(directory: Path, **given: Any) -> None:
    """Pack the npm package in DIRECTORY exactly as `npm publish` would, and scan that tarball.

    Takes every option of `scan`; the config is found from DIRECTORY upwards. The pack is real,
    into a temporary folder, even under `npm publish --dry-run`.

    \b
    Examples:
      leakguard npm                       # in package.json: "prepublishOnly": "leakguard npm"
      leakguard npm --against npm:my-pkg@latest --report sarif:leakguard.sarif
      npm pack && leakguard scan *.tgz && npm publish ./my-pkg-1.0.0.tgz   # in CI
    """
    import tempfile

    from leakguard.model import Source
    from leakguard.npm import pack

    with tempfile.TemporaryDirectory(prefix="leakguard-npm-") as tmp:
        tarball = pack(directory.resolve(), Path(tmp))
        # Reports name the tarball, not the temporary folder it was packed into.
        gate([Source(str(tarball), tarball.name)], Gate(**given), config_start=directory.resolve())


@cli.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@options(CONFIG, REGISTRY)
@click.option("--show-secrets", is_flag=True, help="Print secret values instead of redacting them.")
def diff_command(old: str, new: str, fmt: str, config_path: Path | None, no_config: bool, show_secrets: bool,
                 **fetch: Any) -> None:
    """Compare two releases: members added, removed and changed, sizes, and findings new in NEW.

    Exits 0 (3 if either release could not be read); `scan NEW --against OLD` is the gate.

    \b
    Example:
      leakguard diff claude-code-2.1.87.tgz claude-code-2.1.88.tgz
    """
    from leakguard.app import scan as run_scan
    from leakguard.report import diff as diff_report

    fetching = Fetching(**fetch, progress=terminal())
    new_targets, old_targets = resolve((new,), fetching), resolve((old,), fetching)
    verdict = run_scan(list(new_targets), settings.load(config_path, no_config), against=list(old_targets))
    render = diff_report.render_json if fmt == "json" else diff_report.render_text
    write(render(verdict, redact=not show_secrets), None)
    for problem in verdict.problems:
        click.echo(f"leakguard: error: {problem.origin}: {problem.kind}: {problem.detail}", err=True)
    raise Exit(ExitCode.SCAN_ERROR if verdict.problems else ExitCode.PASS)
