"""Finite-difference gradients and the relative error used to compare them."""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["numerical_grad", "rel_error"]


def numerical_grad(
    f: Callable, x: float | np.ndarray, eps: float = 1e-6
) -> float | np.ndarray:
    """Central-difference gradient (f(x + eps) - f(x - eps)) / (2 eps).

    Inputs:
        f: a function of a float, or of a float array, returning a scalar.
        x: the point. An array is perturbed in place, one entry at a time, and
           restored, so `f` may close over it (as a layer closes over its weights).
    Returns:
        a float for a float `x`, else an array of x's shape.

    Costs two evaluations of `f` per entry of `x`: that is why backprop exists.
    """
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(f"x must be a float array, got dtype {x.dtype}")
        grad = np.zeros_like(x, dtype=np.float64)
        it = np.nditer(x, flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            old = x[i].item()
            x[i] = old + eps
            fp = float(f(x))
            x[i] = old - eps
            fm = float(f(x))
            x[i] = old
            grad[i] = (fp - fm) / (2 * eps)
        return grad
    x = float(x)
    return (float(f(x + eps)) - float(f(x - eps))) / (2 * eps)


def rel_error(a: float | np.ndarray, b: float | np.ndarray, floor: float = 1e-8) -> float:
    """max |a - b| / max(|a| + |b|, floor), elementwise: 0 when equal, 1 when opposite.

    The floor keeps two tiny numbers (both ~0) from looking far apart.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))
