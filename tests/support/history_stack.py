"""An archive with a source watched daily for four months (issue 16, part 4): a capture a day
(two on version days), four revisions graded low, high and medium plus one trivial, and a
second source with only a baseline. Built through Archive.record_check, as the monitor
writes, with each change alert's significance graded by grade_change on the two texts."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from redline.core.model import FetchResult, Source
from redline.store.sqlite import Archive, NewAlert, NewChange, NewVersion
from redline.text.significance import grade_change

PROJECT = Path(__file__).resolve().parents[2]
NAME = "daily-statement"
QUIET = "quiet-statement"
START = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)
DAYS = 121                                    # 2024-01-01 .. 2024-04-30
# day -> (old, new, expected grade); None: a trivial change (no alert)
REVISIONS = {20: ("cyberspace", "cyberspce", "low"), 45: ("should play", "must play", "high"),
             80: ("we exchanged", "the parties exchanged", "medium"), 100: ("Dialogue,", "Dialogue ,", None)}


@dataclass
class HistoryStack:
    archive: Archive
    texts: list[str]                          # v1, v2, ... as stored
    version_days: list[date]                  # the day each version was first seen


def _result(url: str, when: datetime, status: int, body: bytes = b"") -> FetchResult:
    return FetchResult(url=url, final_url=url, status=status, fetched_at=when, body=body,
                       response_headers=(("Content-Type", "text/html"),), not_modified=status == 304)


@contextmanager
def history_stack(root: Path) -> Iterator[HistoryStack]:
    archive = Archive(root / "archive")
    base = (PROJECT / "seeds" / "000_f3c8cea24e4c5715.txt").read_text(encoding="utf-8").strip()
    source = Source(name=NAME, url="https://www.example.org/daily.html", title="A statement watched daily",
                    tags=("history",))
    quiet = Source(name=QUIET, url="https://www.example.org/quiet.html", title="A statement never revised",
                   tags=("history",))
    archive.sync_sources([source, quiet])
    texts, days = [base], [START.date()]
    try:
        for day in range(DAYS):
            when = START + timedelta(days=day)
            if day == 0 or day in REVISIONS:
                version = change = alert = None
                text = texts[-1]
                if day:
                    old, new, grade = REVISIONS[day]
                    assert old in text, old
                    text = text.replace(old, new, 1)
                    graded = grade_change(texts[-1], text)
                    assert graded.grade == (grade or graded.grade), (day, graded)
                    change = NewChange("substantive" if grade else "trivial", ("wording",), {"hunks": 1})
                    if grade:
                        alert = NewAlert(kind="change", title=source.title, url=source.url, summary="Wording changed",
                                         stats={"hunks": 1, "significance": graded.to_json()})
                    texts.append(text)
                    days.append(when.date())
                version = NewVersion(text=text, title=source.title, origin="capture", normalizer_version=1)
                archive.record_check(NAME, _result(source.url, when, 200, text.encode()), run_id=f"d{day}",
                                     versions=[(version, change)], alert=alert,
                                     sinks=("alert-log",) if alert else ())
            archive.record_check(NAME, _result(source.url, when + timedelta(hours=6), 304), run_id=f"d{day}b")
        archive.import_baseline(quiet, f"{quiet.title}\nThe parties met and agreed to talk again.",
                                normalizer_version=1)
        yield HistoryStack(archive, texts, days)
    finally:
        archive.close()
