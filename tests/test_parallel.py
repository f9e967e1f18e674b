"""Forked workers: the same verdict as one process, order kept, memory handed over through the ring."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from pathlib import Path
from typing import ClassVar

import pytest

from leakguard import app, parallel
from leakguard.errors import ScanError
from leakguard.model import Blob, Origin
from leakguard.policy.config import Config
from leakguard.report import json as json_report
from tests.helpers.archives import npm_tarball, source_map, write
from tests.helpers.tokens import github_token

pytestmark = pytest.mark.skipif(not parallel.available(), reason="forked workers need fork (Linux)")


def _release(tmp_path: Path) -> Path:
    """A release that exercises every path: a source map large enough to be split between the
    workers (secrets and a codename directory in entries of both halves), many small members
    (batched), and a large plain member."""
    filler = "export const pad = 'abcdefghij';\n" * 600  # ~20 kB of ordinary code per entry
    sources = []
    for i in range(260):
        body = filler
        if i % 50 == 7:
            body += f"const token = '{github_token(seed=i)}';\n"
        folder = "capybara" if i in (3, 250) else f"mod{i % 9}"
        sources.append((f"../src/{folder}/f{i}.ts", body))
    files: dict[str, str | bytes] = {"cli.js.map": source_map(sources)}
    files.update({f"lib/m{i}.js": f"exports.t{i} = '{github_token(seed=500 + i)}';\n" if i % 40 == 0
                  else f"exports.v{i} = {i};\n" for i in range(150)})
    files["vendor/big.js"] = "x = 1;\n" * 200_000 + f"// {github_token(seed=999)}\n"
    return write(tmp_path, "widget-1.0.0.tgz", npm_tarball(files, license="UNLICENSED"))


def _report(verdict: object) -> dict[str, object]:
    doc = json.loads(json_report.render(verdict))  # type: ignore[arg-type]
    doc.pop("summary")  # wall time
    return doc  # type: ignore[no-any-return]


class _Spy(parallel.Workers):  # type: ignore[type-arg]
    parts: ClassVar[list[int]] = []

    def submit(self, blob: Blob, parts: int = 1) -> parallel.Ticket:  # type: ignore[type-arg]
        _Spy.parts.append(parts)
        return super().submit(blob, parts)


def test_workers_give_the_verdict_of_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _release(tmp_path)
    assert path.stat().st_size < app.PARALLEL_BYTES  # small on disk; --jobs 2 still forks
    config = Config(codenames=("capybara",))
    one = _report(app.scan([str(path)], config, jobs=1))
    monkeypatch.setattr(parallel, "Workers", _Spy)
    _Spy.parts = []
    two = _report(app.scan([str(path)], config, jobs=2))
    assert 2 in _Spy.parts and _Spy.parts.count(1) > 100  # the map was split; the rest was submitted
    assert not multiprocessing.active_children()  # the workers are gone
    assert one == two
    ids = [f["rule"] for f in one["findings"]]  # type: ignore[index]
    assert ids.count("github.pat-classic") == 6 + 4 + 1  # map entries, lib/, vendor/big.js
    assert ids.count("source-map.embedded-sources") == 1
    paths = [f for f in one["findings"] if "in a member path" in f["message"]]  # type: ignore[index]
    assert len(paths) == 1  # one capybara/ directory, though its files went to different workers


def _echo(blob: Blob, part: int, parts: int) -> tuple[str, bytes, int, int]:
    return blob.origin.inner, blob.data, part, parts


def test_ring_wraps_waits_and_keeps_submission_order() -> None:
    sizes = [(i * 7919) % 20_000 + 1 for i in range(300)]
    with parallel.Workers(_echo, 2, 64 * 1024) as workers:
        tickets = []
        for i, size in enumerate(sizes):
            data = bytes([i % 251]) * size
            parts = 3 if i % 37 == 0 else 1
            tickets.append(workers.submit(Blob(Origin(("a", f"m{i}")), data, 1), parts))
        for i, (size, ticket) in enumerate(zip(sizes, tickets, strict=True)):
            results = ticket.get()
            assert [r[0] for r in results] == [f"m{i}"] * len(results)
            assert all(r[1] == bytes([i % 251]) * size for r in results)
            assert [(r[2], r[3]) for r in results] == ([(0, 3), (1, 3), (2, 3)] if i % 37 == 0 else [(0, 1)])


def test_blob_larger_than_the_ring_is_matched_in_the_parent() -> None:
    with parallel.Workers(_echo, 2, 4096) as workers:
        big = workers.submit(Blob(Origin(("a", "big")), b"z" * 10_000, 1))
        small = workers.submit(Blob(Origin(("a", "small")), b"y" * 100, 1))
        assert big.get() == [("big", b"z" * 10_000, 0, 1)]
        assert small.get() == [("small", b"y" * 100, 0, 1)]


def _die_on_poison(blob: Blob, part: int, parts: int) -> int:
    if blob.data == b"poison":
        os.kill(os.getpid(), signal.SIGKILL)
    return len(blob.data)


def test_a_killed_worker_fails_the_scan_instead_of_hanging() -> None:
    with pytest.raises(ScanError, match="worker process died"), \
            parallel.Workers(_die_on_poison, 2, 1024 * 1024) as workers:
        tickets = [workers.submit(Blob(Origin(("a", str(i))), b"ok" * i, 1)) for i in range(5)]
        tickets.append(workers.submit(Blob(Origin(("a", "p")), b"poison", 1)))
        for ticket in tickets:
            ticket.get()
    assert not multiprocessing.active_children()
