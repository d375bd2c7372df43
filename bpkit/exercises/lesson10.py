"""Checks for lesson 10 (attention): the softmax row backward, attention's backward,
layer norm's backward."""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from ..attention import attention_backward, attention_forward, causal_mask
from ..attention import layer_norm_backward, layer_norm_forward, softmax
from . import (
    NOT_ATTEMPTED, Feedback, array, arrays, batch_sum_mistakes, call, correct,
    hard_coded, hard_coded_hint, hint, hints_on_error, name_of, non_finite,
    not_attempted, order_hint, run, show,
)

__all__ = ["check_softmax_backward", "check_attention_backward",
           "check_layer_norm_backward"]


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=1e-10))


def _same_all(out, want) -> bool:
    return len(out) == len(want) and all(_same(o, w) for o, w in zip(out, want))


def _far(mine: np.ndarray, want: np.ndarray, name: str) -> str:
    """Where `mine` and `want` differ most, said without 'you give X, expected X'."""
    if mine.shape != want.shape:
        return f"{name} has shape {mine.shape}, expected {want.shape}"
    i = np.unravel_index(int(np.argmax(np.abs(mine - want))), want.shape)
    g, w = show(mine[i], want[i], ".4g")
    where = ", ".join(str(int(j)) for j in i)
    return f"{name} has the right shape but {name}[{where}] is {g} where it should be {w}"


def _judge(outs, wants, args, names, rules) -> Feedback:
    """One hint per wrong output: a named mistake if one matches at every case.

    Outputs sharing one mistake (a mask after the softmax spoils all three) get
    it once; the outputs that are right are named first.
    """
    wrong: dict[str, str] = {}
    for k, name in enumerate(names):
        if all(_same(o[k], w[k]) for o, w in zip(outs, wants)):
            continue
        for message, mistake in rules.get(name, []):
            try:
                if all(_same(o[k], mistake(*a)) for o, a in zip(outs, args)):
                    wrong[name] = message
                    break
            except (ValueError, FloatingPointError, IndexError):
                continue
        else:
            wrong[name] = _far(outs[0][k], wants[0][k], name)
    ok = [n for n in names if n not in wrong]
    messages = list(dict.fromkeys(wrong.values()))  # each distinct hint once
    prefix = f"{', '.join(ok)} right; " if ok else ""
    return hint(prefix + "; ".join(messages))


def _first_answer(fn: Callable, args: tuple, names: tuple[str, ...]):
    """The learner's answer on the first case as arrays, or NOT_ATTEMPTED."""
    got = call(fn, *args)
    if got is NOT_ATTEMPTED:
        return NOT_ATTEMPTED
    what = f"three arrays, in the order ({', '.join(names)})"
    return arrays(got, names, name_of(fn), what)


def _next_answer(fn: Callable, args: tuple, names: tuple[str, ...]):
    """The learner's answer on a later case (a stub there is a hint)."""
    what = f"three arrays, in the order ({', '.join(names)})"
    return arrays(run(fn, *args), names, name_of(fn), what)


# ------------------------------------------------------------- 1. softmax rows
def _softmax_case(k: int):
    """(dp, p): 0 = causal (5, 5) weights (square, zeros above the diagonal),
    1 = dense (3, 6) weights."""
    rng = np.random.default_rng(10 + k)
    T, S = ((5, 5), (3, 6))[k]
    s = rng.standard_normal((T, S))
    if k == 0:
        s = np.where(causal_mask(T), s, -np.inf)
    return rng.standard_normal((T, S)), softmax(s)


def _rows(dp, p):
    return (dp * p).sum(axis=1, keepdims=True)


