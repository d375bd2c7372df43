"""The scalar autodiff engine: a `Value` graph and its backward pass.

Every op follows one pattern: compute the output number, and record, next to
each input, the *local derivative* d(out)/d(input). The backward pass then only
multiplies: ``input.grad += local * out.grad``.

Storing the local derivatives as numbers, instead of a closure per node (as
micrograd does), keeps the graph free of reference cycles: a finished graph is
freed by reference counting at once, and the garbage collector has nothing to
chase in a training loop. It also means every chain-rule factor can be shown
(see `Value.backward_trace`).

Edge values follow IEEE float64 arithmetic, as PyTorch does: an overflow gives
inf (`exp(1000)`, `10 ** 400` and their slopes), nan propagates (`exp(nan)`,
`relu(nan)` and `nan ** 2` are nan), a tiny nonzero divisor gives a finite or
infinite quotient, and `x ** 0` is 1 with slope 0. Where the maths is undefined
the op raises instead of returning inf or nan: `x / 0` (ZeroDivisionError),
`0 ** k` for k < 0, a negative number to a non-integer power and `log(x)` for
x <= 0 (ValueError).
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Iterator, NamedTuple

__all__ = ["Value", "BackwardStep"]

# math.exp overflows above this argument; exp returns inf beyond it
_EXP_MAX = 709.782712893384


def _pow(x: float, k: float) -> float:
    """x ** k as IEEE arithmetic gives it: inf on overflow, not an OverflowError."""
    try:
        return x**k
    except OverflowError:
        odd = k.is_integer() and int(k) % 2 == 1
        return -math.inf if (x < 0 and odd) else math.inf


def _coerce(other: object, op: str) -> "Value":
    if isinstance(other, Value):
        return other
    if type(other) is float or type(other) is int or isinstance(other, Real):
        return Value(float(other))
    hint = ""
    if hasattr(other, "__array__"):
        hint = "; a Value holds one number: use it with a[i], not a whole array"
    raise TypeError(
        f"unsupported operand for {op}: Value and {type(other).__name__!r} "
        f"(expected a Value or a real number){hint}"
    )


class BackwardStep(NamedTuple):
    """One node's turn in the backward pass (see `Value.backward_trace`)."""

    node: "Value"  # the node whose gradient is being passed on
    upstream: float  # dL/d(node), complete when its turn comes
    inputs: tuple  # the node's inputs, `Value`s
    local: tuple  # d(node)/d(input) for each input
    contributions: tuple  # local * upstream, added to each input's grad


class Value:
    """A scalar in a computation graph, with its gradient.

    >>> w = Value(0.5, label="w")
    >>> loss = (4 - w * 2) ** 2
    >>> loss.backward()
    >>> w.grad
    -12.0
    """

    # one or two inputs per node, kept in slots rather than tuples: a node is
    # then a single object for the garbage collector to count, not three
    __slots__ = ("data", "grad", "_a", "_da", "_b", "_db", "_op", "label")

    # numpy must not broadcast a Value over an array (it would build an object
    # array of Values): `array * value` defers to Value, which refuses the array
    __array_ufunc__ = None

    def __init__(
        self,
        data: float,
        _a: "Value | None" = None,
        _da: float = 0.0,
        _b: "Value | None" = None,
        _db: float = 0.0,
        _op: str = "",
        label: str = "",
    ) -> None:
        if type(data) is not float:
            if not isinstance(data, Real):
                raise TypeError(
                    f"Value(data) takes a real number, got {type(data).__name__!r}"
                )
            data = float(data)
        self.data = data
        self.grad = 0.0
        self._a = _a  # first input node, None for a leaf
        self._da = _da  # d(self)/d(_a), the local derivative
        self._b = _b  # second input node, None for a unary op
        self._db = _db
        self._op = _op  # the op that made this node, '' for a leaf
        self.label = label

    @property
    def _prev(self) -> tuple["Value", ...]:
        """The input nodes (empty for a leaf)."""
        if self._a is None:
            return ()
        return (self._a,) if self._b is None else (self._a, self._b)

    @property
    def _local(self) -> tuple[float, ...]:
        """d(self)/d(input) for each input, in the order of `_prev`."""
        if self._a is None:
            return ()
        return (self._da,) if self._b is None else (self._da, self._db)

    # ----------------------------------------------------------------- ops
    def __add__(self, other: "Value | float") -> "Value":
        other = _coerce(other, "+")
        return Value(self.data + other.data, self, 1.0, other, 1.0, "+")

    def __mul__(self, other: "Value | float") -> "Value":
        other = _coerce(other, "*")
        return Value(self.data * other.data, self, other.data, other, self.data, "*")

    def __pow__(self, k: float) -> "Value":
        if isinstance(k, Value) or not isinstance(k, Real):
            raise TypeError(
                f"Value ** k needs a number exponent k, got {type(k).__name__!r}"
            )
        k = float(k)
        x = self.data
        if x == 0.0 and k < 0:
            raise ZeroDivisionError(f"0 ** {k:g} is undefined (division by zero)")
        if x < 0 and not k.is_integer():
            raise ValueError(
                f"({x:g}) ** {k:g} is not a real number "
                "(negative base, non-integer exponent)"
            )
        if k == 0.0:
            local = 0.0  # x ** 0 = 1 for every x (0 and nan included): flat
        elif x == 0.0 and k < 1:
            local = math.inf  # x ** (k - 1) at 0 for 0 < k < 1: the true slope
        else:
            local = k * _pow(x, k - 1)  # inf when it overflows, as in torch
        return Value(_pow(x, k), self, local, None, 0.0, f"**{k:g}")

    def __truediv__(self, other: "Value | float") -> "Value":
        other = _coerce(other, "/")
        b = other.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero: {self.data:g} / 0")
        # -a / b**2 as (-a / b) / b: b * b underflows to 0 for |b| < 1e-162
        return Value(self.data / b, self, 1.0 / b, other, -(self.data / b) / b, "/")

    def __neg__(self) -> "Value":
        return Value(-self.data, self, -1.0, None, 0.0, "neg")

    def __sub__(self, other: "Value | float") -> "Value":
        other = _coerce(other, "-")
        return Value(self.data - other.data, self, 1.0, other, -1.0, "-")

    def __radd__(self, other: float) -> "Value":
        return _coerce(other, "+") + self

    def __rsub__(self, other: float) -> "Value":
        return _coerce(other, "-") - self

    def __rmul__(self, other: float) -> "Value":
        return _coerce(other, "*") * self

    def __rtruediv__(self, other: float) -> "Value":
        return _coerce(other, "/") / self

    def exp(self) -> "Value":
        x = self.data
        # inf beyond the overflow point (math.exp raises there); nan stays nan
        e = math.exp(x) if (x <= _EXP_MAX or x != x) else math.inf
        return Value(e, self, e, None, 0.0, "exp")

    def log(self) -> "Value":
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log is defined for positive numbers only, got {x:g}")
        return Value(math.log(x), self, 1.0 / x, None, 0.0, "log")

    def tanh(self) -> "Value":
        t = math.tanh(self.data)
        return Value(t, self, 1.0 - t * t, None, 0.0, "tanh")

    def sigmoid(self) -> "Value":
        x = self.data
        # both branches only ever exponentiate a non-positive number: no overflow
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return Value(s, self, s * (1.0 - s), None, 0.0, "sigmoid")

    def relu(self) -> "Value":
        x = self.data
        # the derivative at exactly 0 is taken as 0, as in PyTorch
        if x > 0:
            return Value(x, self, 1.0, None, 0.0, "relu")
        if x != x:  # nan in, nan out, with torch's slope there (x <= 0 is false)
            return Value(x, self, 1.0, None, 0.0, "relu")
        return Value(0.0, self, 0.0, None, 0.0, "relu")

    # ------------------------------------------------------------ backward
    def topo_order(self) -> list["Value"]:
        """Every node of the graph, each after all of its inputs.

        Iterative depth-first search, so a graph of any depth works without
        touching Python's recursion limit.
        """
        order: list[Value] = []
        visited: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        push, pop, seen, mark = stack.append, stack.pop, visited.__contains__, visited.add
        while stack:
            node, inputs_done = pop()
            if inputs_done:
                order.append(node)
                continue
            if seen(id(node)):
                continue
            mark(id(node))
            push((node, True))
            a = node._a
            if a is not None:
                b = node._b
                if b is not None and not seen(id(b)):
                    push((b, False))
                if not seen(id(a)):
                    push((a, False))
        return order

    def backward(self) -> None:
        """Fill `.grad` of every node with d(self)/d(node).

        Leaf gradients *accumulate* across calls, as in PyTorch: calling
        `backward()` twice doubles them. Call `zero_grad()` (or the model's or
        optimizer's `zero_grad()`) between steps. Intermediate nodes are reset
        at the start of each call, so they hold this call's gradient.
        """
        order = self._reset_for_backward()
        for node in reversed(order):
            a = node._a
            if a is not None:
                g = node.grad
                a.grad += node._da * g
                b = node._b
                if b is not None:
                    b.grad += node._db * g

    def _reset_for_backward(self) -> list["Value"]:
        order = self.topo_order()
        for node in order:
            if node._a is not None:
                node.grad = 0.0
        self.grad = 1.0 if self._a is not None else self.grad + 1.0
        return order

    def backward_trace(self) -> Iterator[BackwardStep]:
        """The backward pass, one node at a time, as a generator.

        Each `BackwardStep` is yielded after its contributions are added, in
        reverse topological order. Run to the end it leaves exactly the
        gradients of `backward()`.
        """
        order = self._reset_for_backward()
        for node in reversed(order):
            g = node.grad
            contributions = tuple(local * g for local in node._local)
            for child, c in zip(node._prev, contributions):
                child.grad += c
            yield BackwardStep(node, g, node._prev, node._local, contributions)

    def zero_grad(self) -> None:
        """Set `.grad` to 0 on every node of this graph."""
        for node in self.topo_order():
            node.grad = 0.0

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.6g}, grad={self.grad:.6g})"
