"""L2 regularisation as a loss term, and how it relates to weight decay.

The term is (strength / 2) * sum of squared weights; its gradient is
strength * W, added to each weight's gradient. For plain SGD that is exactly
`SGD(weight_decay=strength)` (PyTorch's weight decay adds strength * W to the
gradient too); for Adam it is not, which is why AdamW exists (lesson 06).
Biases are usually left out: they do not make the function more wiggly.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from .._validate import number
from ..layers import Layer
from .freezing import parameter_list

__all__ = ["l2_penalty", "weights_only"]


def weights_only(params: Iterable) -> list:
    """The parameters with 2 or more dimensions (weight matrices, not biases)."""
    return [p for p in params if np.ndim(p.data) >= 2]


def l2_penalty(params: Layer | Iterable, strength: float, add_grad: bool = True) -> float:
    """(strength / 2) * sum(W**2) over `params`; adds strength * W into each `.grad`.

    Inputs: a Layer or parameters with `.data` and `.grad` (pass
    `weights_only(...)` to skip biases); `strength` >= 0. Frozen parameters
    (requires_grad False) get no grad.
    Returns: the penalty, a float, to add to the data loss.
    """
    strength = number("strength", strength, 0.0)
    total = 0.0
    for p in parameter_list(params):
        total += float(np.sum(np.square(p.data, dtype=np.float64)))
        if add_grad and strength and getattr(p, "requires_grad", True):
            p.grad += strength * p.data  # d/dW of (strength / 2) W**2
    return 0.5 * strength * total
