"""Checks for lesson 03 (vectorised backprop)."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from . import NOT_ATTEMPTED, Feedback, attempt, correct, hint, not_attempted

__all__ = ["check_linear_backward", "check_logsumexp", "check_softmax_ce_grad"]

Array = np.ndarray


def _quiet(fn: Callable, *args: Any) -> Any:
    """Call the learner's function, numpy warnings silenced: the result is judged."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return attempt(fn, *args)


def _same(a: Any, b: Array) -> bool:
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=1e-10))


def _shape(a: Any) -> str:
    return str(np.shape(a)) if hasattr(a, "shape") or isinstance(a, (list, tuple)) else (
        type(a).__name__)


# ------------------------------------------------------------ Linear.backward
# shapes chosen so that N, D and H all differ: a transpose cannot hide
_LINEAR_CASES = [(5, 3, 4, 0), (2, 6, 3, 1)]


def _linear_case(n: int, d: int, h: int, seed: int) -> tuple[Array, Array, Array, Array]:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d)), rng.standard_normal((d, h)),
            rng.standard_normal(h), rng.standard_normal((n, h)))


# per gradient: (what it should be, [(hint, the mistake as a function), ...])
_LINEAR_RULES: dict[str, tuple[Callable, list[tuple[str, Callable]]]] = {
    "dx": (
        lambda x, W, b, g: g @ W.T,
        [
            ("dx is transposed: it must have x's shape (N, D); use dout @ W.T, "
             "not W @ dout.T", lambda x, W, b, g: W @ g.T),
            ("dx has the wrong sign: y = x @ W + b grows with x along W, so "
             "dx = +dout @ W.T", lambda x, W, b, g: -(g @ W.T)),
            ("dx is divided by N: each row of x affects only its own row of y, so "
             "no average belongs here (dout already carries the loss's 1/N)",
             lambda x, W, b, g: g @ W.T / len(x)),
        ],
    ),
    "dW": (
        lambda x, W, b, g: x.T @ g,
        [
            ("dW is transposed: it must have W's shape (D, H); use x.T @ dout, "
             "not dout.T @ x", lambda x, W, b, g: g.T @ x),
            ("dW has the wrong sign: y = x @ W grows with W along x, so "
             "dW = +x.T @ dout", lambda x, W, b, g: -(x.T @ g)),
            ("dW is divided by N: the matrix product x.T @ dout already *sums* "
             "over the batch, which is right (dout carries the loss's 1/N)",
             lambda x, W, b, g: x.T @ g / len(x)),
        ],
    ),
    "db": (
        lambda x, W, b, g: g.sum(axis=0),
        [
            ("db is missing the sum over the batch: b is added to all N rows, so "
             "its gradient adds up their N gradients: dout.sum(axis=0), shape (H,)",
             lambda x, W, b, g: g),
            ("db averages over the batch: b is added to every row, so the N "
             "gradients add up: use dout.sum(axis=0), not mean",
             lambda x, W, b, g: g.mean(axis=0)),
            ("db sums over the wrong axis: sum over the batch (axis=0) to get one "
             "number per output feature, shape (H,)", lambda x, W, b, g: g.sum(axis=1)),
            ("db sums over everything: it needs one entry per output feature, "
             "dout.sum(axis=0) with shape (H,)", lambda x, W, b, g: np.asarray(g.sum())),
        ],
    ),
}


def check_linear_backward(linear_backward: Callable[..., Any]) -> Feedback:
    """`linear_backward(x, W, b, dout)` must return (dx, dW, db) for y = x @ W + b."""
    x, W, b, g = _linear_case(*_LINEAR_CASES[0])
    try:
        got = _quiet(linear_backward, x, W, b, g)
    except Exception as e:  # a shape error in a matmul is the common one
        return hint(
            f"your function raised {type(e).__name__}: {e}. Check the shapes: "
            f"x {x.shape}, W {W.shape}, dout {g.shape}; dx must be {x.shape}, "
            f"dW {W.shape}, db {b.shape}"
        )
    if got is NOT_ATTEMPTED:
        return not_attempted("linear_backward(x, W, b, dout)")
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return hint("return three arrays, in the order (dx, dW, db)")

    problems = []
    for k, name in enumerate(("dx", "dW", "db")):
        rule, mistakes = _LINEAR_RULES[name]
        results = []
        for case in _LINEAR_CASES:
            args = _linear_case(*case)
            out = _quiet(linear_backward, *args)
            results.append((out[k], args))
        if all(_same(v, rule(*a)) for v, a in results):
            continue
        for message, mistake in mistakes:
            if all(_same(v, mistake(*a)) for v, a in results):
                problems.append(message)
                break
        else:
            want = rule(x, W, b, g)
            if _shape(got[k]) == str(want.shape):
                # the shape is already right: pointing at shapes would mislead
                problems.append(
                    f"{name} has the right shape {want.shape} but wrong values: write "
                    f"one entry as a sum over the batch rows n and compare"
                )
            else:
                problems.append(
                    f"{name} is not right: for x {x.shape}, W {W.shape}, dout "
                    f"{g.shape} you return shape {_shape(got[k])}, expected "
                    f"{want.shape}. Find the product whose shapes give that result"
                )
    if problems:
        ok = [n for n, (r, _) in _LINEAR_RULES.items()
              if not any(p.startswith(n) for p in problems)]
        prefix = f"{', '.join(ok)} right; " if ok else ""
        return hint(prefix + "; ".join(problems))
    return correct("dx = dout @ W.T, dW = x.T @ dout, db = dout.sum(axis=0): "
                   "each has the shape of what it is the gradient of")


