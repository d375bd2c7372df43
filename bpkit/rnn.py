"""Recurrent networks and backpropagation through time (BPTT).

A vanilla RNN applies one step over and over:

    h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)

Unrolled over T steps it is a deep feed-forward network whose layers share
their weights, and backprop through that unrolled graph is BPTT. Going back one
step multiplies the gradient by the step's Jacobian:

    dL/dh_{t-1} = (dL/dh_t * (1 - h_t**2)) @ Wh.T        (the BPTT recursion)

so after k steps it has met k such matrices. Their product shrinks
geometrically when the spectral radius of diag(1 - h**2) Wh is below 1
(vanishing gradients) and can grow when it is above 1 (exploding ones).

This module has
- the RNN step and its backward, written for one step to teach
  (`rnn_step_forward`, `rnn_step_backward`), and for whole sequences to run
  (`rnn_forward`, `rnn_backward`); the same for the LSTM, and the GRU's
  sequence forms;
- layers holding `Parameter`s (`RNN`, `LSTM`, `GRU`, `TemporalLinear`) and a
  `SequenceModel` = cell + linear readout + loss, many-to-many or many-to-one;
- truncated BPTT (`tbptt`), whose special case k1 = k2 = T is full BPTT;
- helpers: spectral radius, a step's Jacobian, peak memory (tracemalloc),
  sampling from a character model.

Shape letters: N batch, T time, D input features, H hidden units, O outputs.

Layout. Sequences come in and go out batch-major, (N, T, ...). Inside, the
per-step arrays are stored time-major, (T, N, H): the state of step t, `h[t]`,
is then one contiguous block, the step loop runs on contiguous memory, and the
weight gradients of many steps are single matrix products. The (N, T, H)
arrays returned are transposed views of those blocks (no copy).

Memory. Full BPTT must keep every step's states (and gates) for the backward
pass: O(T) memory. The backward passes here add only a small buffer of
gradients for a chunk of steps (`chunk`) and the input gradient dx (skip it
with `need_dx=False`), so their peak stays near the size of what the forward
pass stored: measured, at most ~1.5x. Truncated BPTT keeps k2 steps at a time:
its memory does not grow with T.
"""

from __future__ import annotations

import math
import tracemalloc
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from . import losses as _losses
from .layers import Layer, Linear, Parameter

__all__ = [
    "ACTIVATIONS",
    "spectral_radius",
    "with_spectral_radius",
    "step_jacobian",
    "rnn_step_forward",
    "rnn_step_backward",
    "rnn_forward",
    "rnn_backward",
    "RNNGrads",
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
    "LSTMGrads",
    "gru_forward",
    "gru_backward",
    "GRUGrads",
    "RNN",
    "LSTM",
    "GRU",
    "TemporalLinear",
    "sequence_mse",
    "sequence_cross_entropy",
    "SequenceModel",
    "TBPTTResult",
    "tbptt",
    "grad_vector",
    "peak_memory",
    "generate",
]

ACTIVATIONS = ("tanh", "relu", "linear")


def _chunk_size(T: int, chunk: int | None) -> int:
    """Steps whose gradients are gathered before the big weight products.

    About a tenth of the sequence, 8 to 32 steps: big enough for fast matrix
    products, small enough that the buffer adds ~10% to the stored states.
    """
    if chunk is None:
        return min(32, max(8, T // 10))
    if int(chunk) != chunk or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    return int(chunk)


# ------------------------------------------------------------------ checks
def _shape_error(who: str, name: str, got: tuple, expected: str) -> ValueError:
    return ValueError(f"{who}: {name} has shape {got}, expected {expected}")


def _float_dtype(*arrays: np.ndarray) -> np.dtype:
    dt = np.result_type(*arrays)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"weights must be float32 or float64 arrays, got {dt}")
    return dt


def _as(a: Any, dtype: np.dtype) -> np.ndarray:
    a = np.asarray(a)
    return a if a.dtype == dtype else a.astype(dtype)


def _check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; choose one of {ACTIVATIONS}"
        )


