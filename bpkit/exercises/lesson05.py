"""Checks for lesson 05 (learning rates)."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from . import NOT_ATTEMPTED, Feedback, call, correct, hint, hints_on_error, not_attempted

__all__ = ["check_error_factor", "check_max_stable_lr", "check_cosine_lr"]


def _same(fn: Callable, ref: Callable, cases: list[tuple]) -> bool:
    try:
        return all(np.allclose(fn(*c), ref(*c), rtol=1e-9, atol=1e-12) for c in cases)
    except Exception:
        return False


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
]


@hints_on_error
def check_error_factor(error_factor: Callable[[float, float], float]) -> Feedback:
    """`error_factor(lr, L)`: what one gradient step multiplies w by on L/2 w^2."""
    got = call(error_factor, 0.1, 4.0)
    if got is NOT_ATTEMPTED:
        return not_attempted("error_factor(lr, L)")
    if not isinstance(got, (int, float, np.floating)):
        return hint(f"return a number, got {type(got).__name__}")
    ref = lambda lr, L: 1 - lr * L  # noqa: E731
    if _same(error_factor, ref, _FACTOR_CASES):
        return correct("w <- (1 - lr L) w: monotone below 1/L, oscillating up to 2/L, "
                       "diverging above")
    for message, mistake in _FACTOR_MISTAKES:
        if _same(error_factor, mistake, _FACTOR_CASES):
            return hint(message)
    return hint(f"error_factor(0.1, 4) gives {got:g}; expected {ref(0.1, 4.0):g}. "
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


@hints_on_error
def check_max_stable_lr(max_stable_lr: Callable[[np.ndarray], float]) -> Feedback:
    """`max_stable_lr(A)`: the largest lr at which gradient descent on 1/2 w^T A w
    does not diverge, for a symmetric positive definite (2, 2) matrix A."""
    As = _hessians()
    got = call(max_stable_lr, As[0])
    if got is NOT_ATTEMPTED:
        return not_attempted("max_stable_lr(A)")
    try:
        vals = [float(max_stable_lr(A.copy())) for A in As]
    except Exception as e:  # shown as a hint, not a traceback
        return hint(f"max_stable_lr raised {type(e).__name__}: {e}")
    ev = [np.linalg.eigvalsh(A) for A in As]
    want = [2 / e[-1] for e in ev]
    if np.allclose(vals, want, rtol=1e-6):
        return correct(f"2 / lambda_max = {want[0]:.4g} for the first bowl: the "
                       "steepest direction sets the limit")
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
    return hint(f"for the first bowl you give {vals[0]:.4g}, expected {want[0]:.4g}; "
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
]


@hints_on_error
def check_cosine_lr(cosine_lr: Callable[[int, float, int, float], float]) -> Feedback:
    """`cosine_lr(t, base_lr, T_max, eta_min)`: CosineAnnealingLR's lr at step t."""
    got = call(cosine_lr, 0, 0.1, 20, 0.0)
    if got is NOT_ATTEMPTED:
        return not_attempted("cosine_lr(t, base_lr, T_max, eta_min)")
    if _same(cosine_lr, _cos_ref, _COS_CASES):
        from ..layers import Parameter
        from ..optim import SGD, CosineAnnealingLR

        opt = SGD([Parameter(np.zeros(1))], lr=0.5)
        seq = CosineAnnealingLR(opt, T_max=8, eta_min=0.01).sequence(9)
        mine = [cosine_lr(t, 0.5, 8, 0.01) for t in range(9)]
        if np.allclose(mine, seq):
            return correct("the same sequence as optim.CosineAnnealingLR (and "
                           "PyTorch's)")
    for message, mistake in _COS_MISTAKES:
        if _same(cosine_lr, mistake, _COS_CASES):
            return hint(message)
    t, b, T, e = _COS_CASES[2]
    return hint(f"cosine_lr({t}, {b}, {T}, {e}) gives {cosine_lr(t, b, T, e):.4g}, "
                f"expected {_cos_ref(t, b, T, e):.4g}: lr = eta_min + "
                "(base_lr - eta_min) * (1 + cos(pi t / T_max)) / 2")
