"""Vectorised layers: `forward` keeps exactly what `backward` needs.

Every layer is a class with `forward(x)` and `backward(dout)`. `backward`
returns dL/dx and *adds* into its parameters' `.grad` (gradients accumulate,
as in the scalar engine and PyTorch; call `zero_grad()` between steps).
Parameters are `Parameter`s with `.data` and `.grad`, the same interface as a
scalar `Value`, so one optimizer trains both.

Shape letters: N batch, D input features, H output features.
"""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from . import init as _init

__all__ = [
    "Parameter",
    "Layer",
    "Linear",
    "ReLU",
    "LeakyReLU",
    "Tanh",
    "Sigmoid",
    "Sequential",
]


class Parameter:
    """An array to learn, with its gradient: `.data` and `.grad`, same shape and dtype."""

    __slots__ = ("data", "grad", "name")

    def __init__(self, data: np.ndarray, name: str = "") -> None:
        data = np.asarray(data)
        if not np.issubdtype(data.dtype, np.floating):
            raise TypeError(f"Parameter data must be a float array, got {data.dtype}")
        self.data = data
        self.grad = np.zeros_like(data)
        self.name = name

    def zero_grad(self) -> None:
        self.grad.fill(0)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        return f"Parameter({self.name or ''}{self.data.shape}, {self.data.dtype})"


class Layer:
    """Base class: `__call__` is `forward`; `parameters()`; `zero_grad()`; train/eval."""

    training: bool = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def parameters(self) -> list[Parameter]:
        return []

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> "Layer":
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> "Layer":
        return self.train(False)

    def children(self) -> list["Layer"]:
        return []

    def _need_cache(self, cache: object) -> None:
        if cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward called before forward"
            )


def _check_input(x: np.ndarray, features: int, who: str) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != features:
        raise ValueError(f"{who}: x has shape {x.shape}, expected (N, {features})")
    return x


class Linear(Layer):
    """y = x @ W + b.

    Inputs:  x (N, D)
    Returns: y (N, H)
    Weights W (D, H) come from `init` (default He-uniform), b (H,) starts at 0.
    An input of another float dtype is cast to the layer's dtype, so a float32
    network stays float32.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        rng: np.random.Generator,
        init: str | Callable = "he_uniform",
        dtype: type = np.float64,
        bias: bool = True,
    ) -> None:
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if int(v) != v or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        init_fn = _init.get(init) if isinstance(init, str) else init
        W = init_fn((in_features, out_features), rng)
        self.W = Parameter(np.asarray(W, dtype=dtype), "W")
        self.b = Parameter(np.zeros(out_features, dtype=dtype), "b") if bias else None
        self.in_features, self.out_features = in_features, out_features
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _check_input(x, self.in_features, "Linear")
        if x.dtype != self.W.data.dtype:
            x = x.astype(self.W.data.dtype)
        self._x = x  # (N, D): all backward needs
        out = x @ self.W.data  # (N, H)
        if self.b is not None:
            out += self.b.data
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_cache(self._x)
        x = self._x
        if dout.shape != (x.shape[0], self.out_features):
            raise ValueError(
                f"Linear.backward: dout has shape {dout.shape}, "
                f"expected {(x.shape[0], self.out_features)}"
            )
        self.W.grad += x.T @ dout  # (D, H)
        if self.b is not None:
            self.b.grad += dout.sum(axis=0)  # (H,)
        return dout @ self.W.data.T  # (N, D)

    def parameters(self) -> list[Parameter]:
        return [self.W] if self.b is None else [self.W, self.b]

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features}, dtype={self.W.data.dtype})"


class _Elementwise(Layer):
    """An activation applied entrywise; subclasses cache what their derivative needs."""

    _cache = None

    def _check(self, dout: np.ndarray) -> None:
        self._need_cache(self._cache)
        if dout.shape != self._cache.shape:
            raise ValueError(
                f"{type(self).__name__}.backward: dout has shape {dout.shape}, "
                f"expected {self._cache.shape}"
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(_Elementwise):
    """max(0, x); the derivative at 0 is taken as 0, as in PyTorch."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = x > 0  # the mask is all backward needs
        return np.where(self._cache, x, 0).astype(x.dtype, copy=False)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._check(dout)
        return dout * self._cache


class LeakyReLU(_Elementwise):
    """x for x > 0, slope * x otherwise."""

    def __init__(self, slope: float = 0.01) -> None:
        if slope < 0:
            raise ValueError(f"slope must be >= 0, got {slope}")
        self.slope = slope

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = x > 0
        return np.where(self._cache, x, self.slope * x).astype(x.dtype, copy=False)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._check(dout)
        return dout * np.where(self._cache, 1.0, self.slope).astype(dout.dtype)

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope})"


class Tanh(_Elementwise):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = np.tanh(x)  # tanh' = 1 - tanh^2 needs only the output
        return self._cache

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._check(dout)
        return dout * (1 - self._cache**2)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow: exp only ever sees -|x|."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class Sigmoid(_Elementwise):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self._cache = sigmoid(x)  # s' = s (1 - s) needs only the output
        return self._cache

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._check(dout)
        s = self._cache
        return dout * s * (1 - s)


class Sequential(Layer):
    """Layers applied in order; backward runs them in reverse."""

    def __init__(self, *layers: Layer) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} is a {type(layer).__name__}, not a Layer")
        self.layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def parameters(self) -> list[Parameter]:
        return [p for layer in self.layers for p in layer.parameters()]

    def children(self) -> list[Layer]:
        return list(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterable[Layer]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"