def _check_weights(who: str, Wx, Wh, b, gates: int) -> tuple[int, int]:
    """D and H from Wx (D, G*H), Wh (H, G*H), b (G*H,); G = gates per step."""
    Wx, Wh, b = np.asarray(Wx), np.asarray(Wh), np.asarray(b)
    G = "" if gates == 1 else f"{gates}*"
    if Wh.ndim != 2 or Wh.shape[1] != gates * Wh.shape[0]:
        raise _shape_error(who, "Wh", Wh.shape, f"(H, {G}H)")
    H = Wh.shape[0]
    if Wx.ndim != 2 or Wx.shape[1] != gates * H:
        raise _shape_error(
            who, "Wx", Wx.shape, f"(D, {gates * H}) = (D, {G}H), H = {H}"
        )
    if b.shape != (gates * H,):
        raise _shape_error(who, "b", b.shape, f"({gates * H},) = ({G}H,), H = {H}")
    return Wx.shape[0], H


def _check_x(who: str, x: np.ndarray, D: int) -> tuple[int, int]:
    if x.ndim != 3 or x.shape[2] != D:
        raise _shape_error(who, "x", x.shape, f"(N, T, {D}) = (N, T, D), D from Wx")
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise _shape_error(who, "x", x.shape, "(N, T, D) with N >= 1 and T >= 1")
    return x.shape[0], x.shape[1]


def _check_state(who: str, name: str, s: np.ndarray, N: int, H: int) -> None:
    if s.shape != (N, H):
        raise _shape_error(who, name, s.shape, f"({N}, {H}) = (N, H)")


def _check_dh(who: str, dh: np.ndarray, N: int, T: int, H: int) -> None:
    if dh.shape != (N, T, H):
        raise _shape_error(who, "dh", dh.shape, f"({N}, {T}, {H}) = (N, T, H)")


# ------------------------------------------------------- activations, in place
def _activate_(a: np.ndarray, activation: str) -> None:
    """a <- f(a), in place."""
    if activation == "tanh":
        np.tanh(a, out=a)
    elif activation == "relu":
        np.maximum(a, 0, out=a)


def _sigmoid_(a: np.ndarray) -> None:
    """a <- sigmoid(a) in place, as (1 + tanh(a/2)) / 2: no exp, so no overflow."""
    a *= 0.5
    np.tanh(a, out=a)
    a += 1
    a *= 0.5


def _act_backward(
    g: np.ndarray, h: np.ndarray, activation: str, out: np.ndarray
) -> None:
    """out <- g * f'(a), with f' written through the output h = f(a)."""
    if activation == "tanh":
        np.multiply(h, h, out=out)  # tanh' = 1 - h^2
        np.subtract(1, out, out=out)
        out *= g
    elif activation == "relu":
        np.multiply(g, h > 0, out=out)  # relu' = 1 where h > 0
    else:
        out[...] = g


# ------------------------------------------------------------------ helpers
def spectral_radius(W: np.ndarray) -> float:
    """The largest |eigenvalue| of a square matrix."""
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W has shape {W.shape}, expected a square (H, H) matrix")
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def with_spectral_radius(W: np.ndarray, radius: float) -> np.ndarray:
    """W rescaled so that its spectral radius is `radius` (a new array)."""
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    rho = spectral_radius(W)
    if rho == 0:
        raise ValueError("W has spectral radius 0 (nilpotent): it cannot be rescaled")
    return (W * (radius / rho)).astype(W.dtype)


