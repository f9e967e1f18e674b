"""The command line: a thin click layer over the library. The only module that prints or exits.

``main(argv) -> int`` runs click with ``standalone_mode=False`` and maps every error to one line and
an exit code in one place (``_handle``). Heavy imports happen inside commands so that
``leakguard --version`` starts fast.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from leakguard import about
from leakguard.cli_options import AGAINST, CONFIG, OUTPUT, POLICY, REGISTRY, options
from leakguard.cli_targets import Fetching, resolve
from leakguard.enums import ExitCode, Severity
from leakguard.errors import LeakguardError, UsageError

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


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"leakguard {about.version()}")
        ctx.exit()


def debugging(argv: Sequence[str] = ()) -> bool:
    """``leakguard --debug ...`` or ``LEAKGUARD_DEBUG=1``: print the traceback of an unexpected
    error, and of every internal error a scan met."""
    return os.environ.get("LEAKGUARD_DEBUG", "").lower() in ("1", "true", "yes") or "--debug" in argv[:1]


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


class _Progress:
    """A one-line progress display on stderr, only for a terminal and only once a scan has run
    for a second (never in CI logs, with --quiet, or when JSON goes to stdout)."""

    def __init__(self) -> None:
        import time

        self._clock = time.monotonic
        self._start = self._clock()
        # Seconds before the first update; tests set it to 0 to see the display on a small scan.
        self._delay = float(os.environ.get("LEAKGUARD_PROGRESS_AFTER", "1"))
        self._last = 0.0
        self._shown = False

    def __call__(self, scanned: int) -> None:
        now = self._clock()
        if now - self._start < self._delay or now - self._last < 0.1:
            return
        self._last = now
        self._shown = True
        from leakguard.model import human_size

        click.echo(f"\rleakguard: scanned {human_size(scanned)} in {now - self._start:.0f}s ", nl=False, err=True)

    def close(self) -> None:
        if self._shown:
            click.echo("\r\033[K", nl=False, err=True)


def _write(text: str, output: Path | None) -> None:
    """Write a report to stdout, or to a file. A regular file (or a new path) is written atomically
    (temporary file, then rename: never a half-written report). A device, FIFO or socket
    (``/dev/null``, ``/dev/stdout``, a pipe) is written directly: renaming over ``/dev/null`` as root
    would replace the device with a regular file. A symbolic link is never replaced and is written
    through only to a device, FIFO or socket: a link planted in a checkout (``report.json ->
    ~/.bashrc``) must not make a CI job running as root overwrite its target (exit 2)."""
    if output is None:
        try:
            click.echo(text, nl=False)
        except BrokenPipeError:
            # Caught here: click would turn it into exit 1, which reads as "blocking findings".
            raise LeakguardError("cannot write the report: standard output was closed") from None
        return
    if _special(output):
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise UsageError(f"{output}: cannot write report: {exc.strerror}") from None
        return
    import tempfile  # 9 ms at start-up that --version and stdout reports do not need

    folder = output.parent if str(output.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=folder)
    except OSError as exc:
        raise UsageError(f"{output}: cannot write report: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _special(output: Path) -> bool:
    """Is ``output`` a device, FIFO or socket (written directly)? False for a regular file or a new
    path (written atomically); ``UsageError`` for a directory or a link to anything else."""
    import stat

    try:
        mode = os.lstat(output).st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise UsageError(f"{output}: cannot write report: {exc.strerror}") from None
    if stat.S_ISLNK(mode):
        try:
            mode = os.stat(output).st_mode
        except OSError:
            mode = 0
        if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
            raise UsageError(f"{output}: is a symbolic link; a report is never written through a link to a file "
                             "(name the file itself)")
    if stat.S_ISDIR(mode):
        raise UsageError(f"{output}: is a directory")
    return not stat.S_ISREG(mode)


@cli.command(epilog=SCAN_EXAMPLES)
@click.argument("targets", nargs=-1, required=True)
@options(OUTPUT, POLICY, REGISTRY, AGAINST)
def scan(targets: tuple[str, ...], **given: Any) -> None:
    """Scan release artifacts, files, directories, stdin (-) or published packages
    (npm:NAME@VERSION, npm:@scope/NAME, pypi:NAME==VERSION, pypi:NAME).

    Exit codes: 0 pass, 1 blocking findings, 2 usage or config error, 3 scan error.
    """
    _gate(targets, Gate(**given))


@dataclass(frozen=True, slots=True)
class Gate:
    """Every option of ``scan`` (``npm`` takes the same): what to scan against, how to decide,
    where to report."""

    fmt: str
    output: Path | None
    reports: tuple[str, ...]
    show_secrets: bool
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


def _gate(targets: Sequence[str | Source], gate: Gate, config_start: Path | None = None) -> NoReturn:
    """Resolve, scan, decide, report and exit: the body of ``scan`` and ``npm``."""
    from leakguard.app import scan as run_scan
    from leakguard.policy.baseline import load as load_baseline
    from leakguard.report import REPORTERS

    extra_reports = [_report_spec(spec, REPORTERS) for spec in gate.reports]
    show = sys.stderr.isatty() and not gate.quiet and not (gate.fmt != "text" and gate.output is None) \
        and "CI" not in os.environ
    config = _config(gate.config_path, gate.no_config, gate.fail_on, gate.codenames, gate.codenames_file,
                     start=config_start)
    baseline = load_baseline(gate.baseline_path) if gate.baseline_path is not None else None
    # Downloads last: a bad config or baseline fails before anything is fetched.
    fetching = gate.fetching(show=show)
    resolved = resolve(targets, fetching)
    against = resolve(gate.against, fetching)
    progress = _Progress() if show else None
    try:
        verdict = run_scan(resolved, config, engine=gate.engine, baseline=baseline, strict_allows=gate.strict_allows,
                           jobs=gate.jobs, on_progress=progress, against=against)
    finally:
        if progress is not None:
            progress.close()
    _traces(verdict.problems)
    color = not gate.no_color and gate.output is None and gate.fmt == "text" and sys.stdout.isatty() \
        and "NO_COLOR" not in os.environ
    render: dict[str, Any] = {"redact": not gate.show_secrets, "color": color}
    if gate.fmt == "text":
        render.update(verbose=gate.verbose, quiet=gate.quiet)
    _write(REPORTERS[gate.fmt](verdict, **render), gate.output)
    for extra_fmt, path in extra_reports:
        _write(REPORTERS[extra_fmt](verdict, redact=not gate.show_secrets), path)
    if gate.output is not None and not gate.quiet:
        click.echo(f"{verdict.status.upper()}: report written to {gate.output}", err=True)
    raise _Exit(verdict.exit_code)


def _report_spec(spec: str, reporters: dict[str, Any]) -> tuple[str, Path]:
    fmt, sep, path = spec.partition(":")
    if not sep or not path or fmt not in reporters:
        raise UsageError(f"--report {spec!r}: expected FORMAT:FILE with FORMAT one of {', '.join(reporters)}")
    return fmt, Path(path)


def _config(config_path: Path | None, no_config: bool, fail_on: str | None = None,
            codenames: tuple[str, ...] = (), codenames_file: Path | None = None, start: Path | None = None) -> Any:
    """The config file (or defaults: discovered from ``start``, else the working directory), with
    command-line overrides applied."""
    import dataclasses

    from leakguard.policy.config import load_config

    config = load_config(config_path, start=start, discover_config=not no_config)
    if fail_on is not None:
        config = dataclasses.replace(config, fail_on=Severity.parse(fail_on))
    extra = list(codenames) + (_read_names(codenames_file) if codenames_file is not None else [])
    if extra:
        config = dataclasses.replace(config, codenames=(*config.codenames, *extra))
    return config


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
    config = dataclasses.replace(_config(config_path, no_config), baseline=None)
    verdict = run_scan(list(resolve(targets, Fetching(**fetch, progress=_terminal()))), config)
    if verdict.problems:
        first = verdict.problems[0]
        raise LeakguardError(f"{first.origin}: {first.kind}: {first.detail}; baseline not written")
    return [*verdict.blocking, *verdict.reported, *(f for f in verdict.suppressed if f.suppression and
                                                    f.suppression.kind == "baseline")]


def _traces(problems: Sequence[Any]) -> None:
    """With ``--debug``, the traceback of every internal error the scan met (on stderr)."""
    if click.get_current_context().find_root().meta.get("debug") or debugging():
        for problem in problems:
            if problem.trace:
                click.echo(f"leakguard: {problem.origin}: {problem.detail}\n{problem.trace.rstrip()}", err=True)


def _terminal() -> bool:
    """Progress displays go to a terminal's stderr, never into CI logs."""
    return sys.stderr.isatty() and "CI" not in os.environ


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
    entries = baselines.create(_baseline_scan(targets, config_path, no_config, fetch))
    _write(baselines.render(entries), output)
    click.echo(f"baseline: {len(entries)} entries written to {output}", err=True)


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
    from leakguard.policy import baseline as baselines

    existing = baselines.load(file)
    entries = baselines.update(existing, _baseline_scan(targets, config_path, no_config, fetch))
    _write(baselines.render(entries), file)
    click.echo(f"baseline: {len(entries) - len(existing.entries)} entries added to {file}", err=True)


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
    from leakguard.policy import baseline as baselines

    existing = baselines.load(file)
    entries = baselines.prune(existing, _baseline_scan(targets, config_path, no_config, fetch))
    _write(baselines.render(entries), file)
    click.echo(f"baseline: {len(existing.entries) - len(entries)} entries pruned from {file}", err=True)


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


