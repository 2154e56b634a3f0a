"""Store: the archive on disk (SQLite index, WARC files, text blobs), its locks, read model, verify and export."""
