"""leakguard's benchmark: wall time and peak RSS against the unavoidable work, in the same run.

    python bench/run.py [--runs 5] [--engine pyahocorasick --engine ahocorasick-rs] [--write-results] [PATH ...]

Without paths it fetches the pinned real artifacts with ../shared/bench/fetch-artifacts.sh. For
each artifact it alternates leakguard and the reference (``tar -xzf`` into an empty directory,
``unzip -q`` for wheels, and for the botocore wheel also Python's own floor: reading and
gunzipping every member) after a warm-up, and reports the median wall time, MB/s of unpacked
content, the median of the per-pair ratios (each run starts after the previous one's files are
removed and flushed to disk) and memory: the peak RSS of the largest process
(``os.wait4``'s ru_maxrss, which covers the worker processes too) and, from one extra sampled run,
the peak of all processes together (the sum of their PSS, so shared pages count once). The full
rule pack runs with 20 configured codenames. leakguard runs with its bytecode cached, as after any
``pip install`` (``PYTHONDONTWRITEBYTECODE`` is dropped from its environment; the warm-up writes it).
No test asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FETCH = ROOT.parent / "shared" / "bench" / "fetch-artifacts.sh"
CODENAMES = ["capybara", "fennec", "numbat", "mythos", "tengu-next", "quokka", "axolotl", "pangolin", "okapi",
             "narwhal", "saola", "kakapo", "dugong", "serval", "margay", "tarsier", "binturong", "fossa", "gharial",
             "markhor"]
TARGETS = {  # name fragment -> (reference, target ratio for the default engine, target for ahocorasick-rs)
    "claude-code-2.1.88": (2.2, 1.5),
}
KEEP = "## Where the time goes"
FLOOR = """
import gzip, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        data = z.read(info)
        if info.filename.endswith(".gz"):
            gzip.decompress(data)
"""


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, int, int]:
    """(seconds, peak RSS in KiB, exit code) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss, proc.returncode


def _tree(pid: int) -> list[int]:
    pids, i = [pid], 0
    while i < len(pids):
        with contextlib.suppress(OSError):
            pids.extend(int(c) for c in Path(f"/proc/{pids[i]}/task/{pids[i]}/children").read_text().split())
        i += 1
    return pids


