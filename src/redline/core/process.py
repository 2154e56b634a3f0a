"""What the `redline` command's own interpreter may do that a caller of cli.main may not.

The objects a command makes at import time (Prefect's and redline's modules, classes,
settings: several hundred thousand) live until the process ends. Each collection of
the garbage collector's oldest generation walks them all; in a `redline run` that
added up to ~0.2 s while it worked and ~0.25 s more at the exit (measured: an
unchanged cycle of 1,000 sources, A/B in one run). gc.freeze() moves them out of
reach. Only the command's own process does it (cli.main without argv): a test or
program that calls cli.main keeps its garbage collector as it was.
"""
from __future__ import annotations

import gc

_COMMAND_PROCESS = False


def is_command_process() -> bool:
    return _COMMAND_PROCESS


def mark_command_process() -> None:
    """Called by cli.main when it runs as the `redline` command itself."""
    global _COMMAND_PROCESS
    _COMMAND_PROCESS = True


def settle() -> None:
    """After a command's big imports, and before the exit: in the command's own process,
    freeze every object made so far out of the garbage collector's reach; elsewhere nothing."""
    if _COMMAND_PROCESS:
        gc.freeze()
