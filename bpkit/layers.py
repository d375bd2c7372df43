"""Vectorised layers: `forward` keeps exactly what `backward` needs.

Every layer is a class with `forward(x)` and `backward(dout)`. `backward`
returns dL/dx and *adds* into its parameters' `.grad` (gradients accumulate,
as in the scalar engine and PyTorch; call `zero_grad()` between steps).
Parameters are `Parameter`s with `.data` and `.grad`, the same interface as a
scalar `Value`, so one optimizer trains both.

The three gradients of `Linear` (y = x @ W + b) follow from the shapes alone:

    dW = x.T @ dout      (D, N) @ (N, H) -> (D, H), the shape of W
    db = dout.sum(0)     b was broadcast over the N rows, so its grads add up
    dx = dout @ W.T      (N, H) @ (H, D) -> (N, D), the shape of x

Conventions:

- Shapes are checked at the boundary: a wrong input raises a ValueError that
  names the expected and the received shape, never a silent broadcast.
- float64 by default (for gradient checks); float32 on request. A layer casts
  its input and `dout` to its own dtype, so a float32 network stays float32 even
  when fed float64 data.
- One instance may be used at several places in one graph, as in PyTorch:
  `Sequential(lin, relu, lin2, relu)` reuses one `ReLU`, and gets the same
  gradients as finite differences. `forward` keeps its cache with `_save`;
  a container (`Sequential`, `Residual`) takes a snapshot of each child's
  cache right after the child's forward and restores it before the child's
  backward, so every position backpropagates its own input.
  Called directly, a layer keeps only its last call's cache: a second
  `forward` replaces the first (the usual "evaluate, then train" loop), and
  backward uses the last one. Backward may run again on that cache (the
  gradients add up). What it cannot do is backpropagate two different calls
  of its own: after two or more forwards, a second backward raises a
  RuntimeError that says so, instead of a silently wrong gradient.
- NaN in, NaN out: layers do not scan their inputs for NaN (that would cost a
  pass over every array), they propagate it (ReLU too). The losses in
  `bpkit.losses` do scan, and raise a ValueError saying where the NaN is.

Shape letters: N batch, D input features, H output features.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import init as _init
from ._validate import number
from ._validate import positive_integer as _positive_int

__all__ = [
    "Parameter",
    "Layer",
    "Linear",
    "ReLU",
    "LeakyReLU",
    "Tanh",
    "Sigmoid",
    "Sequential",
    "sigmoid",
    "ACTIVATIONS",
    "mlp",
]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class Parameter:
    """An array to learn and its gradient: `.data` and `.grad`, same shape and dtype.

    `requires_grad = False` freezes it: `Linear` adds nothing into its `.grad`
    and the optimizers leave it alone (see `bpkit.practice.freeze`).
    """

    __slots__ = ("data", "grad", "name", "requires_grad")

    def __init__(self, data: np.ndarray, name: str = "") -> None:
        data = np.asarray(data)
        if not np.issubdtype(data.dtype, np.floating):
            raise TypeError(f"Parameter data must be a float array, got {data.dtype}")
        self.data = data
        self.grad = np.zeros_like(data)
        self.name = name
        self.requires_grad = True

    def zero_grad(self) -> None:
        self.grad.fill(0)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        return f"Parameter({self.name or ''}{self.data.shape}, {self.data.dtype})"


class Layer:
    """Base class: `__call__` is `forward`; `parameters()`; `zero_grad()`; train/eval.

    `forward` keeps what `backward` needs with `self._save(cache)`; `backward`
    gets it back with `self._load()`. Containers move a child's cache with
    `_snapshot()` / `_restore(cache)` (see the module docstring).
    """

    training: bool = True
    _saved: Any = None  # what the last forward kept for backward
    _calls: int = 0  # forwards since the last backward
    _backs: int = 0  # backwards since the last forward

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

    def _save(self, cache: Any) -> None:
        """Keep `cache` for backward (called by forward)."""
        if self._backs:
            self._calls = 0
        self._calls += 1
        self._backs = 0
        self._saved = cache

    def _load(self) -> Any:
        """The cache of the last forward (called by backward); refuses an ambiguity."""
        self._need_cache(self._saved)
        self._backs += 1
        if self._calls > 1 and self._backs > 1:
            name = type(self).__name__
            raise RuntimeError(
                f"{name} was called {self._calls} times before this backward pass, "
                "but a layer called directly keeps only its last call's input, so "
                "it cannot backpropagate an earlier call. Put the repeated uses in "
                "one Sequential (it keeps one cache per position), or run forward "
                "and backward once per call."
            )
        return self._saved

    def _snapshot(self) -> Any:
        """This layer's cache, for a container to restore before its backward.

        The container takes charge of that call, so it no longer counts as a
        direct call (whose count `_load` uses to refuse an ambiguous backward).
        """
        self._calls = 0
        return self._saved

    def _restore(self, cache: Any) -> None:
        """Put back a cache taken by `_snapshot`: backward then uses exactly it."""
        self._saved, self._calls, self._backs = cache, 1, 0


def _as_float_array(x: Any, who: str) -> np.ndarray:
    """x as a float array: floats pass through, ints and bools become float64."""
    if not isinstance(x, np.ndarray):
        x = np.asarray(x)
    if np.issubdtype(x.dtype, np.floating):
        return x
    if np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_:
        return x.astype(np.float64)
    raise TypeError(f"{who}: expected a numeric array, got dtype {x.dtype}")


def _float_dtype(dtype: Any) -> np.dtype:
    """float32 or float64 as a numpy dtype; anything else is a ValueError."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if dt not in _FLOATS:
        raise ValueError(f"dtype must be float32 or float64, got {dt}")
    return dt


