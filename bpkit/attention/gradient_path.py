"""How far back the gradient reaches: attention against recurrence, residual against none.

`gradient_over_lag`: one layer (a vanilla RNN, an LSTM or causal self-attention)
reads the same random sequence x (N, T, D) and a loss reads only its last
output, L = sum(out[:, T-1] * g). Then ||dL/dx_{T-1-k}|| for k = 0..T-1 is how
much of the gradient reaches the input k steps back. In the RNN it crosses k
step Jacobians; in attention every earlier position is one softmax away.

`block_gradient_norms`: a stack of transformer blocks, with or without the
residual adds; at the input of every block l, the gradient g_l's norm, its
cosine with the top's gradient g_top, and its component along g_top in units
of |g_top| (g_l . g_top / |g_top|^2): 1 when the whole top gradient arrives,
whatever the blocks add at right angles to it. The cosine alone mixes the two:
a gradient that carries all of g_top plus a larger part of its own has a small
cosine.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validate import positive_integer
from .._validate import rng as _check_rng
from ..rnn import LSTM, RNN
from .block import TransformerBlock
from .multi_head import MultiHeadAttention

__all__ = [
    "KINDS", "make_sequence_layer", "gradient_over_lag", "BlockGradients",
    "block_gradient_norms",
]

KINDS = ("rnn", "lstm", "attention")


def make_sequence_layer(kind: str, features: int, rng: np.random.Generator,
                        heads: int = 1):
    """A layer (N, T, D) -> (N, T, D): `RNN`, `LSTM` or causal `MultiHeadAttention`."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {list(KINDS)}")
    if kind == "rnn":
        return RNN(features, features, rng, radius=0.9)
    if kind == "lstm":
        return LSTM(features, features, rng)
    return MultiHeadAttention(features, heads, rng, causal=True)


def gradient_over_lag(kind: str, T: int, features: int, rng: np.random.Generator,
                      batch: int = 8, heads: int = 1) -> np.ndarray:
    """||dL/dx_{T-1-k}|| for k = 0..T-1, L reading the last output only.

    Returns: (T,) norms, entry k for the input k steps before the loss.
    """
    T, D = positive_integer("T", T), positive_integer("features", features)
    batch = positive_integer("batch", batch)
    _check_rng(rng)
    layer = make_sequence_layer(kind, D, rng, heads)
    x = rng.standard_normal((batch, T, D))
    g = rng.standard_normal((batch, D))
    layer.forward(x)
    dout = np.zeros((batch, T, D))
    dout[:, -1] = g  # the loss sees the last step only
    dx = layer.backward(dout)  # (N, T, D)
    return np.linalg.norm(dx, axis=(0, 2))[::-1].copy()


class BlockGradients(NamedTuple):
    """Per block l (0 = the first), at its input: the gradient's norm, its cosine
    with the gradient at the top, and its component along the top gradient in
    units of the top's norm (norm * cosine / top norm; 1 = all of the top
    gradient arrives). Each (blocks + 1,); the last entry is the top's own (1, 1)."""

    norms: np.ndarray
    cosines: np.ndarray
    along: np.ndarray


def block_gradient_norms(blocks: int, residual: bool, rng: np.random.Generator,
                         features: int = 32, heads: int = 4, T: int = 16,
                         batch: int = 8) -> BlockGradients:
    """Backpropagate a random dL/dy through a stack of blocks; measure at every block.

    L = sum(y * g) for a random g (N, T, D) at the top.
    """
    n = positive_integer("blocks", blocks)
    _check_rng(rng)
    stack = [TransformerBlock(features, heads, rng, residual=residual)
             for _ in range(n)]
    h = rng.standard_normal((batch, T, features))
    for b in stack:
        h = b.forward(h)
    top = d = rng.standard_normal(h.shape)
    grads = [d]
    for b in reversed(stack):
        d = b.backward(d)
        grads.append(d)
    grads = grads[::-1]
    norms = np.array([np.linalg.norm(g) for g in grads])
    dots = np.array([(g * top).sum() for g in grads])  # g_l . g_top
    return BlockGradients(norms, dots / (norms * norms[-1]), dots / norms[-1] ** 2)
