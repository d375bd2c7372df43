"""Checks for lesson 07 (backpropagation through time)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..rnn import rnn_step_backward, rnn_step_forward, step_jacobian
from . import (
    NOT_ATTEMPTED, Feedback, LearnerError, array, arrays, call, correct, describe,
    hard_coded, hard_coded_hint, hint, hints_on_error, name_of, non_finite,
    not_attempted, order_hint, run, show,
)

__all__ = ["check_rnn_step_backward", "check_step_jacobian", "check_tbptt_windows"]

_NAMES = ("dx", "dh_prev", "dWx", "dWh", "db")


def _step_case(seed: int = 0):
    """One RNN step with N, D, H all different: a wrong product shows in the shape."""
    rng = np.random.default_rng(seed)
    N, D, H = 3, 4, 5
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh = 0.5 * rng.standard_normal((D, H)), 0.5 * rng.standard_normal((H, H))
    b = 0.1 * rng.standard_normal(H)
    h, cache = rnn_step_forward(x, h_prev, Wx, Wh, b)
    dh = rng.standard_normal((N, H))
    return (dh, x, h_prev, h, Wx, Wh), rnn_step_backward(dh, cache)


def _close(a, b) -> bool:
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-8, atol=1e-10)


def _all_close(a, b) -> bool:
    return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))


@hints_on_error(should="return (dx, dh_prev, dWx, dWh, db)")
def check_rnn_step_backward(
    step_backward: Callable[..., tuple[np.ndarray, ...]],
) -> Feedback:
    """`step_backward(dh, x, h_prev, h, Wx, Wh)` -> (dx, dh_prev, dWx, dWh, db).

    The step is h = tanh(x @ Wx + h_prev @ Wh + b); dh is dL/dh, (N, H).
    """
    args, want = _step_case()
    got = call(step_backward, *args)
    if got is NOT_ATTEMPTED:
        return not_attempted("step_backward(dh, x, h_prev, h, Wx, Wh)")
    who, what = name_of(step_backward), "five arrays: dx, dh_prev, dWx, dWh, db"
    got = list(arrays(got, _NAMES, who, what))
    args2, want2 = _step_case(1)
    got2 = list(arrays(run(step_backward, *args2), _NAMES, who, what))
    if hard_coded([got, got2], [want, want2], _all_close):
        return hard_coded_hint("step_backward", "dh, x, h_prev, h, Wx and Wh")
    order = order_hint([got, got2], [want, want2], _NAMES, _close)
    if order:
        return hint(order)
    for name, g, w in zip(_NAMES, got, want):
        if g.shape != w.shape:
            extra = (" (db adds up the rows: b was broadcast over the batch, so sum "
                     "over axis 0)") if name == "db" else ""
            return hint(f"{name} has shape {g.shape}, expected {w.shape}, the shape of "
                        f"what it is the gradient of{extra}")
    if _all_close(got, want):
        if not _all_close(got2, want2):
            wrong = [n for n, g, w in zip(_NAMES, got2, want2) if not _close(g, w)]
            return hint(f"right for the first batch, but for another "
                        f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} "
                        "wrong: compute every "
                        "gradient from the arguments, da = dh * (1 - h**2)")
        return correct("all five gradients match rnn_step_backward")
    odd = non_finite(got, _NAMES)
    if odd:
        return hint(odd)
    dh, x, h_prev, h, Wx, Wh = args
    da = dh * (1 - h**2)
    if _all_close(got, [-w for w in want]):
        return hint("every gradient has the wrong sign: the step adds, it does not "
                    "subtract, so da = dh * (1 - h**2) (not h**2 - 1) and every "
                    "product keeps a plus sign")
    n = len(x)
    if (_all_close(got[:2], want[:2])
            and _all_close(got[2:], [w / n for w in want[2:]])):
        return hint(f"dWx, dWh and db are divided by N = {n}: the products x.T @ da "
                    "and h_prev.T @ da already sum over the batch, which is right "
                    "(dh carries the loss's 1/N)")
    no_tanh = (dh @ Wx.T, dh @ Wh.T, x.T @ dh, h_prev.T @ dh, dh.sum(axis=0))
    if sum(_close(g, w) for g, w in zip(got, no_tanh)) >= 3:
        return hint("the tanh derivative is missing: before the matrix products, "
                    "multiply dh by tanh'(a) = 1 - h**2, giving da = dL/da")
    wrong_step = dh * (1 - h_prev**2)
    if _close(got[3], h_prev.T @ wrong_step) or _close(got[2], x.T @ wrong_step):
        return hint("tanh' belongs to this step's output: use 1 - h**2, "
                    "not 1 - h_prev**2")
    sig = dh * h * (1 - h)
    if _close(got[3], h_prev.T @ sig) or _close(got[2], x.T @ sig):
        return hint("h * (1 - h) is the sigmoid's derivative; tanh's is 1 - h**2")
    wrong = [n for n, g, w in zip(_NAMES, got, want) if not _close(g, w)]
    if "dWh" in wrong:
        if _close(got[3], da.T @ h_prev):
            return hint("dWh is transposed: h_prev @ Wh needs dWh = h_prev.T @ da, "
                        "(H, N) @ (N, H), so that dWh[i, j] pairs h_prev[:, i] "
                        "with da[:, j]")
        if _close(got[3], h.T @ da):
            return hint("dWh pairs da with the state that *entered* the step: "
                        "h_prev.T @ da, not h.T @ da")
        right = ", ".join(n for n in _NAMES if n not in wrong) or "none"
        return hint(f"dWh is wrong (other gradients: {right} correct); "
                    "Wh multiplies h_prev, so dWh = h_prev.T @ da")
    if "dh_prev" in wrong:
        if _close(got[1], da @ Wh):
            return hint("dh_prev goes back through Wh transposed: da @ Wh.T, "
                        "not da @ Wh")
        if _close(got[1], dh @ Wh.T):
            return hint("dh_prev skips the tanh derivative: it is da @ Wh.T with "
                        "da = dh * (1 - h**2), the same da as the weight gradients use")
        return hint("dh_prev is wrong: the gradient reaches h_prev through "
                    "a = ... + h_prev @ Wh, so dh_prev = da @ Wh.T")
    return hint(f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong. With "
                "da = dh * (1 - h**2): dx = da @ Wx.T, dh_prev = da @ Wh.T, "
                "dWx = x.T @ da, dWh = h_prev.T @ da, db = da.sum(axis=0)")


def _jacobian_case(seed: int = 1):
    rng = np.random.default_rng(seed)
    H = 4
    Wh = rng.standard_normal((H, H))  # not symmetric: a transpose shows
    h = np.tanh(rng.standard_normal(H))
    return h, Wh


@hints_on_error(should="return an (H, H) array")
def check_step_jacobian(
    jacobian: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> Feedback:
    """`jacobian(h_t, Wh)` -> J (H, H), J[i, j] = d h_t[i] / d h_{t-1}[j], one example.

    The step is h_t = tanh(h_{t-1} @ Wh + x_t @ Wx + b), with row vectors.
    """
    h, Wh = _jacobian_case()
    got = call(jacobian, h, Wh)
    if got is NOT_ATTEMPTED:
        return not_attempted("jacobian(h_t, Wh)")
    who, what = name_of(jacobian), "an array J of shape (H, H)"
    got = array(got, who, what)
    want = step_jacobian(h, Wh)
    if got.shape != want.shape:
        return hint(f"J has shape {got.shape}, expected {want.shape}: one row per "
                    "output unit, one column per unit of h_{t-1}")
    if _close(got, want):
        h2, Wh2 = _jacobian_case(2)
        got2 = array(run(jacobian, h2, Wh2), who, what)
        want2 = step_jacobian(h2, Wh2)
        if hard_coded([got, got2], [want, want2], _close):
            return hard_coded_hint("jacobian", "h_t and Wh")
        if not _close(got2, want2):
            return hint("right for the first h_t and Wh, not for another: build J "
                        "from the arguments, J = diag(1 - h_t**2) @ Wh.T")
        rho = np.max(np.abs(np.linalg.eigvals(want)))
        rho_wh = np.max(np.abs(np.linalg.eigvals(Wh)))
        return correct(f"J = diag(1 - h**2) @ Wh.T; here its spectral radius is "
                       f"{rho:.3f}, that of Wh {rho_wh:.3f}")
    odd = non_finite([got], ["J"])
    if odd:
        return hint(odd)
    d = 1 - h**2
    mistakes = [
        (Wh.T, "the tanh derivative is missing: each row i is scaled by 1 - h_t[i]**2"),
        (Wh, "two slips: the tanh derivative 1 - h**2 is missing, and "
             "d(h_prev @ Wh)[i] / d h_prev[j] = Wh[j, i], so the matrix is Wh.T"),
        (d[:, None] * Wh, "transposed: h_t[i] depends on h_prev[j] through Wh[j, i], "
                          "so J = diag(1 - h**2) @ Wh.T"),
        (Wh.T * d[None, :], "1 - h**2 scales the rows (one per output unit i), not the "
                            "columns: J = diag(1 - h**2) @ Wh.T"),
        ((1 - h)[:, None] * Wh.T, "tanh'(a) = 1 - tanh(a)**2 = 1 - h**2: h is squared"),
        (h[:, None] * Wh.T, "the factor is tanh'(a) = 1 - h**2, not h itself"),
    ]
    for m, message in mistakes:
        if _close(got, m):
            return hint(message)
    i, j = np.unravel_index(np.argmax(~np.isclose(got, want, rtol=1e-8, atol=1e-10)),
                            want.shape)
    g, w = show(got[i, j], want[i, j], ".4g")
    return hint(f"J[{i}, {j}] is {g}, expected {w}: write h_t = tanh(a), a = h_prev @ "
                "Wh + ...: then da[i]/dh_prev[j] = Wh[j, i] and dh_t[i]/da[i] = "
                "1 - h_t[i]**2")


def _windows(T: int, k1: int, k2: int) -> list[tuple[int, int, int]]:
    """bpkit.rnn.tbptt's windows: (first step backpropagated, first new step, stop)."""
    out, prev = [], 0
    while prev < T:
        stop = min(prev + k1, T)
        out.append((max(prev - (k2 - k1), 0), prev, stop))
        prev = stop
    return out


