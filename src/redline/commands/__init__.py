"""The `redline` subcommands. Each module here defines `register(sub)`, adding its
subparsers with `set_defaults(func=...)`; cli.py registers every module listed."""
from __future__ import annotations

COMMAND_MODULES = (
    "redline.commands.run",
    "redline.commands.demo",
    "redline.commands.archive",
    "redline.commands.ops",
    "redline.commands.discover",
    "redline.commands.sources",
    "redline.commands.verify",
)
