"""Registry-audit benchmark: artifacts per hour per core, end to end, and the overhead per artifact
over a plain scan.

    python bench/audit.py [--artifacts 300] [--engine local --engine dask] [--workers N] [--write-results]

It generates small npm tarballs (a few kB each, one in ten with a planted, format-valid fake token),
serves them from the loopback registry of the test suite, and times:

- the plain scan: ``leakguard scan -j 1`` of every tarball, as local files, in one process: the
  per-artifact cost of scanning alone, on one core;
- ``leakguard audit --from LIST`` against the loopback registry on each engine (local processes,
  Dask ``LocalCluster``), with ``--workers`` = the usable cores and no rate limit worth the name:
  the coordinator reads each packument, a worker downloads, verifies, scans and returns the
  outcome, the coordinator stores it in SQLite. Timed end to end (the command's wall time, start-up
  included) and at the margin: the time of N artifacts minus that of N/2, per N/2 artifacts, which
  leaves out what a run pays once (interpreter, cluster, database) as a continuous ``watch`` does.

Artifacts per hour per core = 3600 / (seconds per artifact x cores). Overhead per artifact = cores x
marginal seconds per artifact - the plain scan's seconds per artifact. No test asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import fake_registries  # noqa: E402  (the loopback registry of the test suite)
from tests.helpers.archives import npm_tarball  # noqa: E402
from tests.helpers.tokens import github_token  # noqa: E402

WORDS = ["const", "let", "function", "return", "import", "export", "default", "async", "await", "value", "result",
         "options", "config", "request", "response", "handler", "module", "require", "props", "state", "render",
         "item", "index", "length", "error"]
SECTION = "## Registry audits (bench/audit.py)"


def _code(rng: random.Random, lines: int) -> str:
    return "\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12))) + ";" for _ in range(lines))


def artifacts(count: int) -> list[tuple[str, bytes]]:
    """``count`` small npm tarballs (2-30 kB): code, a README, a manifest; every tenth leaks a token."""
    out = []
    for n in range(count):
        rng = random.Random(n)
        files = {"index.js": _code(rng, rng.randint(20, 400)), "lib/util.js": _code(rng, rng.randint(10, 200)),
                 "README.md": _code(rng, 20)}
        if n % 10 == 0:
            files["lib/config.js"] = f'module.exports = {{ token: "{github_token(seed=n)}" }};\n'
        out.append((f"bench-{n:04d}", npm_tarball(files, name=f"bench-{n:04d}", version="1.0.0")))
    return out


def cores() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0))


def _run(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv[:4])}... exited {result.returncode}: {result.stderr.strip()[-500:]}")
    return elapsed


def plain_scan(files: list[Path], work: Path) -> float:
    """Seconds of one ``leakguard scan -j 1`` over every file."""
    return _run([sys.executable, "-m", "leakguard", "scan", "-j", "1", "--no-config", "--format", "json", "-o",
                 str(work / "scan.json"), *map(str, files)], work)


def audit(engine: str, specs: list[str], base: str, work: Path, workers: int) -> float:
    """Seconds of one ``leakguard audit`` of ``specs`` into a fresh SQLite database."""
    listing = work / f"targets-{len(specs)}.txt"
    listing.write_text("\n".join(specs) + "\n")
    db = work / f"audit-{engine}-{len(specs)}-{time.monotonic_ns()}.db"
    return _run([sys.executable, "-m", "leakguard", "audit", "--db", f"sqlite:///{db}", "--engine", engine,
                 "--workers", str(workers), "--registry", base, "--no-config", "--rate", "100000", "--downloads",
                 "64", "--from", str(listing)], work)


def measure(engines: list[str], count: int, runs: int, workers: int) -> dict[str, object]:
    """Every figure, as medians of ``runs`` runs."""
    made = artifacts(count)
    with tempfile.TemporaryDirectory(prefix="leakguard-bench-audit-") as tmp, fake_registries.serve() as fakes:
        work = Path(tmp)
        files = []
        for name, data in made:
            fakes.publish_npm(name, "1.0.0", data)
            files.append(work / f"{name}-1.0.0.tgz")
            files[-1].write_bytes(data)
        specs = [f"npm:{name}@1.0.0" for name, _ in made]
        plain_scan(files[:10], work)  # warm-up: bytecode, rule cache
        figures: dict[str, object] = {
            "artifacts": count, "cores": workers, "mean_kb": statistics.mean(len(d) for _, d in made) / 1000,
            "plain": statistics.median(plain_scan(files, work) for _ in range(runs)) / count,
        }
        for engine in engines:
            full = [audit(engine, specs, fakes.base, work, workers) for _ in range(runs)]
            half = [audit(engine, specs[: count // 2], fakes.base, work, workers) for _ in range(runs)]
            figures[engine] = (statistics.median(full), statistics.median(half))
    return figures


def report(figures: dict[str, object], engines: list[str]) -> str:
    """The Markdown section for bench/RESULTS.md."""
    count, cores_used, plain = int(figures["artifacts"]), int(figures["cores"]), float(figures["plain"])  # type: ignore[arg-type]
    lines = [
        SECTION, "",
        f"{dt.date.today().isoformat()}, {count} generated npm tarballs (mean {figures['mean_kb']:.1f} kB, one in ten "
        f"with a planted token) served from the loopback registry, {cores_used} workers on {cores_used} cores, "
        "SQLite. Median of the runs. End to end: the whole command (start-up included); marginal: "
        f"(time of {count} - time of {count // 2}) / {count - count // 2}, what a continuous watch pays per artifact.",
        "",
        "| | seconds | s per artifact | artifacts / hour / core | overhead per artifact over the plain scan |",
        "|---|---|---|---|---|",
        f"| plain `scan -j 1`, one process | {plain * count:.2f} | {plain * 1000:.1f} ms | {3600 / plain:,.0f} | - |",
    ]
    rates = {}
    for engine in engines:
        full, half = figures[engine]  # type: ignore[misc]
        end_to_end = full / count
        marginal = (full - half) / (count - count // 2)
        rates[engine] = 3600 / (marginal * cores_used)
        lines.append(f"| audit `--engine {engine}`, end to end | {full:.2f} | {end_to_end * 1000:.1f} ms | "
                     f"{3600 / (end_to_end * cores_used):,.0f} | {(end_to_end * cores_used - plain) * 1000:+.1f} ms |")
        lines.append(f"| audit `--engine {engine}`, marginal | {full - half:.2f} | {marginal * 1000:.1f} ms | "
                     f"{rates[engine]:,.0f} | {(marginal * cores_used - plain) * 1000:+.1f} ms |")
    daily = 30_000 + 10_700
    lines += ["", "A day of npm (about 30,000 new versions) plus PyPI (about 10,700 new files) is "
              f"{daily:,} artifacts:"]
    for engine, rate in rates.items():
        lines.append(f"- `{engine}` at {rate:,.0f} artifacts per hour per core: {daily:,} / ({rate:,.0f} x 24) = "
                     f"{daily / (rate * 24):.3f} cores busy around the clock.")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Run, print, and with --write-results replace this section of bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine", action="append", dest="engines", choices=["local", "dask"])
    parser.add_argument("--workers", type=int, default=cores())
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    engines = args.engines or ["local", "dask"]
    text = report(measure(engines, args.artifacts, args.runs, args.workers), engines)
    print(text)
    if args.write_results:
        results = ROOT / "bench" / "RESULTS.md"
        old = results.read_text()
        head, found, tail = old.partition(SECTION)
        rest = tail[tail.find("\n## ") + 1:] if found and "\n## " in tail else ""
        before = head.rstrip() if found else old.rstrip()
        results.write_text(before + "\n\n" + text + ("\n" + rest if rest else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
