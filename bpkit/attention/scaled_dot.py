"""Softmax and scaled dot-product attention, forward and backward.

    S = Q K^T / sqrt(d)      scores, (T, S): one row per query, one column per key
    P = softmax(S) per row   attention weights; a masked score is -inf, so P is 0 there
    O = P V                  each output row is a weighted mean of the value rows

Backward, in three steps (row vectors):

    dV = P^T dO              O = P V is a matrix product: its two operands' gradients
    dP = dO V^T
    dS = P * (dP - rowsum(dP * P))      the softmax row Jacobian diag(p) - p p^T
    dQ = dS K / sqrt(d),  dK = dS^T Q / sqrt(d)

The Jacobian of one softmax row p is diag(p) - p p^T (symmetric), so
dS_row = dP_row (diag(p) - p p^T) = p * (dP_row - dP_row . p): no T x T matrix
is ever built. A masked entry has p = 0, so its score gets no gradient.

Shape letters: T queries, S keys, d the query/key size, e the value size; any
leading axes (batch N, heads h) broadcast as in numpy's matmul.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .._validate import float_array, positive_integer

__all__ = [
    "softmax", "softmax_backward", "causal_mask", "attention_forward",
    "attention_backward", "AttentionCache",
]


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(z) / sum(exp(z)) along `axis`, without overflow; -inf entries give 0.

    Inputs: z of any shape. Returns: p, the same shape, each slice summing to 1.
    A slice whose entries are all -inf has no softmax: a ValueError says so.
    """
    z = float_array("z", z)
    top = z.max(axis=axis, keepdims=True)
    if np.any(np.isneginf(top)):
        raise ValueError(
            "softmax: a row of z is -inf everywhere (every key masked?), so its "
            "weights would be 0/0; keep at least one entry per row"
        )
    e = np.exp(z - top)  # the largest entry becomes exp(0) = 1: no overflow
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(dp: np.ndarray, p: np.ndarray) -> np.ndarray:
    """dL/dz from dL/dp and p = softmax(z) (last axis): p * (dp - sum(dp * p)).

    Inputs: dp, p of the same shape (..., S). Returns: dz (..., S).
    """
    dp, p = float_array("dp", dp), float_array("p", p)
    if dp.shape != p.shape:
        raise ValueError(
            f"softmax_backward: dp has shape {dp.shape}, expected {p.shape} (p's)")
    return p * (dp - (dp * p).sum(axis=-1, keepdims=True))


def causal_mask(T: int, S: int | None = None) -> np.ndarray:
    """(T, S) booleans, True where query t may look at key s (s <= t + S - T).

    With S = T (self-attention) that is the lower triangle: no peeking ahead.
    """
    T = positive_integer("T", T)
    S = T if S is None else positive_integer("S", S)
    if S < T:
        raise ValueError(
            f"causal_mask: S = {S} keys for T = {T} queries; the first {T - S} "
            "queries would see no key (a causal mask needs S >= T)")
    return np.tril(np.ones((T, S), dtype=bool), k=S - T)


class AttentionCache(NamedTuple):
    """What `attention_backward` needs: the inputs, the weights and the scale."""

    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    p: np.ndarray
    scale: float


def _check_mask(mask: Any, T: int, S: int) -> np.ndarray:
    m = np.asarray(mask)
    if m.dtype != bool:
        raise TypeError(
            f"attention: mask must be a boolean array (True = may attend), got "
            f"dtype {m.dtype}")
    if m.shape[-2:] != (T, S) or m.ndim < 2:
        raise ValueError(
            f"attention: mask has shape {m.shape}, expected (T, S) = {(T, S)} "
            "(or with leading axes that broadcast)")
    if not m.any(axis=-1).all():
        raise ValueError(
            "attention: the mask hides every key from some query (a row of the "
            "mask is all False); each query needs at least one key")
    return m


def attention_forward(
    q: np.ndarray, k: np.ndarray, v: np.ndarray,
    mask: np.ndarray | None = None, causal: bool = False,
) -> tuple[np.ndarray, AttentionCache]:
    """softmax(q k^T / sqrt(d)) v, with keys hidden where `mask` is False.

    Inputs:  q (..., T, d), k (..., S, d), v (..., S, e); mask (T, S) booleans
             (True = may attend), or causal=True for `causal_mask(T, S)`.
    Returns: out (..., T, e), and the cache for `attention_backward`.
    """
    q, k, v = float_array("q", q), float_array("k", k), float_array("v", v)
    for name, a in (("q", q), ("k", k), ("v", v)):
        if a.ndim < 2:
            raise ValueError(
                f"attention: {name} has shape {a.shape}, expected (..., rows, features)")
    T, d = q.shape[-2:]
    S = k.shape[-2]
    if k.shape[-1] != d:
        raise ValueError(
            f"attention: k has shape {k.shape}, expected (..., S, {d}): keys and "
            "queries must have the same size d to be compared")
    if S == 0:
        raise ValueError(
            f"attention: k has shape {k.shape}: no keys (S = 0), so the softmax has "
            "nothing to weigh; give at least one key")
    if v.shape[-2] != S:
        raise ValueError(
            f"attention: v has shape {v.shape}, expected (..., {S}, e): one value "
            "per key")
    if causal:
        cm = causal_mask(T, S)
        mask = cm if mask is None else _check_mask(mask, T, S) & cm
    if mask is not None:
        mask = _check_mask(mask, T, S)
    scale = 1 / math.sqrt(d)
    s = (q @ np.swapaxes(k, -1, -2)) * scale  # (..., T, S)
    if mask is not None:
        s = np.where(mask, s, -np.inf)  # before the softmax: weights renormalise
    p = softmax(s)  # (..., T, S)
    return p @ v, AttentionCache(q, k, v, p, scale)  # (..., T, e)


def attention_backward(
    dout: np.ndarray, cache: AttentionCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dL/dq, dL/dk, dL/dv from dL/dout.

    Inputs:  dout (..., T, e), the cache of `attention_forward`.
    Returns: dq (..., T, d), dk (..., S, d), dv (..., S, e).
    """
    if not isinstance(cache, AttentionCache):
        raise TypeError(
            "attention_backward: cache must be the AttentionCache that "
            f"attention_forward returned, got {type(cache).__name__}")
    q, k, v, p, scale = cache
    dout = float_array("dout", dout)
    want = p.shape[:-1] + v.shape[-1:]
    if dout.shape != want:
        raise ValueError(
            f"attention_backward: dout has shape {dout.shape}, expected {want}")
    dv = np.swapaxes(p, -1, -2) @ dout  # (..., S, T) @ (..., T, e)
    dp = dout @ np.swapaxes(v, -1, -2)  # (..., T, e) @ (..., e, S)
    ds = softmax_backward(dp, p) * scale  # (..., T, S)
    dq = ds @ k  # (..., T, S) @ (..., S, d)
    dk = np.swapaxes(ds, -1, -2) @ q  # (..., S, T) @ (..., T, d)
    # a leading axis that was broadcast (one k for many q's) sums its gradients
    return (_unbroadcast(dq, q.shape), _unbroadcast(dk, k.shape),
            _unbroadcast(dv, v.shape))


def _unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum g over the axes numpy broadcast to reach it from `shape`."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g
