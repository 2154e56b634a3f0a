"""A stop asked for while a run works (SIGTERM, Ctrl-C, the orchestration server gone): checks
look at it before they start one more (redline.monitor.check), so a run ends at a check boundary
with every check it began committed. One flag per process; pure state, no I/O."""
from __future__ import annotations

import threading

from redline.core.errors import RedlineError

_STOP = threading.Event()
_why: list[str] = []


def request_stop(why: str) -> None:
    if not _STOP.is_set():
        _why.append(why)
        _STOP.set()


def stop_requested() -> bool:
    return _STOP.is_set()


def stop_reason() -> str | None:
    return _why[0] if _why else None


def reset_stop() -> None:
    """For a new run in the same process (tests, the demo)."""
    _STOP.clear()
    _why.clear()


EXIT_CODES = {"SIGTERM": 143, "SIGINT": 130}


class Stopped(RedlineError):
    """A run stopped before its end: `why` is "SIGTERM", "SIGINT" or "server"; `finished` tells
    whether the flow returned (its result is in `result`) or was left behind."""

    def __init__(self, why: str, *, finished: bool, result: object = None) -> None:
        super().__init__(why)
        self.why, self.finished, self.result = why, finished, result

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.why, 1)
