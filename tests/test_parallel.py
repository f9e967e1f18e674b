"""Forked workers: the same verdict as one process, order kept, memory handed over through the ring."""

from __future__ import annotations

import gzip
import itertools
import json
import mmap
import os
import signal
import threading
import time
from pathlib import Path
from typing import ClassVar, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leakguard import app, parallel, walk
from leakguard.errors import ScanError
from leakguard.model import Blob, Chunk, ExitCode, Origin
from leakguard.policy.config import Config
from leakguard.pool import Pool, WorkerDied
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
    # Found by content, not by name: split between the workers once it is whole.
    files["dist/bundle.json"] = source_map([(f"../lib/g{i}.ts", filler) for i in range(220)]
                                           + [("../lib/key.ts", f"k = '{github_token(seed=997)}'\n")])
    # Two sourcesContent keys: the streamed split sees the first array, the full parse both; they
    # disagree, so the head start is thrown away and the map is split again.
    twice = json.loads(source_map([(f"../t/h{i}.ts", filler) for i in range(220)]))
    files["twice.js.map"] = json.dumps(twice)[:-1] + ', "sourcesContent": ["' + github_token(seed=996) + '"]}'

    # One entry per line, then two on one line: the streamed split cuts that line as one entry,
    # the worker finds the string ends early, and the map is split again.
    mixed = source_map([(f"../u/k{i}.ts", filler) for i in range(220)] + [("../u/y.ts", "y"), ("../u/z.ts", "z")])
    files["mixed.js.map"] = mixed.replace(b'"y",\n', b'"y", "' + github_token(seed=995).encode() + b'", ')
    files["mixed.js.map"] = files["mixed.js.map"].replace(b'"../u/z.ts"', b'"../u/x.ts", "../u/z.ts"')
    files.update({f"lib/m{i}.js": f"exports.t{i} = '{github_token(seed=500 + i)}';\n" if i % 40 == 0
                  else f"exports.v{i} = {i};\n" for i in range(150)})
    files["vendor/big.js"] = "x = 1;\n" * 200_000 + f"// {github_token(seed=999)}\n"
    # Named like a map and as large as one, but not JSON: the workers give it back, it is scanned whole.
    files["broken.js.map"] = '{"version": 3, "sources": [' + '"a",' * 1_200_000 + f'"{github_token(seed=998)}"'
    assert len(files["broken.js.map"]) >= app.SPLIT_BYTES
    return write(tmp_path, "widget-1.0.0.tgz", npm_tarball(files, license="UNLICENSED"))


def _children() -> list[int]:
    """This process's child processes that still exist (zombies included), from /proc."""
    found: list[int] = []
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        with open(f"/proc/{os.getpid()}/task/{task}/children") as listing:
            found.extend(int(pid) for pid in listing.read().split())
    return found


def _report(verdict: object) -> dict[str, object]:
    doc = json.loads(json_report.render(verdict))  # type: ignore[arg-type]
    doc.pop("summary")  # wall time
    return doc  # type: ignore[no-any-return]


class _Spy(parallel.Workers):  # type: ignore[type-arg]
    parts: ClassVar[list[int]] = []
    streamed: ClassVar[set[str]] = set()
    blocks: ClassVar[dict[str, list[int]]] = {}

    def submit(self, blob: Blob, parts: int = 1) -> parallel.Ticket:  # type: ignore[type-arg]
        _Spy.parts.append(parts)
        return super().submit(blob, parts)

    def submit_spans(self, meta: Blob, block: bytes | memoryview, spans: tuple[tuple[int, int], ...],
                     payload: object) -> parallel.Ticket | None:  # type: ignore[type-arg]
        _Spy.streamed.add(meta.origin.inner)
        _Spy.blocks.setdefault(meta.origin.inner, []).append(len(block))
        return super().submit_spans(meta, block, spans, payload)


