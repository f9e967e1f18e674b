"""Politeness, owned by the coordinator: a request rate per registry and a bound on concurrent
downloads that hold however many workers there are.

A ``Gate`` is handed to every worker with the executor's context. ``take(registry)`` blocks until
one more request to that registry may start; ``slot()`` holds one of the download slots;
``pause(registry, seconds)`` stops every request to a registry that answered 429 or 503 with
``Retry-After``. Adding workers adds takers, never tokens, so the rate cannot rise.

``LocalGate`` serves the local engines: its state lives in shared memory created before the
workers fork (the executor's context), with the same clock for every process. The rate is a GCRA
(each request books the next free instant, 1/rate after the previous one), the slots remember the
pid that holds them so that a slot held by a killed worker is taken back. ``leakguard.audit.dask_gate``
serves Dask, where the workers share no memory or clock.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

REGISTRIES = ("npm", "pypi")


@dataclass(frozen=True, slots=True)
class Politeness:
    """The bounds an audit keeps towards registries (``--rate``, ``--downloads``, ``--max-download``)."""

    rate: float = 20.0  # requests per second per registry, packuments and downloads alike
    downloads: int = 8  # concurrent downloads, over every worker
    max_bytes: int = 512 * 1024 * 1024  # a download past this is cut and recorded as an error
    timeout: float = 60.0  # seconds without a byte before a request fails
    retries: int = 5  # attempts after a 429 or a 5xx (backing off 1, 2, 4... s, or as Retry-After says)
    max_wait: float = 120.0  # the longest pause of a registry that answered 429 or 503


class Gate(Protocol):
    """What a worker (and the coordinator) asks before each request; see the module docstring."""

    def take(self, registry: str) -> None:
        """Block until one request to ``registry`` may start."""

    def slot(self) -> contextlib.AbstractContextManager[None]:
        """Hold one concurrent-download slot for the duration of the ``with`` block."""

    def pause(self, registry: str, seconds: float) -> None:
        """No request to ``registry`` starts for ``seconds`` (a Retry-After)."""


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie (a killed worker not reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except OSError:
        return True


class LocalGate:
    """The gate of the local engines, in fork-shared memory (see the module docstring)."""

    def __init__(self, politeness: Politeness, registries: Sequence[str] = REGISTRIES) -> None:
        ctx = multiprocessing.get_context("fork")
        self.politeness = politeness
        self._lock = ctx.Lock()
        self._next: dict[str, Any] = {name: ctx.RawValue("d", 0.0) for name in registries}
        self._holders: Any = ctx.RawArray("i", max(1, politeness.downloads))

    def take(self, registry: str) -> None:
        """Book the next free instant of ``registry`` (1/rate after the last booking) and wait for it."""
        booked = self._next.get(registry)
        if booked is None or self.politeness.rate <= 0:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, booked.value)
            booked.value = start + 1.0 / self.politeness.rate
        if start > now:
            time.sleep(start - now)

    def pause(self, registry: str, seconds: float) -> None:
        """Push the registry's next free instant at least ``seconds`` into the future."""
        booked = self._next.get(registry)
        if booked is None:
            return
        with self._lock:
            booked.value = max(booked.value, time.monotonic() + seconds)

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Take a free slot (or one whose holder died), hold it, give it back."""
        me = os.getpid()
        index = -1
        while index < 0:
            with self._lock:
                for i, pid in enumerate(self._holders):
                    if pid == 0 or (pid != me and not _alive(pid)):
                        self._holders[i] = me
                        index = i
                        break
            if index < 0:
                time.sleep(0.005)
        try:
            yield
        finally:
            with self._lock:
                self._holders[index] = 0
