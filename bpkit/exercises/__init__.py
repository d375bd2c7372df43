"""Checks for the notebooks' exercises, one module per lesson.

Every exercise answer is a function the learner fills in, between
``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers (nbgrader's). The student
copy replaces the block with ``raise NotImplementedError()``; a check then
reports "not attempted yet" instead of failing. A wrong answer gets a targeted
hint, recognised from the mistakes learners actually make.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Feedback", "NOT_ATTEMPTED", "attempt", "correct", "hint", "not_attempted"]


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
