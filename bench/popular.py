"""Precision on popular releases: scan a pinned list of npm and PyPI releases as a new user would.

    python bench/popular.py [--jobs 1] [--only NAME ...] [--keep-going] [--refresh-pins]

The list is data (``popular.json`` beside this script): one row per file, with the registry, the
package name and version, the file name and the digest it must have (npm: the sha512 ``integrity``
npm publishes; PyPI: ``sha256:HEX``), and ``expect`` (``pass``, or ``block`` for a real leak). Each
file is looked up and downloaded through leakguard's own registry code (``leakguard.registry``, into
its cache) and must match its pin; then the real CLI scans the spec with no config and the default
``--fail-on`` (``leakguard scan SPEC --no-config --format json``, ``--only FILE`` for PyPI), and
``POPULAR.md`` gets, per file, the verdict, the blocking findings (rule, location, a short reason),
the count of medium and low findings and the scan time, with a summary on top. What follows the
report's ``## Analysis`` heading is written by hand and kept when the report is rewritten.

``--refresh-pins`` rewrites the list from the registries: to add or bump a release, write a row with
its name and version (``""`` for the latest) and no ``file``, and refresh. A PyPI release gets its
sdist and one wheel (CPython 3.12 manylinux x86_64, else an abi3 manylinux x86_64 wheel, else a pure
wheel). The exit status is 0 when every verdict is the one expected, 1 otherwise, 2 for bad usage
and 3 when a file could not be fetched or scanned (unless ``--keep-going``). Network is used here,
never in tests; times are informative only (the machine may be shared).
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from popular_report import Result, Shown, render, write  # noqa: E402  (a sibling module, not a package)

from leakguard import registry  # noqa: E402
from leakguard.errors import LeakguardError  # noqa: E402

PINS = HERE / "popular.json"
REPORT = HERE / "POPULAR.md"
SEVERITIES = ("low", "medium", "high", "critical")


class BenchError(Exception):
    """A file that could not be fetched, did not match its pin, or could not be scanned."""


@dataclasses.dataclass(frozen=True, slots=True)
class Pin:
    """One file of a release, as the list pins it."""

    registry: str
    name: str
    version: str
    file: str = ""
    digest: str = ""
    expect: str = "pass"

    @property
    def spec(self) -> str:
        """The registry spec of the release (the latest when no version is pinned)."""
        if self.registry == "npm":
            return f"npm:{self.name}@{self.version}" if self.version else f"npm:{self.name}"
        return f"pypi:{self.name}=={self.version}" if self.version else f"pypi:{self.name}"

    @property
    def release(self) -> tuple[str, str, str]:
        """What the summary counts as one release."""
        return self.registry, self.name, self.version

    def hex_digest(self) -> tuple[str, str]:
        """The pinned digest as ``(hashlib name, hex)``."""
        if self.digest.startswith("sha512-"):
            return "sha512", base64.b64decode(self.digest[len("sha512-"):], validate=True).hex()
        algorithm, _, value = self.digest.partition(":")
        if not algorithm or not value:
            raise BenchError(f"{self.spec} {self.file}: no digest pinned; run --refresh-pins")
        return algorithm, value.lower()


def pinned_digest(file: registry.RemoteFile) -> str:
    """How the list writes the digest of ``file``: npm's SRI form for sha512, ``ALGO:HEX`` otherwise."""
    if file.kind == "npm" and file.algorithm == "sha512":
        return "sha512-" + base64.b64encode(bytes.fromhex(file.digest)).decode()
    return f"{file.algorithm}:{file.digest}"


def load_pins(path: Path) -> list[Pin]:
    """The list in ``path``: ``{"releases": [{registry, name, version, file, digest, expect}, ...]}``."""
    try:
        rows = json.loads(path.read_text())["releases"]
        pins = [Pin(**row) for row in rows]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BenchError(f"{path}: not a list of pins ({exc})") from None
    for pin in pins:
        if pin.registry not in ("npm", "pypi") or pin.expect not in ("pass", "block"):
            raise BenchError(f"{path}: {pin}: registry must be npm or pypi, expect pass or block")
    return pins


def save_pins(path: Path, pins: Sequence[Pin]) -> None:
    """Write the list one row per line, so a refresh reads as a diff of the rows that changed."""
    rows = [json.dumps({k: v for k, v in dataclasses.asdict(p).items() if not (k == "expect" and v == "pass")})
            for p in pins]
    path.write_text('{"releases": [\n' + ",\n".join(rows) + "\n]}\n")


