"""Finite-difference gradients and the relative error used to compare them."""

from __future__ import annotations

import math
from numbers import Real
from typing import Callable

import numpy as np

from ._validate import float_array, function, number

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

    float64 only: in float32 an entry near 1 moves in steps of 6e-8 and `f`
    rounds at 1e-7 relative, so a difference over 2e-6 is mostly rounding
    (often exactly 0). A float32 or float16 `x` is refused: check the gradient
    of a float64 copy of the network instead.

    Where `f` has a kink (ReLU at 0, |x| at 0) the central difference is the
    mean of the two one-sided slopes (0.5 for ReLU at 0), while backprop uses
    one of them (0 in bpkit and PyTorch): compare away from kinks. At a domain
    edge (log or sqrt at 0) `f(x - eps)` is undefined and the result is nan.
    """
    function("f", f)
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(f"x must be a float array, got dtype {x.dtype}")
        if x.dtype != np.float64:
            raise TypeError(
                f"x is {x.dtype}: numerical_grad needs float64, because {x.dtype} "
                f"rounding swamps a difference over 2 * eps = {2 * eps:g}; check "
                "the gradient on a float64 copy (e.g. build the layer with "
                "dtype=np.float64)"
            )
        _check_eps(eps)
        grad = np.zeros_like(x, dtype=np.float64)
        if x.size == 0:  # nothing to perturb (nditer refuses an empty array)
            return grad
        it = np.nditer(x, flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            old = x[i].item()
            x[i] = old + eps
            fp = _scalar(f(x))
            x[i] = old - eps
            fm = _scalar(f(x))
            x[i] = old
            grad[i] = (fp - fm) / (2 * eps)
        return grad
    if not isinstance(x, Real) or isinstance(x, (bool, np.bool_)):
        raise TypeError(
            "x must be a float or a float64 numpy array, "
            f"got {type(x).__name__} {x!r}"[:200]
        )
    _check_eps(eps)
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"x must be a finite number, got {x}")
    return (_scalar(f(x + eps)) - _scalar(f(x - eps))) / (2 * eps)


def _check_eps(eps: object) -> None:
    if not (isinstance(eps, Real) and not isinstance(eps, bool)
            and eps > 0 and math.isfinite(eps)):
        raise ValueError(f"eps must be a positive finite number, got {eps!r}")


def _scalar(value: object) -> float:
    """f's value as a float, or a TypeError saying f must return a scalar."""
    try:
        return float(value)
    except (TypeError, ValueError):
        shape = getattr(value, "shape", None)
        what = f"an array of shape {shape}" if shape is not None else repr(value)
        raise TypeError(
            f"f must return a scalar (one number), got {what}"[:200]
        ) from None


def rel_error(a: float | np.ndarray, b: float | np.ndarray, floor: float = 1e-8) -> float:
    """max |a - b| / max(|a| + |b|, floor), elementwise: 0 when equal, 1 when opposite.

    The floor keeps two tiny numbers (both ~0) from looking far apart. A nan or
    inf in `a` or `b` is a ValueError (a nan would make the comparison meaningless).
    """
    number("floor", floor, 0, lo_open=True)
    a = np.asarray(float_array("a", a), dtype=np.float64)
    b = np.asarray(float_array("b", b), dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    for name, v in (("a", a), ("b", b)):
        if not np.isfinite(v).all():
            where = np.argwhere(~np.isfinite(v))[0].tolist() if v.ndim else None
            at = f" (first at index {where})" if where is not None else f" ({v})"
            raise ValueError(
                f"{name} holds nan or inf{at}: a gradient to compare must be finite"
            )
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))
