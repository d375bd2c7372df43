"""Gradient clipping, with PyTorch's semantics: by total norm, or by value."""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from .optimizer import _as_param_list, _check_number


def _grads(params: Any, who: str) -> list:
    ps = [p for p in _as_param_list(params, who) if p.grad is not None]
    for i, p in enumerate(ps):  # O(1) per parameter: a type check, no data scan
        g = p.grad
        if isinstance(g, np.ndarray):
            ok = g.dtype.kind == "f"
        else:
            ok = isinstance(g, Real) and not isinstance(g, (bool, np.bool_))
        if not ok:
            what = (f"an array of dtype {g.dtype}" if isinstance(g, np.ndarray)
                    else f"a {type(g).__name__}")
            raise TypeError(
                f"{who}: parameter {i}'s grad is {what}, expected a float numpy "
                "array (a layers.Parameter) or a float (an engine.Value)")
    return ps


def clip_grad_norm_(
    params: Any,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale all gradients together so their total norm is at most `max_norm`.

    PyTorch's semantics: the total norm is the norm of the vector of every
    gradient entry of every parameter; the gradients are multiplied by
    min(1, max_norm / (total_norm + 1e-6)), so they change only when the norm
    exceeds `max_norm`. Direction is kept, only the length shrinks.

    Returns: the total norm *before* clipping, a float.
    """
    ps = _grads(params, "clip_grad_norm_")
    _check_number("max_norm", max_norm)
    try:
        norm_type = float(norm_type)
    except (TypeError, ValueError):
        raise TypeError(f"Invalid norm_type: expected a number > 0 or inf, got "
                        f"{norm_type!r}") from None
    if not (norm_type > 0):
        raise ValueError(f"Invalid norm_type: expected a number > 0 or inf, got "
                         f"{norm_type!r}")
    if not ps:
        return 0.0
    with np.errstate(all="ignore"):
        if norm_type == math.inf:
            total = max(float(np.max(np.abs(p.grad))) for p in ps)
        else:
            per = [float(np.sum(np.abs(np.asarray(p.grad, np.float64)) ** norm_type))
                   for p in ps]
            total = float(sum(per) ** (1.0 / norm_type))
        if error_if_nonfinite and not math.isfinite(total):
            raise RuntimeError(
                f"The total norm of order {norm_type:g} of the gradients is "
                f"{total}, so they cannot be clipped (error_if_nonfinite=True)"
            )
        coef = min(max_norm / (total + 1e-6), 1.0)
        if coef < 1.0 or not math.isfinite(total):
            for p in ps:
                if isinstance(p.grad, np.ndarray):
                    p.grad *= coef
                else:
                    p.grad = float(p.grad * coef)
    return total


def clip_grad_value_(params: Any, clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], in place."""
    ps = _grads(params, "clip_grad_value_")
    _check_number("clip_value", clip_value)
    c = float(clip_value)
    for p in ps:
        if isinstance(p.grad, np.ndarray):
            np.clip(p.grad, -c, c, out=p.grad)
        else:
            p.grad = min(max(float(p.grad), -c), c)
