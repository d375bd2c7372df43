"""Checks for lesson 05 (learning rates)."""

from __future__ import annotations

import itertools
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
    return _answers(fn, first, cases)[0]


def _answers(fn: Callable, first: object, cases: list[tuple]
             ) -> tuple[list[float], float]:
    """The learner's numbers on every case, and the relative tolerance they deserve.

    A formula evaluated in float32 (np.float32 answers) is right to about 1e-7,
    not 1e-9: the tolerance follows the coarsest float type that came back.
    """
    who = name_of(fn)
    raw = [first] + [run(fn, *c) for c in cases[1:]]
    return [number(r, who) for r in raw], _tolerance(raw)


def _tolerance(raw: list) -> float:
    floats = [np.asarray(r).dtype for r in raw if isinstance(r, (np.floating, np.ndarray))]
    eps = [float(np.finfo(t).eps) for t in floats if t.kind == "f"]
    # 8 ulps of the coarsest float, at most 1e-5: float16 is too coarse to tell
    # 2/L from 1.99/L, and would be told it is close but not within tolerance
    return min(max([1e-9] + [8 * e for e in eps]), 1e-5)


def _close(a: float, b: float, rtol: float = 1e-9) -> bool:
    # a float32 answer near 0 is off by about its ulp at 1, not at 0
    atol = 1e-12 if rtol <= 1e-9 else rtol
    return bool(np.isclose(a, b, rtol=rtol, atol=atol))


def _same(vals: list[float], ref: Callable, cases: list[tuple],
          rtol: float = 1e-9) -> bool:
    """The learner's values agree with `ref` on every case (a case where `ref`
    itself fails, dividing by zero, say, is a disagreement)."""
    with np.errstate(all="ignore"):
        try:
            return all(_close(v, ref(*c), rtol) for v, c in zip(vals, cases))
        except (ArithmeticError, ValueError):
            return False


def _first_wrong(vals: list[float], want: list[float], rtol: float = 1e-9) -> int:
    return next(i for i, (v, w) in enumerate(zip(vals, want)) if not _close(v, w, rtol))


def _precision_note(rtol: float) -> str:
    return "" if rtol <= 1e-9 else " (to float32 precision)"


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
    ("that is what the *loss* is multiplied by per step, (1 - lr L)^2, since f = "
     "L/2 w^2; asked is the factor for w itself, 1 - lr L",
     lambda lr, L: (1 - lr * L) ** 2),
    ("the gradient of L/2 w^2 is L w, not L/2 w: the 2 from the square cancels "
     "the 1/2, so the step is lr L w",
     lambda lr, L: 1 - lr * L / 2),
    ("L enters once: the gradient is L w, so the factor is 1 - lr L, not 1 - lr L^2",
     lambda lr, L: 1 - lr * L**2),
]


@hints_on_error(should="return a number")
def check_error_factor(error_factor: Callable[[float, float], float]) -> Feedback:
    """`error_factor(lr, L)`: what one gradient step multiplies w by on L/2 w^2."""
    got = call(error_factor, *_FACTOR_CASES[0])
    if got is NOT_ATTEMPTED:
        return not_attempted("error_factor(lr, L)")
    vals, rtol = _answers(error_factor, got, _FACTOR_CASES)
    ref = lambda lr, L: 1 - lr * L  # noqa: E731
    want = [ref(*c) for c in _FACTOR_CASES]
    if _same(vals, ref, _FACTOR_CASES, rtol):
        return correct("w <- (1 - lr L) w: monotone below 1/L, oscillating up to 2/L, "
                       "diverging above" + _precision_note(rtol))
    if hard_coded(vals, want, _close):
        return hard_coded_hint("error_factor", "lr and L")
    for message, mistake in _FACTOR_MISTAKES:
        if _same(vals, mistake, _FACTOR_CASES, rtol):
            return hint(message)
    k = _first_wrong(vals, want, rtol)
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
    vals, precision = _answers(max_stable_lr, got, [(A,) for A in As])
    rtol = max(precision, 1e-6)  # eigenvalues by an iterative solver: 1e-6 is fair
    ev = [np.linalg.eigvalsh(A) for A in As]
    want = [2 / e[-1] for e in ev]

    def same(mistake: list[float]) -> bool:
        return bool(np.allclose(vals, mistake, rtol=rtol, atol=0.0))

    if same(want):
        return correct(f"2 / lambda_max = {want[0]:.4g} for the first bowl: the "
                       "steepest direction sets the limit" + _precision_note(precision))
    if hard_coded(vals, want, lambda a, b: _close(a, b, 1e-6)):
        return hard_coded_hint("max_stable_lr", "A, through its eigenvalues")
    if same([2 / e[0] for e in ev]):
        return hint("you used the smallest curvature: every direction must be stable, "
                    "and the steepest one breaks first, so use the largest eigenvalue")
    if same([1 / e[-1] for e in ev]):
        return hint("1 / lambda_max is where oscillation starts; divergence starts "
                    "at twice that, where 1 - lr * lambda = -1")
    if same([1 / e[0] for e in ev]):
        return hint("two slips: 1 / lambda is where oscillation starts (divergence "
                    "starts at 2 / lambda), and the smallest eigenvalue is the flat "
                    "direction, which breaks last: use 2 / the largest eigenvalue")
    if same([2 / np.max(np.diag(A)) for A in As]) or same([2 / A[0, 0] for A in As]):
        return hint("the diagonal entries are the curvatures along the axes only; a "
                    "tilted bowl is steepest along an eigenvector: use "
                    "np.linalg.eigvalsh(A)")
    if same([2 / np.linalg.det(A) for A in As]):
        return hint("det(A) is the product of the two curvatures, not the largest "
                    "one: use np.linalg.eigvalsh(A).max()")
    if any(same([2 / f(A) for A in As]) for f in (
            lambda A: np.abs(A).sum(axis=1).max(), lambda A: A.sum(axis=1).max(),
            lambda A: np.abs(A).sum())):
        return hint("a sum of entries is not an eigenvalue: the largest row sum of "
                    "|A| only bounds lambda_max from above, so 2 / it is safe but "
                    "smaller than the limit, which is 2 / lambda_max exactly")
    if same([2 / np.trace(A) for A in As]):
        return hint("the trace adds both curvatures; the limit comes from the largest "
                    "eigenvalue alone")
    if same([2 / np.linalg.norm(A) for A in As]):
        return hint("np.linalg.norm(A) is the Frobenius norm, the root of the squared "
                    "eigenvalues' sum; the limit needs the largest eigenvalue alone: "
                    "np.linalg.eigvalsh(A).max()")
    if same([e[-1] for e in ev]):
        return hint("that is L, the largest curvature itself; the largest stable lr is "
                    "2 / L")
    if same([2 * e[-1] for e in ev]):
        return hint("2 / L, not 2 * L: a steeper bowl allows a smaller step")
    ratio = np.asarray(vals) / np.asarray(want)
    if np.all(np.isfinite(ratio)) and np.ptp(ratio) < 1e-6 and 0.5 < ratio[0] < 1:
        return hint(f"your answers are {ratio[0]:.4g} times 2 / lambda_max on every "
                    "bowl: a safety margin. Asked is the limit itself: at exactly "
                    "2 / lambda_max the error bounces without growing, so that is "
                    "the largest lr that does not diverge")
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
    ("the height of the cosine is base_lr - eta_min: with base_lr * (...) plus "
     "eta_min the schedule starts at base_lr + eta_min instead of base_lr",
     lambda t, b, T, e: e + b * (1 + math.cos(math.pi * t / T)) / 2),
    ("1 + cos(pi t / T_max) runs from 2 to 0: halve it, or the schedule starts at "
     "twice base_lr",
     lambda t, b, T, e: e + (b - e) * (1 + math.cos(math.pi * t / T))),
    ("the angle should be pi * t / T_max: you have it for t - 1 (off by one step; "
     "at t = 0 the lr is base_lr)",
     lambda t, b, T, e: e + (b - e) * (1 + math.cos(math.pi * (t - 1) / T)) / 2),
    ("divide by T_max, not T_max - 1: the angle pi * t / T_max reaches pi, and the "
     "lr eta_min, exactly at t = T_max",
     lambda t, b, T, e: e + (b - e) * (1 + math.cos(math.pi * t / (T - 1))) / 2),
]
_COS_ARGS = ("t", "base_lr", "T_max", "eta_min")


