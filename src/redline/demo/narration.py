"""How the demo talks: numbered steps without gaps, and a spinner saying what it waits for."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from rich.console import Console


class Steps:
    """`step(text)` prints "N. text" with N counting from 1; `busy(text)` shows a spinner with the
    text while the block runs (on a terminal; piped output gets the step lines only)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.number = 0

    def step(self, text: str, *, markup: bool = True) -> None:
        self.number += 1
        self.console.print(f"\n[bold]{self.number}.[/] {text}" if self.number > 1 else f"[bold]1.[/] {text}",
                           highlight=False, markup=markup)

    @contextmanager
    def busy(self, text: str) -> Iterator[None]:
        with self.console.status(text, spinner="dots"):
            yield
