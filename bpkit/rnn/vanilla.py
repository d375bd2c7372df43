"""The vanilla RNN, one step and whole sequences, forward and backward (BPTT)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._norm import grad_norm
from .._validate import float_array
from ._checks import (
    _act_backward,
    _activate_,
    _as,
    _check_activation,
    _check_cache,
    _check_dh,
    _check_state,
    _check_weights,
    _check_x,
    _float_dtype,
    _float_result,
    _real,
    _shape_error,
    _weights_array,
)
from ._chunks import _batch_major, _chunk_size, _chunks, _weight_grads_

__all__ = [
    "rnn_step_forward",
    "rnn_step_backward",
    "rnn_forward",
    "rnn_backward",
    "RNNGrads",
]


# --------------------------------------------------------- vanilla RNN, one step
def rnn_step_forward(
    x: np.ndarray,
    h_prev: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
    activation: str = "tanh",
) -> tuple[np.ndarray, tuple]:
    """One step: h = f(x @ Wx + h_prev @ Wh + b).

    Inputs: x (N, D), h_prev (N, H), Wx (D, H), Wh (H, H), b (H,).
    Returns: h (N, H) and the cache for `rnn_step_backward`.
    """
    _check_activation(activation)
    x, h_prev = _real("x", x), _real("h_prev", h_prev)
    Wx, Wh, b = _real("Wx", Wx), _real("Wh", Wh), _real("b", b)
    D, H = _check_weights("rnn_step_forward", Wx, Wh, b, 1)
    if x.ndim != 2 or x.shape[1] != D:
        raise _shape_error("rnn_step_forward", "x", x.shape, f"(N, {D}) = (N, D)")
    _check_state("rnn_step_forward", "h_prev", h_prev, x.shape[0], H)
    _float_result("rnn_step_forward", x, h_prev, Wx, Wh, b)
    h = x @ Wx + h_prev @ Wh + b  # (N, H) pre-activation, then h in place
    _activate_(h, activation)
    return h, (x, h_prev, h, Wx, Wh, activation)


def rnn_step_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    """Backward of one step, given dL/dh (N, H) (from the loss and the next step).

    Returns: dx (N, D), dh_prev (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    _check_cache("rnn_step_backward", cache, 6, "rnn_step_forward")
    x, h_prev, h, Wx, Wh, activation = cache
    dh = float_array("dh", dh)
    if dh.shape != h.shape:
        raise _shape_error("rnn_step_backward", "dh", dh.shape, f"{h.shape} = (N, H)")
    da = np.empty_like(h)
    _act_backward(dh, h, activation, out=da)  # dL/da = dL/dh * f'(a), (N, H)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


# ------------------------------------------------------ vanilla RNN, sequences
class RNNCache(NamedTuple):
    """What `rnn_backward` needs: inputs, weights and every step's state."""

    x: np.ndarray  # (N, T, D)
    h0: np.ndarray  # (N, H)
    h: np.ndarray  # (T, N, H), time-major
    Wx: np.ndarray
    Wh: np.ndarray
    b: np.ndarray
    activation: str


class RNNGrads(NamedTuple):
    """Gradients from `rnn_backward`; dh_norms[t] = ||dL/dh_t|| over the batch."""

    dx: np.ndarray  # (N, T, D)
    dh0: np.ndarray  # (N, H)
    dWx: np.ndarray  # (D, H)
    dWh: np.ndarray  # (H, H)
    db: np.ndarray  # (H,)
    dh_norms: np.ndarray  # (T,) float64


def rnn_forward(
    x: np.ndarray,
    h0: np.ndarray,
    Wx: np.ndarray,
    Wh: np.ndarray,
    b: np.ndarray,
    activation: str = "tanh",
) -> tuple[np.ndarray, RNNCache]:
    """Run the RNN over a whole sequence.

    Inputs: x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,);
    activation "tanh" (default), "relu" or "linear".
    Returns: h (N, T, H), every step's state, and the cache for `rnn_backward`.
    x and h0 are cast to the weights' dtype.
    """
    _check_activation(activation)
    for name, w in (("Wx", Wx), ("Wh", Wh), ("b", b)):
        _weights_array("rnn_forward", name, w)
    D, H = _check_weights("rnn_forward", Wx, Wh, b, 1)
    dt = _float_dtype(Wx, Wh, b)
    x, h0 = _as(float_array("x", x), dt), _as(float_array("h0", h0), dt)
    N, T = _check_x("rnn_forward", x, D)
    _check_state("rnn_forward", "h0", h0, N, H)
    # every step's input term in one product; the buffer then holds the states
    h = x.transpose(1, 0, 2) @ Wx  # (T, N, H)
    h += b
    h_prev = h0
    for t in range(T):
        a = h[t]  # (N, H): the pre-activation, overwritten by h_t
        a += h_prev @ Wh
        _activate_(a, activation)
        h_prev = a
    return h.transpose(1, 0, 2), RNNCache(x, h0, h, Wx, Wh, b, activation)


def rnn_backward(
    dh: np.ndarray, cache: RNNCache, chunk: int | None = None, need_dx: bool = True
) -> RNNGrads:
    """Backprop through time over a whole sequence.

    Inputs: dh (N, T, H), dL/dh_t from the loss (or readout) at every step; the
    cache from `rnn_forward`. The gradient flowing back from later steps is
    added here: the total at step t is dh[:, t] + (what step t+1 sends back).
    need_dx=False skips dx (no one needs the gradient of data): it saves the
    (N, T, D) array and one product per chunk.
    Returns: `RNNGrads(dx, dh0, dWx, dWh, db, dh_norms)` (dx None if not needed).
    """
    _check_cache("rnn_backward", cache, 7, "rnn_forward")
    x, h0, h, Wx, Wh, b, activation = cache
    T, N, H = h.shape
    chunk = _chunk_size(T, chunk)
    dh = float_array("dh", dh)
    _check_dh("rnn_backward", dh, N, T, H)
    dh = _as(dh, h.dtype).transpose(1, 0, 2)  # (T, N, H) view
    WhT, WxT = np.ascontiguousarray(Wh.T), np.ascontiguousarray(Wx.T)
    dx = np.empty((T, N, x.shape[2]), h.dtype) if need_dx else None
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    norms = np.empty(T)
    buf = np.empty((min(chunk, T), N, H), h.dtype)  # dL/da for one chunk
    dnext = np.zeros((N, H), h.dtype)  # what step t+1 sends back to h_t
    for start, stop in _chunks(T, chunk):
        da = buf[: stop - start]
        for t in range(stop - 1, start - 1, -1):
            g = dh[t] + dnext  # dL/dh_t, (N, H)
            norms[t] = grad_norm(g)
            _act_backward(g, h[t], activation, out=da[t - start])
            dnext = da[t - start] @ WhT  # the BPTT recursion
        if need_dx:
            np.matmul(da, WxT, out=dx[start:stop])
        _weight_grads_(dWx, dWh, db, da, x, h0, h, start, stop)
    return RNNGrads(_batch_major(dx), dnext, dWx, dWh, db, norms)
