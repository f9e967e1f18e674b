"""The executor seam: every implementation gives the same results in task order, consumes its tasks
lazily with a bounded number in flight, and fails as asked (raise, or TaskFailed and go on). The
process executor is tested with real forked workers, one of them killed by a task."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from leakguard.errors import ScanError
from leakguard.execute import EXECUTORS, TaskFailed
from leakguard.execute.processes import Processes


@dataclass(frozen=True, slots=True)
class Job:
    value: int
    sleep: float = 0.0
    kill: bool = False
    fail: bool = False
    weight: int = 0


def work(context: int, job: Job) -> tuple[int, int]:
    """The context times the value, from whichever process; a job may sleep, raise or kill its worker."""
    if job.kill:
        os.kill(os.getpid(), signal.SIGKILL)
    if job.fail:
        raise ValueError(f"job {job.value} failed")
    time.sleep(job.sleep)
    return job.value * context, os.getpid()


@pytest.mark.parametrize("kind", ["serial", "processes"])
def test_results_come_back_in_task_order_whatever_finishes_first(kind: str) -> None:
    jobs = [Job(i, sleep=0.05 if i % 3 == 0 else 0.0) for i in range(20)]
    with EXECUTORS[kind](10, 2) as executor:
        results = list(executor.map_ordered(work, jobs))
    assert [value for value, _ in results] == [i * 10 for i in range(20)]  # type: ignore[misc]
    pids = {pid for _, pid in results}  # type: ignore[misc]
    assert (os.getpid() in pids) is (kind == "serial")
    if kind == "processes":
        assert len(pids) == 2  # both workers took tasks


@pytest.mark.parametrize("kind", ["serial", "processes"])
def test_tasks_are_taken_lazily_with_a_bounded_number_in_flight(kind: str) -> None:
    pulled: list[int] = []

    def endless() -> Iterator[Job]:
        i = 0
        while True:
            pulled.append(i)
            yield Job(i)
            i += 1

    with EXECUTORS[kind](1, 2) as executor:
        stream = executor.map_ordered(work, endless())
        first = [next(stream) for _ in range(3)]
        assert [value for value, _ in first] == [0, 1, 2]  # type: ignore[misc]
        assert len(pulled) <= 3 + 2 * 3  # what was asked for, and at most three tasks per worker ahead


def test_in_flight_weight_is_bounded() -> None:
    pulled: list[int] = []

    def heavy() -> Iterator[Job]:
        for i in range(10):
            pulled.append(i)
            yield Job(i, sleep=0.02, weight=40)

    with Processes(1, 2, max_bytes=100) as executor:
        stream = executor.map_ordered(work, heavy())
        next(stream)
        assert len(pulled) <= 4  # 40 + 40 + 40 reaches 100: no fourth task was taken before the first result


@pytest.mark.parametrize("kind", ["serial", "processes"])
def test_a_failing_task_raises_or_is_reported_in_its_place(kind: str) -> None:
    jobs = [Job(1), Job(2, fail=True), Job(3)]
    with EXECUTORS[kind](1, 2) as executor:
        with pytest.raises(ValueError, match="job 2 failed"):
            list(executor.map_ordered(work, jobs))
        results = list(executor.map_ordered(work, jobs, errors="return"))
    assert [r if isinstance(r, TaskFailed) else r[0] for r in results] == [  # type: ignore[index]
        1, TaskFailed(1, "raised", "ValueError: job 2 failed"), 3]


def test_a_killed_worker_is_a_scan_error_never_a_hang() -> None:
    with Processes(1, 2) as executor, pytest.raises(ScanError, match="worker process died"):
        list(executor.map_ordered(work, [Job(1), Job(2, kill=True), Job(3)]))


def test_a_task_that_kills_its_worker_is_given_up_alone_and_the_rest_finish() -> None:
    jobs = [Job(i, sleep=0.01) for i in range(6)]
    jobs[3] = Job(3, kill=True)
    with Processes(1, 2) as executor:
        results = list(executor.map_ordered(work, jobs, errors="return"))
        assert [r.index for r in results if isinstance(r, TaskFailed)] == [3]
        assert [r[0] for r in results if not isinstance(r, TaskFailed)] == [0, 1, 2, 4, 5]  # type: ignore[index]
        failed = next(r for r in results if isinstance(r, TaskFailed))
        assert failed.kind == "worker-died"
        # The pool works again afterwards.
        assert [r[0] for r in executor.map_ordered(work, [Job(7)])] == [7]  # type: ignore[index]


def test_a_worker_that_dies_between_two_submits_is_recovered_not_raised() -> None:
    # The caller is slow with each result (an audit writes it to a database): meanwhile a worker
    # dies, and the pool refuses the next submit. That task runs again with the others in flight.
    jobs = [Job(i) for i in range(12)]
    jobs[7] = Job(7, kill=True)  # submitted after the first results were taken
    results = []
    with Processes(1, 2) as executor:
        for result in executor.map_ordered(work, jobs, errors="return"):
            results.append(result)
            time.sleep(0.2)
    assert [r.index for r in results if isinstance(r, TaskFailed)] == [7]
    assert [r[0] for r in results if not isinstance(r, TaskFailed)] == [*range(7), *range(8, 12)]  # type: ignore[index]
    assert next(r for r in results if isinstance(r, TaskFailed)).attempts == 3
