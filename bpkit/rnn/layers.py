"""Recurrent layers holding `Parameter`s (RNN, LSTM, GRU), and a per-step readout."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validate import float_array, number, positive_integer
from .._validate import rng as _check_rng
from ..layers import Layer, Linear, Parameter
from ._checks import _as, _check_activation, _real, _shape_error
from .gru import gru_backward, gru_forward
from .lstm import lstm_backward, lstm_forward
from .spectral import with_spectral_radius
from .vanilla import rnn_backward, rnn_forward

__all__ = ["RNN", "LSTM", "GRU", "TemporalLinear"]


def _check_sizes(input_size: int, hidden_size: int) -> None:
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        positive_integer(name, v)


def _batch_size(x: np.ndarray) -> int:
    """N of x (N, T, D); 0 for a scalar, which the forward then refuses by shape."""
    return x.shape[0] if x.ndim else 0


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
        _check_rng(rng)
        _check_activation(activation)
        number("radius", radius, 0)
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
        x = float_array("x", x)
        h0 = self.initial_state(_batch_size(x)) if state is None else state
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
        _check_rng(rng)
        number("forget_bias", forget_bias)
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
        x = float_array("x", x)
        pair = isinstance(state, (tuple, list)) and len(state) == 2
        if state is not None and not pair:
            raise ValueError(
                f"LSTM: state must be a pair (h0, c0) of (N, H) arrays, got "
                f"{type(state).__name__} {np.shape(state)}"
            )
        h0, c0 = self.initial_state(_batch_size(x)) if state is None else state
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
        _check_rng(rng)
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
        x = float_array("x", x)
        h0 = self.initial_state(_batch_size(x)) if state is None else state
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
        x = _real("x", x)
        if x.ndim == 2:
            return super().forward(x)
        if x.ndim != 3 or x.shape[2] != self.in_features:
            raise _shape_error(
                "TemporalLinear", "x", x.shape, f"(N, T, {self.in_features}) or (N, H)"
            )
        x = _as(x, self.W.data.dtype)
        self._save(x)
        out = x @ self.W.data  # (N, T, O)
        if self.b is not None:
            out += self.b.data
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout = _real("dout", dout)
        x = self._load()
        if x.ndim == 2:
            return self._backward(x, dout, True)
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