def test_workers_give_the_verdict_of_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _release(tmp_path)
    assert path.stat().st_size < app.PARALLEL_BYTES  # small on disk; --jobs 2 still forks
    config = Config(codenames=("capybara",))
    one = _report(app.scan([str(path)], config, jobs=1))
    monkeypatch.setattr(parallel, "Workers", _Spy)
    _Spy.parts, _Spy.streamed, _Spy.blocks = [], set(), {}
    two = _report(app.scan([str(path)], config, jobs=2))
    # cli.js.map, twice.js.map and mixed.js.map were streamed; bundle.json, broken.js.map and
    # (after the failed check) twice.js.map and mixed.js.map were split; everything else was
    # submitted whole.
    assert _Spy.streamed == {"package/cli.js.map", "package/twice.js.map", "package/mixed.js.map"}
    assert _Spy.parts.count(2) == 4 and _Spy.parts.count(1) > 100
    # A streamed map reaches the ring as the entries each chunk completes, never whole.
    blocks = _Spy.blocks["package/cli.js.map"]
    assert len(blocks) >= 4 and max(blocks) <= walk.READ_CHUNK + 25_000 < app.SPLIT_BYTES
    assert not _children()  # the workers are gone
    assert one == two
    ids = [f["rule"] for f in one["findings"]]  # type: ignore[index]
    # map entries, lib/, vendor/big.js, the broken map, bundle.json, both arrays of twice.js.map,
    # mixed.js.map
    assert ids.count("github.pat-classic") == 6 + 4 + 1 + 1 + 1 + 1 + 1
    assert ids.count("source-map.embedded-sources") == 4
    paths = [f for f in one["findings"] if "in a member path" in f["message"]]  # type: ignore[index]
    assert len(paths) == 1  # one capybara/ directory, though its files went to different workers


def _echo(job: parallel.Job) -> tuple[str, bytes, int, int]:
    blob, part, parts, text = job.blob, job.part, job.parts, job.text
    # A split blob arrives as latin-1 text, a whole one as bytes: either way the same bytes.
    assert (text is None) == (parts == 1) and (text is None or blob.data == b"")
    return blob.origin.inner, blob.data if text is None else text.encode("latin-1"), part, parts


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


def _die_on_poison(job: parallel.Job) -> int:
    blob = job.blob
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
    assert not _children()


def test_a_map_cut_off_while_streamed_fails_the_scan_as_in_one_process(tmp_path: Path) -> None:
    filler = "export const pad = 'abcdefghij';\n" * 600
    data = npm_tarball({"cli.js.map": source_map([(f"../src/f{i}.ts", filler) for i in range(260)]),
                        "z.js": f"t = '{github_token(seed=5)}'\n"}, license="UNLICENSED")
    raw = gzip.decompress(data)
    cut = write(tmp_path, "cut-1.0.0.tgz", gzip.compress(raw[: raw.find(b"export const pad", 3_000_000)]))
    one, two = (app.scan([str(cut)], Config(), jobs=jobs) for jobs in (1, 2))
    assert one.problems and one.problems == two.problems
    assert one.exit_code == two.exit_code == ExitCode.SCAN_ERROR
    assert _report(one) == _report(two)
    assert not _children()


def test_no_workers_are_forked_from_a_process_running_other_threads(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "t.tgz", npm_tarball({"a.js": f"t = '{github_token(seed=3)}'\n"}))
    forked: list[int] = []
    monkeypatch.setattr(parallel, "Workers", lambda *a, **k: forked.append(1) or _Spy(*a, **k))
    app.scan([str(path)], Config(), jobs=2)
    assert forked == [1]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        verdict = app.scan([str(path)], Config(), jobs=2)
    finally:
        stop.set()
        other.join()
    assert forked == [1] and len(verdict.blocking) == 1  # scanned in this process instead


def test_default_workers_follow_the_cores_this_process_may_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert parallel.default_jobs() == parallel.MAX_DEFAULT_JOBS  # a 64-core host: capped
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    assert parallel.default_jobs() == 1  # a container pinned to one core: no workers by default


