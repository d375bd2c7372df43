"""Multi-head self-attention: h attention heads side by side, then one output projection.

    q = x Wq + bq,  k = x Wk + bk,  v = x Wv + bv           (N, T, D) each
    split D into h heads of D/h:                           (N, h, T, D/h)
    o = attention(q, k, v) per head, heads concatenated    (N, T, D)
    y = o Wo + bo

Backward runs the same steps in reverse; x reaches the loss along three paths
(as query, key and value), so dx is the sum of three products.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validate import float_array, positive_integer
from .._validate import rng as _check_rng
from ..layers import Layer, Parameter
from .scaled_dot import attention_backward, attention_forward

__all__ = ["MultiHeadAttention"]


class MultiHeadAttention(Layer):
    """Self-attention with `heads` heads over features D (D divisible by heads).

    Inputs to forward: x (N, T, D); mask (T, T) booleans (True = may attend) or
    None; `causal=True` hides the future from every query.
    Returns: y (N, T, D). After forward, `weights` (N, heads, T, T) holds the
    attention weights. Weights ~ U(+-sqrt(6 / 2D)) as PyTorch's in_proj, biases 0.
    """

    def __init__(
        self, features: int, heads: int, rng: np.random.Generator,
        causal: bool = False, dtype: Any = np.float64,
    ) -> None:
        D = positive_integer("features", features)
        h = positive_integer("heads", heads)
        _check_rng(rng)
        if D % h:
            raise ValueError(
                f"MultiHeadAttention: features = {D} is not divisible by heads = {h}; "
                f"each head gets D / heads features, so heads must divide D "
                f"(e.g. one of {[n for n in range(1, D + 1) if D % n == 0]})")
        a = math.sqrt(6 / (2 * D))
        for name in ("Wq", "Wk", "Wv", "Wo"):
            setattr(self, name, Parameter(rng.uniform(-a, a, (D, D)).astype(dtype), name))
        for name in ("bq", "bk", "bv", "bo"):
            setattr(self, name, Parameter(np.zeros(D, dtype), name))
        self.features, self.heads, self.causal = D, h, bool(causal)
        self.weights: np.ndarray | None = None

    def parameters(self) -> list[Parameter]:
        return [self.Wq, self.bq, self.Wk, self.bk, self.Wv, self.bv, self.Wo, self.bo]

    def _split(self, a: np.ndarray) -> np.ndarray:
        N, T, D = a.shape
        return a.reshape(N, T, self.heads, D // self.heads).transpose(0, 2, 1, 3)

    @staticmethod
    def _merge(a: np.ndarray) -> np.ndarray:
        N, h, T, dh = a.shape
        return a.transpose(0, 2, 1, 3).reshape(N, T, h * dh)

    def forward(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        x = float_array("x", x)
        D = self.features
        if x.ndim != 3 or x.shape[2] != D:
            raise ValueError(
                f"MultiHeadAttention: x has shape {x.shape}, expected (N, T, {D})")
        x = x.astype(self.Wq.data.dtype, copy=False)
        q = self._split(x @ self.Wq.data + self.bq.data)  # (N, h, T, D/h)
        k = self._split(x @ self.Wk.data + self.bk.data)
        v = self._split(x @ self.Wv.data + self.bv.data)
        o, cache = attention_forward(q, k, v, mask=mask, causal=self.causal)
        o = self._merge(o)  # (N, T, D)
        self.weights = cache.p  # (N, h, T, T)
        self._save((x, o, cache))
        return o @ self.Wo.data + self.bo.data

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x, o, cache = self._load()
        dout = float_array("dout", dout)
        if dout.shape != x.shape:
            raise ValueError(
                f"MultiHeadAttention.backward: dout has shape {dout.shape}, "
                f"expected {x.shape}")
        D = self.features
        xf, df = x.reshape(-1, D), dout.reshape(-1, D)  # (N*T, D)
        self.Wo.grad += o.reshape(-1, D).T @ df
        self.bo.grad += df.sum(axis=0)
        dq, dk, dv = attention_backward(self._split(dout @ self.Wo.data.T), cache)
        dx = np.zeros_like(x)
        for d, W, b in ((dq, self.Wq, self.bq), (dk, self.Wk, self.bk),
                        (dv, self.Wv, self.bv)):
            d = self._merge(d)  # (N, T, D)
            W.grad += xf.T @ d.reshape(-1, D)
            b.grad += d.reshape(-1, D).sum(axis=0)
            dx += d @ W.data.T  # x was the query, the key and the value
        return dx

    def __repr__(self) -> str:
        causal = ", causal=True" if self.causal else ""
        return f"MultiHeadAttention({self.features}, heads={self.heads}{causal})"
