"""The `redline` command: one thin module per command group; business logic lives in the layers
below. Each module here defines `register(sub)`, adding its subparsers with
`set_defaults(func=...)`; cli.main registers every module listed.

Commands import the layers they use inside their own function, not at the top: measured
here (median of 5 interpreter starts), `import redline.cli.main` takes 0.12 s, the store,
ingest, text and web modules up front 0.89 s, and Prefect 2.3 s; at the top, every command,
`redline --help` included, would pay for all of them."""
from __future__ import annotations

COMMAND_MODULES = (
    "redline.cli.run",
    "redline.cli.demo",
    "redline.cli.archive",
    "redline.cli.ops",
    "redline.cli.discover",
    "redline.cli.sources",
    "redline.cli.verify",
    "redline.cli.store",
    "redline.cli.search",
    "redline.cli.phrases",
    "redline.cli.grade",
)
