"""The redline exception tree.

    RedlineError                 every expected failure; the CLI prints str(err) on one line
    ├── ConfigError              a bad sources file or setting (names file, entry, key)
    │   ├── RegistryError        one or more problems in a sources file (.problems)
    │   └── MaskError            a source's mask took too long on a page and is refused
    ├── ArchiveError             the archive cannot be read or written
    │   ├── NotFoundError        no such source / version in the archive
    │   └── IndexConnectionLost  a PostgreSQL index's connection dropped inside a transaction
    ├── FetchError               a page could not be fetched (carried in FetchResult.error)
    ├── PageTooLarge             a page over the normalizer's element or depth cap
    ├── DeliveryError            a notification sink failed (recorded, retried next run)
    └── PrefectUnavailable       no Prefect API could be reached or started
"""
from __future__ import annotations


class RedlineError(Exception):
    """Base of every expected failure. Its message is one clear line."""


class ConfigError(RedlineError):
    pass


class RegistryError(ConfigError):
    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class MaskError(ConfigError):
    """A mask regex ran past its time limit (catastrophic backtracking: ``(a+)+$``)."""

    def __init__(self, pattern: str, seconds: float):
        self.pattern, self.seconds = pattern, seconds
        super().__init__(self.line())

    def line(self, source: str | None = None) -> str:
        """One line naming the mask (and the source, when given) and what to do."""
        of = f" of source {source!r}" if source else ""
        return (f"mask {self.pattern!r}{of} refused: it ran for over {self.seconds:g} s on this page (nested "
                f"repeats like (a+)+ can run for ever); simplify it in the sources file")


class ArchiveError(RedlineError):
    pass


class NotFoundError(ArchiveError):
    pass


class IndexConnectionLost(ArchiveError):
    """The connection to a PostgreSQL index dropped inside a transaction (the server rolled it
    back: nothing of it was written) or took a lock with it; the next operation reconnects,
    so the work can be tried again as a whole."""


class FetchError(RedlineError):
    pass


class PageTooLarge(RedlineError):
    pass


class DeliveryError(RedlineError):
    pass


class PrefectUnavailable(RedlineError):
    pass
