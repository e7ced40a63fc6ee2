"""Errors raised by placesim: one base class, specific subclasses; and Ctrl-C held across
compiled code that a KeyboardInterrupt cannot cut short safely.

The CLI turns any :class:`PlacesimError` into one-line messages and exit code 2.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator, Sequence

__all__ = ["PlacesimError", "PlacesimWarning", "ScenarioError", "interrupts_held"]


class PlacesimError(Exception):
    """Base class of every error placesim raises on purpose."""


class PlacesimWarning(UserWarning):
    """Something the user should know that does not stop the work (the CLI prints each as
    one ``warning:`` line): a damaged sweep point that is run again, say."""


class ScenarioError(PlacesimError):
    """A scenario file or object is invalid.

    Holds every problem found, each a line such as
    ``settings.acute.capacity: -5 is not allowed: must be >= 0``, so a user can fix
    them all in one pass.
    """

    def __init__(self, problems: Sequence[str], source: str | None = None) -> None:
        self.problems: list[str] = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        if len(self.problems) == 1:
            message = head + self.problems[0]
        else:
            message = (
                head
                + f"{len(self.problems)} problems:\n"
                + "\n".join(f"  {p}" for p in self.problems)
            )
        super().__init__(message)


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold a Ctrl-C until the block ends, then raise it as KeyboardInterrupt.

    For compiled code (numba, llvmlite) that calls back into Python: a KeyboardInterrupt
    raised in such a callback is swallowed, chained into SystemErrors, or leaves a module
    half loaded and crashes the interpreter. Only the main thread receives signals, so
    elsewhere the block runs as it is; so does it where the caller has set a SIGINT
    handler of its own (the command line's during the first compile).
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):  # signals reach only the main thread; a handler of the caller's own stays in charge
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt
