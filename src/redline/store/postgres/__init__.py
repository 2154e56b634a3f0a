"""The archive index on PostgreSQL (REDLINE_STORE=postgresql://user@host:port/db): the record
modules of redline.store.sqlite run on it through a thin dialect layer (dialect), on a schema
that mirrors the SQLite index at its latest version (schema); write transactions take turns on
an advisory lock, and the per-source and per-delivery locks are advisory locks (locks), so that
several machines can share one archive index. The blobs stay in the archive folder."""
from __future__ import annotations

from redline.store.postgres.connection import PgIndex, connect, index_exists, lock_key, redact

__all__ = ["PgIndex", "connect", "index_exists", "lock_key", "redact"]
