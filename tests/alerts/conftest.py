"""Every test here runs on both index backends (SQLite, PostgreSQL), unless marked sqlite_only."""
from support.backends import every_backend  # noqa: F401  (autouse)
