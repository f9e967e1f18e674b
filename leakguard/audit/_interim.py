"""TEMPORARY stand-in for leakguard.execute until it lands on main (to be ported there, then deleted).

``Processes.map_ordered`` over a fork-context ``ProcessPoolExecutor`` whose initializer installs the
context once per worker. A worker that dies (SIGKILL, the OOM killer) breaks the whole pool: every
task in flight then is suspect. The pool is rebuilt and the suspects run again one at a time, so a
later death names its task; a task whose worker died ``allowed_failures`` times is poison and, with
``errors="return"``, yields ``TaskFailed(index, "killed", ...)`` in its place (Dask's
``allowed-failures`` rule, 3 by default).
"""

from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TaskFailed:
    """A task that raised, or whose worker died on every attempt."""

    index: int
    kind: str
    message: str
    attempts: int = 1


_CONTEXT: Any = None


def _install(context: Any) -> None:
    global _CONTEXT
    _CONTEXT = context
    # The pool ends its workers with SIGTERM when one of them dies: a worker ends quietly, without
    # the handler it inherited from the CLI (which turns SIGTERM into an exception and a traceback).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _call(fn: Callable[[Any, Any], Any], task: Any) -> Any:
    return fn(_CONTEXT, task)


class Processes:
    """map_ordered over forked processes (see the module docstring)."""

    def __init__(self, context: Any, jobs: int = 2, *, allowed_failures: int = 3) -> None:
        self.context = context
        self.jobs = jobs
        self.allowed_failures = allowed_failures
        self.pool = self._pool()

    def _pool(self) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(self.jobs, multiprocessing.get_context("fork"),
                                                      initializer=_install, initargs=(self.context,))

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(cancel_futures=True)

    def map_ordered(self, fn: Callable[[Any, Any], Any], tasks: Iterable[Any], errors: str = "raise"
                    ) -> Iterator[Any]:
        """``fn(context, task)`` for every task, yielded in task order."""
        source = enumerate(tasks)
        exhausted = False
        running: dict[concurrent.futures.Future[Any], tuple[int, Any]] = {}
        finished: dict[int, Any] = {}
        suspects: collections.deque[tuple[int, Any]] = collections.deque()
        deaths: collections.Counter[int] = collections.Counter()
        taken = 0
        while True:
            broken = False
            if suspects:  # alone, so that a death names its task
                if not running:
                    broken = not self._submit(fn, suspects.popleft(), running, suspects)
            else:
                while not broken and not exhausted and len(running) + len(finished) < 2 * self.jobs:
                    item = next(source, None)
                    exhausted = item is None
                    broken = item is not None and not self._submit(fn, item, running, suspects)
            if not running and not broken:
                break
            ready: set[concurrent.futures.Future[Any]] = set()
            if not broken:
                ready, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in ready:
                index, task = running.pop(future)
                try:
                    finished[index] = future.result()
                except BrokenProcessPool:
                    broken = True
                    running[future] = (index, task)
                except Exception as exc:
                    if errors == "raise":
                        raise
                    finished[index] = TaskFailed(index, "error", f"{type(exc).__name__}: {exc}")
            if broken:
                self._recover(running, suspects, deaths, finished, errors)
            while taken in finished:
                yield finished.pop(taken)
                taken += 1
        while taken in finished:
            yield finished.pop(taken)
            taken += 1

    def _submit(self, fn: Callable[[Any, Any], Any], item: tuple[int, Any],
                running: dict[concurrent.futures.Future[Any], tuple[int, Any]],
                suspects: collections.deque[tuple[int, Any]]) -> bool:
        """Submit one task; False when the pool is already broken (the task waits, uncharged)."""
        try:
            running[self.pool.submit(_call, fn, item[1])] = item
        except BrokenProcessPool:
            suspects.appendleft(item)
            return False
        return True

    def _recover(self, running: dict[concurrent.futures.Future[Any], tuple[int, Any]],
                 suspects: collections.deque[tuple[int, Any]], deaths: collections.Counter[int],
                 finished: dict[int, Any], errors: str) -> None:
        """A worker died: rebuild the pool; every task in flight is charged one death and run again
        alone, or reported as poison once it has died ``allowed_failures`` times."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = self._pool()
        for future, (index, _task) in list(running.items()):
            if future.done() and not future.cancelled() and future.exception() is None:
                finished[index] = future.result()  # it finished before the pool broke
                del running[future]
        for index, task in sorted(running.values(), key=lambda item: item[0]):
            deaths[index] += 1
            if deaths[index] < self.allowed_failures:
                suspects.append((index, task))
                continue
            message = f"its worker process died {deaths[index]} times (killed, or out of memory)"
            if errors == "raise":
                from leakguard.errors import ScanError

                raise ScanError(message)
            finished[index] = TaskFailed(index, "killed", message, deaths[index])
        running.clear()
