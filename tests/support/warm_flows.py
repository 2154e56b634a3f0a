"""A flow for the warm-run tests: says when it began, then sleeps, raises or kills itself."""
from __future__ import annotations

import os
import signal
import time

from prefect import flow, get_run_logger


@flow(name="sleepy", persist_result=False)
def sleepy(seconds: float = 0.0, then: str = "return", marker: str | None = None) -> str:
    if marker:
        with open(marker, "a", encoding="utf-8") as out:
            out.write(f"{time.time()}\n")
    get_run_logger().info("sleepy began in process %d", os.getpid())
    time.sleep(seconds)
    if then == "raise":
        raise RuntimeError("sleepy was told to raise")
    if then == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    return "done"
