"""The Dask engine of audits: a ``LocalCluster``, or an existing cluster (``--scheduler``), with the
gate its workers share. Imported only for ``--engine dask``, so ``distributed`` stays an extra.

Dask workers share no memory and no clock, so the gate's state lives with the coordinator: it
mints one token per ``1/rate`` seconds into a ``distributed.Queue`` of size one per registry, and
every request (a worker's download, the coordinator's own packument reads) takes one first. Adding
workers adds takers, never tokens. Concurrent downloads are a ``distributed.Semaphore``, whose
leases the scheduler takes back from a worker that dies.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from leakguard.audit.gate import REGISTRIES, Politeness
from leakguard.errors import ScanError, UsageError

TOKEN_WAIT = 300.0  # seconds a worker waits for a request token before it gives up

if TYPE_CHECKING:
    from leakguard.audit.run import Engine, Setup


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError("the dask engine needs the dask extra: pip install 'leakguard[dask]'") from None
    return distributed


class DaskGate:
    """The gate over Dask (see the module docstring). Pickles by name: a worker reconnects to the
    same queues and semaphore through its own client."""

    def __init__(self, politeness: Politeness, name: str, registries: Sequence[str] = REGISTRIES, *,
                 bounded: bool = True) -> None:
        self.politeness = politeness
        self.name = name
        self.registries = tuple(registries)
        # False when the cluster has no more worker threads than download slots: each thread downloads
        # one file at a time, so the semaphore (several round trips a download) could never refuse.
        self.bounded = bounded
        self._queues: dict[str, Any] = {}
        self._semaphore: Any = None
        self._stop = threading.Event()

    def __getstate__(self) -> dict[str, Any]:
        return {"politeness": self.politeness, "name": self.name, "registries": self.registries,
                "bounded": self.bounded}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["politeness"], state["name"], state["registries"],  # type: ignore[misc]
                      bounded=state["bounded"])

    def _queue(self, kind: str) -> Any:
        found = self._queues.get(kind)
        if found is None:
            found = self._queues[kind] = _distributed().Queue(f"leakguard-{kind}-{self.name}", maxsize=1)
        return found

    def take(self, registry: str) -> None:
        """Take one of the registry's tokens (waits for the coordinator to mint it). A coordinator
        gone for ``TOKEN_WAIT`` seconds fails the request rather than hanging the worker."""
        if registry in self.registries:
            try:
                self._queue(f"rate-{registry}").get(timeout=TOKEN_WAIT)
            except TimeoutError:
                raise ScanError(f"no request token for {registry} in {TOKEN_WAIT:.0f} s: is the coordinator gone?"
                                ) from None

    def pause(self, registry: str, seconds: float) -> None:
        """Ask the coordinator to mint nothing for the registry for ``seconds``."""
        if registry in self.registries:
            with contextlib.suppress(Exception):  # a full pause queue: a pause is already pending
                self._queue(f"pause-{registry}").put(seconds, timeout=0.1)

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one lease of the download semaphore."""
        if not self.bounded:
            yield
            return
        if self._semaphore is None:
            self._semaphore = _distributed().Semaphore(max_leases=max(1, self.politeness.downloads),
                                                       name=f"leakguard-downloads-{self.name}")
        with self._semaphore:
            yield

    def start(self) -> list[threading.Thread]:
        """Start minting tokens (the coordinator only)."""
        threads = [threading.Thread(target=self._mint, args=(r,), name=f"leakguard-mint-{r}", daemon=True)
                   for r in self.registries]
        for thread in threads:
            thread.start()
        return threads

    def stop(self) -> None:
        """Stop minting."""
        self._stop.set()

    def _mint(self, registry: str) -> None:
        while not self._stop.is_set():
            try:
                self._minting(registry)
            except Exception:  # a round trip that failed (a busy scheduler): mint on; a closed client ends the run
                self._stop.wait(0.5)

    def _minting(self, registry: str) -> None:
        import time

        tokens, pauses = self._queue(f"rate-{registry}"), self._queue(f"pause-{registry}")
        interval = 1.0 / self.politeness.rate
        poll = min(0.02, interval / 2)
        look = time.monotonic()
        while not self._stop.is_set():
            if not tokens.qsize():  # only this thread puts, and only once the last token was taken
                tokens.put(1)
            while tokens.qsize() and not self._stop.is_set():  # wait for a taker
                self._stop.wait(poll)
            # The next token exists only an interval after this one was seen taken, so two requests
            # never start closer than the interval, on whichever worker.
            wait = interval
            if time.monotonic() >= look:  # pauses are rare: look for one twice a second
                look = time.monotonic() + 0.5
                if pauses.qsize():
                    wait = max(wait, float(pauses.get()))
            self._stop.wait(wait)


@contextlib.contextmanager
def open_dask(setup: Setup) -> Iterator[Engine]:
    """A client on the cluster at ``setup.scheduler``, or on a new ``LocalCluster`` of
    ``setup.workers`` single-threaded worker processes; the engine's gate and executor on it."""
    from leakguard.audit.run import Engine
    from leakguard.execute.dask import DaskExecutor, connect

    client, stack = connect(setup.scheduler, setup.workers)
    with stack:
        threads = sum(client.nthreads().values())
        gate = DaskGate(setup.politeness, uuid.uuid4().hex[:12], bounded=threads > setup.politeness.downloads)
        gate.start()
        stack.callback(gate.stop)
        yield Engine(gate, lambda context: DaskExecutor(context, client))