def step_jacobian(
    h_t: np.ndarray, Wh: np.ndarray, activation: str = "tanh"
) -> np.ndarray:
    """The Jacobian dh_t/dh_{t-1} of one RNN step, for one example.

    Inputs: h_t (H,) the step's output; Wh (H, H).
    Returns: J (H, H) with J[i, j] = dh_t[i] / dh_{t-1}[j] = f'(a_t)[i] Wh[j, i],
    that is diag(f'(a_t)) @ Wh.T. (With column vectors, h = f(Wh' h + ...), it is
    the diag(1 - h**2) Wh of the textbooks.) Backprop multiplies by it from the
    left: dL/dh_{t-1} = dL/dh_t @ J.
    """
    _check_activation(activation)
    h_t = np.asarray(h_t)
    if h_t.ndim != 1 or Wh.shape != (h_t.shape[0], h_t.shape[0]):
        raise ValueError(
            f"step_jacobian: h_t has shape {h_t.shape} and Wh {Wh.shape}, "
            "expected (H,) and (H, H)"
        )
    d = np.ones_like(h_t)
    _act_backward(np.ones_like(h_t), h_t, activation, out=d)
    return d[:, None] * Wh.T


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
    D, H = _check_weights("rnn_step_forward", Wx, Wh, b, 1)
    x, h_prev = np.asarray(x), np.asarray(h_prev)
    if x.ndim != 2 or x.shape[1] != D:
        raise _shape_error("rnn_step_forward", "x", x.shape, f"(N, {D}) = (N, D)")
    _check_state("rnn_step_forward", "h_prev", h_prev, x.shape[0], H)
    h = x @ Wx + h_prev @ Wh + b  # (N, H) pre-activation, then h in place
    _activate_(h, activation)
    return h, (x, h_prev, h, Wx, Wh, activation)


