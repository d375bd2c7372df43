"""Checks for lesson 05 (learning rates)."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from . import (
    NOT_ATTEMPTED, Feedback, call, correct, hard_coded, hard_coded_hint, hint,
    hints_on_error, name_of, not_attempted, number, run, show,
)

__all__ = ["check_error_factor", "check_max_stable_lr", "check_cosine_lr"]


def _values(fn: Callable, first: object, cases: list[tuple]) -> list[float]:
    """The learner's numbers on every case; `first` is its answer on cases[0]."""
    who = name_of(fn)
    return [number(first, who)] + [number(run(fn, *c), who) for c in cases[1:]]


def _close(a: float, b: float, rtol: float = 1e-9) -> bool:
    return bool(np.isclose(a, b, rtol=rtol, atol=1e-12))


def _same(vals: list[float], ref: Callable, cases: list[tuple]) -> bool:
    """The learner's values agree with `ref` on every case."""
    with np.errstate(all="ignore"):
        return all(_close(v, ref(*c)) for v, c in zip(vals, cases))


def _first_wrong(vals: list[float], want: list[float], rtol: float = 1e-9) -> int:
    return next(i for i, (v, w) in enumerate(zip(vals, want)) if not _close(v, w, rtol))


# --------------------------------------------------------------- exercise 1
_FACTOR_CASES = [(0.1, 4.0), (0.3, 4.0), (0.6, 4.0), (0.05, 30.0), (1.7, 1.0)]
_FACTOR_MISTAKES = [
    ("the sign of the step is flipped: w <- w - lr * L w = (1 - lr L) w; "
     "1 + lr L would mean stepping uphill",
     lambda lr, L: 1 + lr * L),
    ("that is the step, lr L, not what w is multiplied by: w_new = w - lr L w",
     lambda lr, L: lr * L),
    ("the sign got lost: the factor 1 - lr L turns negative above lr = 1/L, "
     "and that sign is the oscillation; do not take its absolute value",
     lambda lr, L: abs(1 - lr * L)),
    ("the gradient of L/2 w^2 is L w, not 2 L w: the 1/2 cancels the 2 from the "
     "square (1 - 2 lr L is the factor for a loss L w^2, as in lesson 01)",
     lambda lr, L: 1 - 2 * lr * L),
    ("the curvature L is missing: the gradient is L w, so the step is lr L w",
     lambda lr, L: 1 - lr),
    ("the step multiplies by L, it does not divide: f'(w) = L w, so w - lr * L * w",
     lambda lr, L: 1 - lr / L),
    ("that is the change of w as a share of w, (w_new - w) / w = -lr L; the factor "
     "is w_new / w = 1 - lr L",
     lambda lr, L: -lr * L),
    ("the right size but the wrong sign: w_new = w - lr L w = (1 - lr L) w",
     lambda lr, L: lr * L - 1),
]


@hints_on_error(should="return a number")
def check_error_factor(error_factor: Callable[[float, float], float]) -> Feedback:
    """`error_factor(lr, L)`: what one gradient step multiplies w by on L/2 w^2."""
    got = call(error_factor, *_FACTOR_CASES[0])
    if got is NOT_ATTEMPTED:
        return not_attempted("error_factor(lr, L)")
    vals = _values(error_factor, got, _FACTOR_CASES)
    ref = lambda lr, L: 1 - lr * L  # noqa: E731
    want = [ref(*c) for c in _FACTOR_CASES]
    if _same(vals, ref, _FACTOR_CASES):
        return correct("w <- (1 - lr L) w: monotone below 1/L, oscillating up to 2/L, "
                       "diverging above")
    if hard_coded(vals, want, _close):
        return hard_coded_hint("error_factor", "lr and L")
    for message, mistake in _FACTOR_MISTAKES:
        if _same(vals, mistake, _FACTOR_CASES):
            return hint(message)
    k = _first_wrong(vals, want)
    lr, L = _FACTOR_CASES[k]
    g, w = show(vals[k], want[k], "g")
    return hint(f"error_factor({lr:g}, {L:g}) gives {g}; expected {w}. "
                "Write one step w - lr * f'(w) with f'(w) = L w and factor out w.")