def _argument_order(vals: list[float], rtol: float) -> tuple[str, ...] | None:
    """The order the learner's function takes its arguments in, if it is the right
    formula with its parameters in another order; else None."""
    for perm in itertools.permutations(range(4)):
        if perm == (0, 1, 2, 3):
            continue
        # the learner's parameter i receives the check's argument i but uses it
        # as the quantity perm[i]
        def ref(*c, perm=perm):
            named = [0.0] * 4
            for i, p in enumerate(perm):
                named[p] = c[i]
            return _cos_ref(*named)

        if _same(vals, ref, _COS_CASES, rtol):
            return tuple(_COS_ARGS[p] for p in perm)
    return None


@hints_on_error(should="return a number, the lr at step t")
def check_cosine_lr(cosine_lr: Callable[[int, float, int, float], float]) -> Feedback:
    """`cosine_lr(t, base_lr, T_max, eta_min)`: CosineAnnealingLR's lr at step t."""
    got = call(cosine_lr, *_COS_CASES[0])
    if got is NOT_ATTEMPTED:
        return not_attempted("cosine_lr(t, base_lr, T_max, eta_min)")
    vals, rtol = _answers(cosine_lr, got, _COS_CASES)
    want = [_cos_ref(*c) for c in _COS_CASES]
    if _same(vals, _cos_ref, _COS_CASES, rtol):
        from ..layers import Parameter
        from ..optim import SGD, CosineAnnealingLR

        opt = SGD([Parameter(np.zeros(1))], lr=0.5)
        seq = CosineAnnealingLR(opt, T_max=8, eta_min=0.01).sequence(9)
        steps = [(t, 0.5, 8, 0.01) for t in range(9)]
        mine = _values(cosine_lr, run(cosine_lr, *steps[0]), steps)
        if np.allclose(mine, seq):
            return correct("the same sequence as optim.CosineAnnealingLR (and "
                           "PyTorch's)" + _precision_note(rtol))
        k = _first_wrong(mine, list(seq), 1e-5)
        vals, want, cases = mine, list(seq), steps
    else:
        if hard_coded(vals, want, _close):
            return hard_coded_hint("cosine_lr", "t, base_lr, T_max and eta_min")
        for message, mistake in _COS_MISTAKES:
            if _same(vals, mistake, _COS_CASES, rtol):
                return hint(message)
        order = _argument_order(vals, rtol)
        if order is not None:
            return hint(f"your function reads its arguments as ({', '.join(order)}); "
                        "the check calls cosine_lr(t, base_lr, T_max, eta_min), in "
                        "that order: put the parameters in that order")
        k, cases = _first_wrong(vals, want, rtol), _COS_CASES
    t, b, T, e = cases[k]
    g, w = show(vals[k], want[k], ".4g")
    return hint(f"cosine_lr({t}, {b}, {T}, {e}) gives {g}, expected {w}: lr = eta_min "
                "+ (base_lr - eta_min) * (1 + cos(pi t / T_max)) / 2")