def wheel_rank(filename: str) -> tuple[int, int, str] | None:
    """Which wheel represents a PyPI release: lower is better, ``None`` for one never picked."""
    if not filename.endswith(".whl"):
        return None
    tags = filename[:-4].split("-")
    python, abi, platform = tags[-3], tags[-2], tags[-1]
    linux = "manylinux" in platform and "x86_64" in platform
    if linux and python == "cp312" and abi == "cp312":
        return 0, 0, filename
    if linux and "abi3" in abi and python.startswith("cp3") and python[3:].isdigit() and int(python[3:]) <= 12:
        return 1, -int(python[3:]), filename
    if abi == "none" and platform == "any" and "py3" in python:
        return 2, 0, filename
    return None


def refresh(pins: Sequence[Pin], client: registry.Client, npm: str, index: str) -> list[Pin]:
    """The list re-read from the registries: every row's file and digest, versions for rows without one."""
    out: list[Pin] = []
    done: set[tuple[str, str, str]] = set()
    for pin in pins:
        if pin.release in done:
            continue
        done.add(pin.release)
        rows = [p for p in pins if p.release == pin.release]
        found = registry.lookup(pin.spec, registry=npm, index=index, client=client)
        files = {f.filename: f for f in found.files}
        wanted = [p.file for p in rows if p.file]
        if not wanted:
            sdists = sorted(f.filename for f in found.files if f.kind in ("sdist", "npm"))
            wheels = sorted(r for r in (wheel_rank(f.filename) for f in found.files) if r is not None)
            wanted = sdists[:1] + [w[2] for w in wheels[:1]]
        for name in wanted:
            if name not in files:
                raise BenchError(f"{pin.spec}: the registry no longer lists {name}")
            out.append(Pin(pin.registry, pin.name, found.version, name, pinned_digest(files[name]), pin.expect))
    return out


@dataclasses.dataclass(frozen=True, slots=True)
class Setup:
    """Where and how the bench fetches and scans."""

    npm: str
    index: str
    cache: Path
    scan_jobs: int | None

    def fetch(self, pin: Pin) -> None:
        """Download ``pin``'s file into leakguard's cache, checked against the pin and the registry."""
        try:
            found = registry.lookup(pin.spec, registry=self.npm, index=self.index, client=registry.Client())
        except LeakguardError as exc:
            raise BenchError(str(exc)) from None
        file = next((f for f in found.files if f.filename == pin.file), None)
        if file is None:
            raise BenchError(f"{pin.spec}: the registry does not list {pin.file}")
        if (file.algorithm, file.digest) != pin.hex_digest():
            raise BenchError(f"{pin.spec}: {pin.file}: the registry's {file.algorithm} digest is not the pinned one")
        try:
            registry.fetch(file, registry.Client(), self.cache)
        except LeakguardError as exc:
            raise BenchError(str(exc)) from None

    def command(self, pin: Pin, output: Path) -> list[str]:
        """The CLI a new user would run, with no config and the default --fail-on."""
        argv = [sys.executable, "-m", "leakguard", "scan", pin.spec, "--no-config", "--format", "json",
                "-o", str(output), "-q", "--registry", self.npm, "--index-url", self.index]
        if pin.registry == "pypi":
            argv += ["--only", pin.file]
        if self.scan_jobs is not None:
            argv += ["-j", str(self.scan_jobs)]
        return argv