def _pss(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:")), 0)


def all_processes_peak(cmd: list[str]) -> int:
    """Peak of the summed PSS (KiB) of ``cmd`` and its children, sampled every 5 ms (one extra,
    untimed run: sampling costs CPU)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, sum(_pss(pid) for pid in _tree(proc.pid)))
        time.sleep(0.005)
    return peak


def unpacked_size(path: Path) -> int:
    if zipfile.is_zipfile(path):
        total = 0
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                total += info.file_size
                if info.filename.endswith(".gz"):
                    total += len(gzip.decompress(archive.read(info)))
        return total
    with tarfile.open(path) as archive:
        return sum(m.size for m in archive if m.isfile())


def reference(path: Path, workdir: Path) -> list[str]:
    target = Path(tempfile.mkdtemp(dir=workdir))
    if zipfile.is_zipfile(path):
        return ["unzip", "-q", "-o", str(path), "-d", str(target)]
    return ["tar", "-xzf", str(path), "-C", str(target)]


def leakguard(path: Path, config: Path, engine: str, plain: Path) -> list[str]:
    """The scan as a user of that engine runs it: pyahocorasick is the default engine of a plain
    install, so it runs without the ``[fast]`` extra's accelerators (``plain`` shadows them);
    ahocorasick-rs comes with ``[fast]``, so it runs with them."""
    scan = [sys.executable, "-m", "leakguard", "scan", "--config", str(config), "--engine", engine, "--format",
            "json", "-o", os.devnull, str(path)]
    return scan if engine == "ahocorasick-rs" else ["env", f"PYTHONPATH={plain}", *scan]


def hide_fast_extra(folder: Path) -> Path:
    """A folder that, first on ``PYTHONPATH``, makes the ``[fast]`` extra's packages unimportable."""
    for hidden in ("isal", "ahocorasick_rs"):
        (folder / hidden).mkdir(parents=True, exist_ok=True)
        (folder / hidden / "__init__.py").write_text(
            'raise ImportError("hidden by bench/run.py: the benchmark of a plain install")\n')
    return folder


def pairs(a: list[str], b_factory, runs: int, workdir: Path) -> tuple[list[float], list[float], list[int], set[int]]:  # type: ignore[no-untyped-def]
    """Alternate a and b (b rebuilt each time), swapping which goes first; warm up once."""
    timed(a)
    timed(b_factory())
    _settle(workdir)
    times_a, times_b, rss, codes = [], [], [], set()
    for i in range(runs):
        order = ["a", "b"] if i % 2 == 0 else ["b", "a"]
        for label in order:
            cmd = a if label == "a" else b_factory()  # made now: _settle removes earlier targets
            seconds, peak, code = timed(cmd, cwd=workdir)
            if label == "a":
                times_a.append(seconds)
                rss.append(peak)
                codes.add(code)
            else:
                times_b.append(seconds)
            _settle(workdir)
    return times_a, times_b, rss, codes


def _settle(workdir: Path) -> None:
    """Between two timed runs: remove what the reference unpacked and flush it to disk, so the
    kernel's writeback of 100 MB is not charged to whichever run comes next."""
    for leftover in workdir.iterdir():
        if leftover.is_dir() and leftover.name.startswith("tmp"):
            shutil.rmtree(leftover, ignore_errors=True)
    os.sync()


def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), "?")
    version = subprocess.run([sys.executable, "-m", "leakguard", "--version"], capture_output=True,
                             text=True).stdout.strip()
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    fast = []
    for package in ("ahocorasick-rs", "isal"):
        with contextlib.suppress(PackageNotFoundError):
            fast.append(f"{package} {installed(package)}")
    return [f"- CPU: {cpu}, {os.cpu_count()} cores; memory {int(mem) // 1024:,} MiB",
            f"- {platform.platform()}; Python {platform.python_version()}; {version}; pyahocorasick "
            f"{installed('pyahocorasick')}; [fast] extra: {', '.join(fast) or 'not installed'}",
            "- pyahocorasick rows run as a plain install (the [fast] extra's packages hidden: gzip inflated by "
            "the standard library's zlib); ahocorasick-rs rows run with the [fast] extra (gzip inflated by ISA-L)"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engine", action="append", dest="engines")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    engines = args.engines or ["pyahocorasick", "ahocorasick-rs"]
    paths = args.paths
    if not paths:
        if not FETCH.exists():
            print(f"{FETCH} not found: pass artifact paths", file=sys.stderr)
            return 2
        fetched = subprocess.run(["bash", str(FETCH)], check=True, capture_output=True, text=True)
        folder = Path(fetched.stdout.split()[-1])
        paths = sorted(p for p in folder.iterdir() if p.suffix in (".tgz", ".whl"))
    rows = ["| artifact | engine | unpacked | leakguard median | reference median | MB/s | median ratio "
            "| peak RSS, largest process | peak, all processes (PSS) |",
            "|---|---|---|---|---|---|---|---|---|"]
    verdicts = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        config = workdir / "bench.toml"
        config.write_text("codenames = [" + ", ".join(f'"{n}"' for n in CODENAMES) + "]\n")
        plain = hide_fast_extra(workdir / "plain")
        for path in paths:
            size = unpacked_size(path)
            references = [("tar -xzf" if not zipfile.is_zipfile(path) else "unzip -q",
                           lambda p=path: reference(p, workdir))]
            if "botocore" in path.name:
                references.append(("python floor", lambda p=path: [sys.executable, "-c", FLOOR, str(p)]))
            for engine in engines:
                for ref_name, ref in references:
                    lg, rf, rss, codes = pairs(leakguard(path, config, engine, plain), ref, args.runs, workdir)
                    if codes - {0, 1}:
                        print(f"leakguard failed on {path.name} with exit codes {sorted(codes)}", file=sys.stderr)
                        return 1
                    ratios = [a / b for a, b in zip(lg, rf, strict=True)]
                    total = all_processes_peak(leakguard(path, config, engine, plain))
                    ratio = statistics.median(ratios)
                    med = statistics.median(lg)
                    rows.append(f"| {path.name} | {engine} | {size / 1e6:.1f} MB | {med:.2f} s | "
                                f"{statistics.median(rf):.2f} s ({ref_name}) | {size / 1e6 / med:.0f} | "
                                f"{ratio:.2f}x | {max(rss) / 1024:.0f} MiB | {total / 1024:.0f} MiB |")
                    for fragment, (default_target, fast_target) in TARGETS.items():
                        if fragment in path.name:
                            target = fast_target if engine == "ahocorasick-rs" else default_target
                            verdicts.append(f"- {path.name}, {engine}: {ratio:.2f}x vs target <= {target}x: "
                                            f"{'met' if ratio <= target else 'missed'}; peak {max(rss) / 1024:.0f} MiB "
                                            f"(largest process) vs 256 MiB: "
                                            f"{'met' if max(rss) / 1024 <= 256 else 'missed'}, "
                                            f"{total / 1024:.0f} MiB all processes together")
                    if "botocore" in path.name and ref_name == "python floor":
                        verdicts.append(f"- {path.name}, {engine}: {ratio:.2f}x the Python floor vs target <= 3x: "
                                        f"{'met' if ratio <= 3 else 'missed'}")
        start = [timed([sys.executable, "-m", "leakguard", "--version"])[0] for _ in range(args.runs)]
        small = workdir / "precommit"
        small.mkdir()
        source = (ROOT / "leakguard" / "walk" / "__init__.py").read_text()[:3000]
        files = []
        for i in range(20):
            (small / f"f{i}.py").write_text(source)
            files.append(str(small / f"f{i}.py"))
        scan_small = [sys.executable, "-m", "leakguard", "scan", "--no-config", *files]
        precommit = [timed(scan_small)[0] for _ in range(args.runs)]
    startup, pre = statistics.median(start), statistics.median(precommit)
    verdicts.append(f"- `leakguard --version`: {startup * 1000:.0f} ms vs target < 150 ms: "
                    f"{'met' if startup < 0.15 else 'missed'}")
    verdicts.append(f"- pre-commit scan of 20 small files: {pre * 1000:.0f} ms vs target < 400 ms: "
                    f"{'met' if pre < 0.4 else 'missed'}")
    report = "\n".join(["## Machine", *machine(), "", "## Results", *rows, "", "## Targets", *verdicts, ""])
    print(report)
    if args.write_results:
        header = (f"# leakguard benchmark results\n\nMeasured {dt.date.today().isoformat()} with "
                  f"`python bench/run.py --runs {args.runs} --write-results` (same-run medians; ratios are "
                  f"medians of per-pair ratios).\n\n")
        results = ROOT / "bench" / "RESULTS.md"
        kept = ""  # the hand-written analysis below the generated part survives a rerun
        if results.exists() and KEEP in results.read_text():
            kept = "\n" + KEEP + results.read_text().split(KEEP, 1)[1]
        results.write_text(header + report + kept)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
