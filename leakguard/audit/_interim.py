"""TEMPORARY stand-in for leakguard.execute until it lands on main (to be deleted then)."""

from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TaskFailed:
    """A task that raised, or whose worker died."""

    index: int
    kind: str
    message: str


_CONTEXT: Any = None


def _install(context: Any) -> None:
    global _CONTEXT
    _CONTEXT = context


def _call(fn: Callable[[Any, Any], Any], task: Any) -> Any:
    return fn(_CONTEXT, task)


class Processes:
    """map_ordered over forked processes."""

    def __init__(self, context: Any, jobs: int = 2) -> None:
        self.context = context
        self.jobs = jobs
        self.pool = concurrent.futures.ProcessPoolExecutor(jobs, multiprocessing.get_context("fork"),
                                                           initializer=_install, initargs=(context,))

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(cancel_futures=True)

    def map_ordered(self, fn: Callable[[Any, Any], Any], tasks: Iterable[Any], errors: str = "raise"
                    ) -> Iterator[Any]:
        window: collections.deque[concurrent.futures.Future[Any]] = collections.deque()
        iterator = iter(tasks)
        index = 0
        done = 0
        while True:
            while len(window) < 2 * self.jobs:
                task = next(iterator, None)
                if task is None:
                    break
                window.append(self.pool.submit(_call, fn, task))
                index += 1
            if not window:
                return
            future = window.popleft()
            try:
                yield future.result()
            except Exception as exc:
                if errors == "raise":
                    raise
                yield TaskFailed(done, type(exc).__name__, str(exc))
            done += 1