def scan(pin: Pin, setup: Setup) -> Result:
    """Fetch ``pin`` and scan it through the real CLI."""
    setup.fetch(pin)
    env = {**os.environ, "LEAKGUARD_CACHE_DIR": str(setup.cache)}
    with tempfile.TemporaryDirectory(prefix="leakguard-popular-") as tmp:
        output = Path(tmp) / "report.json"
        start = time.perf_counter()
        done = subprocess.run(setup.command(pin, output), env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        # Exit 3 (members that could not be scanned) still writes the report: the gate fails closed.
        if done.returncode not in (0, 1, 3) or not output.is_file():
            lines = done.stderr.strip().splitlines() or [f"exit {done.returncode}"]
            raise BenchError(f"{pin.spec} {pin.file}: leakguard exited {done.returncode}: {lines[-1]}")
        doc = json.loads(output.read_text())
    return read_report(pin, doc, wall)


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def read_report(pin: Pin, doc: dict[str, Any], wall: float) -> Result:
    """A result from leakguard's JSON report (version 1): what blocks, and what is reported below it."""
    findings = _dicts(doc.get("findings"))
    blocking = tuple(_shown(f) for f in findings if f.get("blocking"))
    reported = [f for f in findings if not f.get("blocking") and not f.get("suppressed")]
    summary = doc.get("summary")
    seconds = summary.get("seconds") if isinstance(summary, dict) else None
    problems = tuple(Shown("scan-error", "error", _member(str(e.get("path", ""))), str(e.get("message", "")))
                     for e in _dicts(doc.get("errors")))
    return Result(pin.registry, pin.name, pin.version, pin.file, pin.expect, str(doc.get("verdict")),
                  blocking + problems, tuple(_shown(f) for f in reported if f.get("severity") == "medium"),
                  sum(1 for f in reported if f.get("severity") == "low"),
                  float(seconds) if isinstance(seconds, int | float) else None, wall)


def _member(path: str) -> str:
    """A location inside the artifact: ``npm:x@1 (x-1.tgz)!/package/a.js`` is ``package/a.js``."""
    return path.split("!/", 1)[1] if "!/" in path else path


def _shown(finding: dict[str, Any]) -> Shown:
    """A finding as the report shows it: its location inside the artifact, never the secret."""
    location = finding.get("location")
    where = location if isinstance(location, dict) else {}
    member = _member(str(where.get("path", "")))
    line = where.get("line")
    related, evidence = finding.get("related"), finding.get("evidence")
    return Shown(str(finding.get("rule")), str(finding.get("severity")), member + (f":{line}" if line else ""),
                 " ".join(str(finding.get("message", "")).split()), len(related) if isinstance(related, list) else 0,
                 isinstance(evidence, dict) and "fixture" in evidence)


def run(pins: Sequence[Pin], setup: Setup, jobs: int, keep_going: bool) -> list[Result]:
    """Scan every pin, ``jobs`` at a time; a failure stops the run unless ``keep_going``."""
    results: dict[int, Result] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(scan, pin, setup): i for i, pin in enumerate(pins)}
        for future in concurrent.futures.as_completed(futures):
            pin = pins[futures[future]]
            try:
                result = future.result()
            except BenchError as exc:
                if not keep_going:
                    for other in futures:
                        other.cancel()
                    raise
                result = Result(pin.registry, pin.name, pin.version, pin.file, pin.expect, "unscanned", (), (),
                                0, None, 0.0, str(exc))
            results[futures[future]] = result
            print(f"{result.verdict:5} {result.wall:6.1f}s  {pin.spec} {pin.file}", file=sys.stderr)
    return [results[i] for i in range(len(pins))]


def _names(values: Iterable[str]) -> set[str]:
    return {n.strip().lower() for v in values for n in v.split(",") if n.strip()}


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--pins", type=Path, default=PINS, help="the list (default: bench/popular.json)")
    parser.add_argument("--output", type=Path, help="the report (default: bench/POPULAR.md; stdout with --only)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="these packages (repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="files scanned at a time (default 1)")
    parser.add_argument("--scan-jobs", type=int, help="leakguard's own -j for each scan (default: its own)")
    parser.add_argument("--keep-going", action="store_true", help="report a file that fails and go on")
    parser.add_argument("--refresh-pins", action="store_true", help="rewrite the list from the registries")
    parser.add_argument("--registry", default=registry.NPM_REGISTRY, help="npm registry")
    parser.add_argument("--index-url", default=registry.PYPI_INDEX, help="Python index (Simple API root)")
    parser.add_argument("--cache", type=Path, help="download cache (default: leakguard's)")
    args = parser.parse_args(argv)
    if args.jobs < 1 or (args.scan_jobs is not None and args.scan_jobs < 1):
        parser.error("--jobs and --scan-jobs take a number of at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bench; see the module's docstring for the exit status."""
    args = _arguments(argv)
    try:
        pins = load_pins(args.pins)
        if args.refresh_pins:
            save_pins(args.pins, refresh(pins, registry.Client(), args.registry, args.index_url))
            print(f"{args.pins}: pins refreshed", file=sys.stderr)
            return 0
        wanted = _names(args.only)
        chosen = [p for p in pins if not wanted or p.name.lower() in wanted]
        if not chosen:
            print(f"popular: --only {', '.join(sorted(wanted))} names nothing on the list", file=sys.stderr)
            return 2
        setup = Setup(args.registry, args.index_url, args.cache or registry.cache_dir(), args.scan_jobs)
        start = time.perf_counter()
        results = run(chosen, setup, args.jobs, args.keep_going)
    except (BenchError, LeakguardError) as exc:
        print(f"popular: {exc}", file=sys.stderr)
        return 3
    text = render(results, time.perf_counter() - start, complete=not wanted)
    output = args.output or (None if wanted else REPORT)
    if output is None:
        sys.stdout.write(text)
    else:
        write(output, text)
    unexpected = [r for r in results if not r.as_expected]
    for result in unexpected:
        print(f"popular: {result.label}: {result.verdict}, expected {result.expect}", file=sys.stderr)
    return 1 if unexpected else 0


if __name__ == "__main__":
    raise SystemExit(main())
