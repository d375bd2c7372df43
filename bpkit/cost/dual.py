"""Forward-mode autodiff on scalars: a dual number a + b·ε with ε² = 0.

`Value` (the engine) records the graph and sends derivatives back from the
output: reverse mode. A `Dual` carries its derivative *forward* with its value:
every op computes the output number and, beside it, d(output) along one chosen
input direction. Nothing is recorded, nothing is kept.

    (a + a'ε) · (b + b'ε) = ab + (a'b + ab')ε        the product rule
    f(a + a'ε) = f(a) + f'(a) a' ε                   the chain rule

Seed one input with derivative 1 (the others 0) and the output's `eps` is the
partial derivative along it: one forward pass per input. The ops mirror
`Value`'s (`+ - * / **`, `exp`, `log`, `tanh`, `sigmoid`, `relu`), so a
function written once runs on either.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Callable, Sequence

__all__ = ["Dual", "derivative", "forward_gradient", "forward_jacobian"]

_EXP_MAX = 709.782712893384  # math.exp overflows above this


def _coerce(other: object, op: str) -> "Dual":
    if isinstance(other, Dual):
        return other
    if isinstance(other, Real) and not isinstance(other, bool):
        return Dual(float(other), 0.0)
    raise TypeError(
        f"unsupported operand for {op}: Dual and {type(other).__name__!r} "
        "(expected a Dual or a real number)"
    )


class Dual:
    """A number `val` and its derivative `eps` along one input direction.

    >>> x = Dual(3.0, 1.0)          # seed: dx/dx = 1
    >>> (x * x + 2 * x).eps         # d/dx (x^2 + 2x) at 3
    8.0
    """

    __slots__ = ("val", "eps")
    __array_ufunc__ = None  # refuse numpy broadcasting, as Value does

    def __init__(self, val: float, eps: float = 0.0) -> None:
        for name, v in (("val", val), ("eps", eps)):
            if not isinstance(v, Real) or isinstance(v, bool):
                raise TypeError(
                    f"Dual({name}) takes a real number, got {type(v).__name__!r}")
        self.val, self.eps = float(val), float(eps)

    # ------------------------------------------------------------- arithmetic
    def __add__(self, other: "Dual | float") -> "Dual":
        o = _coerce(other, "+")
        return Dual(self.val + o.val, self.eps + o.eps)

    def __mul__(self, other: "Dual | float") -> "Dual":
        o = _coerce(other, "*")
        # the product rule: both inputs' derivatives, each times the other's value
        return Dual(self.val * o.val, self.eps * o.val + self.val * o.eps)

    def __neg__(self) -> "Dual":
        return Dual(-self.val, -self.eps)

    def __sub__(self, other: "Dual | float") -> "Dual":
        o = _coerce(other, "-")
        return Dual(self.val - o.val, self.eps - o.eps)

    def __truediv__(self, other: "Dual | float") -> "Dual":
        o = _coerce(other, "/")
        if o.val == 0.0:
            raise ZeroDivisionError(f"division by zero: {self.val:g} / 0")
        q = self.val / o.val
        return Dual(q, (self.eps - q * o.eps) / o.val)  # the quotient rule

    def __pow__(self, k: float) -> "Dual":
        if isinstance(k, (Dual, bool)) or not isinstance(k, Real):
            raise TypeError(
                f"Dual ** k needs a number exponent k, got {type(k).__name__!r}")
        k, x = float(k), self.val
        if x == 0.0 and k < 0:
            raise ZeroDivisionError(f"0 ** {k:g} is undefined (division by zero)")
        if x < 0 and not k.is_integer():
            raise ValueError(f"({x:g}) ** {k:g} is not a real number "
                             "(negative base, non-integer exponent)")
        if k == 0.0:
            local = 0.0  # x ** 0 = 1: flat
        elif x == 0.0 and k < 1:
            local = math.inf  # the true slope of x ** k at 0 for 0 < k < 1
        else:
            local = k * x ** (k - 1)
        return self._chain(x**k, local)

    def __radd__(self, other: float) -> "Dual":
        return _coerce(other, "+") + self

    def __rsub__(self, other: float) -> "Dual":
        return _coerce(other, "-") - self

    def __rmul__(self, other: float) -> "Dual":
        return _coerce(other, "*") * self

    def __rtruediv__(self, other: float) -> "Dual":
        return _coerce(other, "/") / self

    # -------------------------------------------------------------- functions
    def _chain(self, value: float, slope: float) -> "Dual":
        """f(self) = value with f'(self.val) = slope: the chain rule."""
        return Dual(value, slope * self.eps if self.eps else 0.0)

    def exp(self) -> "Dual":
        e = math.exp(self.val) if self.val <= _EXP_MAX else math.inf
        return self._chain(e, e)

    def log(self) -> "Dual":
        if self.val <= 0.0:
            raise ValueError(f"log is defined for positive numbers only, got {self.val:g}")
        return self._chain(math.log(self.val), 1.0 / self.val)

    def tanh(self) -> "Dual":
        t = math.tanh(self.val)
        return self._chain(t, 1.0 - t * t)

    def sigmoid(self) -> "Dual":
        x = self.val
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return self._chain(s, s * (1.0 - s))

    def relu(self) -> "Dual":
        # slope 0 at exactly 0, as Value and PyTorch take it
        return self._chain(max(self.val, 0.0), 1.0 if self.val > 0 else 0.0)

    def __repr__(self) -> str:
        return f"Dual({self.val:.6g}, eps={self.eps:.6g})"


