"""The redline exception tree.

    RedlineError                 every expected failure; the CLI prints str(err) on one line
    ├── ConfigError              a bad sources file or setting (names file, entry, key)
    │   └── RegistryError        one or more problems in a sources file (.problems)
    ├── ArchiveError             the archive cannot be read or written
    │   └── NotFoundError        no such source / version in the archive
    ├── FetchError               a page could not be fetched (carried in FetchResult.error)
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


class ArchiveError(RedlineError):
    pass


class NotFoundError(ArchiveError):
    pass


class FetchError(RedlineError):
    pass


class DeliveryError(RedlineError):
    pass


class PrefectUnavailable(RedlineError):
    pass
