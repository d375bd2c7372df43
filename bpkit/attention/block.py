"""A pre-LN transformer block: attention and an MLP, each added to a residual stream.

    h = x + attn(ln1(x))
    y = h + mlp(ln2(h))          mlp = Linear(D, F), ReLU, Linear(F, D)

Backward: a residual `h = x + f(x)` sends dL/dh to x twice, straight through
(the identity) and through f, so dx = dh + f'(x)^T dh. The straight path is why
a deep stack of blocks keeps its gradient: with `residual=False` the block is
y = mlp(ln2(attn(ln1(x)))) and every gradient has to cross every layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import positive_integer
from .._validate import rng as _check_rng
from ..layers import Layer, Linear, Parameter, ReLU, Sequential
from .layer_norm import LayerNorm
from .multi_head import MultiHeadAttention

__all__ = ["TransformerBlock"]


class TransformerBlock(Layer):
    """Pre-LN block: x + attn(ln1(x)), then + mlp(ln2(.)); `residual=False` drops the adds.

    Inputs to forward: x (N, T, D), mask (T, T) or None. Returns: y (N, T, D).
    `hidden` is the MLP's width F (4 D by default).
    """

    def __init__(
        self, features: int, heads: int, rng: np.random.Generator,
        hidden: int | None = None, causal: bool = True, residual: bool = True,
        dtype: Any = np.float64,
    ) -> None:
        D = positive_integer("features", features)
        F = positive_integer("hidden", 4 * D if hidden is None else hidden)
        _check_rng(rng)
        self.ln1, self.ln2 = LayerNorm(D, dtype=dtype), LayerNorm(D, dtype=dtype)
        self.attn = MultiHeadAttention(D, heads, rng, causal=causal, dtype=dtype)
        self.mlp = Sequential(Linear(D, F, rng, dtype=dtype), ReLU(),
                              Linear(F, D, rng, init="xavier_uniform", dtype=dtype))
        self.features, self.hidden, self.residual = D, F, bool(residual)

    def children(self) -> list[Layer]:
        return [self.ln1, self.attn, self.ln2, self.mlp]

    def parameters(self) -> list[Parameter]:
        return [p for c in self.children() for p in c.parameters()]

    def forward(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        a = self.attn.forward(self.ln1.forward(x), mask)  # (N, T, D)
        h = x + a if self.residual else a
        N, T, D = h.shape
        m = self.mlp.forward(self.ln2.forward(h).reshape(N * T, D)).reshape(N, T, D)
        # each child's cache, so one block may be used at several places (as Sequential)
        self._save((h.shape, [c._snapshot() for c in self.children()]))
        return h + m if self.residual else m

    def backward(self, dout: np.ndarray) -> np.ndarray:
        (N, T, D), caches = self._load()
        for child, cache in zip(self.children(), caches):
            child._restore(cache)
        dout = np.asarray(dout)
        if dout.shape != (N, T, D):
            raise ValueError(
                f"TransformerBlock.backward: dout has shape {dout.shape}, "
                f"expected {(N, T, D)}")
        dm = self.mlp.backward(dout.reshape(N * T, D)).reshape(N, T, D)
        dh = self.ln2.backward(dm) + (dout if self.residual else 0)
        dx = self.ln1.backward(self.attn.backward(dh))
        return dx + dh if self.residual else dx

    def __repr__(self) -> str:
        extra = "" if self.residual else ", residual=False"
        return (f"TransformerBlock({self.features}, heads={self.attn.heads}, "
                f"hidden={self.hidden}{extra})")
