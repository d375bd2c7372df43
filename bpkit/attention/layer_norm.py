"""Layer normalisation: each row normalised over its own features.

    mu = mean(x, -1),  var = mean((x - mu)^2, -1),  xhat = (x - mu) / sqrt(var + eps)
    y = gamma * xhat + beta

Backward (per row of D features, dxhat = dy * gamma):

    dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps)
    dgamma = sum over rows of dy * xhat,   dbeta = sum over rows of dy

Batch norm has the same formula with the means taken over the *batch* axis
(one mean per feature, shared by the rows); layer norm takes them over the
*feature* axis (one mean per row): no statistics are shared between examples,
so it behaves the same at train and test time and for a batch of one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import float_array, number, positive_integer
from ..layers import Layer, Parameter

__all__ = ["LayerNorm", "layer_norm_forward", "layer_norm_backward"]


def layer_norm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Normalise the last axis of x, then scale by gamma and shift by beta.

    Inputs: x (..., D), gamma (D,), beta (D,). Returns: y (..., D), cache.
    """
    x = float_array("x", x)
    gamma, beta = float_array("gamma", gamma), float_array("beta", beta)
    if gamma.ndim != 1:
        raise ValueError(
            f"LayerNorm: gamma has shape {gamma.shape}, expected (D,): one gain per feature")
    D = gamma.shape[0]
    if beta.shape != (D,):
        raise ValueError(
            f"LayerNorm: beta has shape {beta.shape}, expected ({D},) like gamma: one "
            "shift per feature")
    if x.ndim < 1 or x.shape[-1] != D:
        raise ValueError(
            f"LayerNorm: x has shape {x.shape}, expected (..., {D}): its last axis "
            f"holds the features, one per entry of gamma")
    eps = number("eps", eps, 0, lo_open=True)  # eps = 0 divides a constant row by 0
    mu = x.mean(axis=-1, keepdims=True)  # (..., 1)
    xc = x - mu
    rstd = 1 / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + eps)  # (..., 1)
    xhat = xc * rstd
    return xhat * gamma + beta, (xhat, rstd, gamma)


def layer_norm_backward(
    dy: np.ndarray, cache: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dL/dx, dL/dgamma, dL/dbeta from dL/dy.

    Inputs: dy (..., D), the cache of `layer_norm_forward`.
    Returns: dx (..., D), dgamma (D,), dbeta (D,).
    """
    xhat, rstd, gamma = cache
    dy = float_array("dy", dy)
    if dy.shape != xhat.shape:
        raise ValueError(
            f"LayerNorm.backward: dy has shape {dy.shape}, expected {xhat.shape}")
    rows = tuple(range(dy.ndim - 1))  # every axis but the features
    dgamma = (dy * xhat).sum(axis=rows)
    dbeta = dy.sum(axis=rows)
    g = dy * gamma  # dL/dxhat
    dx = (g - g.mean(axis=-1, keepdims=True)
          - xhat * (g * xhat).mean(axis=-1, keepdims=True)) * rstd
    return dx, dgamma, dbeta


class LayerNorm(Layer):
    """Layer norm over the last axis, with a learned gain `gamma` (1) and shift `beta` (0).

    Inputs: x (..., D). Returns: y (..., D).
    """

    def __init__(self, features: int, eps: float = 1e-5, dtype: Any = np.float64) -> None:
        D = positive_integer("features", features)
        number("eps", eps, 0, lo_open=True)
        self.gamma = Parameter(np.ones(D, dtype), "gamma")
        self.beta = Parameter(np.zeros(D, dtype), "beta")
        self.features, self.eps = D, float(eps)

    def forward(self, x: np.ndarray) -> np.ndarray:
        y, cache = layer_norm_forward(x, self.gamma.data, self.beta.data, self.eps)
        self._save(cache)
        return y

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dgamma, dbeta = layer_norm_backward(dout, self._load())
        self.gamma.grad += dgamma
        self.beta.grad += dbeta
        return dx

    def parameters(self) -> list[Parameter]:
        return [self.gamma, self.beta]

    def __repr__(self) -> str:
        return f"LayerNorm({self.features}, eps={self.eps:g})"
