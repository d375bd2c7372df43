"""Checks for lesson 01 (the single neuron)."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from . import NOT_ATTEMPTED, Feedback, attempt, correct, hint, not_attempted

__all__ = ["check_dL_dw", "check_one_step_lr", "check_update"]

# points (x, w, y) where every anticipated mistake gives a different number
_POINTS = [(2.0, 0.5, 4.0), (-1.5, 0.3, 2.0), (0.7, -1.2, -0.4), (3.0, 2.0, 1.0)]


def _true_grad(x: float, w: float, y: float) -> float:
    return -2.0 * x * (y - w * x)


# each anticipated mistake, as the function a learner would have written
_GRAD_MISTAKES: list[tuple[str, Callable[[float, float, float], float]]] = [
    ("the sign is flipped: L = (y - w x)^2 decreases as w x moves towards y, so "
     "dL/dw = 2 (y - w x) * d(y - w x)/dw, and d(y - w x)/dw = -x is negative",
     lambda x, w, y: 2.0 * x * (y - w * x)),
    ("the factor 2 from the square is missing: d(e^2)/de = 2e (that is the "
     "1/2 (y - w x)^2 convention's gradient, not this loss's)",
     lambda x, w, y: -x * (y - w * x)),
    ("the chain-rule factor x is missing: the error e = y - w x depends on w "
     "through w x, so multiply by de/dw = -x",
     lambda x, w, y: -2.0 * (y - w * x)),
    ("the sign is flipped and the chain-rule factor x is missing: "
     "de/dw = -x contributes both",
     lambda x, w, y: 2.0 * (y - w * x)),
]


def _matches(fn: Callable, ref: Callable) -> bool:
    return all(math.isclose(fn(*p), ref(*p), rel_tol=1e-9, abs_tol=1e-12) for p in _POINTS)


def check_dL_dw(dL_dw: Callable[[float, float, float], float]) -> Feedback:
    """`dL_dw(x, w, y)` must return d/dw of L = (y - w x)^2."""
    got = attempt(dL_dw, *_POINTS[0])
    if got is NOT_ATTEMPTED:
        return not_attempted("dL_dw(x, w, y)")
    if not isinstance(got, (int, float, np.floating)):
        return hint(f"return a number, got {type(got).__name__}")
    if _matches(dL_dw, _true_grad):
        return correct(f"dL/dw at x=2, w=0.5, y=4 is {got:g}")
    for message, mistake in _GRAD_MISTAKES:
        if _matches(dL_dw, mistake):
            return hint(message)
    x, w, y = _POINTS[0]
    return hint(
        f"at x={x:g}, w={w:g}, y={y:g} you give {got:g}; expected {_true_grad(x, w, y):g}. "
        "Write L = e^2 with e = y - w x and multiply dL/de by de/dw."
    )


def check_one_step_lr(one_step_lr: Callable[[float], float]) -> Feedback:
    """`one_step_lr(x)` must return the lr that lands on the minimum in one step."""
    got = attempt(one_step_lr, 2.0)
    if got is NOT_ATTEMPTED:
        return not_attempted("one_step_lr(x)")
    xs = [0.5, 2.0, 3.0]
    vals = [one_step_lr(x) for x in xs]
    want = [1 / (2 * x * x) for x in xs]
    if np.allclose(vals, want, rtol=1e-9):
        return correct(f"lr = 1 / (2 x^2) = {got:g} at x = 2: the error factor 1 - 2 lr x^2 is 0")
    if np.allclose(vals, [1 / (x * x) for x in xs]):
        return hint("that is 1/x^2, where the factor 1 - 2 lr x^2 reaches -1: the edge "
                    "of divergence, not the one-step landing. Solve 1 - 2 lr x^2 = 0.")
    if np.allclose(vals, [1 / (2 * x) for x in xs]):
        return hint("the curvature grows with x squared: d2L/dw2 = 2 x^2, not 2 x")
    if np.allclose(vals, [2 / (x * x) for x in xs]):
        return hint("2/L is where divergence starts for a curvature L = 2 x^2 ... and "
                    "your value is 2/x^2, four times too big. Solve 1 - 2 lr x^2 = 0.")
    return hint(f"at x = 2 you give {got:g}; solve 1 - 2 lr x^2 = 0 for lr")


def check_update(update: Callable[[float, float, float], float]) -> Feedback:
    """`update(w, grad, lr)` must return the gradient-descent step."""
    got = attempt(update, 0.5, -12.0, 0.1)
    if got is NOT_ATTEMPTED:
        return not_attempted("update(w, grad, lr)")
    if math.isclose(got, 1.7):
        if math.isclose(update(1.0, 2.0, 0.5), 0.0):
            return correct("w = 0.5 - 0.1 * (-12) = 1.7")
    if math.isclose(got, 0.5 + 0.1 * -12.0):
        return hint("you stepped *up* the slope: gradient descent subtracts lr * grad")
    if math.isclose(got, -12.0 * 0.1) or math.isclose(got, 0.1 * 12.0):
        return hint("return the new weight, w - lr * grad, not just the step")
    return hint(f"update(0.5, -12, 0.1) gives {got:g}; expected 1.7")
