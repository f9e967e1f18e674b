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
Each artifact and engine also gets its floor: the CPU time of inflating it and of leakguard's
automaton pass alone over what must be matched, shared perfectly over the cores (see ``AUTOMATON``);
a target below its floor cannot be met with that engine on the machine. And each gets this pipeline's
ceiling: the same scan with its detectors cut to the floor's work (see ``CEILING``), alternated with
the reference like the scan itself; a target below it cannot be met by faster detectors, only by a
different pipeline. No test asserts a time.
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
# What follows this line in RESULTS.md is written by hand (and by other benches): kept as it is.
KEEP = "<!-- written by hand below: bench/run.py keeps it -->"
FLOOR = """
import gzip, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        data = z.read(info)
        if info.filename.endswith(".gz"):
            gzip.decompress(data)
"""

# What any design has to spend on an artifact, measured in one process (``floors``): the CPU time
# of inflating every member (into one reused buffer), and of leakguard's own automaton pass
# (``Matcher.prescan``: the full rule pack's keywords and the codenames, case-folding included)
# over the bytes it must match.
# A source map's sourcesContent strings are matched decoded, as leakguard matches them, and its
# other keys are left out (so is every decoded base64 payload): the sum stays a lower bound.
AUTOMATON = """
import io, json, sys, tarfile, time, zipfile
from pathlib import Path
from leakguard.match.detector import Detector
from leakguard.policy.config import load_file
from leakguard.walk.compressed import GZIP  # ISA-L when installed, as leakguard inflates
path, config, engine = sys.argv[1:4]
def members():
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                data = archive.read(info)
                yield info.filename, GZIP(io.BytesIO(data)).read() if info.filename.endswith(".gz") else data
        return
    with open(path, "rb") as raw, tarfile.open(fileobj=GZIP(raw), mode="r|") as archive:
        for member in archive:
            if member.isfile():
                yield member.name, archive.extractfile(member).read()
def drain(stream, buffer=bytearray(1 << 20)):
    while stream.readinto(buffer):
        pass
start = time.process_time()  # inflating alone: into one reused buffer, nothing kept
if zipfile.is_zipfile(path):
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.filename.endswith(".gz"):
                drain(GZIP(io.BytesIO(archive.read(info))))
            else:
                drain(archive.open(info))
else:
    with open(path, "rb") as raw:
        drain(GZIP(raw))
inflate = time.process_time() - start
unpacked = list(members())
texts = []
for name, data in unpacked:
    try:
        parsed = json.loads(data) if data[:1] == b"{" and b'"sourcesContent"' in data else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("sourcesContent"), list):
        texts.extend(s.encode("utf-8", "surrogatepass") for s in parsed["sourcesContent"] if isinstance(s, str))
    else:
        texts.append(data)
matcher = Detector.build(load_file(Path(config)), engine).matcher
start = time.process_time()
for text in texts:
    matcher.prescan(text)
print(inflate, time.process_time() - start, sum(map(len, texts)))
"""

