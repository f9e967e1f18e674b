"""What every executor shares: the protocol, the failure value, and how many workers to use."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Protocol, TypeVar

C = TypeVar("C")
C_co = TypeVar("C_co", covariant=True)
T = TypeVar("T")
R = TypeVar("R")

Errors = Literal["raise", "return"]
FailureKind = Literal["raised", "worker-died"]


@dataclass(frozen=True, slots=True)
class TaskFailed:
    """In place of a result (``errors="return"``): the task raised, or its worker died and the
    engine's retries ran out. ``index`` is the task's position in the input."""

    index: int
    kind: FailureKind
    message: str
    attempts: int = 1  # how many times it ran (a poison task: every attempt killed its worker)


class Executor(Protocol[C_co]):
    """Runs ``fn(context, task)`` for each task; results come back in task order."""

    name: str

    def map_ordered(self, fn: Callable[[C_co, T], R], tasks: Iterable[T], *,
                    errors: Errors = "raise") -> Iterator[R | TaskFailed]:
        """Results in task order. ``tasks`` is consumed lazily, with a bounded number in flight.
        ``errors="raise"``: a task's exception propagates (a dead worker raises ``ScanError``);
        ``"return"``: it yields a ``TaskFailed`` in the task's place and goes on."""
        ...

    def close(self) -> None:
        """Release the workers. Idempotent."""
        ...

    def __enter__(self) -> Executor[C_co]: ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None: ...


# The default number of workers never exceeds this: a CI container on a 64-core host would
# otherwise fork 64 processes for a two-core job.
MAX_DEFAULT_JOBS = 8


def default_jobs() -> int:
    """The cores this process may run on (its CPU affinity, which containers narrow), at most
    ``MAX_DEFAULT_JOBS``."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    return max(1, min(usable, MAX_DEFAULT_JOBS))


def forking_available() -> bool:
    """Forked workers need ``fork`` (Linux and other Unixes; not Windows, and not macOS, where
    forking a process that has loaded system frameworks is unsafe)."""
    return hasattr(os, "fork") and sys.platform not in ("darwin", "win32", "cygwin")


def one_line(error: BaseException) -> str:
    """``Kind: first line of the message`` for a failure report."""
    text = str(error).splitlines()[0][:300] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
