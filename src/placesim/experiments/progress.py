"""A quiet progress line for long runs: shown only on a terminal and after a couple of seconds."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]

_DELAY_S = 2.0
_WIDTH = 24


class Progress:
    """Counts finished items and redraws one line on stderr.

    Silent when stderr is not a terminal (CI logs, pipes) or when `enabled` is False, and
    until the run has taken `delay_s` seconds, so short runs print nothing.
    """

    def __init__(
        self,
        total: int,
        label: str,
        enabled: bool | None = None,
        stream: TextIO | None = None,
        delay_s: float = _DELAY_S,
    ) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.delay_s = delay_s
        self.done = 0
        self.start = time.perf_counter()
        self.shown = False

    def advance(self, n: int = 1) -> None:
        """Record `n` more finished items and redraw if due."""
        self.done += n
        elapsed = time.perf_counter() - self.start
        if not self.enabled or elapsed < self.delay_s:
            return
        filled = int(_WIDTH * self.done / max(self.total, 1))
        bar = "#" * filled + "." * (_WIDTH - filled)
        self.stream.write(f"\r{self.label} {self.done}/{self.total} [{bar}] {elapsed:.0f} s")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """End the line if anything was drawn."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
