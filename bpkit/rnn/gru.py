"""The GRU over whole sequences, forward and backward (BPTT)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._norm import grad_norm
from .._validate import float_array
from ._checks import (
    _as,
    _check_cache,
    _check_dh,
    _check_state,
    _check_weights,
    _check_x,
    _float_dtype,
    _shape_error,
    _sigmoid_,
    _weights_array,
)
from ._chunks import _batch_major, _chunk_size, _chunks, _weight_grads_

__all__ = ["gru_forward", "gru_backward", "GRUGrads"]


class GRUCache(NamedTuple):
    x: np.ndarray  # (N, T, D)
    h0: np.ndarray  # (N, H)
    z: np.ndarray  # (T, N, 3H): gate values r, u, n
    hn: np.ndarray  # (T, N, H): h_prev @ Wh_n + bh_n, which r multiplies
    h: np.ndarray  # (T, N, H)
    Wx: np.ndarray
    Wh: np.ndarray
    bx: np.ndarray
    bh: np.ndarray


class GRUGrads(NamedTuple):
    dx: np.ndarray  # (N, T, D)
    dh0: np.ndarray  # (N, H)
    dWx: np.ndarray  # (D, 3H)
    dWh: np.ndarray  # (H, 3H)
    dbx: np.ndarray  # (3H,)
    dbh: np.ndarray  # (3H,)
    dh_norms: np.ndarray  # (T,)


def gru_forward(
    x: np.ndarray,
    h0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    bx: np.ndarray,
    bh: np.ndarray,
) -> tuple[np.ndarray, GRUCache]:
    """Run a GRU over a sequence (PyTorch's equations and gate order r, u, n).

        r = sigmoid(x Wx_r + bx_r + h_prev Wh_r + bh_r)      reset gate
        u = sigmoid(x Wx_u + bx_u + h_prev Wh_u + bh_u)      update gate
        n = tanh(x Wx_n + bx_n + r * (h_prev Wh_n + bh_n))   candidate
        h = (1 - u) * n + u * h_prev

    Inputs: x (N, T, D), h0 (N, H), Wx (D, 3H), Wh (H, 3H), bx (3H,), bh (3H,).
    Returns: h (N, T, H) and the cache for `gru_backward`.
    """
    for name, w in (("Wx", Wx), ("Wh", Wh), ("bx", bx), ("bh", bh)):
        _weights_array("gru_forward", name, w)
    D, H = _check_weights("gru_forward", Wx, Wh, bx, 3)
    if np.shape(bh) != (3 * H,):
        raise _shape_error("gru_forward", "bh", np.shape(bh), f"({3 * H},) = (3H,)")
    dt = _float_dtype(Wx, Wh, bx, bh)
    x, h0 = _as(float_array("x", x), dt), _as(float_array("h0", h0), dt)
    N, T = _check_x("gru_forward", x, D)
    _check_state("gru_forward", "h0", h0, N, H)
    z = x.transpose(1, 0, 2) @ Wx  # (T, N, 3H)
    z += bx
    hn, h = np.empty((T, N, H), dt), np.empty((T, N, H), dt)
    h_prev = h0
    for t in range(T):
        zt = z[t]
        gh = h_prev @ Wh + bh  # (N, 3H)
        zt[:, : 2 * H] += gh[:, : 2 * H]
        _sigmoid_(zt[:, : 2 * H])  # r, u
        hn[t] = gh[:, 2 * H :]
        zt[:, 2 * H :] += zt[:, :H] * hn[t]
        np.tanh(zt[:, 2 * H :], out=zt[:, 2 * H :])  # n
        n, u = zt[:, 2 * H :], zt[:, H : 2 * H]
        np.subtract(h_prev, n, out=h[t])
        h[t] *= u
        h[t] += n  # n + u (h_prev - n)
        h_prev = h[t]
    return h.transpose(1, 0, 2), GRUCache(x, h0, z, hn, h, Wx, Wh, bx, bh)


def gru_backward(
    dh: np.ndarray, cache: GRUCache, chunk: int | None = None, need_dx: bool = True
) -> GRUGrads:
    """BPTT through a GRU. dh (N, T, H) is dL/dh_t from the loss at every step.

    Returns: `GRUGrads(dx, dh0, dWx, dWh, dbx, dbh, dh_norms)`.
    """
    _check_cache("gru_backward", cache, 9, "gru_forward")
    x, h0, z, hn, h, Wx, Wh, bx, bh = cache
    T, N, H = h.shape
    chunk = _chunk_size(T, chunk)
    dh = float_array("dh", dh)
    _check_dh("gru_backward", dh, N, T, H)
    dh = _as(dh, h.dtype).transpose(1, 0, 2)
    WhT, WxT = np.ascontiguousarray(Wh.T), np.ascontiguousarray(Wx.T)
    dx = np.empty((T, N, x.shape[2]), h.dtype) if need_dx else None
    dWx, dWh = np.zeros_like(Wx), np.zeros_like(Wh)
    dbx, dbh = np.zeros_like(bx), np.zeros_like(bh)
    norms = np.empty(T)
    bufx = np.empty((min(chunk, T), N, 3 * H), h.dtype)  # dL/d(x-side pre-acts)
    bufh = np.empty((min(chunk, T), N, 3 * H), h.dtype)  # dL/d(h-side products)
    dnext = np.zeros((N, H), h.dtype)
    for start, stop in _chunks(T, chunk):
        dzx, dzh = bufx[: stop - start], bufh[: stop - start]
        for t in range(stop - 1, start - 1, -1):
            g = dh[t] + dnext  # dL/dh_t
            norms[t] = grad_norm(g)
            zt, dxs, dhs = z[t], dzx[t - start], dzh[t - start]
            r, u, n = zt[:, :H], zt[:, H : 2 * H], zt[:, 2 * H :]
            h_prev = h[t - 1] if t > 0 else h0
            dan = g * (1 - u) * (1 - n * n)  # through n = tanh(a_n)
            dxs[:, 2 * H :] = dan
            dhs[:, 2 * H :] = dan * r  # a_n = ... + r * hn
            dxs[:, :H] = dan * hn[t] * r * (1 - r)  # reset gate
            dxs[:, H : 2 * H] = g * (h_prev - n) * u * (1 - u)  # update gate
            dhs[:, : 2 * H] = dxs[:, : 2 * H]
            dnext = dhs @ WhT
            dnext += g * u  # h = ... + u * h_prev
        if need_dx:
            np.matmul(dzx, WxT, out=dx[start:stop])
        _weight_grads_(dWx, dWh, dbx, dzx, x, h0, h, start, stop, dXh=dzh)
        dbh += dzh.reshape(-1, 3 * H).sum(axis=0)
    return GRUGrads(_batch_major(dx), dnext, dWx, dWh, dbx, dbh, norms)
