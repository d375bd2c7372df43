"""Checks for lesson 07 (backpropagation through time)."""

from __future__ import annotations

import itertools
from typing import Callable

import numpy as np

from ..gradcheck import numerical_grad
from ..rnn import (
    lstm_step_backward, lstm_step_forward, rnn_backward, rnn_forward,
    rnn_step_backward, rnn_step_forward, step_jacobian,
)
from . import (
    NOT_ATTEMPTED, Feedback, LearnerError, array, arrays, batch_sum_mistakes, call,
    correct, describe, hard_coded, hard_coded_hint, hint, hints_on_error, name_of,
    non_finite, not_attempted, order_hint, run, show,
)
from ._lstm_slips import GATES, slipped_backward, slipped_dz

__all__ = [
    "check_lstm_step_backward", "check_rnn_backward_loop", "check_rnn_step_backward", "check_step_jacobian",
    "check_tbptt_windows",
]

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
    # float32 answers are right too: they round at about 6e-8 relative
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-6, atol=1e-8)


def _all_close(a, b) -> bool:
    return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))


def _tuple_hint(outs: list, wants: list, names: tuple[str, ...], who: str, inputs: str,
                extras: dict[str, str]) -> Feedback | None:
    """The hint for a hard-coded answer, the wrong order or a wrong shape; else None."""
    if hard_coded(outs, wants, _all_close):
        return hard_coded_hint(who, inputs)
    order = order_hint(outs, wants, names, _close)
    if order:
        return hint(order)
    for name, g, w in zip(names, outs[0], wants[0]):
        if g.shape != w.shape:
            return hint(f"{name} has shape {g.shape}, expected {w.shape}, the shape of "
                        f"what it is the gradient of{extras.get(name, '')}")
    return None


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
    early = _tuple_hint(
        [got, got2], [want, want2], _NAMES, "step_backward",
        "dh, x, h_prev, h, Wx and Wh",
        {"db": " (db adds up the rows: b was broadcast over the batch, so sum over "
               "axis 0)"})
    if early is not None:
        return early
    if _all_close(got, want):
        if not _all_close(got2, want2):
            wrong = [n for n, g, w in zip(_NAMES, got2, want2) if not _close(g, w)]
            return hint(f"right for the first batch, but for a second one "
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


# ------------------------------------------------------------ the BPTT loop
_LOOP_NAMES = ("dx", "dh0", "dWx", "dWh", "db")
_LOOP_SIG = "rnn_backward_loop(dh, x, h0, hs, Wx, Wh, step_backward)"


def _loop_case(seed: int, N: int, T: int, D: int, H: int):
    """A sequence with N, T, D, H all different; dh (N, T, H) from every step's loss."""
    rng = np.random.default_rng(seed)
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh = rng.standard_normal((D, H)) / np.sqrt(D), rng.standard_normal((H, H))
    Wh *= 0.9 / np.sqrt(H)  # the carried gradient stays as large as a step's own
    hs, cache = rnn_forward(x, h0, Wx, Wh, 0.1 * rng.standard_normal(H))
    dh = rng.standard_normal((N, T, H))
    g = rnn_backward(dh, cache)
    return (dh, x, h0, hs, Wx, Wh), [g.dx, g.dh0, g.dWx, g.dWh, g.db]


def _step(dh, x, h_prev, h, Wx, Wh):
    return rnn_step_backward(dh, (x, h_prev, h, Wx, Wh, "tanh"))


def _slipped_loop(dh, x, h0, hs, Wx, Wh, total):
    """The loop with dL/dh_t = total(t, dh[:, t], dnext); every step's shares too."""
    T = x.shape[1]
    dx, dnext, parts, totals = np.zeros_like(x), np.zeros_like(h0), {}, {}
    for t in range(T - 1, -1, -1):
        g = totals[t] = total(t, dh[:, t], dnext)
        h_prev = hs[:, t - 1] if t else h0
        dx[:, t], dnext, *parts[t] = _step(g, x[:, t], h_prev, hs[:, t], Wx, Wh)
    weights = [sum(parts[t][k] for t in range(T)) for k in range(3)]
    return [dx, dnext, *weights], parts, totals


class _Spy:
    """The step backward handed to the learner: bpkit's, noting each call's step t."""

    def __init__(self, x, h0, hs):
        self.x, self.h0, self.hs, self.steps, self.bad_args = x, h0, hs, [], False

    def __call__(self, dh, x, h_prev, h, Wx, Wh):
        T = self.hs.shape[1]
        t = next((t for t in range(T) if np.shape(h) == self.hs[:, t].shape
                  and np.array_equal(h, self.hs[:, t])), None)
        self.steps.append(t)
        if t is None or not (
                np.array_equal(x, self.x[:, t])
                and np.array_equal(h_prev, self.hs[:, t - 1] if t else self.h0)):
            self.bad_args = True
        return _step(dh, x, h_prev, h, Wx, Wh)


def _run_loop(loop: Callable, case, first: bool):
    (dh, x, h0, hs, Wx, Wh), want = case
    spy = _Spy(x, h0, hs)
    got = (call if first else run)(loop, dh, x, h0, hs, Wx, Wh, spy)
    if got is NOT_ATTEMPTED:
        return NOT_ATTEMPTED, spy
    what = "five arrays: dx, dh0, dWx, dWh, db"
    return list(arrays(got, _LOOP_NAMES, name_of(loop), what)), spy


@hints_on_error(should="return (dx, dh0, dWx, dWh, db)")
def check_rnn_backward_loop(
    loop: Callable[..., tuple[np.ndarray, ...]],
) -> Feedback:
    """`rnn_backward_loop(dh, x, h0, hs, Wx, Wh, step_backward)` -> five gradients.

    It returns (dx, dh0, dWx, dWh, db) for the whole sequence.

    hs[:, t] (N, H) is step t's output, tanh(x[:, t] @ Wx + h_prev @ Wh + b), with
    h_prev = hs[:, t - 1] (h0 for t = 0); dh[:, t] is dL/dh from step t's own loss.
    step_backward(dh, x, h_prev, h, Wx, Wh) has exercise 1's signature; the check
    passes bpkit's rnn_step_backward behind it.
    """
    cases = [_loop_case(0, 2, 5, 3, 4), _loop_case(1, 3, 4, 6, 5)]
    got, spy = _run_loop(loop, cases[0], True)
    if got is NOT_ATTEMPTED:
        return not_attempted(_LOOP_SIG)
    got2, _ = _run_loop(loop, cases[1], False)
    want, want2 = cases[0][1], cases[1][1]
    early = _tuple_hint(
        [got, got2], [want, want2], _LOOP_NAMES, "rnn_backward_loop",
        "dh, x, h0, hs, Wx and Wh",
        {"dx": " (batch first, like x: dx[:, t] is step t's dx)",
         "dh0": " (the gradient of h0, what step 0 sends back)"})
    if early is not None:
        return early
    T = cases[0][0][1].shape[1]
    if _all_close(got, want) and _all_close(got2, want2):
        if sorted(spy.steps) != list(range(T)):
            return hint("the numbers are right, but the loop is the exercise: call "
                        "step_backward once per step, from t = T - 1 down to 0")
        return correct("dx, dh0, dWx, dWh and db match rnn_backward at two shapes")
    if _all_close(got, want):
        wrong = [n for n, g, w in zip(_LOOP_NAMES, got2, want2) if not _close(g, w)]
        return hint(f"right for the first sequence, but for a second one {', '.join(wrong)} "
                    f"{'is' if len(wrong) == 1 else 'are'} wrong: take T, N and the "
                    "arrays from the arguments, nothing from the first case")
    odd = non_finite(got, _LOOP_NAMES)
    if odd:
        return hint(odd)
    steps = [t for t in spy.steps if t is not None]
    if spy.bad_args:
        return hint("step t's backward takes x[:, t], h_prev = hs[:, t - 1] (h0 for "
                    "t = 0) and h_t = hs[:, t], with that step's total dL/dh_t")
    if not steps:
        return hint("call step_backward (the last argument) once per step, from "
                    "t = T - 1 down to 0, and collect what it returns")
    args = cases[0][0]

    def sums(total):
        return _slipped_loop(*args, total)

    no_carry = sums(lambda t, own, nxt: own)[0]
    if _all_close(got, no_carry):
        return hint("each step sees only its own dh[:, t]: dL/dh_t is dh[:, t] plus "
                    "the dh_prev that step t + 1 sends back, so carry it into the "
                    "next (earlier) step")
    last = T - 1
    no_own = sums(lambda t, own, nxt: own if t == last else nxt)[0]
    twice = [sums(lambda t, own, nxt: 2 * own + nxt)[0],
             sums(lambda t, own, nxt: own + (own if t == last else nxt))[0]]
    if _all_close(got, no_own):
        return hint("you carry the gradient back but drop each step's own dh[:, t]: "
                    "dL/dh_t = dh[:, t] + dh_next, the sum of both paths")
    if any(_all_close(got, w) for w in twice):
        return hint("dh[:, t] is counted twice: dL/dh_t = dh[:, t] + dh_next once, "
                    "with dh_next starting at zero at t = T - 1")
    if len(steps) >= 2 and steps == sorted(steps) and len(set(steps)) > 1:
        return hint("the loop runs forward in time: dL/dh_t needs what step t + 1 "
                    "sends back, so go from t = T - 1 down to 0")
    _, parts, totals = sums(lambda t, own, nxt: own + nxt)
    if _all_close(got[:2], want[:2]):
        single = [k for k in range(3) for t in (0, last)
                  if not _close(got[2 + k], want[2 + k]) and _close(got[2 + k],
                                                                      parts[t][k])]
        if single:
            names = ", ".join(dict.fromkeys(_LOOP_NAMES[2 + k] for k in single))
            return hint(f"{names} hold one step's share only: Wx, Wh and b are "
                        "shared by all T steps, so start them at zero and add (+=) "
                        "every step's dWx, dWh, db")
    if _all_close(got[:1] + got[2:], want[:1] + want[2:]):
        if _close(got[1], totals[0]):
            return hint("dh0 is the total gradient at hs[:, 0], step 0's output: "
                        "go through step 0 too, dh0 is the dh_prev that step 0 "
                        "returns")
        if _close(got[1], totals[last]) or _close(got[1], args[0][:, last]):
            return hint("dh0 is the last step's gradient; return what the loop "
                        "carries out of step 0, the dh_prev that step 0 returns")
        return hint("dh0 is wrong, the rest is right: dh0 is the dh_prev that step "
                    "0's backward returns")
    wrong = [n for n, g, w in zip(_LOOP_NAMES, got, want) if not _close(g, w)]
    return hint(f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong. For "
                "t from T - 1 down to 0: dL/dh_t = dh[:, t] + dh_next, step_backward "
                "gives dx[:, t] and the new dh_next, and dWx, dWh, db add up; dh0 is "
                "the last dh_next")


# ------------------------------------------------------------ the LSTM step
_LSTM_NAMES = ("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db")
_LSTM_SIG = "lstm_step_backward(dh, dc, cache)"


def _lstm_case(seed: int, N: int, D: int, H: int):
    """One LSTM step (bpkit's forward), its cache as the exercise's dict, dh and dc."""
    rng = np.random.default_rng(seed)
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    c_prev = rng.standard_normal((N, H))
    Wx, Wh = 0.6 * rng.standard_normal((D, 4 * H)), 0.6 * rng.standard_normal((H, 4 * H))
    b = 0.3 * rng.standard_normal(4 * H)
    h, c, cache = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    z = cache[3]  # (N, 4H): the gate values i, f, g, o side by side
    gates = {k: z[:, n * H:(n + 1) * H].copy() for n, k in enumerate(GATES)}
    state = dict(x=x, h_prev=h_prev, c_prev=c_prev, c=c, Wx=Wx, Wh=Wh, **gates)
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    want = lstm_step_backward(dh, dc, cache)
    return (dh, dc, state), list(want), (x, h_prev, c_prev, Wx, Wh, b)


def _lstm_fd_agrees(want: list, inputs: tuple, dh, dc) -> bool:
    """bpkit's dWx and db against central differences of sum(dh*h) + sum(dc*c)."""
    x, h_prev, c_prev, Wx, Wh, b = inputs

    def loss() -> float:
        h, c, _ = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
        return float((dh * h).sum() + (dc * c).sum())

    return (np.allclose(numerical_grad(lambda _: loss(), Wx), want[3], atol=1e-7)
            and np.allclose(numerical_grad(lambda _: loss(), b), want[5], atol=1e-7))


def _changed(args: tuple, pristine: tuple) -> str | None:
    """The name of the first argument (or cache entry) the learner changed."""
    (dh, dc, state), (dh0, dc0, state0) = args, pristine
    for name, a, b in [("dh", dh, dh0), ("dc", dc, dc0)] + [
            (f'cache["{k}"]', state.get(k), v) for k, v in state0.items()]:
        if not (isinstance(a, np.ndarray) and np.array_equal(a, b)):
            return name
    return None


def _fresh_case(case):
    (dh, dc, state), want, inputs = case
    return (dh.copy(), dc.copy(), {k: v.copy() for k, v in state.items()}), want, inputs


# each slip, switched on alone, and the hint that names it
_LSTM_SLIPS: list[tuple[dict, str]] = [
    (dict(cell_path=False),
     "the cell-state path is dropped: dc, the gradient step t + 1 sends back along "
     "c, adds to what comes through h: dc_total = dc + dh * o * (1 - tanh(c)**2)"),
    (dict(tanh_slope=False),
     "the (1 - tanh(c)**2) factor is missing: h = o * tanh(c), so the gradient "
     "reaching c through h is dh * o * (1 - tanh(c)**2)"),
    (dict(g_slope="sigmoid"),
     "g, the cell candidate, is a tanh, not a gate: its slope is 1 - g**2, not "
     "g * (1 - g)"),
    (dict(do_from="c"),
     "h = o * tanh(c), so dL/do = dh * tanh(c), not dh * c"),
    (dict(forget=False),
     "dc_prev misses the forget gate: c = f * c_prev + i * g, so "
     "dc_prev = dc_total * f"),
    (dict(do_from="dc_total"),
     "dL/do comes from h = o * tanh(c) alone: dh * tanh(c), not the cell's "
     "dc_total"),
    (dict(i_times="i"),
     "c = f * c_prev + i * g: the input gate's dL/di is dc_total * g (the value it "
     "multiplies), not dc_total * i"),
    (dict(slopes=False),
     "the gates' slopes are missing: dz holds dL/d(pre-activation), so each gate's "
     "dL/d(gate) is multiplied by its slope (i * (1 - i) for a sigmoid, 1 - g**2 "
     "for g)"),
    (dict(cell_path=False, forget=False),
     "the cell-state path is dropped and dc_prev misses f: "
     "dc_total = dc + dh * o * (1 - tanh(c)**2), and dc_prev = dc_total * f"),
]


def _lstm_slip(got: list, args: tuple, want: list) -> str | None:
    dh, dc, state = args
    for switches, text in _LSTM_SLIPS:
        if _all_close(got, list(slipped_backward(dh, dc, state, **switches))):
            return text
    for perm in itertools.permutations(GATES):
        order = "".join(perm)
        if order != GATES and _all_close(
                got, list(slipped_backward(dh, dc, state, order=order))):
            return (f"the four gate blocks are stacked as ({', '.join(order)}): "
                    "Wx, Wh and b hold them in PyTorch's order (i, f, g, o), so "
                    "concatenate dL/di, dL/df, dL/dg, dL/do in that order")
    if _all_close(got[:5], want[:5]):
        dz = slipped_dz(dh, dc, state)[0]  # (N, 4H): the rows db adds up
        for text, slip in batch_sum_mistakes("db", "b", "is added to",
                                             "dz.sum(axis=0)", "4H", lambda: dz):
            if _close(got[5], slip()):
                return text
    return None


@hints_on_error(should="return (dx, dh_prev, dc_prev, dWx, dWh, db)")
def check_lstm_step_backward(
    step_backward: Callable[..., tuple[np.ndarray, ...]],
) -> Feedback:
    """`lstm_step_backward(dh, dc, cache)` -> (dx, dh_prev, dc_prev, dWx, dWh, db).

    The step: i, f, g, o = split(x @ Wx + h_prev @ Wh + b) (sigmoid, sigmoid, tanh,
    sigmoid), c = f * c_prev + i * g, h = o * tanh(c). dh is dL/dh and dc is the
    dL/dc that step t + 1 sends back, both (N, H); cache is a dict of x, h_prev,
    c_prev, c, the gates i, f, g, o (each (N, H)), Wx (D, 4H) and Wh (H, 4H).
    Compared with bpkit's rnn.lstm_step_backward, itself checked here against
    central differences, at two shapes.
    """
    cases = [_lstm_case(0, 3, 4, 2), _lstm_case(1, 2, 3, 5)]
    args, want, inputs = _fresh_case(cases[0])
    got = call(step_backward, *args, copy=False)
    if got is NOT_ATTEMPTED:
        return not_attempted(_LSTM_SIG)
    who, what = name_of(step_backward), "six arrays: " + ", ".join(_LSTM_NAMES)
    got = list(arrays(got, _LSTM_NAMES, who, what))
    changed = _changed(args, _fresh_case(cases[0])[0])
    if changed:
        return hint(f"{who} changed {changed} in place (with +=, out= or a slice "
                    "assignment): the caller still needs it (lstm_backward's loop "
                    "reuses the cache), so compute into new arrays")
    args2, want2, _ = _fresh_case(cases[1])
    got2 = list(arrays(run(step_backward, *args2), _LSTM_NAMES, who, what))
    early = _tuple_hint(
        [got, got2], [want, want2], _LSTM_NAMES, "lstm_step_backward",
        "dh, dc and the cache",
        {"db": " (b is added to every row: sum dL/dz over axis 0)",
         "dWx": " (x.T @ dz: D rows, one column per gate unit, 4H)",
         "dWh": " (h_prev.T @ dz: H rows, 4H columns)"})
    if early is not None:
        return early
    args, want, inputs = _fresh_case(cases[0])
    if _all_close(got, want):
        if not _all_close(got2, want2):
            wrong = [n for n, g, w in zip(_LSTM_NAMES, got2, want2) if not _close(g, w)]
            return hint(f"right for the first step, but for a second one {', '.join(wrong)} "
                        f"{'is' if len(wrong) == 1 else 'are'} wrong: take every "
                        "array from dh, dc and the cache")
        if not _lstm_fd_agrees(want, inputs, args[0], args[1]):  # pragma: no cover
            return hint("bpkit's reference disagrees with finite differences here: "
                        "please report it")
        return correct("all six gradients match bpkit's lstm_step_backward at two "
                       "shapes, and its dWx and db match finite differences")
    odd = non_finite(got, _LSTM_NAMES)
    if odd:
        return hint(odd)
    if _all_close(got, [-w for w in want]):
        return hint("every gradient has the wrong sign: nothing in the step "
                    "subtracts, so no minus sign belongs in the backward")
    slip = _lstm_slip(got, args, want)
    if slip:
        return hint(slip)
    wrong = [n for n, g, w in zip(_LSTM_NAMES, got, want) if not _close(g, w)]
    right = [n for n in _LSTM_NAMES if n not in wrong]
    tail = f" ({', '.join(right)} right)" if right else ""
    return hint(f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong{tail}. "
                "Go back in the forward's order: dc_total = dc + dh * o * "
                "(1 - tanh(c)**2); dL/di, dL/df, dL/dg through c = f * c_prev + i * g "
                "and dL/do through h, each times its gate's slope; stack them (i, f, "
                "g, o) as dz; then the products of an RNN step, and dc_prev = "
                "dc_total * f")