# This pipeline with its detectors costing nothing beyond the floor's work (``ceiling``): the real
# command line, walk, workers, map parse and verdict, but each sourcesContent entry is only
# decoded and passed through the automaton, and every other blob (or map source) only through it: no
# confirmation, no base64 or other views, no content finding. What it costs over the floor is the
# pipeline's own: start-up, copies, page faults, Python per member and per entry, the skeleton.
CEILING = """
import sys
from leakguard import cli
from leakguard.facts import NONE
from leakguard.match import analyzers, content, sourcemap
def entries(detector, origin, depth, literals):
    sizes = {}
    for section, index, _, literal in literals:
        data = sourcemap.decode_entry(literal)
        sizes[(section, index)] = (len(data), "")
        detector.matcher.prescan(data)
    return NONE, sizes
def text(detector, blob, prepared=None, *, path=True):
    detector.matcher.prescan(blob.data)
    return NONE
whole_map = analyzers.ANALYZERS["source-map"]
def named_map(detector, blob, prepared):
    return whole_map(detector, blob, prepared) if sourcemap.named_map(blob) else analyzers.Step()
# The cut: map entries are decoded and passed through the automaton, every other blob only passed
# through it; no file rules, no links, no views or payloads, no confirmation.
analyzers.entries, content.text = entries, text
analyzers.ANALYZERS.clear()
analyzers.ANALYZERS.update({"source-map": named_map, "content": analyzers.text})
sys.argv[0] = "leakguard"
cli.main()
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


def leakguard(path: Path, config: Path, engine: str, plain: Path, ceiling: bool = False) -> list[str]:
    """The scan as a user of that engine runs it: pyahocorasick is the default engine of a plain
    install, so it runs without the ``[fast]`` extra's accelerators (``plain`` shadows them);
    ahocorasick-rs comes with ``[fast]``, so it runs with them. With ``ceiling``, the same scan with
    its detectors cut (``CEILING``)."""
    runner = ["-c", CEILING] if ceiling else ["-m", "leakguard"]
    scan = [sys.executable, *runner, "scan", "--config", str(config), "--engine", engine, "--format",
            "json", "-o", os.devnull, str(path)]
    return scan if engine == "ahocorasick-rs" else ["env", f"PYTHONPATH={plain}", *scan]


def floors(path: Path, config: Path, engine: str, plain: Path) -> tuple[float, float, int]:
    """(inflate CPU s, automaton CPU s, bytes matched) for ``path``, with the packages a user of
    ``engine`` has (see ``leakguard``); the best of three runs."""
    env = dict(ENV, PYTHONPATH=str(plain)) if engine != "ahocorasick-rs" else ENV
    best: tuple[float, float, int] | None = None
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", AUTOMATON, str(path), str(config), engine], env=env,
                             check=True, capture_output=True, text=True).stdout.split()
        run = (float(out[0]), float(out[1]), int(out[2]))
        best = run if best is None else (min(best[0], run[0]), min(best[1], run[1]), run[2])
    assert best is not None
    return best


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


FLOORS_NOTE = ("What any design must spend, from one process per artifact and engine (best of three): the CPU "
               "time of inflating every member, and of leakguard's automaton pass alone over the bytes it "
               "must match (sourcesContent decoded; a map's other keys and every decoded payload left out). "
               "The floor is their sum shared perfectly over all cores, a lower bound on any scan's wall "
               "time; its ratio is against the same run's reference median. A target below its floor "
               "ratio cannot be met with that engine on this machine.")


CEILING_NOTE = ("This pipeline's ceiling: the same scan, alternated with the reference like the scan itself, with "
                "its detectors cut to the floor's work (each sourcesContent entry decoded and passed through the "
                "automaton, every other blob through the automaton alone; no confirmation, no base64 or other "
                "views, no content finding). A target below its ceiling ratio cannot be met by faster "
                "detectors, only by a faster pipeline: start-up, walk, copies, workers, the map's parse.")


def _verdict(ratio: float, floor_ratio: float, target: float, ceiling_ratio: float | None = None) -> str:
    if ratio <= target:
        return "met"
    if floor_ratio > target:
        return f"missed; out of reach with this engine here (its floor alone is {floor_ratio:.2f}x)"
    if ceiling_ratio is None:
        return f"missed (floor {floor_ratio:.2f}x)"
    bounds = f"floor {floor_ratio:.2f}x, the pipeline with its detectors cut {ceiling_ratio:.2f}x"
    if ceiling_ratio > target:
        return f"missed; out of reach in this pipeline ({bounds})"
    return f"missed ({bounds})"


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
    cores = len(os.sched_getaffinity(0))
    floor_rows = ["| artifact | engine | inflate, CPU | automaton, CPU | matched | floor on "
                  f"{cores} cores | floor ratio | ceiling ratio | leakguard's ratio |",
                  "|---|---|---|---|---|---|---|---|---|"]
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
                inflate, automaton, matched = floors(path, config, engine, plain)
                floor = (inflate + automaton) / cores
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
                    floor_ratio = floor / statistics.median(rf)
                    cut, cut_rf, _, cut_codes = pairs(leakguard(path, config, engine, plain, ceiling=True), ref,
                                                      args.runs, workdir)
                    if cut_codes - {0, 1}:
                        print(f"the ceiling scan failed on {path.name} with exit codes {sorted(cut_codes)}",
                              file=sys.stderr)
                        return 1
                    ceiling = statistics.median(a / b for a, b in zip(cut, cut_rf, strict=True))
                    floor_rows.append(f"| {path.name} | {engine} | {inflate:.2f} s | {automaton:.2f} s | "
                                      f"{matched / 1e6:.1f} MB | {floor:.2f} s | {floor_ratio:.2f}x ({ref_name}) | "
                                      f"{ceiling:.2f}x | {ratio:.2f}x |")
                    for fragment, (default_target, fast_target) in TARGETS.items():
                        if fragment in path.name:
                            target = fast_target if engine == "ahocorasick-rs" else default_target
                            verdicts.append(f"- {path.name}, {engine}: {ratio:.2f}x vs target <= {target}x: "
                                            f"{_verdict(ratio, floor_ratio, target, ceiling)}; "
                                            f"peak {max(rss) / 1024:.0f} MiB "
                                            f"(largest process) vs 256 MiB: "
                                            f"{'met' if max(rss) / 1024 <= 256 else 'missed'}, "
                                            f"{total / 1024:.0f} MiB all processes together")
                    if "botocore" in path.name and ref_name == "python floor":
                        verdicts.append(f"- {path.name}, {engine}: {ratio:.2f}x the Python floor vs target <= 3x: "
                                        f"{_verdict(ratio, floor_ratio, 3, ceiling)}")
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
    report = "\n".join(["## Machine", *machine(), "", "## Results", *rows, "", "## Targets", *verdicts, "",
                        "## Floors", FLOORS_NOTE, "", CEILING_NOTE, "", *floor_rows, ""])
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
