"""Checks for lesson 03 (vectorised backprop)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import (
    NOT_ATTEMPTED, Feedback, LearnerError, array, arrays, call, correct, hard_coded,
    hard_coded_hint, hint, hints_on_error, name_of, not_attempted, order_hint, run,
    show, batch_sum_mistakes,
)

__all__ = ["check_linear_backward", "check_logsumexp", "check_softmax_ce_grad"]

Array = np.ndarray


def _same(a: Any, b: Array) -> bool:
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=1e-10))


# ------------------------------------------------------------ Linear.backward
# shapes chosen so that N, D and H all differ: a transpose cannot hide
_LINEAR_CASES = [(5, 3, 4, 0), (2, 6, 3, 1)]


def _linear_case(n: int, d: int, h: int,
                 seed: int) -> tuple[Array, Array, Array, Array]:
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
        batch_sum_mistakes("db", "b", "is added to", "dout.sum(axis=0)", "H",
                           lambda x, W, b, g: g) + [
            ("db sums over everything: it needs one entry per output feature, "
             "dout.sum(axis=0) with shape (H,)",
             lambda x, W, b, g: np.asarray(g.sum())),
        ],
    ),
}


def _same_all(out: tuple, want: tuple) -> bool:
    return all(_same(o, w) for o, w in zip(out, want))


@hints_on_error(should="return (dx, dW, db)")
def check_linear_backward(linear_backward: Callable[..., Any]) -> Feedback:
    """`linear_backward(x, W, b, dout)` must return (dx, dW, db) for y = x @ W + b."""
    cases = [_linear_case(*c) for c in _LINEAR_CASES]
    x, W, b, g = cases[0]
    try:
        got = call(linear_backward, x, W, b, g)
    except LearnerError as e:  # a shape error in a matmul is the common one
        if not any(w in str(e) for w in ("shape", "broadcast", "matmul", "align")):
            raise
        return hint(
            f"{e}. Check the shapes: x {x.shape}, W {W.shape}, dout {g.shape}; dx "
            f"must be {x.shape}, dW {W.shape}, db {b.shape}"
        )
    if got is NOT_ATTEMPTED:
        return not_attempted("linear_backward(x, W, b, dout)")
    names = ("dx", "dW", "db")
    who, what = name_of(linear_backward), "three arrays, in the order (dx, dW, db)"
    outs = [arrays(got, names, who, what)] + [
        arrays(run(linear_backward, *case), names, who, what) for case in cases[1:]]
    wants = [tuple(_LINEAR_RULES[n][0](*case) for n in names) for case in cases]
    if all(_same_all(o, w) for o, w in zip(outs, wants)):
        return correct("dx = dout @ W.T, dW = x.T @ dout, db = dout.sum(axis=0): "
                       "each has the shape of what it is the gradient of")
    if hard_coded(outs, wants, _same_all):
        return hard_coded_hint("linear_backward", "x, W and dout")
    order = order_hint(outs, wants, names, _same)
    if order:
        return hint(order)

    problems = []
    for k, name in enumerate(names):
        rule, mistakes = _LINEAR_RULES[name]
        results = [(out[k], case) for out, case in zip(outs, cases)]
        if all(_same(v, rule(*a)) for v, a in results):
            continue
        for message, mistake in mistakes:
            if all(_same(v, mistake(*a)) for v, a in results):
                problems.append(message)
                break
        else:
            want = rule(x, W, b, g)
            mine = outs[0][k]
            if mine.shape == want.shape:
                # the shape is already right: pointing at shapes would mislead
                odd = "" if np.isfinite(mine).all() else " (it holds nan or inf)"
                problems.append(
                    f"{name} has the right shape {want.shape} but wrong values{odd}: "
                    "write one entry as a sum over the batch rows n and compare"
                )
            else:
                problems.append(
                    f"{name} is not right: for x {x.shape}, W {W.shape}, dout "
                    f"{g.shape} you return shape {mine.shape}, expected "
                    f"{want.shape}. Find the product whose shapes give that result"
                )
    ok = [n for n in names if not any(p.startswith(n) for p in problems)]
    prefix = f"{', '.join(ok)} right; " if ok else ""
    return hint(prefix + "; ".join(problems))


# ------------------------------------------------------------------ logsumexp
_LSE_Z = np.array([[1.0, 2.0, 3.0], [1000.0, 999.0, -5.0], [-1000.0, -1001.0, -1000.0],
                   [0.5, -0.5, 0.0]])


def _lse(z: Array) -> Array:
    m = z.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]


# a second input, of another shape: an answer must be computed from z
_LSE_Z2 = np.array([[0.0, 0.0, 0.0, 0.0, 0.0], [-3.0, 2.0, 800.0, 1.0, 0.5],
                    [10.0, -10.0, 5.0, 0.0, 2.0]])


_KEEPDIMS = ("The maximum lost its axis: z.max(axis=1) has shape (N,), which "
             "numpy lines up with the columns of z, not its rows. Keep the axis: "
             "m = z.max(axis=1, keepdims=True), shape (N, 1)")


def _row(r: Array) -> str:
    return "[" + ", ".join(f"{v:g}" for v in r) + "]"


@hints_on_error(should="return one number per row of z")
def check_logsumexp(logsumexp: Callable[[Array], Array]) -> Feedback:
    """`logsumexp(z)`, z (N, C), must return log(sum(exp(z), axis=1)) (N,), stably."""
    z = _LSE_Z.copy()
    try:
        got = call(logsumexp, z, copy=False)  # on z itself: a change in place shows
    except LearnerError as e:  # z - z.max(axis=1) cannot broadcast (N, C) with (N,)
        if "broadcast" not in str(e):
            raise
        return hint(f"{e}. {_KEEPDIMS}")
    if got is NOT_ATTEMPTED:
        return not_attempted("logsumexp(z)")
    want = _lse(z)
    if not np.array_equal(z, _LSE_Z):
        return hint("your function changed z in place: work on a copy, e.g. z - m")
    who, what = name_of(logsumexp), "an array with one number per row of z"
    got = array(got, who, what)
    if got.shape == (len(z), 1):
        return hint("return shape (N,), not (N, 1): drop the kept axis, e.g. [:, 0]")
    if got.shape == (len(z), len(z)):
        return hint(f"you return shape {got.shape} for z of shape {z.shape}: an (N, 1) "
                    "array met an (N,) one and broadcast to (N, N). Keep the axis on "
                    "the maximum and the sum (keepdims=True), and drop it once, at the "
                    "end")
    if got.shape != want.shape:
        return hint(
            f"for z of shape {z.shape} return one number per row, shape {want.shape}; "
            f"you return {got.shape}. Sum over the classes, axis=1"
        )
    if _same(got, want):
        z2 = _LSE_Z2.copy()
        got2 = array(run(logsumexp, z2), who, what)
        want2 = _lse(z2)
        if hard_coded([got, got2], [want, want2], _same):
            return hard_coded_hint("logsumexp", "z")
        if not _same(got2, want2):
            if got2.shape != want2.shape:
                return hint(f"right for the first z, but for z of shape {z2.shape} you "
                            f"return shape {got2.shape}, expected {want2.shape}: "
                            "compute the shape from z, one number per row")
            k = int(np.argmax(~np.isclose(got2, want2, rtol=1e-7, atol=1e-10)))
            g, w = show(got2[k], want2[k], ".4f")
            return hint(f"right for the first z, but for the row {_row(z2[k])} you "
                        f"give {g}, expected {w}: subtract each row's own maximum")
        return correct("log-sum-exp = m + log(sum(exp(z - m))): "
                       f"{got[1]:.4f} for the row [1000, 999, -5], without overflow")
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
    k = int(np.argmax(~np.isclose(got, want, rtol=1e-7, atol=1e-10)))
    g, w = show(got[k], want[k], ".4f")
    return hint(f"for the row {_row(z[k])} you give {g}, expected {w}")


# ----------------------------------------------- softmax cross-entropy gradient
_CE_Z = np.array([[2.0, -1.0, 0.5, 0.0], [0.1, 0.2, 0.3, 0.4], [-2.0, 1.0, 3.0, 0.5]])
_CE_Y = np.array([0, 3, 1])
_CE_BIG = np.array([[1000.0, 0.0, -1000.0, 10.0], [0.0, 1.0, 2.0, 3.0]])
_CE_BIG_Y = np.array([2, 1])


def _column_fancy(p: Array, y: Array) -> Array:
    """p[:, y] -= 1, the fancy-index slip (repeated labels subtract once)."""
    out = p.copy()
    out[:, y] -= 1
    return out


def _ce_grad(z: Array, y: Array) -> Array:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


@hints_on_error(should="return an array of the logits' shape")
def check_softmax_ce_grad(grad_fn: Callable[[Array, Array], Array]) -> Feedback:
    """`softmax_ce_grad(logits, y)` must return dL/dlogits of the mean softmax
    cross-entropy."""
    z, y = _CE_Z.copy(), _CE_Y.copy()
    got = call(grad_fn, z, y)
    if got is NOT_ATTEMPTED:
        return not_attempted("softmax_ce_grad(logits, y)")
    who, what = name_of(grad_fn), "an array of one gradient per logit"
    got = array(got, who, what)
    n, c = z.shape
    want = _ce_grad(z, y)
    if got.shape != want.shape:
        return hint(f"return one gradient per logit, shape {want.shape}; you return "
                    f"{got.shape}")
    if _same(got, want):
        big = array(run(grad_fn, _CE_BIG.copy(), _CE_BIG_Y.copy()), who, what)
        want_big = _ce_grad(_CE_BIG, _CE_BIG_Y)
        if hard_coded([got, big], [want, want_big], _same):
            return hard_coded_hint("softmax_ce_grad", "logits and y")
        # one global maximum: the row with 1000 is fine, the small row underflows
        if np.isfinite(big[0]).all() and not np.isfinite(big[1]).all():
            return hint("right at moderate logits, but NaN for the row [0, 1, 2, 3] next "
                        "to a row with 1000: one global maximum is not enough, "
                        "exp(0 - 1000) underflows to 0 and 0/0 is NaN. Subtract each "
                        "row's own maximum, z.max(axis=1, keepdims=True)")
        if not np.isfinite(big).all():
            return hint("right at moderate logits, but logits of 1000 give NaN: "
                        "exp(1000) overflows. Subtract each row's maximum before exp "
                        "(softmax does not change)")
        if not _same(big, want_big):
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
        (_column_fancy(p, y) / n, "p[:, y] -= 1 subtracts 1 in every row at every "
                                  "label's column; subtract only at each row's own "
                                  "label: p[np.arange(N), y] -= 1"),
        ((p - onehot) / (n * c), "divided by N * C: divide by the batch size N only"),
    ]
    for value, message in mistakes:
        if _same(got, value):
            return hint(message)
    k = int(np.argmax([not _same(r, w) for r, w in zip(got, want)]))
    g, w = show(got[k], want[k], ".4f")
    first = "the first row" if k == 0 else f"row {k}"
    return hint(f"for {first} (label {y[k]}) you give {g}, expected {w}: softmax, "
                "subtract 1 at the label, divide by N")