# ------------------------------------------------------------------ logsumexp
_LSE_Z = np.array([[1.0, 2.0, 3.0], [1000.0, 999.0, -5.0], [-1000.0, -1001.0, -1000.0],
                   [0.5, -0.5, 0.0]])


def _lse(z: Array) -> Array:
    m = z.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]


def check_logsumexp(logsumexp: Callable[[Array], Array]) -> Feedback:
    """`logsumexp(z)`, z (N, C), must return log(sum(exp(z), axis=1)) (N,), stably."""
    z = _LSE_Z.copy()
    got = _quiet(logsumexp, z)
    if got is NOT_ATTEMPTED:
        return not_attempted("logsumexp(z)")
    want = _lse(z)
    if not np.array_equal(z, _LSE_Z):
        return hint("your function changed z in place: work on a copy, e.g. z - m")
    got = np.asarray(got, dtype=np.float64)
    if got.shape == (len(z), 1):
        return hint("return shape (N,), not (N, 1): drop the kept axis, e.g. [:, 0]")
    if got.shape != want.shape:
        return hint(
            f"for z of shape {z.shape} return one number per row, shape {want.shape}; "
            f"you return {got.shape}. Sum over the classes, axis=1"
        )
    if _same(got, want):
        return correct("log-sum-exp = m + log(sum(exp(z - m))): "
                       f"{got[1]:.4f} for the row [1000, 999, -5], without overflow")
    with np.errstate(all="ignore"):
        m = z.max(axis=1, keepdims=True)
        mistakes = [
            (np.log(np.exp(z).sum(axis=1)),
             "exp(1000) overflows to inf (and exp(-1000) underflows to 0): subtract "
             "each row's maximum m first, and add it back: m + log(sum(exp(z - m)))"),
            (z.max() + np.log(np.exp(z - z.max()).sum(axis=1)),
             "one global maximum is not enough: exp(-1000 - 1000) underflows to 0 "
             "and log(0) = -inf. Subtract each row's own maximum, "
             "z.max(axis=1, keepdims=True)"),
            (np.log(np.exp(z - m).sum(axis=1)),
             "you subtracted the maximum but did not add it back: "
             "log sum exp(z) = m + log sum exp(z - m)"),
        ]
    for value, message in mistakes:
        if np.allclose(got, value, rtol=1e-7, atol=1e-10, equal_nan=True):
            return hint(message)
    return hint(f"for the row [1, 2, 3] you give {got[0]:.4f}, expected {want[0]:.4f}")


# ----------------------------------------------- softmax cross-entropy gradient
_CE_Z = np.array([[2.0, -1.0, 0.5, 0.0], [0.1, 0.2, 0.3, 0.4], [-2.0, 1.0, 3.0, 0.5]])
_CE_Y = np.array([0, 3, 1])
_CE_BIG = np.array([[1000.0, 0.0, -1000.0, 10.0], [0.0, 1.0, 2.0, 3.0]])
_CE_BIG_Y = np.array([2, 1])


def _ce_grad(z: Array, y: Array) -> Array:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


def check_softmax_ce_grad(grad_fn: Callable[[Array, Array], Array]) -> Feedback:
    """`grad_fn(logits, y)` must return dL/dlogits of the mean softmax cross-entropy."""
    z, y = _CE_Z.copy(), _CE_Y.copy()
    got = _quiet(grad_fn, z, y)
    if got is NOT_ATTEMPTED:
        return not_attempted("softmax_ce_grad(logits, y)")
    got = np.asarray(got, dtype=np.float64)
    n, c = z.shape
    want = _ce_grad(z, y)
    if got.shape != want.shape:
        return hint(f"return one gradient per logit, shape {want.shape}; you return "
                    f"{got.shape}")
    if _same(got, want):
        big = np.asarray(_quiet(grad_fn, _CE_BIG.copy(), _CE_BIG_Y.copy()))
        if not np.isfinite(big).all():
            return hint("right at moderate logits, but logits of 1000 give NaN: "
                        "exp(1000) overflows. Subtract each row's maximum before exp "
                        "(softmax does not change)")
        if not _same(big, _ce_grad(_CE_BIG, _CE_BIG_Y)):
            return hint("right at moderate logits, wrong at +-1000: subtract each "
                        "row's own maximum before exp")
        return correct("dL/dlogits = (softmax(z) - onehot(y)) / N: the whole softmax "
                       "Jacobian collapses to one subtraction")
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    onehot = np.eye(c)[y]
    ez = np.exp(z - z.max(axis=0, keepdims=True))
    p0 = ez / ez.sum(axis=0, keepdims=True)
    mistakes = [
        (p - onehot, "N times too large: the loss is the *mean* over the N rows, "
                     "so divide by N"),
        ((onehot - p) / n, "the sign is flipped: raising the true class's logit "
                           "lowers the loss, so its gradient p_y - 1 is negative"),
        (p / n, "the true class's 1 is missing: subtract onehot(y) from the "
                "probabilities, p - y"),
        ((p - onehot) / c, "divided by the number of classes C; divide by the batch "
                           "size N instead"),
        ((p0 - onehot) / n, "softmax over the wrong axis: each row (one example) gets "
                            "its own probabilities, normalise along axis=1"),
    ]
    for value, message in mistakes:
        if _same(got, value):
            return hint(message)
    return hint(f"for the first row (label 0) you give {np.round(got[0], 4)}, "
                f"expected {np.round(want[0], 4)}: softmax, subtract 1 at the label, "
                "divide by N")