def _inputs(xs: Sequence[float], name: str = "xs") -> list[float]:
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__len__"):
        raise TypeError(f"{name} must be a sequence of numbers, got {type(xs).__name__}")
    out = []
    for i, v in enumerate(xs):
        if not isinstance(v, Real) or isinstance(v, bool) or not math.isfinite(v):
            where = f"{name}[{i}]" if name == "xs" else name
            raise ValueError(f"{where} must be a finite real number, got {v!r}")
        out.append(float(v))
    if not out:
        raise ValueError("xs is empty: the function needs at least one input")
    return out


def _value_of(out: object, who: str) -> Dual:
    if isinstance(out, Dual):
        return out
    if isinstance(out, Real):
        return Dual(float(out), 0.0)  # the function ignored its inputs: slope 0
    raise TypeError(f"{who} must return a Dual (or a number), got {type(out).__name__}")


def derivative(f: Callable[[Dual], Dual], x: float) -> tuple[float, float]:
    """(f(x), f'(x)) from one forward pass with a Dual seeded at x with slope 1."""
    (x,) = _inputs([x], "x")
    out = _value_of(f(Dual(x, 1.0)), "f")
    return out.val, out.eps


def forward_gradient(f: Callable[..., Dual], xs: Sequence[float]
                     ) -> tuple[float, list[float], int]:
    """The gradient of f: R^n -> R by forward mode: one pass per input.

    Inputs: f(*duals) -> Dual; xs, n numbers.
    Returns: (f(xs), [df/dx_i for each i], passes), with passes = n.
    """
    xs = _inputs(xs)
    grad, value = [], 0.0
    for i in range(len(xs)):
        seeded = [Dual(v, 1.0 if j == i else 0.0) for j, v in enumerate(xs)]
        out = _value_of(f(*seeded), "f")
        value = out.val
        grad.append(out.eps)
    return value, grad, len(xs)


def forward_jacobian(f: Callable[..., Sequence[Dual]], xs: Sequence[float]
                     ) -> tuple[list[list[float]], int]:
    """The Jacobian J[i][j] = d f_i / d x_j of f: R^n -> R^m, a column per pass.

    Returns: (J as m lists of n numbers, passes), with passes = n: one forward
    pass gives the derivative of *every* output along one input.
    """
    xs = _inputs(xs)
    columns = []
    for j in range(len(xs)):
        outs = f(*[Dual(v, 1.0 if k == j else 0.0) for k, v in enumerate(xs)])
        if isinstance(outs, Dual) or not hasattr(outs, "__iter__"):
            outs = [outs]
        columns.append([_value_of(o, "f").eps for o in outs])
    m = len(columns[0])
    return [[columns[j][i] for j in range(len(xs))] for i in range(m)], len(xs)