def rnn_step_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    """Backward of one step, given dL/dh (N, H) (from the loss and the next step).

    Returns: dx (N, D), dh_prev (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    x, h_prev, h, Wx, Wh, activation = cache
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
    D, H = _check_weights("rnn_forward", Wx, Wh, b, 1)
    dt = _float_dtype(Wx, Wh, b)
    x, h0 = _as(x, dt), _as(h0, dt)
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


def _batch_major(a: np.ndarray | None) -> np.ndarray | None:
    """(T, N, ...) -> an (N, T, ...) view; None stays None."""
    return None if a is None else a.transpose(1, 0, 2)


def _chunks(T: int, chunk: int):
    """(start, stop) of blocks of `chunk` steps, last block first."""
    for stop in range(T, 0, -chunk):
        yield max(stop - chunk, 0), stop


def _weight_grads_(dWx, dWh, db, dX, x, h0, h, start, stop, dXh=None) -> None:
    """Add a chunk's weight gradients: dWx += x^T dX, dWh += h_prev^T dXh, db += sum.

    dX (c, N, G) are dL/d(pre-activations) of steps start..stop-1, dXh the part
    that meets Wh (defaults to dX). One product per chunk, not one per step.
    """
    G = dX.shape[2]
    dXh = dX if dXh is None else dXh
    flat = dX.reshape(-1, G)
    xs = x[:, start:stop].transpose(1, 0, 2).reshape(-1, x.shape[2])  # (c*N, D)
    dWx += xs.T @ flat
    db += flat.sum(axis=0)
    Gh = dXh.shape[2]
    dWh += h0.T @ dXh[0] if start == 0 else h[start - 1].T @ dXh[0]
    if stop - start > 1:  # h_prev of steps start+1..stop-1 is h[start..stop-2]
        hp = h[start : stop - 1].reshape(-1, h.shape[2])
        dWh += hp.T @ dXh[1:].reshape(-1, Gh)


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
    x, h0, h, Wx, Wh, b, activation = cache
    T, N, H = h.shape
    chunk = _chunk_size(T, chunk)
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
            norms[t] = math.sqrt(np.vdot(g, g))
            _act_backward(g, h[t], activation, out=da[t - start])
            dnext = da[t - start] @ WhT  # the BPTT recursion
        if need_dx:
            np.matmul(da, WxT, out=dx[start:stop])
        _weight_grads_(dWx, dWh, db, da, x, h0, h, start, stop)
    return RNNGrads(_batch_major(dx), dnext, dWx, dWh, db, norms)


# ---------------------------------------------------------------------- LSTM
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
    D, H = _check_weights("lstm_step_forward", Wx, Wh, b, 4)
    if x.ndim != 2 or x.shape[1] != D:
        raise _shape_error("lstm_step_forward", "x", x.shape, f"(N, {D}) = (N, D)")
    _check_state("lstm_step_forward", "h_prev", h_prev, x.shape[0], H)
    _check_state("lstm_step_forward", "c_prev", c_prev, x.shape[0], H)
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
    x, h_prev, c_prev, z, c, Wx, Wh = cache
    H = c.shape[1]
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
    D, H = _check_weights("lstm_forward", Wx, Wh, b, 4)
    dt = _float_dtype(Wx, Wh, b)
    x, h0, c0 = _as(x, dt), _as(h0, dt), _as(c0, dt)
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
    x, h0, c0, z, c, h, Wx, Wh, b = cache
    T, N, H = h.shape
    chunk = _chunk_size(T, chunk)
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
            dh_norms[t] = math.sqrt(np.vdot(gh, gh))
            gc = gh * dc_dh[t - start]
            gc += dc_next  # dL/dc_t: through h_t, and from c_(t+1)
            dc_norms[t] = math.sqrt(np.vdot(gc, gc))
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


# ----------------------------------------------------------------------- GRU
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
    D, H = _check_weights("gru_forward", Wx, Wh, bx, 3)
    if np.shape(bh) != (3 * H,):
        raise _shape_error("gru_forward", "bh", np.shape(bh), f"({3 * H},) = (3H,)")
    dt = _float_dtype(Wx, Wh, bx, bh)
    x, h0 = _as(x, dt), _as(h0, dt)
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
    x, h0, z, hn, h, Wx, Wh, bx, bh = cache
    T, N, H = h.shape
    chunk = _chunk_size(T, chunk)
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
            norms[t] = math.sqrt(np.vdot(g, g))
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


# ------------------------------------------------------------------- layers
def _check_sizes(input_size: int, hidden_size: int) -> None:
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")


def _check_dtype(dtype: Any) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


class _Recurrent(Layer):
    """What the cells share: forward/backward over sequences, a carried state.

    After `forward(x, state)`: `self.state` is the final state (a copy, to carry
    into the next chunk) and `state_at(t)` the state after step t.
    After `backward(dh)`: `self.dstate0` is dL/d(initial state) and
    `self.dh_norms` (T,) the norms ||dL/dh_t||. Parameter gradients add up in
    `.grad`, as everywhere in bpkit; backward frees the forward cache.
    """

    hidden_size: int
    _cache: Any = None

    def initial_state(self, N: int) -> Any:
        raise NotImplementedError

    def state_at(self, t: int) -> Any:
        raise NotImplementedError

    def _zeros(self, N: int) -> np.ndarray:
        return np.zeros((N, self.hidden_size), self.dtype)

    @property
    def dtype(self) -> np.dtype:
        return self.parameters()[0].data.dtype

    def __repr__(self) -> str:
        D = self.parameters()[0].shape[0]
        return f"{type(self).__name__}({D}, {self.hidden_size}, dtype={self.dtype})"


class RNN(_Recurrent):
    """A vanilla RNN layer: h_t = f(x_t @ Wx + h_{t-1} @ Wh + b).

    Inputs to forward: x (N, T, D), state h0 (N, H) or None for zeros.
    Returns: h (N, T, H).
    Wx ~ U(-1/sqrt(D), 1/sqrt(D)); Wh is a Gaussian matrix rescaled to spectral
    radius `radius` (the knob of lesson 07); b = 0.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        rng: np.random.Generator,
        activation: str = "tanh",
        radius: float = 0.9,
        dtype: Any = np.float64,
    ) -> None:
        _check_sizes(input_size, hidden_size)
        _check_activation(activation)
        dtype = _check_dtype(dtype)
        D, H = input_size, hidden_size
        a = 1 / math.sqrt(D)
        Wh = rng.standard_normal((H, H)) / math.sqrt(H)
        self.Wx = Parameter(rng.uniform(-a, a, (D, H)).astype(dtype), "Wx")
        self.Wh = Parameter(with_spectral_radius(Wh, radius).astype(dtype), "Wh")
        self.b = Parameter(np.zeros(H, dtype), "b")
        self.hidden_size, self.activation = H, activation

    def parameters(self) -> list[Parameter]:
        return [self.Wx, self.Wh, self.b]

    def initial_state(self, N: int) -> np.ndarray:
        return self._zeros(N)

    def forward(self, x: np.ndarray, state: np.ndarray | None = None) -> np.ndarray:
        x = np.asarray(x)
        h0 = self.initial_state(x.shape[0]) if state is None else state
        h, self._cache = rnn_forward(
            x, h0, self.Wx.data, self.Wh.data, self.b.data, self.activation
        )
        self.state = self._cache.h[-1].copy()  # a copy: the buffer can be freed
        return h

    def state_at(self, t: int) -> np.ndarray:
        self._need_cache(self._cache)
        return self._cache.h[t].copy()

    def backward(self, dh: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        self._need_cache(self._cache)
        g = rnn_backward(dh, self._cache, need_dx=need_dx)
        self._cache = None
        self.Wx.grad += g.dWx
        self.Wh.grad += g.dWh
        self.b.grad += g.db
        self.dstate0, self.dh_norms = g.dh0, g.dh_norms
        return g.dx


class LSTM(_Recurrent):
    """An LSTM layer (PyTorch's gate order i, f, g, o; one bias).

    Inputs to forward: x (N, T, D), state (h0, c0) each (N, H), or None for zeros.
    Returns: h (N, T, H).
    Weights ~ U(-1/sqrt(H), 1/sqrt(H)) as in PyTorch; the forget gate's bias
    starts at `forget_bias` (1 by default) so the cell remembers from the start.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        rng: np.random.Generator,
        forget_bias: float = 1.0,
        dtype: Any = np.float64,
    ) -> None:
        _check_sizes(input_size, hidden_size)
        dtype = _check_dtype(dtype)
        D, H = input_size, hidden_size
        a = 1 / math.sqrt(H)
        self.Wx = Parameter(rng.uniform(-a, a, (D, 4 * H)).astype(dtype), "Wx")
        self.Wh = Parameter(rng.uniform(-a, a, (H, 4 * H)).astype(dtype), "Wh")
        b = np.zeros(4 * H, dtype)
        b[H : 2 * H] = forget_bias
        self.b = Parameter(b, "b")
        self.hidden_size = H

    def parameters(self) -> list[Parameter]:
        return [self.Wx, self.Wh, self.b]

    def initial_state(self, N: int) -> tuple[np.ndarray, np.ndarray]:
        return self._zeros(N), self._zeros(N)

    def forward(self, x: np.ndarray, state: tuple | None = None) -> np.ndarray:
        x = np.asarray(x)
        pair = isinstance(state, (tuple, list)) and len(state) == 2
        if state is not None and not pair:
            raise ValueError(
                f"LSTM: state must be a pair (h0, c0) of (N, H) arrays, got "
                f"{type(state).__name__} {np.shape(state)}"
            )
        h0, c0 = self.initial_state(x.shape[0]) if state is None else state
        h, self._cache = lstm_forward(
            x, h0, c0, self.Wx.data, self.Wh.data, self.b.data
        )
        self.state = self.state_at(-1)
        return h

    def state_at(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        self._need_cache(self._cache)
        return self._cache.h[t].copy(), self._cache.c[t].copy()

    def backward(self, dh: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        self._need_cache(self._cache)
        g = lstm_backward(dh, self._cache, need_dx=need_dx)
        self._cache = None
        self.Wx.grad += g.dWx
        self.Wh.grad += g.dWh
        self.b.grad += g.db
        self.dstate0 = (g.dh0, g.dc0)
        self.dh_norms, self.dc_norms = g.dh_norms, g.dc_norms
        return g.dx


class GRU(_Recurrent):
    """A GRU layer (PyTorch's equations, gate order r, u, n; two biases).

    Inputs to forward: x (N, T, D), state h0 (N, H) or None. Returns h (N, T, H).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        rng: np.random.Generator,
        dtype: Any = np.float64,
    ) -> None:
        _check_sizes(input_size, hidden_size)
        dtype = _check_dtype(dtype)
        D, H = input_size, hidden_size
        a = 1 / math.sqrt(H)
        self.Wx = Parameter(rng.uniform(-a, a, (D, 3 * H)).astype(dtype), "Wx")
        self.Wh = Parameter(rng.uniform(-a, a, (H, 3 * H)).astype(dtype), "Wh")
        self.bx = Parameter(rng.uniform(-a, a, 3 * H).astype(dtype), "bx")
        self.bh = Parameter(rng.uniform(-a, a, 3 * H).astype(dtype), "bh")
        self.hidden_size = H

    def parameters(self) -> list[Parameter]:
        return [self.Wx, self.Wh, self.bx, self.bh]

    def initial_state(self, N: int) -> np.ndarray:
        return self._zeros(N)

    def forward(self, x: np.ndarray, state: np.ndarray | None = None) -> np.ndarray:
        x = np.asarray(x)
        h0 = self.initial_state(x.shape[0]) if state is None else state
        p = self.parameters()
        h, self._cache = gru_forward(x, h0, *(q.data for q in p))
        self.state = self._cache.h[-1].copy()
        return h

    def state_at(self, t: int) -> np.ndarray:
        self._need_cache(self._cache)
        return self._cache.h[t].copy()

    def backward(self, dh: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        self._need_cache(self._cache)
        g = gru_backward(dh, self._cache, need_dx=need_dx)
        self._cache = None
        for p, d in zip(self.parameters(), (g.dWx, g.dWh, g.dbx, g.dbh)):
            p.grad += d
        self.dstate0, self.dh_norms = g.dh0, g.dh_norms
        return g.dx


class TemporalLinear(Linear):
    """A `Linear` readout applied at every step: (N, T, H) -> (N, T, O).

    Also takes (N, H) (one step, for many-to-one) like a plain `Linear`.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim == 2:
            return super().forward(x)
        if x.ndim != 3 or x.shape[2] != self.in_features:
            raise _shape_error(
                "TemporalLinear", "x", x.shape, f"(N, T, {self.in_features}) or (N, H)"
            )
        x = _as(x, self.W.data.dtype)
        self._x = x
        out = x @ self.W.data  # (N, T, O)
        if self.b is not None:
            out += self.b.data
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_cache(self._x)
        x = self._x
        if x.ndim == 2:
            return super().backward(dout)
        N, T, H = x.shape
        if dout.shape != (N, T, self.out_features):
            raise _shape_error(
                "TemporalLinear.backward", "dout", dout.shape,
                f"{(N, T, self.out_features)}",
            )
        # time-major flattening is free for the cells' (transposed) outputs
        xf = x.transpose(1, 0, 2).reshape(-1, H)  # (T*N, H)
        df = dout.transpose(1, 0, 2).reshape(-1, self.out_features)  # (T*N, O)
        self.W.grad += xf.T @ df
        if self.b is not None:
            self.b.grad += df.sum(axis=0)
        return dout @ self.W.data.T  # (N, T, H)


# ------------------------------------------------------------------- losses
def sequence_mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over every step and output: pred, target (N, T, O) or (N, O).

    Returns: loss (float), dpred (pred's shape).
    """
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape:
        raise _shape_error(
            "sequence_mse", "target", target.shape, f"{pred.shape} (pred's)"
        )
    return _losses.mse_loss(pred, target)


def sequence_cross_entropy(
    scores: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray]:
    """Softmax cross-entropy averaged over every step.

    Inputs: scores (N, T, C) with y (N, T) integer labels; or (N, C) with y (N,).
    Returns: loss (float), dscores (scores' shape).
    """
    scores, y = np.asarray(scores), np.asarray(y)
    if y.shape != scores.shape[:-1]:
        raise _shape_error(
            "sequence_cross_entropy", "y", y.shape,
            f"{scores.shape[:-1]} (scores without C)",
        )
    C = scores.shape[-1]
    loss, d = _losses.softmax_cross_entropy(scores.reshape(-1, C), y.reshape(-1))
    return loss, d.reshape(scores.shape)


_LOSSES = {"mse": sequence_mse, "cross_entropy": sequence_cross_entropy}


class SequenceModel:
    """A recurrent cell, a linear readout and a loss.

    many_to_one=False: an output at every step, outputs (N, T, O), targets
    (N, T, O) for "mse" or (N, T) labels for "cross_entropy".
    many_to_one=True: one output after the last step, (N, O), targets (N, O)
    or (N,). The loss is the mean over every output.
    """

    def __init__(
        self,
        cell: _Recurrent,
        n_outputs: int,
        rng: np.random.Generator,
        loss: str = "mse",
        many_to_one: bool = False,
    ) -> None:
        if loss not in _LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(_LOSSES)}")
        self.cell = cell
        self.readout = TemporalLinear(
            cell.hidden_size, n_outputs, rng, init="xavier_uniform", dtype=cell.dtype
        )
        self.loss_name, self.loss_fn = loss, _LOSSES[loss]
        self.many_to_one = many_to_one

    def parameters(self) -> list[Parameter]:
        return self.cell.parameters() + self.readout.parameters()

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def forward(self, x: np.ndarray, state: Any = None) -> np.ndarray:
        """Outputs (N, T, O), or (N, O) for many-to-one; cell.state is the end state."""
        h = self.cell.forward(x, state)
        return self.readout.forward(h[:, -1] if self.many_to_one else h)

    __call__ = forward

    def loss(self, x: np.ndarray, y: np.ndarray, state: Any = None) -> float:
        """The loss, without gradients."""
        return self.loss_fn(self.forward(x, state), y)[0]

    def backprop(self, x: np.ndarray, y: np.ndarray, state: Any = None) -> float:
        """Full BPTT: the loss, with every parameter's gradient added to `.grad`."""
        return tbptt(self, x, y, k1=np.shape(x)[1], state=state).loss


# --------------------------------------------------------------- truncation
class TBPTTResult(NamedTuple):
    loss: float  # the mean loss over the whole sequence
    updates: int  # how many backward passes (and `update` calls) ran
    dh_norms: np.ndarray  # (T,): ||dL/dh_t|| in the window that injected step t's loss
    state: Any  # the final state: pass it to the next call to carry it on


def tbptt(
    model: SequenceModel,
    x: np.ndarray,
    y: np.ndarray,
    k1: int,
    k2: int | None = None,
    state: Any = None,
    update: Callable[[], Any] | None = None,
    average: str = "sequence",
) -> TBPTTResult:
    """Truncated BPTT(k1, k2) over one batch of sequences.

    Every k1 steps, the losses of those k1 steps are backpropagated through the
    last k2 steps (k2 >= k1, default k2 = k1), then `update()` is called (for
    example: clip, `optimizer.step()`, `optimizer.zero_grad()`). The hidden
    state is carried from one window to the next, but no gradient flows back
    across a window's start: that is the truncation. With k1 = k2 = k the
    windows are the chunks 0..k-1, k..2k-1, ... (what "detach the state every k
    steps" does in PyTorch); with k2 > k1 each window also reaches k2 - k1
    steps into the previous chunk, recomputed from the state stored there. Only
    k2 steps are kept at a time, so memory does not grow with T. With
    k1 = k2 = T this *is* full BPTT, and gives exactly its gradients.

    Inputs: x (N, T, D); y as for `SequenceModel`; state: initial state or None.
    average: "sequence" weighs each window's loss by its share of the T steps,
        so the gradients summed over the windows (with update=None) estimate
        the gradient of the whole sequence's mean loss; "chunk" makes each
        window's loss its own mean, as when every window is a training step.
    Returns: `TBPTTResult(loss, updates, dh_norms, state)`; gradients are added
    to the parameters' `.grad`.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise _shape_error("tbptt", "x", x.shape, "(N, T, D)")
    N, T = x.shape[:2]
    out_shape = (N,) if model.many_to_one else (N, T)
    y = np.asarray(y)
    if y.shape[: len(out_shape)] != out_shape:
        want = ", ".join(map(str, out_shape))
        raise _shape_error("tbptt", "y", y.shape, f"({want}, ...) to match x {x.shape}")
    k2 = k1 if k2 is None else k2
    for name, k in (("k1", k1), ("k2", k2)):
        if int(k) != k or k < 1:
            raise ValueError(f"{name} must be a positive integer, got {k!r}")
    if k2 < k1:
        raise ValueError(
            f"k2 = {k2} < k1 = {k1}: every step's loss must be backpropagated"
        )
    if average not in ("sequence", "chunk"):
        raise ValueError(f"average must be 'sequence' or 'chunk', got {average!r}")
    k1, k2 = min(int(k1), T), min(int(k2), T)
    cell, readout = model.cell, model.readout
    start_state = cell.initial_state(N) if state is None else state
    norms = np.zeros(T)
    total, updates, prev = 0.0, 0, 0
    while prev < T:
        stop = min(prev + k1, T)
        # the window: steps w0..stop-1; its new steps prev..stop-1 inject losses
        w0 = max(prev - (k2 - k1), 0)
        h = cell.forward(x[:, w0:stop], start_state)  # (N, w, H)
        nxt = max(stop - (k2 - k1), 0)  # where the next window starts
        if stop < T:
            start_state = start_state if nxt == w0 else cell.state_at(nxt - w0 - 1)
        end_state = cell.state
        dh = None
        weight = (stop - prev) / T if average == "sequence" else 1.0
        if not model.many_to_one:
            out = readout.forward(h if prev == w0 else h[:, prev - w0 :])
            loss, dout = model.loss_fn(out, y[:, prev:stop])
            if weight != 1.0:
                dout = dout * weight
            dh_new = readout.backward(dout)
            total += loss * (stop - prev) / T
            if prev == w0:
                dh = dh_new
            else:
                dh = np.zeros(h.shape, h.dtype)
                dh[:, prev - w0 :] = dh_new
        elif stop == T:
            out = readout.forward(h[:, -1])
            loss, dout = model.loss_fn(out, y)
            total += loss
            dh = np.zeros(h.shape, h.dtype)
            dh[:, -1] = readout.backward(dout)
        if dh is not None:
            cell.backward(dh, need_dx=False)  # the data needs no gradient
            norms[prev:stop] = cell.dh_norms[prev - w0 :]
            updates += 1
            if update is not None:
                update()
        else:
            cell._cache = None  # nothing to backpropagate: free the window
        prev = stop
    return TBPTTResult(float(total), updates, norms, end_state)


# ------------------------------------------------------------------ helpers
def grad_vector(params: Sequence[Parameter]) -> np.ndarray:
    """Every parameter's gradient, flattened into one float64 vector."""
    return np.concatenate([np.asarray(p.grad, np.float64).ravel() for p in params])


def peak_memory(fn: Callable[[], Any], repeats: int = 1) -> tuple[Any, int]:
    """Run `fn()`; return its result and the peak bytes it allocated (tracemalloc).

    Counts numpy arrays and Python objects created during the call, above what
    was allocated before it. tracemalloc sees every thread, so another thread's
    allocations (a Jupyter kernel's, say) can add noise: `repeats` > 1 runs
    `fn` that many times and keeps the smallest peak. Works whether or not
    tracemalloc is already on.
    """
    if int(repeats) != repeats or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    try:
        best = None
        for _ in range(int(repeats)):
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            out = fn()
            peak = tracemalloc.get_traced_memory()[1] - base
            best = peak if best is None else min(best, peak)
        return out, best
    finally:
        if not tracing:
            tracemalloc.stop()


def generate(
    model: SequenceModel,
    prime: Sequence[int],
    length: int,
    rng: np.random.Generator,
    temperature: float = 1.0,
) -> list[int]:
    """Sample `length` symbols from a model whose inputs are one-hot symbols.

    The model reads `prime` (symbol ids), then feeds each sampled symbol back
    in. Lower temperature sharpens the distribution (more likely, more
    repetitive text). Returns the sampled ids.
    """
    V = model.readout.out_features
    D = model.cell.parameters()[0].shape[0]
    if D != V or model.many_to_one:
        raise ValueError(
            f"generate needs a many-to-many model with as many inputs as outputs; "
            f"got {D} inputs and {V} outputs"
        )
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    prime = np.asarray(prime, dtype=np.int64)
    if prime.ndim != 1 or prime.size < 1 or prime.min() < 0 or prime.max() >= V:
        raise ValueError(f"prime must be a non-empty list of ids in 0..{V - 1}")
    dt = model.cell.dtype
    x = np.zeros((1, prime.size, V), dt)
    x[0, np.arange(prime.size), prime] = 1
    state, out = None, []
    for _ in range(length):
        scores = model.forward(x, state)[0, -1] / temperature  # (V,)
        state = model.cell.state
        p = np.exp(scores - scores.max())
        nxt = int(rng.choice(V, p=p / p.sum()))
        out.append(nxt)
        x = np.zeros((1, 1, V), dt)
        x[0, 0, nxt] = 1
    model.cell._cache = None
    return out
