"""A flow run in the foreground, supervised from the main thread (`redline run`, `discover`).

The flow runs in a worker thread; the main thread keeps the signals and watches the
orchestration server:
- SIGTERM or SIGINT asks the run to stop (redline.core.stop): checks already running finish
  and commit, no new one starts, the pending batch is written; Prefect's own handler (which
  raised inside the flow and let its worker threads go on committing) is never installed,
  because signal handlers belong to the main thread.
- A local Prefect server that stops answering (killed, crashed) does the same, instead of
  minutes of client retries and tracebacks.
Either way `Stopped` is raised after at most `grace` seconds, saying why."""
from __future__ import annotations

import contextvars
import signal
import threading
import time
from typing import Any, Callable

from redline.core.stop import Stopped, request_stop, stop_reason
from redline.orchestration.api import healthy

SIGNALS = (signal.SIGTERM, signal.SIGINT)


def stop_on_signal(number: int, frame: object) -> None:
    request_stop(signal.Signals(number).name)


def defer_signals() -> None:
    """From now on SIGTERM and SIGINT only ask the run to stop (at its next safe point), even
    while Prefect imports or its server starts (`redline run`, `discover`: call it first)."""
    if threading.current_thread() is threading.main_thread():
        for sig in SIGNALS:
            signal.signal(sig, stop_on_signal)


def run_supervised(call: Callable[[], Any], *, api_url: str | None = None, grace: float = 10.0,
                   poll: float = 0.25, health_every: float = 2.0) -> Any:
    """call() in a worker thread; its result, or Stopped (see the module docstring). A stop asked
    for before (a signal while Prefect was importing or starting) stops it before it begins."""
    if stop_reason() is not None:
        raise Stopped(stop_reason() or "", finished=True)
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:  # handed to the main thread as it is
            box["error"] = exc

    context = contextvars.copy_context()   # Prefect's settings (its API URL) live in context variables
    worker = threading.Thread(target=context.run, args=(work,), name="redline-flow", daemon=True)
    in_main = threading.current_thread() is threading.main_thread()
    previous = {}
    if in_main:
        for sig in SIGNALS:
            previous[sig] = signal.signal(sig, stop_on_signal)
    try:
        worker.start()
        next_health, misses = time.monotonic() + health_every, 0
        while worker.is_alive():
            worker.join(poll)
            if stop_reason() is not None:
                break
            if api_url and time.monotonic() >= next_health:
                next_health = time.monotonic() + health_every
                misses = 0 if healthy(api_url, timeout=1.5) else misses + 1
                if misses >= 2:
                    request_stop("server")
                    break
        why = stop_reason()
        if why is not None:
            worker.join(grace)
            raise Stopped(why, finished=not worker.is_alive() and "error" not in box, result=box.get("result"))
        if "error" in box:
            raise box["error"]
        return box["result"]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