def _choice(name: str, value: Any, options: Any, what: str) -> None:
    """Refuse a `value` that is not one of the names in `options`."""
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be one of {list(options)} (a name), got {value!r}"
        )
    if value not in options:
        raise ValueError(f"unknown {what} {value!r}; choose one of {list(options)}")


def _check_input(x: Any, features: int, who: str) -> np.ndarray:
    x = _as_float_array(x, who)
    if x.ndim != 2 or x.shape[1] != features:
        hint = ""
        if x.ndim == 1 and x.shape[0] == features:
            hint = " (one example still needs a batch axis: x[None, :])"
        raise ValueError(
            f"{who}: x has shape {x.shape}, expected (N, {features}){hint}"
        )
    return x


def _check_dout(
    dout: Any, shape: tuple[int, ...], dtype: np.dtype, who: str
) -> np.ndarray:
    dout = _as_float_array(dout, who)
    if dout.shape != shape:
        raise ValueError(f"{who}: dout has shape {dout.shape}, expected {shape}")
    return dout if dout.dtype == dtype else dout.astype(dtype)


class Linear(Layer):
    """y = x @ W + b.

    Inputs:  x (N, D)
    Returns: y (N, H)
    Weights W (D, H) come from `init` (default He-uniform), b (H,) starts at 0.
    An input of another dtype is cast to the layer's dtype, so a float32
    network stays float32.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        rng: np.random.Generator,
        init: str | Callable[..., np.ndarray] = "he_uniform",
        dtype: type = np.float64,
        bias: bool = True,
    ) -> None:
        in_features = _positive_int("in_features", in_features)
        out_features = _positive_int("out_features", out_features)
        dtype = _float_dtype(dtype)
        W = np.asarray(_init.get(init)((in_features, out_features), rng))
        if W.shape != (in_features, out_features):
            raise ValueError(
                f"init returned shape {W.shape}, expected {(in_features, out_features)}"
            )
        if W.dtype.kind not in "fiub":
            raise TypeError(f"init must return real numbers, got dtype {W.dtype}")
        if not np.isfinite(W).all():
            raise ValueError(
                f"init returned {int((~np.isfinite(W)).sum())} non-finite weight(s) "
                "(NaN or inf); init must return finite numbers"
            )
        self.W = Parameter(W.astype(dtype), "W")
        self.b = Parameter(np.zeros(out_features, dtype=dtype), "b") if bias else None
        self.in_features, self.out_features = in_features, out_features
        self.dtype = dtype

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _check_input(x, self.in_features, "Linear")
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        self._save(x)  # (N, D): all that backward needs
        out = x @ self.W.data  # (N, H)
        if self.b is not None:
            out += self.b.data  # broadcast over the N rows
        return out

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Add dL/dW and dL/db into the grads; return dL/dx (None if not `input_grad`).

        Inputs:  dout (N, H), dL/dy
        Returns: dx (N, D). Skipping it (``input_grad=False``) saves a third of
        the work when x is data, not something to learn, as in a first layer.
        """
        return self._backward(self._load(), dout, input_grad)

    def _backward(
        self, x: np.ndarray, dout: np.ndarray, input_grad: bool
    ) -> np.ndarray | None:
        dout = _check_dout(dout, (x.shape[0], self.out_features), self.dtype,
                           "Linear.backward")
        if self.W.requires_grad:  # a frozen weight costs no product
            self.W.grad += x.T @ dout  # (D, N) @ (N, H) -> (D, H)
        if self.b is not None and self.b.requires_grad:
            self.b.grad += dout.sum(axis=0)  # (H,): b was added to every row
        if not input_grad:
            return None
        return dout @ self.W.data.T  # (N, H) @ (H, D) -> (N, D)

    def parameters(self) -> list[Parameter]:
        return [self.W] if self.b is None else [self.W, self.b]

    def __repr__(self) -> str:
        bias = "" if self.b is not None else ", bias=False"
        sizes = f"{self.in_features}, {self.out_features}{bias}"
        return f"Linear({sizes}, dtype={self.dtype})"