# --------------------------------------------------------------- exercise 2
def _rot(deg: float) -> np.ndarray:
    t = math.radians(deg)
    return np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])


def _hessians() -> list[np.ndarray]:
    out = []
    for (a, b), deg in [((4.0, 0.5), 30.0), ((2.0, 0.02), 60.0), ((1.0, 1.0), 0.0),
                        ((10.0, 3.0), 0.0), ((0.5, 5.0), 110.0)]:
        R = _rot(deg)
        out.append(R @ np.diag([a, b]) @ R.T)
    return out


@hints_on_error(should="return a number")
def check_max_stable_lr(max_stable_lr: Callable[[np.ndarray], float]) -> Feedback:
    """`max_stable_lr(A)`: the largest lr at which gradient descent on 1/2 w^T A w
    does not diverge, for a symmetric positive definite (2, 2) matrix A."""
    As = _hessians()
    got = call(max_stable_lr, As[0])
    if got is NOT_ATTEMPTED:
        return not_attempted("max_stable_lr(A)")
    vals = _values(max_stable_lr, got, [(A,) for A in As])
    ev = [np.linalg.eigvalsh(A) for A in As]
    want = [2 / e[-1] for e in ev]
    if np.allclose(vals, want, rtol=1e-6):
        return correct(f"2 / lambda_max = {want[0]:.4g} for the first bowl: the "
                       "steepest direction sets the limit")
    if hard_coded(vals, want, lambda a, b: _close(a, b, 1e-6)):
        return hard_coded_hint("max_stable_lr", "A, through its eigenvalues")
    if np.allclose(vals, [2 / e[0] for e in ev], rtol=1e-6):
        return hint("you used the smallest curvature: every direction must be stable, "
                    "and the steepest one breaks first, so use the largest eigenvalue")
    if np.allclose(vals, [1 / e[-1] for e in ev], rtol=1e-6):
        return hint("1 / lambda_max is where oscillation starts; divergence starts "
                    "at twice that, where 1 - lr * lambda = -1")
    if np.allclose(vals, [2 / np.max(np.diag(A)) for A in As], rtol=1e-6):
        return hint("the diagonal entries are the curvatures along the axes only; a "
                    "tilted bowl is steepest along an eigenvector: use "
                    "np.linalg.eigvalsh(A)")
    if np.allclose(vals, [2 / np.trace(A) for A in As], rtol=1e-6):
        return hint("the trace adds both curvatures; the limit comes from the largest "
                    "eigenvalue alone")
    if np.allclose(vals, [2 / np.linalg.norm(A) for A in As], rtol=1e-6):
        return hint("np.linalg.norm(A) is the Frobenius norm, the root of the squared "
                    "eigenvalues' sum; the limit needs the largest eigenvalue alone: "
                    "np.linalg.eigvalsh(A).max()")
    if np.allclose(vals, [e[-1] for e in ev], rtol=1e-6):
        return hint("that is L, the largest curvature itself; the largest stable lr is "
                    "2 / L")
    if np.allclose(vals, [2 * e[-1] for e in ev], rtol=1e-6):
        return hint("2 / L, not 2 * L: a steeper bowl allows a smaller step")
    k = _first_wrong(vals, want, 1e-6)
    which = "the first bowl" if k == 0 else f"bowl {k + 1} (eigenvalues {ev[k][::-1]})"
    g, w = show(vals[k], want[k], ".4g")
    return hint(f"for {which} you give {g}, expected {w}; "
                "each eigen-direction multiplies its error by 1 - lr * lambda_i")


