"""A small CNN for the 8x8 digits, built from `Conv2d`, `MaxPool2d` and `Flatten`."""

from __future__ import annotations

import numpy as np

from .._validate import positive_integer
from ..layers import Linear, ReLU, Sequential
from .conv2d import Conv2d
from .flatten import Flatten
from .pooling import MaxPool2d

__all__ = ["digits_cnn", "to_images", "count_parameters"]


def to_images(X: np.ndarray, side: int = 8) -> np.ndarray:
    """Rows of pixels (N, side*side) as one-channel images (N, 1, side, side)."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != side * side:
        raise ValueError(f"X has shape {X.shape}, expected (N, {side * side}): "
                         f"rows of {side}x{side} pixels")
    return X.reshape(-1, 1, side, side)


def digits_cnn(rng: np.random.Generator, channels: tuple[int, int] = (8, 16),
               classes: int = 10, dtype: type = np.float64) -> Sequential:
    """conv 3x3 -> ReLU -> max pool 2 -> conv 3x3 -> ReLU -> max pool 2 -> Linear.

    Padding 1 keeps each conv's output the size of its input, so an 8x8 digit
    becomes (c1, 4, 4) after the first pool and (c2, 2, 2) after the second.

    Inputs:  x (N, 1, 8, 8)
    Returns: logits (N, classes)
    """
    c1, c2 = (positive_integer(f"channels[{i}]", c) for i, c in enumerate(channels))
    classes = positive_integer("classes", classes)
    return Sequential(
        Conv2d(1, c1, 3, rng, padding=1, dtype=dtype),  # (N, c1, 8, 8)
        ReLU(),
        MaxPool2d(2),  # (N, c1, 4, 4)
        Conv2d(c1, c2, 3, rng, padding=1, dtype=dtype),  # (N, c2, 4, 4)
        ReLU(),
        MaxPool2d(2),  # (N, c2, 2, 2)
        Flatten(),  # (N, 4 * c2)
        Linear(4 * c2, classes, rng, dtype=dtype),
    )


def count_parameters(net) -> int:
    """How many numbers the network learns."""
    return int(sum(p.data.size for p in net.parameters()))
