"""Watched formulations across the record (`redline phrases`, the web view's /phrases): for each
phrase, every source whose versions held it, the first and last version that did, and the
version that dropped it. Read side only: the search index (every distinct line with the spans of
versions it stood in), the sources and versions, and one text per span (its words as written).

A phrase is an entry of the watch list (redline.text.formulations: its variants and regex
count), or any other phrase asked for (matched like a watch entry of its own). A source's span
of a phrase runs from the first version holding it to the last; `dropped` is the version after
that last one (None: it stands in the source's latest version). When it left and came back, each
stretch is one of its `runs`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

from redline.text.formulations import Watch, find, fold

__all__ = ["PhraseSpan", "PhraseReport", "choose", "phrase_report"]

CHUNK = 500   # line ids per query


@dataclass(frozen=True)
class PhraseSpan:
    source: str
    title: str
    first_seq: int
    first_seen: str
    last_seq: int
    last_seen: str
    dropped_seq: int | None      # the version without it after its last one (None: it stands)
    dropped_seen: str | None
    text: str                    # the words as the last version holding it writes them
    paragraph: int               # their line in that version
    runs: tuple[tuple[int, int], ...]   # (first, last) version of each stretch holding it

    @property
    def stands(self) -> bool:
        return self.dropped_seq is None

    def record(self) -> dict[str, Any]:
        return {**asdict(self), "runs": [list(r) for r in self.runs], "stands": self.stands}


@dataclass(frozen=True)
class PhraseReport:
    watch: Watch
    spans: tuple[PhraseSpan, ...]

    @property
    def phrase(self) -> str:
        return self.watch.phrase

    def record(self) -> dict[str, Any]:
        return {**self.watch.to_json(), "sources": len(self.spans), "spans": [s.record() for s in self.spans]}


def choose(watch_list: Sequence[Watch], phrase: str | None) -> list[Watch]:
    """The entries asked for: all of them; the one whose phrase or variant `phrase` is (any case and
    spacing); else an entry of its own for `phrase`."""
    if not phrase:
        return list(watch_list)
    key = " ".join(phrase.split()).casefold()
    for watch in watch_list:
        if key in {" ".join(p.split()).casefold() for p in (watch.phrase, *watch.variants)}:
            return [watch]
    return [Watch.make(phrase.strip())]


def _span(versions: list[Any], held: list[tuple[str, int] | None], source: str, title: str) -> PhraseSpan | None:
    """The span of one phrase over one source's versions (held[i]: (text, line) when version i holds it)."""
    runs: list[list[int]] = []
    for i, h in enumerate(held):
        if h is None:
            continue
        if runs and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    if not runs:
        return None
    first, last = runs[0][0], runs[-1][1]
    after = versions[last + 1] if last + 1 < len(versions) else None
    text, line = held[last]  # type: ignore[misc]
    return PhraseSpan(source=source, title=title, first_seq=versions[first].seq, first_seen=versions[first].first_seen,
                      last_seq=versions[last].seq, last_seen=versions[last].first_seen,
                      dropped_seq=after.seq if after else None, dropped_seen=after.first_seen if after else None,
                      text=text, paragraph=line,
                      runs=tuple((versions[a].seq, versions[b].seq) for a, b in runs))


def _held_seqs(archive: Any, chosen: Sequence[Watch], source: str | None) -> list[dict[str, set[int]]]:
    """Per entry: source -> the version numbers holding it, from the search index (every distinct
    line once, with the spans of versions it stood in): the entries are matched against each
    distinct line, not each version's text, so the cost follows what changed, not how often."""
    lines = {r["id"]: r["text"] for r in archive.query("SELECT id, text FROM text_lines")}
    matched: list[set[int]] = [set() for _ in chosen]
    for line_id, text in lines.items():
        folded = fold(text)
        for n, watch in enumerate(chosen):
            if find(watch, text, folded=folded):
                matched[n].add(line_id)
    held: list[dict[str, set[int]]] = [{} for _ in chosen]
    wanted = sorted(set().union(*matched)) if matched else []
    for i in range(0, len(wanted), CHUNK):
        chunk = wanted[i:i + CHUNK]
        sql = (f"SELECT line_id, source, from_seq, to_seq FROM line_spans WHERE line_id IN "
               f"({','.join('?' * len(chunk))})" + (" AND source = ?" if source else ""))
        for r in archive.query(sql, (*chunk, *([source] if source else []))):
            for n in range(len(chosen)):
                if r["line_id"] in matched[n]:
                    held[n].setdefault(r["source"], set()).update(range(r["from_seq"], r["to_seq"] + 1))
    return held


def phrase_report(archive: Any, watch_list: Sequence[Watch], *, phrase: str | None = None,
                  source: str | None = None) -> list[PhraseReport]:
    """Per phrase (choose), the span of every source whose versions held it, by when it first appeared."""
    chosen = choose(watch_list, phrase)
    held = _held_seqs(archive, chosen, source)
    spans: list[list[PhraseSpan]] = [[] for _ in chosen]
    for name in sorted({name for per_source in held for name in per_source}):
        versions = archive.versions(name)
        title = archive.source_row(name)["title"] or versions[-1].title or ""
        for n, watch in enumerate(chosen):
            seqs = held[n].get(name)
            if not seqs:
                continue
            last = max(i for i, v in enumerate(versions) if v.seq in seqs)
            places = find(watch, archive.get_text(versions[last].text_sha256))   # its words and line, as written
            where = (places[0].text, places[0].line) if places else ("", 0)
            span = _span(versions, [where if v.seq in seqs else None for v in versions], name, title)
            if span is not None:
                spans[n].append(span)
    return [PhraseReport(w, tuple(sorted(s, key=lambda x: (x.first_seen, x.source)))) for w, s in zip(chosen, spans)]
