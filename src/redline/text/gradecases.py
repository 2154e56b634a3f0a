"""Labelled grading cases, checked: the table `redline grade --cases FILE` runs (and the form of
tests/data/significance_cases.toml). Pure: data in, results out.

A case is a mapping: `id`, `before`, `after` (normalized texts, title first), optional `language`
("en" / "zh"; default "en"), `expect` (reason kinds that must appear), `forbid` (kinds that must
not), `grade` (the expected grade, optional), `masks` (mask regexes), `exact = true` (the kinds
must be exactly `expect`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from redline.text.formulations import Watch
from redline.text.significance import GRADES, KINDS, Significance, grade_change

__all__ = ["CaseResult", "check_case", "parse_cases"]

_KEYS = {"id", "language", "before", "after", "expect", "forbid", "grade", "masks", "exact"}


@dataclass(frozen=True)
class CaseResult:
    id: str
    significance: Significance
    expected_grade: str | None
    missing: tuple[str, ...]       # expected kinds not reported
    forbidden: tuple[str, ...]     # forbidden kinds reported
    extra: tuple[str, ...]         # kinds reported beyond `expect`, for an `exact` case

    @property
    def passed(self) -> bool:
        grade_ok = self.expected_grade is None or self.expected_grade == self.significance.grade
        return grade_ok and not (self.missing or self.forbidden or self.extra)

    def problems(self) -> str:
        """"grade medium, expected high; missing negation" ("" when it passed)."""
        out = []
        if self.expected_grade is not None and self.expected_grade != self.significance.grade:
            out.append(f"grade {self.significance.grade}, expected {self.expected_grade}")
        for label, kinds in (("missing", self.missing), ("must not report", self.forbidden),
                             ("not expected", self.extra)):
            if kinds:
                out.append(f"{label} {', '.join(kinds)}")
        return "; ".join(out)

    def record(self) -> dict[str, object]:
        return {"id": self.id, "passed": self.passed, "expected_grade": self.expected_grade,
                "missing": list(self.missing), "forbidden": list(self.forbidden), "extra": list(self.extra),
                **self.significance.to_json()}


def _kinds(case: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
    value = case.get(key, [])
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"{where}: {key} must be a list of reason kinds")
    unknown = [k for k in value if k not in KINDS]
    if unknown:
        raise ValueError(f"{where}: unknown reason kind {unknown[0]!r} in {key} (known: {', '.join(KINDS)})")
    return tuple(value)


def parse_cases(data: Mapping[str, object], *, where: str) -> list[dict[str, object]]:
    """The `[[case]]` tables of a cases file, checked; ValueError naming the file and the case."""
    cases = data.get("case")
    if not isinstance(cases, list) or not cases:
        raise ValueError(f"{where}: no [[case]] tables (each: id, before, after, and expect, forbid or grade)")
    out = []
    for n, case in enumerate(cases, 1):
        name = f"{where}: case {n}" + (f" ({case['id']!r})" if isinstance(case, dict) and "id" in case else "")
        if not isinstance(case, dict):
            raise ValueError(f"{name} is not a table")
        unknown = sorted(set(case) - _KEYS)
        if unknown:
            raise ValueError(f"{name}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
        for key in ("before", "after"):
            if not isinstance(case.get(key), str):
                raise ValueError(f"{name}: {key} must be a string (the normalized text, title first)")
        if case.get("grade") is not None and case["grade"] not in GRADES:
            raise ValueError(f"{name}: grade must be one of {', '.join(GRADES)}, not {case['grade']!r}")
        _kinds(case, "expect", name), _kinds(case, "forbid", name)
        out.append({"id": str(case.get("id", n)), "language": str(case.get("language", "en")), **{
            k: v for k, v in case.items() if k not in ("id", "language")}})
    return out


def check_case(case: Mapping[str, object], *, table: Mapping[str, str] | None = None,
               watch: Sequence[Watch] = ()) -> CaseResult:
    """Grade one case (parse_cases) and compare it with what it expects."""
    sig = grade_change(str(case["before"]), str(case["after"]), language=str(case.get("language", "en")),
                       masks=tuple(case.get("masks", ()) or ()), table=table, watch=watch)  # type: ignore[arg-type]
    kinds = set(sig.kinds)
    expect = tuple(case.get("expect", ()) or ())                                           # type: ignore[arg-type]
    forbid = tuple(case.get("forbid", ()) or ())                                           # type: ignore[arg-type]
    extra = tuple(sorted(kinds - set(expect))) if case.get("exact") else ()
    return CaseResult(id=str(case["id"]), significance=sig, expected_grade=case.get("grade"),  # type: ignore[arg-type]
                      missing=tuple(k for k in expect if k not in kinds),
                      forbidden=tuple(k for k in forbid if k in kinds), extra=extra)
