"""Token and position embeddings: a lookup table is a Linear layer on one-hot inputs.

    e[n, t] = W_tok[ids[n, t]] + W_pos[t]

Backward: a looked-up row receives the gradient of every place it was used, so
the rows' gradients add up with `np.add.at` (a plain `grad[ids] += d` would
keep only one of two uses of the same id).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import labels, positive_integer
from .._validate import rng as _check_rng
from ..layers import Layer, Parameter

__all__ = ["Embedding"]


class Embedding(Layer):
    """Token embedding plus a learned position embedding.

    Inputs to forward: ids (N, T) integers in 0..vocab-1, T <= context.
    Returns: (N, T, D). Both tables start N(0, scale^2).
    """

    def __init__(
        self, vocab: int, features: int, context: int, rng: np.random.Generator,
        scale: float = 0.1, dtype: Any = np.float64,
    ) -> None:
        V = positive_integer("vocab", vocab)
        D = positive_integer("features", features)
        C = positive_integer("context", context)
        _check_rng(rng)
        self.tokens = Parameter((scale * rng.standard_normal((V, D))).astype(dtype), "tokens")
        self.positions = Parameter(
            (scale * rng.standard_normal((C, D))).astype(dtype), "positions")
        self.vocab, self.features, self.context = V, D, C

    def parameters(self) -> list[Parameter]:
        return [self.tokens, self.positions]

    def forward(self, ids: np.ndarray) -> np.ndarray:
        ids = labels("ids", ids, self.vocab)
        if ids.ndim != 2 or not 1 <= ids.shape[1] <= self.context:
            raise ValueError(
                f"Embedding: ids has shape {ids.shape}, expected (N, T) with "
                f"1 <= T <= context = {self.context}")
        self._save(ids)
        return self.tokens.data[ids] + self.positions.data[: ids.shape[1]]

    def backward(self, dout: np.ndarray) -> None:
        """Add into the tables' grads; the ids are data, so nothing is returned."""
        ids = self._load()
        want = ids.shape + (self.features,)
        if np.shape(dout) != want:
            raise ValueError(
                f"Embedding.backward: dout has shape {np.shape(dout)}, expected {want}")
        np.add.at(self.tokens.grad, ids, dout)  # repeated ids add up
        self.positions.grad[: ids.shape[1]] += dout.sum(axis=0)
        return None

    def __repr__(self) -> str:
        return f"Embedding({self.vocab}, {self.features}, context={self.context})"