_SOFTMAX_MISTAKES = [
    ("ds = p * dp is missing the subtraction of the row sum: every weight of a row "
     "depends on every score of that row through the normalisation, so subtract the "
     "row's weighted mean first: p * (dp - (dp * p).sum(axis=1, keepdims=True))",
     lambda dp, p: p * dp),
    ("the row sums come from the transposed product dp @ p.T, which pairs row t of dp "
     "with every row of p; each row needs only its own dot product, "
     "(dp * p).sum(axis=1, keepdims=True) (the diagonal of dp @ p.T)",
     lambda dp, p: p * (dp - dp @ p.T)),
    ("the sum runs down the columns (axis=0); the softmax normalises each row, so sum "
     "each row: (dp * p).sum(axis=1, keepdims=True)",
     lambda dp, p: p * (dp - (dp * p).sum(axis=0, keepdims=True))),
    ("the row sums lost their axis: (dp * p).sum(axis=1) has shape (T,) and "
     "broadcasts along the rows; keep it a column with keepdims=True",
     lambda dp, p: p * (dp - (dp * p).sum(axis=1))),
    ("the subtraction sums over the whole matrix; each row is its own softmax, so "
     "sum per row: (dp * p).sum(axis=1, keepdims=True)",
     lambda dp, p: p * (dp - (dp * p).sum())),
    ("the final multiplication by p is missing: ds = p * (dp - row sum), "
     "from the Jacobian diag(p) - p p^T",
     lambda dp, p: dp - _rows(dp, p)),
    ("p * (1 - p) * dp keeps only the Jacobian's diagonal; the off-diagonal "
     "entries -p_i p_j count too, which gives p * (dp - (dp * p).sum(axis=1, "
     "keepdims=True))",
     lambda dp, p: p * (1 - p) * dp),
    ("ds is transposed: it has the shape of p, one row per query, ds[t, s] for "
     "score s of row t", lambda dp, p: (p * (dp - _rows(dp, p))).T),
    ("ds has the wrong sign: ds = p * (dp - row sum), not the reverse",
     lambda dp, p: -p * (dp - _rows(dp, p))),
    ("the subtracted term is the plain mean of dp's row; the softmax's Jacobian "
     "subtracts the mean weighted by p, (dp * p).sum(axis=1, keepdims=True) (the "
     "weights sum to 1, so this is a weighted mean)",
     lambda dp, p: p * (dp - dp.mean(axis=1, keepdims=True))),
    ("the subtracted row sum leaves out the weights: it is (dp * p).sum(axis=1, "
     "keepdims=True), dp's mean weighted by p, not dp.sum(axis=1, keepdims=True)",
     lambda dp, p: p * (dp - dp.sum(axis=1, keepdims=True))),
]


@hints_on_error(should="return an array ds of the shape of p")
def check_softmax_backward(softmax_rows_backward: Callable) -> Feedback:
    """`softmax_rows_backward(dp, p)` -> ds (T, S), for p = softmax(s) along each row."""
    fn = softmax_rows_backward
    args = [_softmax_case(k) for k in range(2)]
    wants = [p * (dp - _rows(dp, p)) for dp, p in args]
    got = call(fn, *args[0])
    if got is NOT_ATTEMPTED:
        return not_attempted("softmax_rows_backward(dp, p)")
    who, what = name_of(fn), "an array ds of shape (T, S)"
    got = array(got, who, what)
    if got.shape != wants[0].shape:
        return hint(f"ds has shape {got.shape}, expected {wants[0].shape}, the shape "
                    "of p: one gradient per score")
    if not _same(got, wants[0]):
        odd = non_finite([got], ["ds"])
        if odd:
            return hint(odd)
        for message, mistake in _SOFTMAX_MISTAKES:
            if _same(got, mistake(*args[0])):
                return hint(message)
        return hint(_far(got, wants[0], "ds") + ": per row, ds = p * (dp - dp . p)")
    got2 = array(run(fn, *args[1]), who, what)
    if hard_coded([got, got2], wants, _same):
        return hard_coded_hint("softmax_rows_backward", "dp and p")
    if not _same(got2, wants[1]):
        return hint("right for the square (5, 5) weights, but not for (3, 6) ones: "
                    "sum each row (axis=1, keepdims=True), whatever the shape")
    return correct("ds = p * (dp - (dp * p).sum(axis=1, keepdims=True)): the row "
                   "Jacobian diag(p) - p p^T, applied without building it")


# ------------------------------------------------------------- 2. attention
def _attention_case(k: int):
    """(dout, q, k, v, mask): 0 = causal self-attention T = S = 5, d = 4, e = 3;
    1 = no mask, T = 4 queries, S = 6 keys, d = 2, e = 5."""
    rng = np.random.default_rng(20 + k)
    T, S, d, e = ((5, 5, 4, 3), (4, 6, 2, 5))[k]
    q, kk, v = (rng.standard_normal(s) for s in ((T, d), (S, d), (S, e)))
    mask = causal_mask(T) if k == 0 else None
    return rng.standard_normal((T, e)), q, kk, v, mask


@functools.lru_cache(maxsize=None)
def _attention_want(k: int):
    dout, q, kk, v, mask = _attention_case(k)
    _, cache = attention_forward(q, kk, v, mask=mask)
    return attention_backward(dout, cache)


