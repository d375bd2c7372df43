"""Scalar neural networks built from `Value`s: `Neuron`, `Layer`, `MLP`."""

from __future__ import annotations

from numbers import Real
from typing import Sequence

import numpy as np

from ._validate import integer
from .engine import Value

__all__ = ["Module", "Neuron", "Layer", "MLP"]

_ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


class Module:
    """Anything with parameters: gives `zero_grad()` for free."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """act(w . x + b) for one output.

    Weights are drawn uniform in (-1, 1) / sqrt(nin) from `rng`; the bias starts at 0.
    """

    def __init__(
        self, nin: int, rng: np.random.Generator, activation: str = "relu"
    ) -> None:
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {_ACTIVATIONS}, got {activation!r}"
            )
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                "rng must be a numpy Generator, e.g. np.random.default_rng(0); "
                f"got {type(rng).__name__}"
            )
        nin = integer("nin", nin, 1)
        scale = 1.0 / np.sqrt(nin)
        self.w = [Value(float(v)) for v in rng.uniform(-scale, scale, size=nin)]
        self.b = Value(0.0)
        self.activation = activation

    def __call__(self, x: Sequence[Value | float]) -> Value:
        if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
            raise TypeError(
                f"x must be a sequence of {len(self.w)} numbers or Values, "
                f"got {type(x).__name__}"
            )
        if len(x) != len(self.w):
            raise ValueError(f"x has {len(x)} inputs, expected {len(self.w)}")
        try:
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        except TypeError:
            _bad_entry(x)
            raise
        if self.activation == "linear":
            return act
        return getattr(act, self.activation)()

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


def _bad_entry(x: Sequence) -> None:
    """Raise a TypeError naming the first entry of x that is not a real number."""
    for i, xi in enumerate(x):
        if not isinstance(xi, (Value, Real)):
            raise TypeError(
                f"x must hold real numbers or Values, got {type(xi).__name__} "
                f"{xi!r:.40} at index {i}"
            ) from None


class Layer(Module):
    """`nout` neurons that all read the same input."""

    def __init__(
        self, nin: int, nout: int, rng: np.random.Generator, activation: str = "relu"
    ) -> None:
        nout = integer("nout", nout, 1)
        self.neurons = [Neuron(nin, rng, activation) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> list[Value] | Value:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer({len(self.neurons)} x {self.neurons[0]!r})"


class MLP(Module):
    """A multi-layer perceptron: hidden layers use `activation`, the last is linear.

    >>> model = MLP(2, [16, 16, 1], rng=np.random.default_rng(0))
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        rng: np.random.Generator,
        activation: str = "relu",
    ) -> None:
        nin = integer("nin", nin, 1)
        if isinstance(nouts, (str, bytes)) or not hasattr(nouts, "__iter__"):
            raise TypeError(
                "nouts must be a list of layer sizes, e.g. [16, 1], "
                f"got {type(nouts).__name__}"
            )
        nouts = [integer(f"nouts[{i}]", n, 1) for i, n in enumerate(nouts)]
        if not nouts:
            raise ValueError(
                "nouts must list at least one layer size, e.g. [1], got []"
            )
        sizes = [nin, *nouts]
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                rng,
                activation if i < len(nouts) - 1 else "linear",
            )
            for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Value | float]) -> list[Value] | Value:
        for layer in self.layers:
            x = layer(x)
            if isinstance(x, Value):
                x = [x]
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(repr(l) for l in self.layers)}]"
