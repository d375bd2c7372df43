"""The LSTM, one step and whole sequences, forward and backward (BPTT)."""

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
    _float_result,
    _real,
    _shape_error,
    _sigmoid_,
    _weights_array,
)
from ._chunks import _batch_major, _chunk_size, _chunks, _weight_grads_

__all__ = [
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
    "LSTMGrads",
]


# gates in PyTorch's order: input i, forget f, cell candidate g, output o
def _lstm_gates_(z: np.ndarray, H: int) -> None:
    """Pre-activations (..., 4H) -> gate values i, f, g, o, in place."""
    _sigmoid_(z[..., : 2 * H])
    np.tanh(z[..., 2 * H : 3 * H], out=z[..., 2 * H : 3 * H])
    _sigmoid_(z[..., 3 * H :])


def lstm_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One LSTM step.

        i, f, g, o = split(x @ Wx + h_prev @ Wh + b)   (sigmoid, sigmoid, tanh, sigmoid)
        c = f * c_prev + i * g
        h = o * tanh(c)

    Inputs: x (N, D), h_prev (N, H), c_prev (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,).
    Returns: h (N, H), c (N, H), cache.
    """
    x, h_prev = _real("x", x), _real("h_prev", h_prev)
    c_prev = _real("c_prev", c_prev)
    Wx, Wh, b = _real("Wx", Wx), _real("Wh", Wh), _real("b", b)
    D, H = _check_weights("lstm_step_forward", Wx, Wh, b, 4)
    if x.ndim != 2 or x.shape[1] != D:
        raise _shape_error("lstm_step_forward", "x", x.shape, f"(N, {D}) = (N, D)")
    _check_state("lstm_step_forward", "h_prev", h_prev, x.shape[0], H)
    _check_state("lstm_step_forward", "c_prev", c_prev, x.shape[0], H)
    _float_result("lstm_step_forward", x, h_prev, c_prev, Wx, Wh, b)
    z = x @ Wx + h_prev @ Wh + b  # (N, 4H)
    _lstm_gates_(z, H)
    i, f, g, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c, (x, h_prev, c_prev, z, c, Wx, Wh)


def lstm_step_backward(
    dh: np.ndarray, dc: np.ndarray, cache: tuple
) -> tuple[np.ndarray, ...]:
    """Backward of one LSTM step, given dL/dh (N, H) and dL/dc (N, H) from later.

    Returns: dx (N, D), dh_prev, dc_prev (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,).
    """
    _check_cache("lstm_step_backward", cache, 7, "lstm_step_forward")
    x, h_prev, c_prev, z, c, Wx, Wh = cache
    H = c.shape[1]
    dh, dc_arr = float_array("dh", dh), float_array("dc", dc)
    if dh.shape != c.shape:
        raise _shape_error("lstm_step_backward", "dh", dh.shape, f"{c.shape} = (N, H)")
    if dc_arr.ndim:  # a scalar dc (0.0: nothing from later) stays as given
        if dc_arr.shape != c.shape:
            raise _shape_error(
                "lstm_step_backward", "dc", dc_arr.shape, f"{c.shape} = (N, H)"
            )
        dc = dc_arr
    i, f, g, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
    tc = np.tanh(c)
    dc = dc + dh * o * (1 - tc**2)  # dL/dc: through h = o tanh(c), and from later
    dz = np.concatenate(
        [dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
         dh * tc * o * (1 - o)],
        axis=1,
    )  # (N, 4H): dL/d(pre-activations)
    return dz @ Wx.T, dz @ Wh.T, dc * f, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


class LSTMCache(NamedTuple):
    x: np.ndarray  # (N, T, D)
    h0: np.ndarray  # (N, H)
    c0: np.ndarray  # (N, H)
    z: np.ndarray  # (T, N, 4H) gate values
    c: np.ndarray  # (T, N, H)
    h: np.ndarray  # (T, N, H)
    Wx: np.ndarray
    Wh: np.ndarray
    b: np.ndarray


class LSTMGrads(NamedTuple):
    """Gradients from `lstm_backward`; dh_norms[t] = ||dL/dh_t||, dc_norms likewise."""

    dx: np.ndarray  # (N, T, D)
    dh0: np.ndarray  # (N, H)
    dc0: np.ndarray  # (N, H)
    dWx: np.ndarray  # (D, 4H)
    dWh: np.ndarray  # (H, 4H)
    db: np.ndarray  # (4H,)
    dh_norms: np.ndarray  # (T,)
    dc_norms: np.ndarray  # (T,)


def lstm_forward(
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
) -> tuple[np.ndarray, LSTMCache]:
    """Run an LSTM over a sequence (gates i, f, g, o, as PyTorch orders them).

    Inputs: x (N, T, D), h0 (N, H), c0 (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,).
    Returns: h (N, T, H) and the cache for `lstm_backward`.
    """
    for name, w in (("Wx", Wx), ("Wh", Wh), ("b", b)):
        _weights_array("lstm_forward", name, w)
    D, H = _check_weights("lstm_forward", Wx, Wh, b, 4)
    dt = _float_dtype(Wx, Wh, b)
    x, h0 = _as(float_array("x", x), dt), _as(float_array("h0", h0), dt)
    c0 = _as(float_array("c0", c0), dt)
    N, T = _check_x("lstm_forward", x, D)
    _check_state("lstm_forward", "h0", h0, N, H)
    _check_state("lstm_forward", "c0", c0, N, H)
    # sigmoid(a) = (1 + tanh(a / 2)) / 2: with the sigmoid gates' columns of the
    # weights halved once, one tanh per step serves all four gates
    half = np.where((np.arange(4 * H) // H) == 2, 1.0, 0.5).astype(dt)
    z = x.transpose(1, 0, 2) @ (Wx * half)  # (T, N, 4H), turned into gate values
    z += b * half
    Wh_half = Wh * half
    h, c = np.empty((T, N, H), dt), np.empty((T, N, H), dt)
    h_prev, c_prev = h0, c0
    for t in range(T):
        zt = z[t]
        zt += h_prev @ Wh_half
        np.tanh(zt, out=zt)
        for sig in (zt[:, : 2 * H], zt[:, 3 * H :]):  # i, f and o: (1 + tanh) / 2
            sig += 1
            sig *= 0.5
        np.multiply(zt[:, H : 2 * H], c_prev, out=c[t])  # f * c_prev
        c[t] += zt[:, :H] * zt[:, 2 * H : 3 * H]  # + i * g
        np.tanh(c[t], out=h[t])
        h[t] *= zt[:, 3 * H :]  # o * tanh(c)
        h_prev, c_prev = h[t], c[t]
    return h.transpose(1, 0, 2), LSTMCache(x, h0, c0, z, c, h, Wx, Wh, b)


def lstm_backward(
    dh: np.ndarray, cache: LSTMCache, chunk: int | None = None, need_dx: bool = True
) -> LSTMGrads:
    """BPTT through an LSTM. dh (N, T, H) is dL/dh_t from the loss at every step.

    The cell state carries the gradient back through dL/dc_{t-1} = dL/dc_t * f:
    no weight matrix, no squashing derivative, so with f near 1 it survives
    many steps.
    Returns: `LSTMGrads(dx, dh0, dc0, dWx, dWh, db, dh_norms, dc_norms)`.
    """
    _check_cache("lstm_backward", cache, 9, "lstm_forward")
    x, h0, c0, z, c, h, Wx, Wh, b = cache
    T, N, H = h.shape
    chunk = _chunk_size(T, chunk)
    dh = float_array("dh", dh)
    _check_dh("lstm_backward", dh, N, T, H)
    dh = _as(dh, h.dtype).transpose(1, 0, 2)
    WhT, WxT = np.ascontiguousarray(Wh.T), np.ascontiguousarray(Wx.T)
    dx = np.empty((T, N, x.shape[2]), h.dtype) if need_dx else None
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh_norms, dc_norms = np.empty(T), np.empty(T)
    buf = np.empty((min(chunk, T), N, 4 * H), h.dtype)
    dh_next = np.zeros((N, H), h.dtype)
    dc_next = np.zeros((N, H), h.dtype)
    for start, stop in _chunks(T, chunk):
        # the local derivatives of a whole chunk at once, into dz; the step loop
        # below then only multiplies them by the incoming gradients
        dz = buf[: stop - start]
        zc = z[start:stop]
        i, f, g, o = (zc[..., k * H : (k + 1) * H] for k in range(4))
        tc = np.tanh(c[start:stop])
        c_prev = c[start - 1 : stop - 1] if start > 0 else np.concatenate(
            [c0[None], c[: stop - 1]])
        np.multiply(g, i * (1 - i), out=dz[..., :H])  # dc/d(input gate pre-act)
        np.multiply(c_prev, f * (1 - f), out=dz[..., H : 2 * H])  # forget gate
        np.multiply(i, 1 - g * g, out=dz[..., 2 * H : 3 * H])  # candidate
        np.multiply(tc, o * (1 - o), out=dz[..., 3 * H :])  # dh/d(output gate pre-act)
        dc_dh = o * (1 - tc * tc)  # (c, N, H): dh_t/dc_t through h = o tanh(c)
        for t in range(stop - 1, start - 1, -1):
            gh = dh[t] + dh_next  # dL/dh_t
            dh_norms[t] = grad_norm(gh)
            gc = gh * dc_dh[t - start]
            gc += dc_next  # dL/dc_t: through h_t, and from c_(t+1)
            dc_norms[t] = grad_norm(gc)
            d = dz[t - start]  # (N, 4H) -> dL/d(pre-activations) of step t
            d[:, : 3 * H].reshape(N, 3, H)[...] *= gc[:, None, :]
            d[:, 3 * H :] *= gh
            dc_next = gc * z[t][:, H : 2 * H]  # the cell path: times f, nothing else
            dh_next = d @ WhT
        if need_dx:
            np.matmul(dz, WxT, out=dx[start:stop])
        _weight_grads_(dWx, dWh, db, dz, x, h0, h, start, stop)
    return LSTMGrads(
        _batch_major(dx), dh_next, dc_next, dWx, dWh, db, dh_norms, dc_norms
    )