def _weights(q, k, mask, scale=True, after=False, use_mask=True, d=None,
             multiply=False):
    """The softmax weights, right (defaults) or with a classic slip: `d` the size
    under the square root (q.shape[1] when None), `multiply` the mask times s."""
    root = np.sqrt(q.shape[1] if d is None else d)
    s = q @ k.T / (root if scale else 1.0)
    if mask is not None and use_mask and multiply:
        s = s * mask  # a score of 0 is still seen
    elif mask is not None and use_mask and not after:
        s = np.where(mask, s, -np.inf)
    p = softmax(s)
    if mask is not None and use_mask and after:
        p = p * mask  # hidden after the softmax: the rows no longer sum to 1
    return p


def _attention_grads(dout, q, k, v, mask, scale=True, after=False, use_mask=True,
                     back_scale=1, d=None, multiply=False):
    """The gradients, right (defaults) or with slips; `back_scale` counts the
    divisions of ds by sqrt(d) (1 is right)."""
    p = _weights(q, k, mask, scale, after, use_mask, d, multiply)
    dp = dout @ v.T
    ds = p * (dp - (dp * p).sum(axis=1, keepdims=True))
    if scale:
        ds = ds / np.sqrt(q.shape[1] if d is None else d) ** back_scale
    return ds @ k, ds.T @ q, p.T @ dout


def _ds(dout, q, k, v, mask):
    p = _weights(q, k, mask)
    dp = dout @ v.T
    return p * (dp - (dp * p).sum(axis=1, keepdims=True)) / np.sqrt(q.shape[1]), p


_AFTER = ("the mask is applied after the softmax (p * mask): the hidden keys' weights "
          "are zeroed but the visible ones no longer sum to 1; set the hidden scores "
          "to -inf before the softmax, np.where(mask, s, -np.inf)")
_IGNORED = ("the mask is ignored: the hidden keys still get weight and gradient; set "
            "their scores to -inf before the softmax, np.where(mask, s, -np.inf)")
_MULTIPLY = ("the mask multiplies the scores (s * mask): a score of 0 is not hidden, "
             "exp(0) still gives it weight; set the masked scores to -inf (or a large "
             "negative number) before the softmax, np.where(mask, s, -np.inf)")
_D_FROM_V = ("d is the size of the queries and keys, q.shape[1]; the scale 1/sqrt(d) "
             "does not use the values' size v.shape[1]")
_D_FROM_T = ("d is the size of the queries and keys, q.shape[1], not the number of "
             "positions (q.shape[0] or len(q))")
_BY_D = ("the scores are divided by d; the scale is 1/sqrt(d): q @ k.T / "
         "np.sqrt(q.shape[1]), and ds carries the same 1/sqrt(d)")
_NO_SCALE = ("the 1/sqrt(d) is missing: the scores are q @ k.T / sqrt(d), so the "
             "softmax sees scaled scores and ds carries the factor 1/sqrt(d) into dq "
             "and dk")


def _no_back_scale(name: str) -> str:
    return (f"{name} is sqrt(d) times too large: the forward divided the scores by "
            "sqrt(d), so the backward divides ds by sqrt(d) too")


def _twice_back_scale(name: str) -> str:
    return (f"{name} is sqrt(d) times too small: ds is divided by sqrt(d) once, for "
            "the one 1/sqrt(d) of the forward pass; it was divided twice")


def _shared_slips(i: int) -> list:
    """Forward-pass slips that spoil output i (0 dq, 1 dk, 2 dv) the same way."""
    return [
        (_AFTER, lambda *a: _attention_grads(*a, after=True)[i]),
        (_MULTIPLY, lambda *a: _attention_grads(*a, multiply=True)[i]),
        (_IGNORED, lambda *a: _attention_grads(*a, use_mask=False)[i]),
        (_NO_SCALE, lambda *a: _attention_grads(*a, scale=False)[i]),
        (_D_FROM_V, lambda *a: _attention_grads(*a, d=a[3].shape[1])[i]),
        (_D_FROM_T, lambda *a: _attention_grads(*a, d=a[1].shape[0])[i]),
        (_BY_D, lambda *a: _attention_grads(*a, d=a[1].shape[1] ** 2)[i]),
    ]


