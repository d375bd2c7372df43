"""Gradient accumulation: k micro-batches, one update, the big batch's gradient.

The mean loss over N examples is the sum over micro-batches of (their summed
loss) / N. So running forward and backward on each micro-batch with its loss
scaled by (its size / N), and letting the gradients *add up* in `.grad` (as
every bpkit layer does), gives exactly the full batch's gradient, up to the
rounding of a different summation order. Memory holds one micro-batch's
activations at a time.

That equality needs every example's loss to depend on that example alone.
BatchNorm breaks it: in training mode it normalises with the *micro*-batch's
mean and variance, so each micro-batch sees a different function.
"""

from __future__ import annotations

import numpy as np

from .._validate import integer
from ..layers import Layer
from ..losses import softmax_cross_entropy

__all__ = ["full_batch_gradient", "accumulated_gradient", "max_rel_difference",
           "check_gradient_pairs"]


def check_gradient_pairs(a: list, b: list) -> list[tuple[np.ndarray, np.ndarray]]:
    """The gradients of `a` and `b` paired up; refuses different counts or shapes."""
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(f"got {len(a)} and {len(b)} gradients, expected the same count")
    pairs = [(np.asarray(x), np.asarray(z)) for x, z in zip(a, b)]
    for i, (x, z) in enumerate(pairs):
        if x.shape != z.shape:
            raise ValueError(f"gradient {i} has shape {x.shape} and {z.shape}: "
                             "the two lists must hold the same shapes, in the same order")
    return pairs


def _grads(net: Layer) -> list[np.ndarray]:
    return [p.grad.copy() for p in net.parameters()]


def full_batch_gradient(net: Layer, X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """The mean cross-entropy's gradient on all of X at once: one copy per parameter."""
    net.zero_grad()
    _, dlogits = softmax_cross_entropy(net(X), y)
    net.backward(dlogits)
    return _grads(net)


def accumulated_gradient(net: Layer, X: np.ndarray, y: np.ndarray,
                         micro_batch: int) -> list[np.ndarray]:
    """The same gradient from micro-batches of `micro_batch` rows, accumulated.

    Each micro-batch's mean-loss gradient is weighted by (its size / N), so a
    last, smaller micro-batch counts for what it holds.
    """
    micro_batch = integer("micro_batch", micro_batch, 1)
    n = len(X)
    if n == 0:
        raise ValueError("X has no rows: there is no gradient to accumulate")
    if len(y) != n:
        raise ValueError(f"X has {n} rows but y has {len(y)}")
    net.zero_grad()
    for start in range(0, n, micro_batch):
        xb, yb = X[start:start + micro_batch], y[start:start + micro_batch]
        _, dlogits = softmax_cross_entropy(net(xb), yb)
        net.backward(dlogits * (len(xb) / n))  # mean over the micro-batch -> over N
    return _grads(net)


def max_rel_difference(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """max over parameters of ||a - b|| / ||b||: how far two gradients are apart.

    Refuses lists of different lengths or shapes (no silent broadcasting).
    """
    return max(float(np.linalg.norm(x - z) / max(np.linalg.norm(z), 1e-300))
               for x, z in check_gradient_pairs(a, b))
