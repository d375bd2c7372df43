"""Flatten: images (N, C, H, W) to rows (N, C*H*W), so a `Linear` can read them."""

from __future__ import annotations

import numpy as np

from ..layers import Layer, _as_float_array

__all__ = ["Flatten"]


class Flatten(Layer):
    """(N, ...) -> (N, product of the rest); backward reshapes the gradient back."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _as_float_array(x, "Flatten")
        if x.ndim < 2:
            raise ValueError(f"Flatten: x has shape {x.shape}, expected (N, C, H, W) "
                             "or any (N, ...) with a batch axis first")
        self._save(x.shape)  # all backward needs
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        shape = self._load()
        n = int(np.prod(shape[1:]))
        dout = np.asarray(dout)
        if dout.shape != (shape[0], n):
            raise ValueError(f"Flatten.backward: dout has shape {dout.shape}, "
                             f"expected {(shape[0], n)}")
        return dout.reshape(shape)

    def __repr__(self) -> str:
        return "Flatten()"
