"""Checks for lesson 01 (the single neuron)."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from . import (
    NOT_ATTEMPTED, Feedback, call, correct, hard_coded, hard_coded_hint, hint,
    hints_on_error, name_of, not_attempted, number, run, show,
)

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
    ("the sign is flipped and the factor 2 is missing: the derivative of "
     "(y - w x)^2 is 2 (y - w x) times d(y - w x)/dw = -x",
     lambda x, w, y: x * (y - w * x)),
    ("that is the loss itself, (y - w x)^2: the question is how fast it changes "
     "with w, its derivative", lambda x, w, y: (y - w * x) ** 2),
    ("that is the error e = y - w x: multiply dL/de = 2e by de/dw = -x",
     lambda x, w, y: y - w * x),
    ("that is dL/dx, the derivative with respect to the input: differentiate "
     "with respect to w, which gives the factor -x, not -w",
     lambda x, w, y: -2.0 * w * (y - w * x)),
]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _all_close(vals: list[float], want: list[float]) -> bool:
    return all(_close(v, w) for v, w in zip(vals, want))


def _values(fn: Callable, first: object, cases: list[tuple]) -> list[float]:
    """The learner's numbers on every case; `first` is its answer on cases[0]."""
    who = name_of(fn)
    return [number(first, who)] + [number(run(fn, *c), who) for c in cases[1:]]


@hints_on_error(should="return a number, dL/dw")
def check_dL_dw(dL_dw: Callable[[float, float, float], float]) -> Feedback:
    """`dL_dw(x, w, y)` must return d/dw of L = (y - w x)^2."""
    got = call(dL_dw, *_POINTS[0])
    if got is NOT_ATTEMPTED:
        return not_attempted("dL_dw(x, w, y)")
    vals = _values(dL_dw, got, _POINTS)
    want = [_true_grad(*p) for p in _POINTS]
    if _all_close(vals, want):
        return correct(f"dL/dw at x=2, w=0.5, y=4 is {vals[0]:g}")
    if hard_coded(vals, want, _close):
        return hard_coded_hint("dL_dw", "x, w and y")
    for message, mistake in _GRAD_MISTAKES:
        if _all_close(vals, [mistake(*p) for p in _POINTS]):
            return hint(message)
    k = next(i for i, (v, w) in enumerate(zip(vals, want)) if not _close(v, w))
    x, w, y = _POINTS[k]
    g, e = show(vals[k], want[k], "g")
    return hint(
        f"at x={x:g}, w={w:g}, y={y:g} you give {g}; expected {e}. "
        "Write L = e^2 with e = y - w x and multiply dL/de by de/dw."
    )


_LR_XS = [2.0, 0.5, 3.0]


@hints_on_error(should="return a number, the lr")
def check_one_step_lr(one_step_lr: Callable[[float], float]) -> Feedback:
    """`one_step_lr(x)` must return the lr that lands on the minimum in one step."""
    got = call(one_step_lr, 2.0)
    if got is NOT_ATTEMPTED:
        return not_attempted("one_step_lr(x)")
    xs = _LR_XS
    vals = _values(one_step_lr, got, [(x,) for x in xs])
    want = [1 / (2 * x * x) for x in xs]
    if np.allclose(vals, want, rtol=1e-9):
        return correct(f"lr = 1 / (2 x^2) = {vals[0]:g} at x = 2: the error factor "
                       "1 - 2 lr x^2 is 0")
    if hard_coded(vals, want, _close):
        return hard_coded_hint("one_step_lr", "x")
    if np.allclose(vals, [1 / (x * x) for x in xs]):
        return hint("that is 1/x^2, where the factor 1 - 2 lr x^2 reaches -1: the edge "
                    "of divergence, not the one-step landing. Solve 1 - 2 lr x^2 = 0.")
    if np.allclose(vals, [1 / (2 * x) for x in xs]):
        return hint("the curvature grows with x squared: d2L/dw2 = 2 x^2, not 2 x")
    if np.allclose(vals, [2 / (x * x) for x in xs]):
        return hint("2/x^2 is four times too big: the curvature of (y - w x)^2 is "
                    "L'' = 2 x^2, divergence starts at 2/L'' = 1/x^2, and one step "
                    "lands at 1/L''. Solve 1 - 2 lr x^2 = 0.")
    if np.allclose(vals, [x * x / 2 for x in xs]):
        return hint("Python reads 1/2*x**2 as (1/2) * x**2 = x^2 / 2: put the "
                    "denominator in brackets, 1 / (2 * x**2)")
    if np.allclose(vals, [1 / (2 * x) ** 2 for x in xs]):
        return hint("1/(2*x)**2 squares the 2 as well, giving 1/(4 x^2): "
                    "write 1 / (2 * x**2)")
    k = next(i for i, (v, w) in enumerate(zip(vals, want))
             if not np.isclose(v, w, rtol=1e-9))
    g, e = show(vals[k], want[k], "g")
    return hint(f"at x = {xs[k]:g} you give {g}; expected {e}: solve "
                "1 - 2 lr x^2 = 0 for lr")


# (w, grad, lr): the first is the lesson's step
_UPDATE_CASES = [(0.5, -12.0, 0.1), (1.0, 2.0, 0.5), (-0.3, 0.8, 0.05)]


@hints_on_error(should="return a number, the new weight")
def check_update(update: Callable[[float, float, float], float]) -> Feedback:
    """`update(w, grad, lr)` must return the gradient-descent step."""
    got = call(update, *_UPDATE_CASES[0])
    if got is NOT_ATTEMPTED:
        return not_attempted("update(w, grad, lr)")
    vals = _values(update, got, _UPDATE_CASES)
    want = [w - lr * g for w, g, lr in _UPDATE_CASES]
    got = vals[0]
    if _all_close(vals, want):
        return correct("w = 0.5 - 0.1 * (-12) = 1.7")
    if hard_coded(vals, want, _close):
        return hard_coded_hint("update", "w, grad and lr")
    if _all_close(vals, [w + lr * g for w, g, lr in _UPDATE_CASES]):
        return hint("you stepped *up* the slope: gradient descent subtracts lr * grad")
    if _all_close(vals, [-lr * g for w, g, lr in _UPDATE_CASES]) or _all_close(
            vals, [lr * g for w, g, lr in _UPDATE_CASES]):
        return hint("return the new weight, w - lr * grad, not just the step")
    if _all_close(vals, [w - g for w, g, lr in _UPDATE_CASES]):
        return hint("the learning rate is missing: the step is lr * grad")
    if _all_close(vals, [w - 0.5 * lr * g for w, g, lr in _UPDATE_CASES]):
        return hint("the step is halved: the 1/2 of the 1/2 convention belongs to "
                    "the loss (it halves grad), never to the update: w - lr * grad")
    for k, name in enumerate(("w", "grad", "lr")):
        frozen = [list(c) for c in _UPDATE_CASES]
        for c in frozen:
            c[k] = _UPDATE_CASES[0][k]  # the argument ignored: the first case's value
        if _all_close(vals, [w - lr * g for w, g, lr in frozen]):
            return hint(f"your update ignores its argument {name}: it uses the "
                        f"lesson's {name} = {_UPDATE_CASES[0][k]:g} at every call "
                        "(a global variable?). Use the argument")
    k = next(i for i, (v, w) in enumerate(zip(vals, want)) if not _close(v, w))
    w, g, lr = _UPDATE_CASES[k]
    shown, expected = show(vals[k], want[k], "g")
    return hint(f"update({w:g}, {g:g}, {lr:g}) gives {shown}; expected {expected}")
