"""Batch size: what a mini-batch gradient costs and how noisy it is.

`gradient_noise` draws many mini-batches of each size B (without replacement)
and measures E||g_B - g||^2 against the full-batch gradient g. Sampling theory
predicts it falls as (1/B) * (N - B) / (N - 1): 1/B for B << N, exactly 0 at
B = N.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .._validate import integer
from .._validate import rng as _check_rng
from ..layers import Layer
from .accumulation import full_batch_gradient

__all__ = ["gradient_noise", "per_example_variance"]


def _flat(grads: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([g.ravel() for g in grads])


def gradient_noise(net: Layer, X: np.ndarray, y: np.ndarray, batch_sizes: Sequence[int],
                   rng: np.random.Generator, draws: int = 50) -> np.ndarray:
    """E||g_B - g||^2 for each B in `batch_sizes`, from `draws` mini-batches each.

    Returns: (len(batch_sizes),) float64.
    """
    _check_rng(rng)
    draws = integer("draws", draws, 1)
    n = len(X)
    full = _flat(full_batch_gradient(net, X, y))
    out = []
    for b in batch_sizes:
        b = integer("batch size", b, 1, n)
        sq = 0.0
        for _ in range(draws):
            idx = rng.choice(n, b, replace=False)
            sq += float(np.sum((_flat(full_batch_gradient(net, X[idx], y[idx]))
                                - full) ** 2))
        out.append(sq / draws)
    return np.array(out)


def per_example_variance(net: Layer, X: np.ndarray, y: np.ndarray) -> float:
    """sigma^2 = mean over examples of ||g_i - g||^2 (population variance).

    Mini-batch theory: E||g_B - g||^2 = sigma^2 / B * (N - B) / (N - 1).
    """
    full = _flat(full_batch_gradient(net, X, y))
    total = 0.0
    for i in range(len(X)):
        total += float(np.sum((_flat(full_batch_gradient(net, X[i:i + 1], y[i:i + 1]))
                               - full) ** 2))
    return total / len(X)