_ATTENTION_RULES = {
    "dq": [
        *_shared_slips(0),
        (_no_back_scale("dq"), lambda *a: _attention_grads(*a, back_scale=0)[0]),
        (_twice_back_scale("dq"), lambda *a: _attention_grads(*a, back_scale=2)[0]),
        ("dq uses ds.T: the operands are swapped; query t's scores are row t of s, "
         "so dq = ds @ k", lambda *a: _ds(*a)[0].T @ a[2]),
        ("dq is missing the softmax's row-sum subtraction: ds = p * (dp - (dp * "
         "p).sum(axis=1, keepdims=True)), then dq = ds @ k",
         lambda d, q, k, v, m: (_weights(q, k, m) * (d @ v.T)) @ k / np.sqrt(q.shape[1])),
    ],
    "dk": [
        *_shared_slips(1),
        (_no_back_scale("dk"), lambda *a: _attention_grads(*a, back_scale=0)[1]),
        (_twice_back_scale("dk"), lambda *a: _attention_grads(*a, back_scale=2)[1]),
        ("dk uses ds, not ds.T: the operands are swapped; key s is column s of the "
         "scores, so dk = ds.T @ q", lambda *a: _ds(*a)[0] @ a[1]),
        ("dk is missing the softmax's row-sum subtraction: ds = p * (dp - (dp * "
         "p).sum(axis=1, keepdims=True)), then dk = ds.T @ q",
         lambda d, q, k, v, m: (_weights(q, k, m) * (d @ v.T)).T @ q / np.sqrt(q.shape[1])),
    ],
    "dv": [
        *_shared_slips(2),
        ("dv = p @ dout has its operands swapped: value s is used by every query t "
         "with weight p[t, s] (column s of p), so dv = p.T @ dout",
         lambda *a: _ds(*a)[1] @ a[0]),
    ],
}


@hints_on_error(should="return (dq, dk, dv)")
def check_attention_backward(attention_grads: Callable) -> Feedback:
    """`attention_grads(dout, q, k, v, mask)` -> (dq, dk, dv) for
    out = softmax(masked q @ k.T / sqrt(d)) @ v; mask (T, S) booleans or None."""
    fn = attention_grads
    names = ("dq", "dk", "dv")
    args = [_attention_case(k) for k in range(2)]
    wants = [_attention_want(k) for k in range(2)]
    first = _first_answer(fn, args[0], names)
    if first is NOT_ATTEMPTED:
        return not_attempted("attention_grads(dout, q, k, v, mask)")
    if not _same_all(first, wants[0]):
        order = order_hint([first], [wants[0]], names, _same)
        if order:
            return hint(order)
        odd = non_finite(first, names)
        if odd:
            return hint(odd)
        for name, g, w in zip(names, first, wants[0]):
            if g.shape != w.shape:
                return hint(f"{name} has shape {g.shape}, expected {w.shape}, the shape "
                            f"of {name[1:]}: check which operand is transposed")
        if _same_all(first, [-w for w in wants[0]]):
            return hint("every gradient has the wrong sign")
        return _judge([first], [wants[0]], [args[0]], names, _ATTENTION_RULES)
    second = _next_answer(fn, args[1], names)
    if hard_coded([first, second], wants, _same_all):
        return hard_coded_hint("attention_grads", "dout, q, k, v and mask")
    if not _same_all(second, wants[1]):
        wrong = [n for n, g, w in zip(names, second, wants[1]) if not _same(g, w)]
        return hint(f"right for causal self-attention (5 queries, 5 keys), but for 4 "
                    f"queries, 6 keys and no mask {', '.join(wrong)} "
                    f"{'is' if len(wrong) == 1 else 'are'} wrong: handle mask=None, "
                    "and take d from q.shape[1]")
    return correct("dv = p.T @ dout, dp = dout @ v.T, ds = p * (dp - row sums) / "
                   "sqrt(d), dq = ds @ k, dk = ds.T @ q; as bpkit's "
                   "attention_backward")


# ------------------------------------------------------------- 3. layer norm
_EPS = 1e-5


def _ln_case(k: int):
    """(dout, x, gamma, eps): 0 = N 4, D 5; 1 = N 3, D 6."""
    rng = np.random.default_rng(30 + k)
    N, D = ((4, 5), (3, 6))[k]
    x = rng.normal(1.0, 2.0, (N, D))
    return rng.standard_normal((N, D)), x, rng.normal(1.0, 0.5, D), _EPS


@functools.lru_cache(maxsize=None)
def _ln_want(k: int):
    dout, x, gamma, eps = _ln_case(k)
    _, cache = layer_norm_forward(x, gamma, np.zeros_like(gamma), eps)
    return layer_norm_backward(dout, cache)


def _ln_dx(dout, x, gamma, eps, axis=1, ddof=0, use_gamma=True, mean_term=True,
           var_term=True):
    mu = x.mean(axis=axis, keepdims=True)
    std = np.sqrt(x.var(axis=axis, keepdims=True, ddof=ddof) + eps)
    xhat = (x - mu) / std
    g = dout * gamma if use_gamma else dout
    dx = g
    if mean_term:
        dx = dx - g.mean(axis=axis, keepdims=True)
    if var_term:
        dx = dx - xhat * (g * xhat).mean(axis=axis, keepdims=True)
    return dx / std


