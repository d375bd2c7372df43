"""Inverted dropout: its backward pass is the mask, nothing more.

In training mode each unit is kept with probability 1 - p and scaled by
1 / (1 - p), so the expected output equals the input and evaluation needs no
rescaling. The forward pass draws one mask and keeps it; the backward pass
multiplies the incoming gradient by that same mask. A dropped unit's mask
entry is 0, so dL/dx for it is exactly 0, and so is everything below it. Dense
code still computes the dropped unit's activation (forward) and the dL/dy the
layer above hands back for it (a dense product), and then multiplies both by
0: that part of "computed and then dropped" is true. In eval mode dropout is
the identity, forward and backward.
"""

from __future__ import annotations

import numpy as np

from .._validate import number
from .._validate import rng as _check_rng
from ..layers import Layer, _as_float_array, _check_dout

__all__ = ["Dropout"]


class Dropout(Layer):
    """Zero each entry with probability `p` in training, scale the rest by 1/(1-p).

    Inputs:  x of any shape, e.g. (N, H)
    Returns: the same shape and dtype; `self.mask` holds the last mask
    (0 or 1/(1-p) per entry), None in eval mode.
    """

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        number("p", p, 0.0, 1.0, hi_open=True)
        self.p = float(p)
        self.rng = _check_rng(rng)
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _as_float_array(x, "Dropout")
        if not self.training or self.p == 0:
            self.mask = None
            self._save((None, x.shape, x.dtype))
            return x
        keep = self.rng.random(x.shape) >= self.p  # each unit kept with prob 1 - p
        self.mask = keep.astype(x.dtype) / x.dtype.type(1 - self.p)
        self._save((self.mask, x.shape, x.dtype))
        return x * self.mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dL/dx = dout * mask: the same mask as the forward pass, never a new one."""
        mask, shape, dtype = self._load()
        dout = _check_dout(dout, shape, dtype, "Dropout.backward")
        return dout if mask is None else dout * mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
