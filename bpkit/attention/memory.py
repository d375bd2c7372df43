"""Peak memory of one forward and backward pass, attention against an RNN.

Attention keeps its weights, (N, heads, T, T) numbers: quadratic in T. An RNN
keeps its states, (N, T, H): linear in T. Measured with `bpkit.rnn.peak_memory`
(tracemalloc), float32, so the numbers are what numpy really allocated.
"""

from __future__ import annotations

import numpy as np

from .._validate import positive_integer
from .._validate import rng as _check_rng
from ..rnn import RNN, peak_memory
from .multi_head import MultiHeadAttention

__all__ = ["pass_memory"]


def pass_memory(kind: str, T: int, rng: np.random.Generator, features: int = 64,
                batch: int = 4, heads: int = 4, repeats: int = 2) -> int:
    """Peak bytes of one forward + backward of an "rnn" or causal "attention" layer.

    Inputs x (batch, T, features) float32; the upstream gradient is ones.
    """
    T, D = positive_integer("T", T), positive_integer("features", features)
    _check_rng(rng)
    if kind == "rnn":
        layer = RNN(D, D, rng, dtype=np.float32)
    elif kind == "attention":
        layer = MultiHeadAttention(D, heads, rng, causal=True, dtype=np.float32)
    else:
        raise ValueError(f"unknown kind {kind!r}; choose 'rnn' or 'attention'")
    x = rng.standard_normal((batch, T, D)).astype(np.float32)
    dy = np.ones_like(x)

    def one_pass() -> None:
        layer.forward(x)
        layer.backward(dy)
        layer._saved = layer._cache = None  # free the cache inside the window

    return peak_memory(one_pass, repeats=repeats)[1]
