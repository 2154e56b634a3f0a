"""Addresses, moves, discovered sources and listing items (discovery's part of the index)."""
from __future__ import annotations

import json
import sqlite3
from typing import Callable, Sequence

from redline.core.urls import doc_key, url_key
from redline.core.textutil import title_key
from redline.core.errors import NotFoundError
from redline.core.model import Source
from redline.store.types import (ItemClaim, ItemMatch, NewAlert)
from redline.store.sqlite.rows import _insert_alert, iso, utcnow
from redline.store.sqlite.schema import _remember_url


class ListingRecords:
    """Archive's part for discovery (mixed into Archive: uses its _tx/_query)."""

    # -- addresses, moves, discovered sources, listing items ----------------

    def url_history(self, name: str) -> list[sqlite3.Row]:
        """Every address a source has had, oldest first (until is NULL for the current one)."""
        return self._query("SELECT * FROM source_urls WHERE source=? ORDER BY since, until IS NULL, rowid", (name,))

    def move_source(self, name: str, new_url: str, *, registry_url: str | None = None) -> sqlite3.Row:
        """Give a source a new address, keeping its history (versions, captures, alerts, old URL).

        `registry_url`: the address the sources file gives it (a registry source), so that
        syncing the registry keeps the move; None for a discovered source. Returns the row
        as it was before the move."""
        now = iso(utcnow())
        with self._tx() as db:
            row = db.execute("SELECT * FROM sources WHERE name=?", (name,)).fetchone()
            if row is None:
                raise NotFoundError(f"no source named {name!r} in the archive at {self.root}")
            db.execute("UPDATE source_urls SET until=? WHERE source=? AND until IS NULL", (now, name))
            db.execute("""UPDATE sources SET url=?, registry_url=COALESCE(registry_url, ?), etag=NULL,
                          last_modified=NULL WHERE name=?""", (new_url, registry_url, name))
            _remember_url(db, name, new_url, "moved", now, current=True)
        return row

    def add_alert(self, source: str, alert: NewAlert, *, sinks: Sequence[str] = (),
                  from_version: int | None = None) -> int:
        """Record an alert that no check made (a new statement, a suggested move) and its deliveries."""
        with self._tx() as db:
            return _insert_alert(db, source, alert, sinks, iso(utcnow()), from_version=from_version)

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Enable or disable a source in the archive (discovered sources live only here)."""
        with self._tx() as db:
            if db.execute("UPDATE sources SET enabled=? WHERE name=?", (int(enabled), name)).rowcount == 0:
                raise NotFoundError(f"no source named {name!r} in the archive at {self.root}")

    def discovered_sources(self) -> list[Source]:
        """Sources that `redline discover` added (enabled or not), oldest first."""
        rows = self._query("SELECT * FROM sources WHERE origin='discovered' ORDER BY added_at, name")
        return [Source(name=r["name"], url=r["url"], title=r["title"], date=r["date"], language=r["language"],
                       profile=r["profile"], tags=tuple(json.loads(r["tags"])), kind=r["kind"],
                       enabled=bool(r["enabled"]), origin="discovered") for r in rows]

    def listing_items(self, listing: str | None = None, *, outcomes: Sequence[str] | None = None) -> list[sqlite3.Row]:
        where, params = [], []
        if listing is not None:
            where.append("listing=?")
            params.append(listing)
        if outcomes is not None:
            where.append(f"outcome IN ({','.join('?' * len(outcomes))})")
            params += list(outcomes)
        sql = "SELECT * FROM listing_items" + (" WHERE " + " AND ".join(where) if where else "")
        return self._query(sql + " ORDER BY first_seen, rowid", params)

    def claim_listing_item(self, *, listing: str, url: str, title: str, date: str, score: float,
                           terms: Sequence[str], reason: str,
                           decide: Callable[["ItemMatch"], "ItemClaim"], capture_id: int | None = None) -> "ItemClaim":
        """Remember an item found on a listing, once per address, in one transaction.

        An item seen before (same url_key) comes back as outcome "seen", unless it was claimed
        "pending" (discovery reads its page before deciding): such an item is decided again, and
        its row updated. Otherwise `decide` gets what the archive knows of the item's address,
        document id and title, and its claim is recorded: the item, and the new source when the
        claim makes one. Deciding inside the transaction keeps two listings (or two runs) from
        adding one statement twice."""
        key, dkey, tkey = url_key(url), doc_key(url), title_key(title)
        now = iso(utcnow())
        with self._tx() as db:
            seen = db.execute("SELECT * FROM listing_items WHERE url_key=?", (key,)).fetchone()
            if seen is not None and seen["outcome"] != "pending":
                db.execute("UPDATE listing_items SET last_seen=? WHERE url_key=?", (now, key))
                return ItemClaim("seen", seen["source"])
            by_url = db.execute("SELECT source FROM source_urls WHERE url_key=? ORDER BY until IS NOT NULL, since DESC"
                                " LIMIT 1", (key,)).fetchone()
            by_doc = db.execute("SELECT source FROM source_urls WHERE doc_key=? ORDER BY until IS NOT NULL, since DESC"
                                " LIMIT 1", (dkey,)).fetchone() if dkey else None
            doc_seen = db.execute("SELECT * FROM listing_items WHERE doc_key=? AND url_key<>? ORDER BY rowid LIMIT 1",
                                  (dkey, key)).fetchone() if dkey else None
            removed = {r["name"]: r["title"] for r in
                       db.execute("SELECT name, title FROM sources WHERE state='removed' ORDER BY name")}
            names = frozenset(r["name"] for r in db.execute("SELECT name FROM sources"))
            claim = decide(ItemMatch(
                by_url=by_url["source"] if by_url else None, by_doc=by_doc["source"] if by_doc else None,
                doc_seen_source=doc_seen["source"] if doc_seen else None, doc_seen=doc_seen is not None,
                removed=frozenset(removed),
                removed_by_title=next((n for n, t in removed.items() if tkey and title_key(t) == tkey), None),
                names=names))
            s = claim.new_source
            if s is not None:
                db.execute(
                    """INSERT INTO sources (name, url, title, date, language, profile, tags, kind, origin, enabled,
                       added_at, listing, score, terms, score_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                    (s.name, s.url, s.title, s.date, s.language, s.profile, json.dumps(list(s.tags)), s.kind,
                     "discovered", int(s.enabled), now, listing, score, json.dumps(list(terms), ensure_ascii=False),
                     reason))
                _remember_url(db, s.name, s.url, "discovered", now)
            terms_json = json.dumps(list(terms), ensure_ascii=False)
            if seen is not None:  # a pending item, decided again
                db.execute("""UPDATE listing_items SET last_seen=?, score=?, terms=?, reason=?, outcome=?, source=?,
                              note=? WHERE url_key=?""",
                           (now, score, terms_json, reason, claim.outcome, claim.source, claim.note, key))
                return claim
            db.execute(
                """INSERT INTO listing_items (url_key, url, doc_key, title, date, listing, first_seen, last_seen,
                   score, terms, reason, outcome, source, note, capture_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (key, url, dkey, title, date, listing, now, now, score, terms_json,
                 reason, claim.outcome, claim.source, claim.note, capture_id))
        return claim

    def touch_listing_items(self, urls: Sequence[str]) -> set[str]:
        """The url_keys of these addresses that were met before, noting (in one transaction)
        that they are still listed."""
        keys = list(dict.fromkeys(url_key(u) for u in urls))
        now, seen = iso(utcnow()), set()
        with self._tx() as db:
            for key in keys:
                if db.execute("UPDATE listing_items SET last_seen=? WHERE url_key=?", (now, key)).rowcount:
                    seen.add(key)
        return seen

    def set_item_alert(self, url: str, alert_id: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE listing_items SET alert_id=? WHERE url_key=?", (alert_id, url_key(url)))
