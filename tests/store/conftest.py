"""Every store test runs on both backends (SQLite, PostgreSQL), unless marked sqlite_only."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _every_backend(store_backend: str) -> str:
    return store_backend
