"""Forked worker processes and the pipes to them: ``Pool(jobs, serve)``.

Each worker reads tasks from a pipe of its own and answers each in order on another. A worker is
given at most ``DEPTH`` tasks at a time; the rest wait in the parent, and each goes to whichever
worker first has room, so the workers end together instead of one finishing a queue of tasks
dealt to it long before while the other idles. The parent runs no thread for this: it moves bytes
both ways, and deals waiting tasks, whenever it submits a task or waits for one (``Pool.pump``),
so neither side can block the other on a full pipe. A worker that dies (killed,
out of memory) closes its result pipe: its tasks fail with ``WorkerDied``; nothing hangs.

It replaces ``concurrent.futures.ProcessPoolExecutor``, whose import (``multiprocessing``,
``socket``, ``logging``: 30 ms), start-up (a first task to make it fork: 15 ms) and two threads in
the parent cost a scan of botocore 1.35.0 about 50 ms before any work and 40 ms of CPU.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
from collections import deque
from collections.abc import Callable

_HEADER = struct.Struct("<Q")  # the length of the pickle that follows
_READ = 1 << 20
# Tasks given to one worker at a time: enough for it to keep busy while the parent does work of
# its own (a source map's full parse, ~0.1 s), few enough that the last tasks of a scan go to
# whichever worker is free. claude-code 2.1.88: with every task dealt at once, one worker was
# still busy 0.16 s after the other had run out.
DEPTH = 6


class WorkerDied(Exception):
    """The worker a task was given to ended before answering it."""


class Task:
    """One task given to one worker; ``result`` waits for its answer."""

    __slots__ = ("_error", "_pool", "_value", "_worker", "finished", "size")

    def __init__(self, pool: Pool | None, worker: _Worker | None, size: int) -> None:
        self._pool = pool
        self._worker = worker
        self.size = size
        self.finished = False
        self._value: object = None
        self._error: BaseException | None = None

    def done(self) -> bool:
        """True once answered (or failed); never waits (one read of its worker's pipe). A task
        that no worker has yet is not done: every worker has older tasks to answer first."""
        if not self.finished and self._pool is not None and self._worker is not None and not self._worker.dead:
            self._pool._receive(self._worker)
        return self.finished

    def wait(self) -> None:
        """Until answered or failed; raises nothing."""
        if self._pool is not None:
            self._pool.pump(self)

    def result(self) -> object:
        """The worker's answer; its exception, or ``WorkerDied``, is raised here."""
        self.wait()
        if self._error is not None:
            raise self._error
        return self._value

    @classmethod
    def ended(cls, value: object = None, error: BaseException | None = None) -> Task:
        """A task that has already ended, with no worker: its answer, or its error."""
        task = cls(None, None, 0)
        task._end(value, error)
        return task

    def _end(self, value: object = None, error: BaseException | None = None) -> None:
        self.finished, self._value, self._error = True, value, error


class _Worker:
    __slots__ = ("dead", "incoming", "load", "outgoing", "pid", "results", "tasks", "waiting")

    def __init__(self, pid: int, tasks: int, results: int) -> None:
        self.pid = pid
        self.tasks = tasks  # write end, non-blocking
        self.results = results  # read end, non-blocking
        self.outgoing = bytearray()  # what the task pipe has not taken yet
        self.incoming = bytearray()  # what came back, up to the last whole answer
        self.waiting: deque[Task] = deque()  # sent, not answered, oldest first
        self.load = 0
        self.dead = False


class Pool:
    """``jobs`` processes forked now, each running ``serve(task)`` for the tasks it is given.
    Fork it from a process that runs no other thread; ``shutdown`` it when done."""

    def __init__(self, jobs: int, serve: Callable[[object], object], setup: Callable[[], None],
                 depth: int = DEPTH) -> None:
        self._workers: list[_Worker] = []
        self._depth = depth
        self._held: deque[tuple[Task, bytes]] = deque()  # submitted, given to no worker yet
        try:
            for _ in range(jobs):
                self._workers.append(self._fork(serve, setup))
        except BaseException:
            self.shutdown(kill=True)
            raise

    def _fork(self, serve: Callable[[object], object], setup: Callable[[], None]) -> _Worker:
        task_read, task_write = os.pipe()
        result_read, result_write = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # (the process limit): no worker, no pipes left open
            for fd in (task_read, task_write, result_read, result_write):
                os.close(fd)
            raise
        if pid == 0:  # the worker: it never returns into the caller's code
            code = 1
            try:
                os.close(task_write)
                os.close(result_read)
                for other in self._workers:  # else their pipes would never see the end of file
                    os.close(other.tasks)
                    os.close(other.results)
                setup()
                _serve(task_read, result_write, serve)
                code = 0
            finally:
                os._exit(code)
        os.close(task_read)
        os.close(result_write)
        os.set_blocking(task_write, False)
        os.set_blocking(result_read, False)
        return _Worker(pid, task_write, result_read)

    def submit(self, task: object, size: int) -> Task:
        """Queue ``task`` (picklable) for the first worker with room (the least loaded if several);
        ``size`` is its weight."""
        if not any(not w.dead for w in self._workers):
            return Task.ended(error=WorkerDied())
        message = pickle.dumps(task, pickle.HIGHEST_PROTOCOL)
        sent = Task(self, None, size)
        self._held.append((sent, _HEADER.pack(len(message)) + message))
        self._deal()
        self.pump()  # writes what the task pipes take now, reads what has come back
        return sent

    def _deal(self) -> None:
        """Give waiting tasks, oldest first, to workers with fewer than ``depth`` tasks."""
        while self._held:
            live = [w for w in self._workers if not w.dead]
            if not live:
                while self._held:
                    self._held.popleft()[0]._end(error=WorkerDied())
                return
            room = [w for w in live if len(w.waiting) < self._depth]
            if not room:
                return
            worker = min(room, key=lambda w: w.load)
            task, message = self._held.popleft()
            task._worker = worker
            worker.outgoing += message
            worker.waiting.append(task)
            worker.load += task.size

    def pump(self, until: Task | None = None) -> None:
        """Move bytes both ways: what is ready now, or, given ``until``, until that task ends."""
        if until is None:
            for worker in self._workers:
                if not worker.dead:
                    self._send(worker)
                    self._receive(worker)
            for worker in self._workers:  # tasks dealt on the answers just read
                if worker.outgoing and not worker.dead:
                    self._send(worker)
            return
        while not until.finished:
            poller = select.poll()
            owners: dict[int, _Worker] = {}
            for worker in self._workers:
                if worker.dead:
                    continue
                poller.register(worker.results, select.POLLIN)
                owners[worker.results] = worker
                if worker.outgoing:
                    poller.register(worker.tasks, select.POLLOUT)
                    owners[worker.tasks] = worker
            if not owners:  # (a task of a dead worker has ended: this is not reached)
                return
            for fd, _ in poller.poll():
                worker = owners[fd]
                if worker.dead:
                    continue
                if fd == worker.results:
                    self._receive(worker)
                else:
                    self._send(worker)

    def _send(self, worker: _Worker) -> None:
        while worker.outgoing and not worker.dead:
            try:
                written = os.write(worker.tasks, worker.outgoing)
            except BlockingIOError:
                return
            except OSError:  # the worker is gone (EPIPE)
                self._bury(worker)
                return
            del worker.outgoing[:written]

    def _receive(self, worker: _Worker) -> None:
        """Read what the worker has answered so far (without waiting) and end those tasks."""
        while True:
            try:
                chunk = os.read(worker.results, _READ)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                self._answers(worker)
                self._bury(worker)
                return
            worker.incoming += chunk
            if len(chunk) < _READ:
                break
        self._answers(worker)

    def _answers(self, worker: _Worker) -> None:
        incoming = worker.incoming
        at = 0
        while len(incoming) - at >= _HEADER.size:
            (length,) = _HEADER.unpack_from(incoming, at)
            end = at + _HEADER.size + length
            if len(incoming) < end:
                break
            ok, value = pickle.loads(incoming[at + _HEADER.size : end])
            task = worker.waiting.popleft()
            worker.load -= task.size
            task._end(value if ok else None, None if ok else value)
            at = end
        del incoming[:at]
        if at:
            self._deal()

    def _bury(self, worker: _Worker) -> None:
        worker.dead = True
        while worker.waiting:
            worker.waiting.popleft()._end(error=WorkerDied())
        self._deal()  # to the others, or failed if there are none

    def shutdown(self, *, kill: bool) -> None:
        """Stop every worker and reap it. Without ``kill`` each first answers what it was given
        (answers nobody reads are drained, so none blocks on a full pipe). Tasks no worker was
        given end with ``WorkerDied``."""
        while self._held:
            self._held.popleft()[0]._end(error=WorkerDied())
        for worker in self._workers:
            if kill and not worker.dead:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signal.SIGTERM)
            os.close(worker.tasks)  # end of file: a worker that is waiting for a task exits
        for worker in self._workers:
            os.set_blocking(worker.results, True)
            with contextlib.suppress(OSError):
                while os.read(worker.results, _READ):
                    pass
            os.close(worker.results)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(worker.pid, 0)
            worker.dead = True
        self._workers = []


def _serve(tasks: int, results: int, serve: Callable[[object], object]) -> None:
    """A worker's loop: a task in, its answer out, until the parent closes the task pipe."""
    while True:
        head = _read_exactly(tasks, _HEADER.size)
        if head is None:
            return
        (length,) = _HEADER.unpack(head)
        body = _read_exactly(tasks, length)
        if body is None:
            return
        try:
            answer: tuple[bool, object] = (True, serve(pickle.loads(body)))
        except Exception as error:  # the parent raises it in Task.result
            answer = (False, error)
        try:
            message = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # an answer or an exception that cannot be pickled: say what
            ok, value = answer
            what = f"{type(value).__name__}: {value}" if not ok else f"an answer that cannot be pickled ({error})"
            message = pickle.dumps((False, RuntimeError(f"in a worker: {what}")), pickle.HIGHEST_PROTOCOL)
        message = _HEADER.pack(len(message)) + message
        view = memoryview(message)
        while view:
            view = view[os.write(results, view):]


def _read_exactly(fd: int, size: int) -> bytes | None:
    """``size`` bytes, or None at the end of file (the parent is done, or gone)."""
    parts: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, _READ))
        if not chunk:
            return None
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)
