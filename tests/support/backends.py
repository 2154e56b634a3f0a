"""The autouse fixture that runs every test of a folder on both index backends (SQLite, PostgreSQL;
tests/conftest.py: store_backend): a folder's conftest.py imports it."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def every_backend(store_backend: str) -> str:
    """This test on each backend, unless it is marked sqlite_only."""
    return store_backend
