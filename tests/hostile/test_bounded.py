"""Every row of issue 22's table, scanned by the real CLI under an address-space limit.

Each input is built as a stream (tests/helpers/bombs.py: huge when unpacked, a few MB on disk)
and scanned by ``python -m leakguard`` in a subprocess whose ``RLIMIT_AS`` is 768 MiB: the scan
must end cleanly (exit 1 or 3, or 2 for a bad config) with the finding or error named, never a
MemoryError, a traceback or a kill. Times are not asserted (bench/hostile.py measures them).
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import bombs
from tests.helpers.archives import write
from tests.helpers.tokens import github_token

LIMIT = 768 * 1024 * 1024
JOBS = ["-j", "1"]


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def _scan(*args: str | Path, cwd: Path, jobs: list[str] = JOBS) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "leakguard", "scan", *jobs, *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, preexec_fn=_limited, timeout=300)


def _clean(result: subprocess.CompletedProcess[str], code: int) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert "Traceback" not in output and "unexpected error" not in output and "MemoryError" not in output
    return output


def test_gzip_bomb_stops_at_the_ratio_limit(tmp_path: Path) -> None:
    bomb = bombs.write_gzip(tmp_path / "zeros.gz", [(0, 4 * bombs.GIB)])
    out = _clean(_scan(bomb, cwd=tmp_path), 1)
    assert "walk.limit" in out and "expansion ratio over 200:1" in out


def test_tgz_with_one_huge_member(tmp_path: Path) -> None:
    bomb = bombs.ten_gib_member_tgz(tmp_path / "member.tgz", 4 * bombs.GIB)
    out = _clean(_scan(bomb, cwd=tmp_path), 1)
    assert "expansion ratio over 200:1" in out


def test_nested_gzip(tmp_path: Path) -> None:
    inner = bombs.gzip_bytes([(0, 2 * bombs.GIB)], tmp_path / "inner.gz")
    bomb = bombs.write_gzip(tmp_path / "nested.gz", [inner])
    out = _clean(_scan(bomb, cwd=tmp_path), 1)
    assert "expansion ratio over 200:1" in out


def test_zip_of_gigabyte_members(tmp_path: Path) -> None:
    bomb = bombs.zeros_zip(tmp_path / "zeros.zip", members=3, size=bombs.GIB)
    out = _clean(_scan(bomb, cwd=tmp_path), 1)
    assert "expansion ratio over 200:1" in out


def test_one_line_minified_file_larger_than_the_window(tmp_path: Path) -> None:
    rng = random.Random(22)
    line = "".join(f'var v{rng.getrandbits(40):x}="{rng.getrandbits(64):x}";' for _ in range(30000)).encode()
    path = tmp_path / "bundle.min.js"
    with path.open("wb") as out:
        for _ in range(70 * bombs.MIB // len(line)):  # past the 64 MiB window: scanned in pieces
            out.write(line)
        out.write(f'var k="{github_token(seed=2201)}";\n'.encode())
    out_text = _clean(_scan(path, cwd=tmp_path), 1)
    assert "github.pat-classic" in out_text


def test_giant_gnu_long_name(tmp_path: Path) -> None:
    bomb = bombs.gnu_long_name_tgz(tmp_path / "longname.tgz")
    out = _clean(_scan(bomb, cwd=tmp_path), 1)
    assert "walk.ambiguous-archive" in out and "GNU long-name header of 536,870,912 bytes" in out


def test_directory_entries_count_against_max_members(tmp_path: Path) -> None:
    bomb = bombs.directories_tgz(tmp_path / "dirs.tgz", 3000)
    (tmp_path / ".leakguard.toml").write_text("[limits]\nmax-members = 1000\n")
    out = _clean(_scan(bomb, cwd=tmp_path), 1)
    assert "more than 1,000 members" in out


def test_dev_zero_target(tmp_path: Path) -> None:
    out = _clean(_scan("/dev/zero", cwd=tmp_path), 1)
    assert "walk.special-file" in out and "device file" in out


def test_dev_zero_as_baseline_in_a_config(tmp_path: Path) -> None:
    (tmp_path / ".leakguard.toml").write_text('baseline = "/dev/zero"\n')
    target = write(tmp_path, "a.txt", b"hello\n")
    out = _clean(_scan(target, cwd=tmp_path), 2)
    assert "/dev/zero: cannot read baseline: larger than 67,108,864 bytes" in out


def test_overlapping_zip_entries_are_read_once(tmp_path: Path) -> None:
    bomb = bombs.overlapping_zip(tmp_path / "overlap.zip", random.Random(1).randbytes(12 * bombs.MIB))
    out = _clean(_scan(bomb, cwd=tmp_path), 1)
    assert "149 entries overlap the data of others" in out


@pytest.mark.parametrize("jobs", [[], ["-j", "2"]], ids=["default-jobs", "two-jobs"])
def test_bombs_with_workers(tmp_path: Path, jobs: list[str]) -> None:
    """The same bounds with worker processes (each forked worker inherits the limit)."""
    bomb = bombs.ten_gib_member_tgz(tmp_path / "member.tgz", 2 * bombs.GIB)
    out = _clean(_scan(bomb, cwd=tmp_path, jobs=jobs), 1)
    assert "expansion ratio over 200:1" in out


@pytest.mark.parametrize("jobs", [JOBS, []])
def test_a_map_of_millions_of_tiny_strings_is_a_limit_not_a_memory_error(tmp_path: Path, jobs: list[str]) -> None:
    """Inside the window (60 MB), but every 4 bytes a string: parsed as a map it would hold millions
    of objects. Refused by its string count (sourcemap.MAX_STRINGS), and still read as text."""
    path = tmp_path / "tiny.js.map"
    token = github_token(seed=77)
    with path.open("w") as out:
        out.write('{"version":3,"mappings":"","sources":["' + token + '"')
        for _ in range(150):
            out.write(',"a"' * 100_000)
        out.write("]}")
    out = _clean(_scan(path, cwd=tmp_path, jobs=jobs), 1)
    assert "walk.limit" in out and "more than 2,000,000 strings" in out
    assert "github.pat-classic" in out  # what the map holds is still scanned
