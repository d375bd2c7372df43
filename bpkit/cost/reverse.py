"""Reverse mode on scalars with the engine's `Value`, counted in passes.

The counterpart of `dual.py`: one backward pass gives the derivative of *one*
output with respect to *every* input. So the gradient of f: R^n -> R costs one
pass (forward mode: n), and the Jacobian of f: R -> R^m costs m (forward: one).
"""

from __future__ import annotations

from typing import Callable, Sequence

from ..engine import Value
from .dual import _inputs

__all__ = ["reverse_gradient", "reverse_jacobian"]


def _as_value(out: object, who: str) -> Value:
    if isinstance(out, Value):
        return out
    raise TypeError(f"{who} must return a Value, got {type(out).__name__}")


def reverse_gradient(f: Callable[..., Value], xs: Sequence[float]
                     ) -> tuple[float, list[float], int]:
    """The gradient of f: R^n -> R by reverse mode: one backward pass.

    Returns: (f(xs), [df/dx_i for each i], passes), with passes = 1.
    """
    leaves = [Value(v) for v in _inputs(xs)]
    out = _as_value(f(*leaves), "f")
    out.backward()
    return out.data, [v.grad for v in leaves], 1


def reverse_jacobian(f: Callable[..., Sequence[Value]], xs: Sequence[float]
                     ) -> tuple[list[list[float]], int]:
    """The Jacobian of f: R^n -> R^m by reverse mode, a row per backward pass.

    The graph is built once; each of the m backward passes starts from one
    output. Returns: (J as m lists of n numbers, passes), with passes = m.
    """
    leaves = [Value(v) for v in _inputs(xs)]
    outs = f(*leaves)
    if isinstance(outs, Value):
        outs = [outs]
    rows = []
    for out in outs:
        out = _as_value(out, "f")
        for v in leaves:
            v.grad = 0.0
        out.backward()
        rows.append([v.grad for v in leaves])
    return rows, len(rows)
