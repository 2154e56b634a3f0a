"""Check processes: a host's batch of checks shared with processes forked before the run's threads.

Why processes: two threads checking one host hand Python's lock to each other at every
system call (a socket, an index commit, a lock file); on a site that answers at once one
thread checks faster than two, and two processes check 2.1-2.3x faster than two threads
(1,000 unchanged pages on loopback: 0.49 s against 1.06 s with 304s, 0.63 s against
1.42 s with identical 200s; BENCHMARKS.md). A check's CPU work then runs on two cores.

Why forked early: Prefect's engine starts threads, and a process with threads must not be
forked (a lock held by another thread stays held in the child). A served run
(redline.orchestration.warm) starts as a single-threaded fork of serve's forkserver, so it
forks its check processes first, then runs the flow; a host's check (redline.monitor.cycle)
hands shares of its batch to the idle ones. Each process opens the archive and makes its
own fetcher from the run's settings; every check commits on its own and takes the source's
lock file, as checks of several runs or machines do.

A process that dies takes only its share's outcomes: the host's task fails and its retry
(resume) reads back what was recorded and checks the rest in the run's own process. The
processes die with the run: they ask the kernel for it (PR_SET_PDEATHSIG), and serve kills
the run's whole process group.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from redline.core.errors import RedlineError

ENV = "REDLINE_CHECK_PROCESSES"


class WorkerLost(RedlineError):
    """A check process ended before it answered (killed, out of memory)."""


def configured_count(env: Mapping[str, str]) -> int:
    """How many check processes a served run forks: REDLINE_CHECK_PROCESSES, by default one
    fewer than the cores (the run's own process checks a share too); 0 turns them off."""
    value = env.get(ENV, "").strip()
    if not value:
        return max(0, (os.cpu_count() or 1) - 1)
    try:
        count = int(value)
    except ValueError:
        raise RedlineError(f"{ENV}={value!r} is not a number of processes: set a whole number (0 turns "
                           f"the check processes off)") from None
    if count < 0:
        raise RedlineError(f"{ENV}={value!r} is negative: set 0 to turn the check processes off")
    return count


class Worker:
    """One check process and its end of the pipe."""

    def __init__(self, process: Any, conn: Any) -> None:
        self.process = process
        self.conn = conn

    def start(self, fn: Callable[..., Any], args: tuple) -> None:
        self.conn.send((fn, args))

    def wait(self) -> tuple[bool, Any]:
        """(True, what the process answered) or (False, the exception it raised; WorkerLost if it died)."""
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            return False, WorkerLost(f"check process {self.process.pid} ended before it answered "
                                     f"(exit code {self.process.exitcode})")


def unwrap(answer: tuple[bool, Any]) -> Any:
    ok, value = answer
    if not ok:
        raise value
    return value


class CheckWorkers:
    """`count` check processes forked now (call it while this process has no other thread)."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("fork")
        self._lock = threading.Lock()
        self._idle: list[Worker] = []
        self._all: list[Worker] = []
        parent = os.getpid()
        for _ in range(count):
            ours, theirs = context.Pipe()
            others = [w.conn for w in self._all]
            process = context.Process(target=_serve, args=(theirs, ours, others, parent), daemon=True,
                                      name="redline-check")
            process.start()
            theirs.close()
            worker = Worker(process, ours)
            self._all.append(worker)
            self._idle.append(worker)

    def __len__(self) -> int:
        return len(self._idle)

    def pids(self) -> list[int]:
        return [w.process.pid for w in self._all]

    def acquire(self, most: int) -> list[Worker]:
        """Up to `most` idle processes, without waiting (none: the caller checks alone)."""
        with self._lock:
            taken, self._idle = self._idle[:max(0, most)], self._idle[max(0, most):]
        return taken

    def release(self, workers: Sequence[Worker]) -> None:
        with self._lock:
            self._idle.extend(w for w in workers if w.process.is_alive())

    def close(self) -> None:
        """Ask every process to end, and wait for them (briefly: they are idle by now)."""
        with self._lock:
            self._idle = []
        for worker in self._all:
            try:
                worker.conn.send(None)
            except OSError:
                pass
            worker.conn.close()
        for worker in self._all:
            worker.process.join(5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()


def _serve(conn: Any, ours: Any, others: Sequence[Any], parent: int) -> None:
    """A check process: run each (fn, args) it is sent and answer (True, value) or (False, exc)."""
    ours.close()   # the run's ends of the pipes: EOF must reach the run when this process dies, and here
    for other in others:   # when the run does
        other.close()
    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # as the run's own process: serve stops the run
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        fn, args = job
        try:
            answer = (True, fn(*args))
        except BaseException as exc:   # answered, raised again in the run's process
            answer = (False, exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
        conn.send(answer)


def _die_with(parent: int) -> None:
    """SIGKILL this process when its parent dies (Linux; elsewhere the pipe's EOF ends it when idle)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:   # the parent died before the request took hold
        os._exit(1)


_installed: CheckWorkers | None = None


def install(workers: CheckWorkers | None) -> None:
    """Make `workers` the check processes of this process's run (None: none)."""
    global _installed
    _installed = workers


def installed() -> CheckWorkers | None:
    return _installed