class _Elementwise(Layer):
    """An activation applied entrywise; subclasses cache what their derivative needs.

    Inputs:  x of any shape
    Returns: the same shape and float dtype
    """

    def _check(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dout checked against the cache; returns (dout, cache)."""
        cache, dtype = self._load()
        dout = _check_dout(dout, cache.shape, dtype, f"{type(self).__name__}.backward")
        return dout, cache

    def _remember(self, cache: np.ndarray, dtype: np.dtype) -> None:
        self._save((cache, dtype))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(_Elementwise):
    """max(0, x); the derivative at 0 is taken as 0, as in PyTorch. NaN stays NaN."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _as_float_array(x, "ReLU")
        self._remember(x > 0, x.dtype)  # the mask is all backward needs
        return np.maximum(x, 0)  # np.maximum propagates NaN

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout, mask = self._check(dout)
        return dout * mask


class LeakyReLU(_Elementwise):
    """x for x > 0, slope * x otherwise."""

    def __init__(self, slope: float = 0.01) -> None:
        number("slope", slope, 0)
        self.slope = float(slope)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _as_float_array(x, "LeakyReLU")
        positive = x > 0
        self._remember(positive, x.dtype)
        return np.where(positive, x, self.slope * x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout, positive = self._check(dout)
        return dout * np.where(positive, 1.0, self.slope).astype(dout.dtype)

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope})"


class Tanh(_Elementwise):
    """tanh(x), whose derivative 1 - tanh(x)^2 needs only the output."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _as_float_array(x, "Tanh")
        out = np.tanh(x)
        self._remember(out, x.dtype)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout, out = self._check(dout)
        return dout * (1 - out**2)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow: exp only ever sees -|x|.

    Inputs: x of any shape. Returns: the same shape and float dtype.
    """
    x = _as_float_array(x, "sigmoid")
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class Sigmoid(_Elementwise):
    """1 / (1 + exp(-x)), whose derivative s (1 - s) needs only the output s."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = _as_float_array(x, "Sigmoid")
        out = sigmoid(x)
        self._remember(out, x.dtype)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout, s = self._check(dout)
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
        caches = []  # one per position: a layer used twice has two
        for layer in self.layers:
            x = layer.forward(x)
            caches.append(layer._snapshot())
        self._save(caches)
        return x

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Run every layer's backward, last to first; return dL/dx.

        With ``input_grad=False`` (x is data), a first `Linear` skips computing
        dL/dx and None is returned.
        """
        caches = self._load()
        if not self.layers:
            return dout if input_grad else None
        for layer, cache in zip(reversed(self.layers[1:]), reversed(caches[1:])):
            layer._restore(cache)
            dout = layer.backward(dout)
        first = self.layers[0]
        first._restore(caches[0])
        if input_grad:
            return first.backward(dout)
        if isinstance(first, (Linear, Sequential)):
            return first.backward(dout, input_grad=False)
        first.backward(dout)
        return None

    def parameters(self) -> list[Parameter]:
        """Every layer's parameters, each once (a layer used twice is listed once)."""
        seen: set[int] = set()
        out = []
        for layer in self.layers:
            for p in layer.parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append(p)
        return out

    def children(self) -> list[Layer]:
        return list(self.layers)

    def append(self, layer: Layer) -> "Sequential":
        if not isinstance(layer, Layer):
            raise TypeError(f"can only append a Layer, got {type(layer).__name__}")
        self.layers.append(layer)
        return self

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"


# activation layers by name, as `mlp` and the apps offer them
ACTIVATIONS: dict[str, Callable[[], Layer]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
}

# the init that suits each activation when none is given
_DEFAULT_INIT = {
    "relu": "he_uniform",
    "leaky_relu": "he_uniform",
    "tanh": "xavier_uniform",
    "sigmoid": "xavier_uniform",
}


def mlp(
    sizes: Sequence[int],
    rng: np.random.Generator,
    activation: str = "relu",
    init: str | Callable[..., np.ndarray] | None = None,
    dtype: type = np.float64,
) -> Sequential:
    """Linear -> activation -> ... -> Linear, with `len(sizes) - 1` Linear layers.

    >>> net = mlp([2, 16, 16, 3], np.random.default_rng(0))   # 2 -> 3 classes

    The last Linear has no activation: it returns logits. With `init=None`,
    ReLU-like activations get He-uniform weights and tanh/sigmoid Xavier-uniform.

    Inputs:  x (N, sizes[0])
    Returns: (N, sizes[-1])
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(
            "sizes must be a list of layer sizes, e.g. [2, 16, 3], "
            f"got {type(sizes).__name__}"
        )
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(
            f"sizes needs at least an input and an output size, got {sizes}"
        )
    for i, v in enumerate(sizes):
        _positive_int(f"sizes[{i}]", v)
    _choice("activation", activation, ACTIVATIONS, "activation")
    init = _DEFAULT_INIT[activation] if init is None else init
    layers: list[Layer] = []
    for i, (d, h) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(d, h, rng, init=init, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return Sequential(*layers)
