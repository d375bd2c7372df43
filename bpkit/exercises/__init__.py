"""Checks for the notebooks' exercises, one module per lesson.

Every exercise answer is a function the learner fills in, between
``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers (nbgrader's). The student
copy replaces the block with ``raise NotImplementedError()``; a check then
reports "not attempted yet" instead of failing. A wrong answer gets a targeted
hint, recognised from the mistakes learners actually make.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

__all__ = [
    "Feedback", "NOT_ATTEMPTED", "LearnerError", "attempt", "call", "correct",
    "hint", "hints_on_error", "not_attempted",
]


@dataclass(frozen=True)
class Feedback:
    """The verdict of a check: shown as one line in the notebook."""

    status: str  # "correct", "hint" or "not attempted"
    message: str

    @property
    def ok(self) -> bool:
        return self.status == "correct"

    def __repr__(self) -> str:
        mark = {"correct": "correct:", "hint": "not yet:", "not attempted": "-"}[self.status]
        return f"{mark} {self.message}"

    def __bool__(self) -> bool:
        return self.ok


class _NotAttempted:
    def __repr__(self) -> str:
        return "NOT_ATTEMPTED"


NOT_ATTEMPTED = _NotAttempted()


def attempt(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call the learner's function; `NOT_ATTEMPTED` if it still raises NotImplementedError."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        return NOT_ATTEMPTED


def correct(message: str) -> Feedback:
    return Feedback("correct", message)


def hint(message: str) -> Feedback:
    return Feedback("hint", message)


def not_attempted(what: str) -> Feedback:
    return Feedback("not attempted", f"not attempted yet: {what}")


class LearnerError(Exception):
    """The learner's function raised, or returned the wrong kind of thing.

    Raised inside a check decorated with `hints_on_error`, it becomes a hint.
    """


def call(fn: Callable, *args: Any) -> Any:
    """`attempt(fn, *args)` on copies of array arguments (so the learner cannot
    change the check's data); any error but NotImplementedError is a LearnerError."""
    args = tuple(a.copy() if hasattr(a, "copy") and hasattr(a, "shape") else a
                 for a in args)
    try:
        return attempt(fn, *args)
    except Exception as e:  # the learner sees a hint, not a traceback
        raise LearnerError(f"{getattr(fn, '__name__', 'your function')} raised "
                           f"{type(e).__name__}: {e}") from None


def hints_on_error(check: Callable[..., Feedback]) -> Callable[..., Feedback]:
    """Decorate a check so a `LearnerError` inside it is returned as a hint."""

    @functools.wraps(check)
    def wrapped(*args: Any, **kwargs: Any) -> Feedback:
        try:
            return check(*args, **kwargs)
        except LearnerError as e:
            return hint(str(e))

    return wrapped
