"""Time and peak memory of ``leakguard scan`` on the hostile inputs of issue 22's table.

    python bench/hostile.py [--jobs N] [--only NAME] [--keep DIR]

Each input is built as a stream (tests/helpers/bombs.py: seconds, a few MB on disk), then scanned
by the real CLI in a subprocess with a 60 s timeout; the peak RSS is the child's ``ru_maxrss``
(os.wait4). The goal: every input refused (exit 1 or 3) in under 20 s with under 512 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers import bombs  # the repository's own builders, after the path is set

Build = Callable[[Path], list[str]]


def _gzip_bomb(d: Path) -> list[str]:
    return [str(bombs.write_gzip(d / "zeros.gz", [(0, 10 * bombs.GIB)]))]


def _member(d: Path) -> list[str]:
    return [str(bombs.ten_gib_member_tgz(d / "member.tgz"))]


def _nested(d: Path) -> list[str]:
    inner = bombs.gzip_bytes([(0, 1900 * bombs.MIB)], d / "inner.gz")
    return [str(bombs.write_gzip(d / "nested.gz", [inner]))]


def _zip(d: Path) -> list[str]:
    return [str(bombs.zeros_zip(d / "zeros.zip"))]


def _minified(d: Path) -> list[str]:
    rng = random.Random(22)
    words = [f"var {''.join(rng.choices('abcdefghij', k=6))}{i}=\"{rng.getrandbits(64):x}\";" for i in range(60000)]
    line = "".join(words).encode()  # about 2 MB with no newline
    path = d / "bundle.min.js"
    with path.open("wb") as out:
        for i in range(200 * bombs.MIB // len(line)):
            out.write(line.replace(b"var ", f"let{i % 10} ".encode(), 1))
        out.write(b"\n")
    return [str(path)]


def _long_name(d: Path) -> list[str]:
    return [str(bombs.gnu_long_name_tgz(d / "longname.tgz"))]


def _directories(d: Path) -> list[str]:
    return [str(bombs.directories_tgz(d / "dirs.tgz", 1_000_000))]


def _sources(d: Path) -> list[str]:
    path = d / "many.js.map"
    with path.open("w") as out:
        out.write('{"version":3,"sources":[')
        for start in range(0, 10_000_000, 100_000):  # in parts: the children this script forks
            # start with its memory, and their peak RSS would count it
            out.write(("," if start else "") + ",".join(f'"s{i}.ts"' for i in range(start, start + 100_000)))
        out.write('],"mappings":""}')
    return [str(path)]


def _dev_zero(_d: Path) -> list[str]:
    return ["/dev/zero"]


def _baseline(d: Path) -> list[str]:
    (d / ".leakguard.toml").write_text('baseline = "/dev/zero"\n')
    (d / "a.txt").write_text("hello\n")
    return ["--config", str(d / ".leakguard.toml"), str(d / "a.txt")]


def _overlap(d: Path) -> list[str]:
    return [str(bombs.overlapping_zip(d / "overlap.zip", random.Random(1).randbytes(12 * bombs.MIB)))]


INPUTS: dict[str, Build] = {
    "10 GiB gzip bomb": _gzip_bomb,
    "tgz holding one 10 GiB member": _member,
    "nested 1.9 GiB .gz": _nested,
    "10 x 1 GiB zip of zeros": _zip,
    "200 MB one-line minified file": _minified,
    "512 MiB GNU long name": _long_name,
    "a million directory entries": _directories,
    "source map with 10 million sources": _sources,
    "/dev/zero as a target": _dev_zero,
    'baseline = "/dev/zero" in a config': _baseline,
    "150 overlapping zip entries over one 12 MiB block": _overlap,
}


def run(args: list[str], jobs: int | None, timeout: float) -> tuple[int | None, float, int, str]:
    """(exit code or None on timeout, seconds, peak RSS in MiB, last line of stderr)."""
    command = [sys.executable, "-m", "leakguard", "scan", "--no-color", "-q", *args]
    if jobs is not None:
        command[4:4] = ["-j", str(jobs)]
    started = time.monotonic()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        code: int | None = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() - started > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = code if code is not None else -9
        err.seek(0)
        lines = err.read().decode("utf-8", "replace").strip().splitlines()
    return code, time.monotonic() - started, usage.ru_maxrss // 1024, lines[-1][:140] if lines else ""


def main() -> None:
    """Build every input, scan it, print one Markdown row each (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    rows = []
    print("| input | exit | time | peak RSS | stderr |\n|---|---|---|---|---|", flush=True)
    for name, build in INPUTS.items():
        if options.only and not any(o in name for o in options.only):
            continue
        with tempfile.TemporaryDirectory(prefix="leakguard-hostile-") as tmp:
            args = build(Path(tmp))
            code, seconds, peak, last = run(args, options.jobs, options.timeout)
        shown = "timeout" if code is None else str(code)
        rows.append({"input": name, "exit": code, "seconds": round(seconds, 2), "peak_mib": peak, "stderr": last})
        print(f"| {name} | {shown} | {seconds:.1f} s | {peak} MiB | {last} |", flush=True)
    if options.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