def _read_names(path: Path) -> list[str]:
    from leakguard.textfile import read_text

    lines = read_text(path, "codenames file").splitlines()
    return [name for line in lines if (name := line.split("#", 1)[0].strip())]


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
        _gate([Source(str(tarball), tarball.name)], Gate(**given), config_start=directory.resolve())


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

    fetching = Fetching(**fetch, progress=_terminal())
    new_targets, old_targets = resolve((new,), fetching), resolve((old,), fetching)
    verdict = run_scan(list(new_targets), _config(config_path, no_config), against=list(old_targets))
    render = diff_report.render_json if fmt == "json" else diff_report.render_text
    _write(render(verdict, redact=not show_secrets), None)
    for problem in verdict.problems:
        click.echo(f"leakguard: error: {problem.origin}: {problem.kind}: {problem.detail}", err=True)
    raise _Exit(ExitCode.SCAN_ERROR if verdict.problems else ExitCode.PASS)


@cli.command("codename-hash")
@click.argument("names", nargs=-1, required=True)
def codename_hash(names: tuple[str, ...]) -> None:
    """Print the sha256 of each normalised NAME, for ``codenames-sha256`` in the config.

    \b
    Example:
      leakguard codename-hash capybara     # then: codenames-sha256 = ["<hash>"]
    """
    from leakguard.match.custom import codename_hash as digest

    for name in names:
        click.echo(digest(name))


