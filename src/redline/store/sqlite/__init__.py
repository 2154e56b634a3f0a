"""The archive: the only module that writes storage.

Layout under the archive root:

    index.sqlite             sources, captures, versions, changes, alerts, deliveries
    warc/YYYY/MM/*.warc.gz   raw captures as received: one file per capture with something new
                             (request + response/revisit + metadata), one file per batch of
                             unchanged checks (a 304 response or a revisit record each)
    text/ab/<sha256>.txt.gz  normalized text, one file per distinct digest
    feeds/alerts.xml         Atom feed of alerts (and feeds/<source>.xml)
    alerts.jsonl             the alert log

WARC captures, texts and feeds are blobs (redline.store.blobs): these files in the folder by
default, or objects in an S3-compatible store under the same keys ($REDLINE_BLOBS).

Every file is written to a temporary name and renamed into place (a blob: linked, only
if none is there); every index
change of one check (or of one batch of unchanged checks) is one SQLite
transaction. A crash leaves the old state or the new one; at worst an orphan
file that no index row points to.
"""
from redline.store.sqlite.archive import Archive
from redline.store.sqlite.rows import BATCH_LABEL, is_batch_file, iso, sha256_text, utcnow
from redline.store.sqlite.schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION
from redline.store.types import (ItemClaim, ItemMatch, NewAlert, NewChange, NewVersion, PendingCheck, SourceState,
                                 Version)

__all__ = ["Archive", "BATCH_LABEL", "is_batch_file", "iso", "sha256_text", "utcnow", "MIGRATIONS", "SCHEMA",
           "SCHEMA_VERSION", "ItemClaim", "ItemMatch", "NewAlert", "NewChange", "NewVersion", "PendingCheck",
           "SourceState", "Version"]
