"""The `redline` command: one thin module per command group; business logic lives in the layers
below. Each module here defines `register(sub)`, adding its subparsers with
`set_defaults(func=...)`; cli.main registers every module listed."""
from __future__ import annotations

COMMAND_MODULES = (
    "redline.cli.run",
    "redline.cli.demo",
    "redline.cli.archive",
    "redline.cli.ops",
    "redline.cli.discover",
    "redline.cli.sources",
    "redline.cli.verify",
)