@cli.group()
def rules() -> None:
    """List, show and lint the content rules.

    \b
    Examples:
      leakguard rules list
      leakguard rules show github.pat-classic
      leakguard rules check
    """


@rules.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_list(fmt: str) -> None:
    """List every rule: id, severity, title.

    \b
    Example:
      leakguard rules list --format json | jq '.[].id'
    """
    import json

    from leakguard.ruleset import load_rules

    loaded = load_rules()
    if fmt == "json":
        click.echo(json.dumps([_rule_doc(r) for r in loaded], indent=2))
    else:
        for rule in loaded:
            click.echo(f"{rule.id:<40} {rule.severity.label:<8} {rule.title}")
        click.echo(f"{len(loaded)} rules")


@rules.command("show")
@click.argument("rule_id")
def rules_show(rule_id: str) -> None:
    """Show one rule in full.

    \b
    Example:
      leakguard rules show github.pat-classic
    """
    import json

    from leakguard.ruleset import load_rules

    for rule in load_rules():
        if rule.id == rule_id:
            click.echo(json.dumps(_rule_doc(rule), indent=2))
            return
    raise UsageError(f"no rule with id {rule_id!r}; see `leakguard rules list`")


@rules.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--engine", type=click.Choice(["auto", "pyahocorasick", "ahocorasick-rs"]), default="auto")
def rules_check(files: tuple[Path, ...], engine: str) -> None:
    """Lint the rule set, and your own rule FILES with it: compile, no catastrophic backtracking
    in your regexes, ids unique, references present, examples match, negatives do not.

    \b
    Examples:
      leakguard rules check
      leakguard rules check rules/internal.toml
    """
    from leakguard.match import check_rule
    from leakguard.match.filerules import check_examples, load_file_rules
    from leakguard.ruleset import load_rules

    loaded = load_rules(files, compile_all=True)
    file_rules = load_file_rules(checked=True)
    problems = [p for rule in loaded for p in check_rule(rule, engine)]
    problems += [f"rules/files.toml: {p}" for rule in file_rules for p in check_examples(rule)]
    for problem in problems:
        click.echo(problem)
    examples = sum(len(r.examples) + len(r.negative_examples) for r in loaded)
    examples += sum(len(r.examples) + len(r.negative_examples) for r in file_rules)
    click.echo(f"{len(loaded)} content rules and {len(file_rules)} file rules, {examples} examples checked, "
               f"{len(problems)} problems")
    raise _Exit(ExitCode.USAGE if problems else ExitCode.PASS)


