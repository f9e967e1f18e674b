"""The serial executor: every task in this process, in order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Generic

from leakguard.execute.base import C, Errors, R, T, TaskFailed, one_line


class Serial(Generic[C]):
    """Runs ``fn(context, task)`` here, one task at a time."""

    name = "serial"

    def __init__(self, context: C) -> None:
        self.context = context

    def map_ordered(self, fn: Callable[[C, T], R], tasks: Iterable[T], *,
                    errors: Errors = "raise") -> Iterator[R | TaskFailed]:
        """Results in task order, each computed when it is asked for."""
        for index, task in enumerate(tasks):
            if errors == "raise":
                yield fn(self.context, task)
                continue
            try:
                result = fn(self.context, task)
            except Exception as error:  # errors="return": the caller records it and goes on
                yield TaskFailed(index, "raised", one_line(error))
            else:
                yield result

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> Serial[C]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