def _xhat(x, eps, ddof=0):
    std = np.sqrt(x.var(axis=1, keepdims=True, ddof=ddof) + eps)
    return (x - x.mean(axis=1, keepdims=True)) / std


_DDOF = ("xhat uses the unbiased variance (ddof=1); layer norm divides by D, "
         "x.var(axis=1, keepdims=True)")
_NO_EPS = ("xhat leaves eps out: the standard deviation is np.sqrt(x.var(axis=1, "
           "keepdims=True) + eps), in the forward pass and so in the backward")


_LN_RULES = {
    "dx": [
        ("dx takes batch norm's means, over the batch (axis 0); layer norm normalises "
         "each row over its own features, so mu, var and both means in dx run over "
         "axis=1", lambda d, x, g, e: _ln_dx(d, x, g, e, axis=0)),
        ("dx is missing both mean terms: the row's mean and variance depend on every "
         "x of the row, so subtract mean(g) and xhat * mean(g * xhat) over axis=1",
         lambda d, x, g, e: _ln_dx(d, x, g, e, mean_term=False, var_term=False)),
        ("dx is missing the variance's term: also subtract xhat * mean(g * xhat, "
         "axis=1, keepdims=True)", lambda d, x, g, e: _ln_dx(d, x, g, e, var_term=False)),
        ("dx is missing the mean's term: also subtract mean(g, axis=1, keepdims=True)",
         lambda d, x, g, e: _ln_dx(d, x, g, e, mean_term=False)),
        ("dx misses gamma: y = gamma * xhat + beta, so g = dout * gamma before the "
         "normalisation's backward", lambda d, x, g, e: _ln_dx(d, x, g, e, use_gamma=False)),
        (_DDOF, lambda d, x, g, e: _ln_dx(d, x, g, e, ddof=1)),
        (_NO_EPS, lambda d, x, g, e: _ln_dx(d, x, g, 0.0)),
        ("dx has the wrong sign", lambda d, x, g, e: -_ln_dx(d, x, g, e)),
    ],
    "dgamma": [
        ("dgamma uses x where it needs xhat: gamma scales the normalised input, so "
         "dgamma = (dout * xhat).sum(axis=0)", lambda d, x, g, e: (d * x).sum(axis=0)),
        ("dgamma normalises with batch statistics (axis 0); xhat is per row, over "
         "axis=1", lambda d, x, g, e: (d * (x - x.mean(0)) / np.sqrt(x.var(0) + e)).sum(0)),
        (_DDOF, lambda d, x, g, e: (d * _xhat(x, e, ddof=1)).sum(axis=0)),
        (_NO_EPS, lambda d, x, g, e: (d * _xhat(x, 0.0)).sum(axis=0)),
        *batch_sum_mistakes("dgamma", "gamma", "scales", "(dout * xhat).sum(axis=0)",
                            "D", lambda d, x, g, e: d * _xhat(x, e)),
    ],
    "dbeta": batch_sum_mistakes("dbeta", "beta", "is added to", "dout.sum(axis=0)",
                                "D", lambda d, x, g, e: d),
}


@hints_on_error(should="return (dx, dgamma, dbeta)")
def check_layer_norm_backward(layer_norm_grads: Callable) -> Feedback:
    """`layer_norm_grads(dout, x, gamma, eps)` -> (dx, dgamma, dbeta) for
    y = gamma * xhat + beta, each row of x normalised over its features."""
    fn = layer_norm_grads
    names = ("dx", "dgamma", "dbeta")
    args = [_ln_case(k) for k in range(2)]
    wants = [_ln_want(k) for k in range(2)]
    first = _first_answer(fn, args[0], names)
    if first is NOT_ATTEMPTED:
        return not_attempted("layer_norm_grads(dout, x, gamma, eps)")
    outs = [first, _next_answer(fn, args[1], names)]
    if all(_same_all(o, w) for o, w in zip(outs, wants)):
        return correct("dx = (g - mean(g) - xhat * mean(g * xhat)) / std per row, "
                       "g = dout * gamma; dgamma and dbeta sum over the rows; as "
                       "bpkit's layer_norm_backward")
    if hard_coded(outs, wants, _same_all):
        return hard_coded_hint("layer_norm_grads", "dout, x, gamma and eps")
    order = order_hint(outs, wants, names, _same)
    if order:
        return hint(order)
    odd = non_finite(outs[0], names)
    if odd:
        return hint(odd)
    return _judge(outs, wants, args, names, _LN_RULES)