def _rule_doc(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.id,
        "family": rule.family,
        "title": rule.title,
        "category": rule.category.value,
        "severity": rule.severity.label,
        "keywords": [k.decode("ascii") for k in rule.keywords],
        "regex": rule.pattern.pattern.decode("utf-8"),
        "secret_group": rule.secret_group,
        "min_entropy": rule.min_entropy,
        "validator": rule.validator,
        "paths": list(rule.paths),
        "references": list(rule.references),
        "examples": len(rule.examples),
        "negative_examples": len(rule.negative_examples),
        "source": rule.source,
    }


class _Exit(Exception):
    def __init__(self, code: ExitCode) -> None:
        super().__init__(int(code))
        self.code = code


class _Terminated(BaseException):
    """SIGTERM, turned into an exception so that cleanup (atomic writes) runs."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def _handle(run: Callable[[], object], *, debug: bool = False) -> int:
    """The one error handler: known errors print one line; unknown ones ask for a bug report (with
    ``debug``, after their traceback). Ctrl-C exits 130 and SIGTERM 143, without a traceback and
    without half-written files."""
    previous = signal.getsignal(signal.SIGTERM)
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        result = run()
    except _Terminated:
        click.echo("leakguard: terminated", err=True)
        return 143
    except _Exit as done:
        return int(done.code)
    except LeakguardError as exc:
        click.echo(f"leakguard: error: {exc}", err=True)
        return int(exc.exit_code)
    except click.exceptions.Exit as exc:  # --help, --version
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("leakguard: interrupted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"leakguard: error: {exc.format_message()}", err=True)
        return int(ExitCode.USAGE)
    except KeyboardInterrupt:
        click.echo("leakguard: interrupted", err=True)
        return 130
    except BrokenPipeError:
        return int(ExitCode.SCAN_ERROR)
    except Exception as exc:  # the last resort: a traceback only when asked for
        if debug:
            import traceback

            click.echo(traceback.format_exc().rstrip(), err=True)
        click.echo(
            f"leakguard: unexpected error ({type(exc).__name__}); this is a bug in leakguard, "
            "please report it with the command you ran",
            err=True,
        )
        return int(ExitCode.SCAN_ERROR)
    finally:
        with contextlib.suppress(ValueError, TypeError):
            signal.signal(signal.SIGTERM, previous)
    return result if isinstance(result, int) else int(ExitCode.PASS)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code. As a process of its own (``argv`` is None: the
    ``leakguard`` script, ``python -m leakguard``) it does not return: see ``_leave``."""
    args = list(sys.argv[1:] if argv is None else argv)
    code = _handle(lambda: cli.main(args=args, prog_name="leakguard", standalone_mode=False),
                   debug=debugging(args))
    if argv is None:
        _leave(code)
    return code


def _leave(code: int) -> NoReturn:
    """End the process without the interpreter's teardown. By now every report and baseline is
    written and closed (atomically), the workers are joined and the walker has stopped; the
    teardown would only free every object one by one: 0.24 s after a scan of claude-code 2.1.88,
    80 ms after a pre-commit scan of 20 files. After Ctrl-C or SIGTERM it could also abort, when
    the walker thread is blocked in a read that holds a buffer lock. Buffered output is flushed
    first; output that cannot be delivered (the reader went away) is never a pass."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            code = code or int(ExitCode.SCAN_ERROR)
    os._exit(code)
