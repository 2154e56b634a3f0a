"""Masks are operator regexes: they run with a time limit, and one that backtracks for ever is refused."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from redline.core.errors import MaskError
from redline.text.classify import classify
from redline.text.masks import compile_masks, mask_pair, mask_problem

OLD = "Statement text.\nVisits: 12"
STUCK = "a" * 32 + "b"   # (a|aa)+$ backtracks through every way to split the a's


def test_the_issue_mask_on_forty_as_then_b_no_longer_hangs() -> None:
    # '(a+)+$' sat at 100% CPU for over 10 minutes under `re`; in a child, so a hang fails the test.
    code = ("from redline.text.classify import classify; "
            "print(classify('x\\n' + 'a' * 39 + 'b', 'x\\n' + 'a' * 40 + 'b', masks=['(a+)+$']).kind)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ("trivial", "substantive")


def test_a_mask_that_backtracks_for_ever_is_refused_within_its_time_limit() -> None:
    start = time.monotonic()
    with pytest.raises(MaskError) as caught:
        classify(OLD, OLD + "\n" + STUCK, masks=[r"Visits: \d+", "(a|aa)+$"], mask_seconds=0.3)
    assert time.monotonic() - start < 5
    assert caught.value.pattern == "(a|aa)+$"
    line = caught.value.line("un-cyber")
    assert line.startswith("mask '(a|aa)+$' of source 'un-cyber' refused: it ran for over 0.3 s") and "\n" not in line


def test_masks_keep_pythons_syntax_and_meaning() -> None:
    a, b, differ = mask_pair("Visits: 12 of 3", "Visits: 13 of 3", compile_masks([r"(?<=Visits: )\d+"])[0])
    assert (a, b, differ) == ("Visits: \ue000 of 3", "Visits: \ue000 of 3", True)
    assert classify("Updated 2026-11-22 a text", "Updated 2026-11-23 a text",
                    masks=[r"Updated \d{4}-\d\d-\d\d"]).reasons == ("only inside masks: Updated \\d{4}-\\d\\d-\\d\\d",)
    assert mask_problem("(unclosed") == "missing ) at position 9" and mask_problem(r"\d+") is None
