"""`redline`: thin commands over the library. Expected failures print one line and exit non-zero."""
from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from typing import Sequence

from redline.cli import COMMAND_MODULES
from redline.cli.common import err_console
from redline.core.errors import RedlineError, RegistryError
from redline.core.process import mark_command_process, settle


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="redline", description="Watch official statements; alert on wording changes.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Without `argv`, this is the `redline` command itself: its objects
    are kept out of the garbage collector's way (redline.core.process) after its big imports
    and before it exits."""
    if argv is None:
        mark_command_process()
    code = _run(argv)
    settle()
    return code


class Terminated(BaseException):
    """SIGTERM outside a supervised run (redline.orchestration.supervise handles it inside one)."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def _run(argv: Sequence[str] | None) -> int:
    if argv is None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)   # the command itself: a SIGTERM ends it in one line
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):   # a bare `redline`: what it can do
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RegistryError as exc:
        for problem in exc.problems:
            err_console.print(f"error: {problem}", style="red", highlight=False, markup=False, soft_wrap=True)
        return 2
    except RedlineError as exc:
        err_console.print(f"error: {exc}", style="red", highlight=False, markup=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        err_console.print("interrupted", style="red")
        return 130
    except Terminated:
        err_console.print("stopped by SIGTERM", style="red")
        return 143


if __name__ == "__main__":
    sys.exit(main())