_WINDOW_CASES = [(10, 3, 3), (10, 3, 5), (12, 4, 4), (7, 7, 7), (9, 2, 6), (5, 10, 10)]


def _triples(res, fn: Callable) -> list[tuple[int, int, int]]:
    bad = (f"{name_of(fn)} should return a list of (w0, start, stop) triples of "
           f"integers, got {describe(res)}")
    if isinstance(res, (str, bytes, dict)) or res is None:
        raise LearnerError(bad)
    try:
        items = list(res)
    except TypeError:
        raise LearnerError(bad) from None
    out = []
    for w in items:
        try:
            t = tuple(w)
            ints = tuple(int(v) for v in t)
            if len(t) != 3 or any(isinstance(v, (str, bytes)) or v != i
                                  for v, i in zip(t, ints)):
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            raise LearnerError(f"{bad[: bad.index(', got')]}; one item is "
                               f"{describe(w)}") from None
        out.append(ints)
    return out


@hints_on_error(should="return a list of (w0, start, stop) triples")
def check_tbptt_windows(
    windows: Callable[[int, int, int], list[tuple[int, int, int]]],
) -> Feedback:
    """`windows(T, k1, k2)` -> [(w0, start, stop), ...]: one triple per update.

    Update j takes the losses of steps start..stop-1 (k1 new steps, fewer at the
    end) and backpropagates them back to step w0, k2 - k1 steps before start
    (never before step 0); `stop` of the last update is T.
    """
    got = call(windows, *_WINDOW_CASES[0])
    if got is NOT_ATTEMPTED:
        return not_attempted("windows(T, k1, k2)")
    results = {c: _triples(got if k == 0 else run(windows, *c), windows)
               for k, c in enumerate(_WINDOW_CASES)}
    if hard_coded(list(results.values()), [_windows(*c) for c in _WINDOW_CASES],
                  lambda a, b: a == b):
        return hard_coded_hint("windows", "T, k1 and k2")
    for (T, k1, k2), res in results.items():
        want = _windows(T, k1, k2)
        if res == want:
            continue
        case = f"for T={T}, k1={k1}, k2={k2} you give {res}, expected {want}"
        if res == want[:-1]:
            return hint(f"the last, shorter chunk is missing ({case}): its losses "
                        "need an update too")
        if len(res) == len(want) and any(w[0] < 0 for w in res):
            return hint(f"a window starts before step 0 ({case}): clip w0 at 0")
        if len(res) == len(want) and all(r[1:] == w[1:] for r, w in zip(res, want)):
            if all(r[0] == max(r[2] - k2, 0) for r in res):
                return hint(f"w0 counts k2 steps back from the end of the chunk; here "
                            f"the window reaches k2 - k1 steps before the chunk's "
                            f"start "
                            f"(they differ for the last, shorter chunk) ({case})")
            return hint(f"the windows' starts w0 are off ({case}): "
                        "w0 = start - (k2 - k1)")
        if len(res) == len(want) and all(r[2] == w[2] + 1 for r, w in zip(res, want)):
            return hint(f"stop is exclusive: a chunk of k1 steps from `start` stops at "
                        f"start + k1 ({case})")
        return hint(case)
    return correct("with k1 = k2 the windows are the chunks themselves; with k2 > k1 "
                   "each reaches k2 - k1 steps into the chunk before")