# --------------------------------------------------------------- exercise 3
_COS_CASES = [(t, 0.1, 20, 0.0) for t in (0, 3, 10, 17, 20)] + \
             [(t, 0.5, 8, 0.01) for t in (0, 2, 5, 8)]


def _cos_ref(t, base_lr, T_max, eta_min):
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2


_COS_MISTAKES = [
    ("the cosine needs shifting and halving: (1 + cos(pi t / T)) / 2 runs from 1 to 0; "
     "cos alone runs from 1 to -1 and makes the lr negative",
     lambda t, b, T, e: e + (b - e) * math.cos(math.pi * t / T)),
    ("eta_min is the floor: lr = eta_min + (base_lr - eta_min) * ..., so the "
     "schedule ends at eta_min, not at 0",
     lambda t, b, T, e: b * (1 + math.cos(math.pi * t / T)) / 2),
    ("the angle is in degrees: math.cos takes radians, so use pi * t / T_max",
     lambda t, b, T, e: e + (b - e) * (1 + math.cos(180 * t / T)) / 2),
    ("half a period too far: at t = T_max the angle should be pi, not 2 pi",
     lambda t, b, T, e: e + (b - e) * (1 + math.cos(2 * math.pi * t / T)) / 2),
    ("the angle should be pi * t / T_max: you have it for t + 1 (off by one step)",
     lambda t, b, T, e: e + (b - e) * (1 + math.cos(math.pi * (t + 1) / T)) / 2),
    ("your lr rises from eta_min to base_lr: use 1 + cos(pi t / T_max), which is 2 at "
     "t = 0 and 0 at t = T_max",
     lambda t, b, T, e: e + (b - e) * (1 - math.cos(math.pi * t / T)) / 2),
    ("that is a straight line from base_lr to eta_min; the cosine schedule follows "
     "(1 + cos(pi t / T_max)) / 2, slow at both ends",
     lambda t, b, T, e: e + (b - e) * (1 - t / T)),
]


@hints_on_error(should="return a number, the lr at step t")
def check_cosine_lr(cosine_lr: Callable[[int, float, int, float], float]) -> Feedback:
    """`cosine_lr(t, base_lr, T_max, eta_min)`: CosineAnnealingLR's lr at step t."""
    got = call(cosine_lr, *_COS_CASES[0])
    if got is NOT_ATTEMPTED:
        return not_attempted("cosine_lr(t, base_lr, T_max, eta_min)")
    vals = _values(cosine_lr, got, _COS_CASES)
    want = [_cos_ref(*c) for c in _COS_CASES]
    if _same(vals, _cos_ref, _COS_CASES):
        from ..layers import Parameter
        from ..optim import SGD, CosineAnnealingLR

        opt = SGD([Parameter(np.zeros(1))], lr=0.5)
        seq = CosineAnnealingLR(opt, T_max=8, eta_min=0.01).sequence(9)
        steps = [(t, 0.5, 8, 0.01) for t in range(9)]
        mine = _values(cosine_lr, run(cosine_lr, *steps[0]), steps)
        if np.allclose(mine, seq):
            return correct("the same sequence as optim.CosineAnnealingLR (and "
                           "PyTorch's)")
        k = _first_wrong(mine, list(seq), 1e-5)
        vals, want, cases = mine, list(seq), steps
    else:
        if hard_coded(vals, want, _close):
            return hard_coded_hint("cosine_lr", "t, base_lr, T_max and eta_min")
        for message, mistake in _COS_MISTAKES:
            if _same(vals, mistake, _COS_CASES):
                return hint(message)
        k, cases = _first_wrong(vals, want), _COS_CASES
    t, b, T, e = cases[k]
    g, w = show(vals[k], want[k], ".4g")
    return hint(f"cosine_lr({t}, {b}, {T}, {e}) gives {g}, expected {w}: lr = eta_min "
                "+ (base_lr - eta_min) * (1 + cos(pi t / T_max)) / 2")