def test_ring_reuses_its_start_and_places_a_large_region_past_older_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small regions wrap to the start as soon as it is free (pages already faulted in). A large
    region that does not fit between the newest and the oldest region goes past the highest one
    instead of waiting for older tasks to end (a streamed map after a package's binaries); a
    small one waits rather than touch fresh pages."""
    monkeypatch.setattr(parallel, "LARGE_BYTES", 32)  # "large" from 32 bytes in this 100-byte arena
    arena = mmap.mmap(-1, 100)
    ring = parallel._Ring(arena)
    for length in (30, 30):
        start = ring.fits(length)
        assert start is not None
        ring.take(start, length)
    ring.free_oldest()  # [0, 30) is free again
    assert ring.fits(20) == 0
    ring.take(0, 20)  # the ring has wrapped: [30, 60) and [0, 20) are live
    assert ring.fits(10) == 20  # after the newest region, before the oldest one
    assert ring.fits(31) is None  # small: waits for the oldest task rather than go past [30, 60)
    assert ring.fits(35) == 60  # large: past the highest region at once
    ring.take(60, 35)
    assert ring.fits(6) == 20  # a gap between regions
    assert ring.fits(11) is None  # nothing holds it until the oldest region is freed
    ring.free_oldest()
    assert ring.fits(11) == 20
    arena.close()


def test_ring_keeps_the_pages_of_its_first_bytes_and_returns_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    """A freed region's pages below RESIDENT_BYTES stay for the next lap (their bytes are still
    there); those past it go back to the kernel (a shared page given back reads as zeros)."""
    page = mmap.PAGESIZE
    monkeypatch.setattr(parallel, "RESIDENT_BYTES", 2 * page)
    arena = mmap.mmap(-1, 8 * page)
    ring = parallel._Ring(arena)
    ring.take(0, 6 * page)
    arena[: 6 * page] = b"x" * (6 * page)
    ring.free_oldest()
    assert arena[: 2 * page] == b"x" * (2 * page)
    assert arena[2 * page : 6 * page] == bytes(4 * page)
    arena.close()


def test_a_streamed_map_fed_out_of_order_is_left_for_the_whole_map(tmp_path: Path) -> None:
    """The split reads the chunks in order; a walk that skipped or repeated bytes gets no head
    start (the map is scanned once it is whole), whatever the entries looked like."""
    data = source_map([(f"../src/f{i}.ts", "x = 1;\n" * 5000) for i in range(40)])
    origin = Origin(("a.tgz", "package/a.js.map"))
    with parallel.Workers(_echo, 2, 1 << 20) as workers:
        stream = app._Stream(workers, Chunk(origin, 0, data[:100_000], len(data), 1))
        stream.feed(Chunk(origin, 0, data[:100_000], len(data), 1))
        assert stream.ok and stream.tickets  # entries were handed out
        stream.feed(Chunk(origin, 100_001, data[100_001:200_000], len(data), 1))  # a byte skipped
        assert not stream.ok
        assert not stream.close(Blob(origin, data, 1))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 5000)), max_size=60))
def test_ring_regions_never_overlap_and_stay_inside_the_arena(steps: list[tuple[bool, int]]) -> None:
    arena = mmap.mmap(-1, 16384)
    ring = parallel._Ring(arena)
    for free, length in steps:
        if free and ring.live:
            ring.free_oldest()
            continue
        start = ring.fits(length)
        if start is None:
            assert ring.live, "an empty ring must take any region that fits the arena"
            continue
        ring.take(start, length)
        spans = sorted(ring.live)
        assert all(0 <= lo < hi <= ring.size for lo, hi in spans)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), spans
    arena.close()


def _pid_and_echo(job: parallel.Job) -> tuple[int, bytes]:
    if job.blob.data.startswith(b"boom"):
        raise ValueError("boom in a worker")
    if job.blob.data.startswith(b"lock"):
        raise _Unpicklable()
    return os.getpid(), job.blob.data[:1] * 100_000  # answers larger than a pipe holds



def _timed(job: parallel.Job) -> tuple[float, float]:
    start = time.monotonic()
    if job.blob.data.startswith(b"slow"):
        time.sleep(0.5)
    return start, time.monotonic()


def test_blobs_still_being_batched_go_to_the_workers_when_the_caller_waits() -> None:
    """Small blobs wait in a batch for more; but once the caller blocks on an earlier result, an
    idle worker takes the batch at once instead of after that result."""
    alone = parallel.BATCH_BYTES  # its own task
    with parallel.Workers(_timed, 2, 4 * alone) as workers:
        slow = workers.submit(Blob(Origin(("a", "slow")), b"slow" * (alone // 4), 1))
        small = workers.submit(Blob(Origin(("a", "small")), b"x" * 100, 1))
        _, slow_end = slow.get()[0]
        small_start, _ = small.get()[0]
    assert small_start < slow_end - 0.2


class _Unpicklable(Exception):
    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("not picklable")


def test_tasks_go_to_every_worker_and_large_answers_never_block() -> None:
    """Answers of 100 kB each, 60 of them in batches queued before the first is read: the parent
    moves bytes both ways while it waits, so neither side blocks on a full pipe."""
    with parallel.Workers(_pid_and_echo, 2, 32 * 1024 * 1024) as workers:
        tickets = [workers.submit(Blob(Origin(("a", str(i))), bytes([i]) * 200_000, 1)) for i in range(60)]
        answers = [ticket.get()[0] for ticket in tickets]
    assert [data for _, data in answers] == [bytes([i]) * 100_000 for i in range(60)]
    assert len({pid for pid, _ in answers}) == 2
    assert not _children()


def test_an_exception_in_a_worker_is_raised_where_its_result_is_taken() -> None:
    alone = parallel.BATCH_BYTES  # each its own task
    with parallel.Workers(_pid_and_echo, 2, 4 * alone) as workers:
        ok = workers.submit(Blob(Origin(("a", "ok")), b"f" * alone, 1))
        bad = workers.submit(Blob(Origin(("a", "bad")), b"boom" * (alone // 4), 1))
        odd = workers.submit(Blob(Origin(("a", "odd")), b"lock" * (alone // 4), 1))
        assert ok.get()[0][1] == b"f" * 100_000
        with pytest.raises(ValueError, match="boom in a worker"):
            bad.get()
        with pytest.raises(RuntimeError, match="_Unpicklable"):
            odd.get()
    assert not _children()


def _pause_then_pid(task: object) -> object:
    time.sleep(float(cast(float, task)))
    return os.getpid()


def test_a_task_waits_in_the_parent_for_the_first_worker_with_room() -> None:
    """With one task per worker at a time, the quick tasks queued after a slow one all go to the
    other worker as it answers; none waits behind the slow one. Dealt at once (by load, as
    before), every other one would."""
    pool = Pool(2, _pause_then_pid, lambda: None, depth=1)
    try:
        slow = pool.submit(1.0, 1)
        quick = [pool.submit(0.0, 1) for _ in range(6)]
        pids = [task.result() for task in quick]
        assert not slow.done()
        assert len(set(pids)) == 1 and slow.result() not in pids
    finally:
        pool.shutdown(kill=True)
    assert not _children()


def test_tasks_no_worker_was_given_fail_when_the_workers_die() -> None:
    pool = Pool(2, _pause_then_pid, lambda: None, depth=1)
    try:
        busy = [pool.submit(5.0, 1) for _ in range(2)]
        held = pool.submit(0.0, 1)
        for worker in pool._workers:
            os.kill(worker.pid, signal.SIGKILL)
        with pytest.raises(WorkerDied):
            held.result()
        for task in busy:
            with pytest.raises(WorkerDied):
                task.result()
    finally:
        pool.shutdown(kill=True)
    assert not _children()


def test_workers_stopped_after_a_failure_are_reaped() -> None:
    with pytest.raises(KeyboardInterrupt), parallel.Workers(_pid_and_echo, 2, 1024 * 1024) as workers:
        workers.submit(Blob(Origin(("a", "x")), b"x" * 1000, 1))
        raise KeyboardInterrupt
    assert not _children()


def test_without_fork_the_scan_runs_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process limit (fork fails with EAGAIN) costs speed, never the verdict."""
    path = _release(tmp_path)
    expected = _report(app.scan([str(path)], Config(), jobs=1))
    opened = len(os.listdir("/proc/self/fd"))

    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    assert _report(app.scan([str(path)], Config(), jobs=2)) == expected
    assert len(os.listdir("/proc/self/fd")) == opened  # no pipe left open
