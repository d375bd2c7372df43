"""Blocks that keep gradients flowing through deep networks.

`BatchNorm1d` re-centres and re-scales every feature over the batch, so each
layer's pre-activations stay near the middle of the activation, whatever the
weights' scale. `Residual` adds the block's input to its output, so the backward
pass has an identity path: dL/dx = dL/dout + (the block's own gradient).
`deep_mlp` builds the configurable deep network that lesson 04 measures.

Both blocks are `bpkit.layers.Layer`s: they compose in `Sequential`, expose
`parameters()` / `children()`, and follow `train()` / `eval()`.

Shape letters: N batch, D features, H hidden width, C outputs.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import init as _init
from ._validate import number
from .layers import (
    ACTIVATIONS,
    Layer,
    Linear,
    Parameter,
    Sequential,
    _check_dout,
    _choice,
    _float_dtype,
    _positive_int,
)

__all__ = ["BatchNorm1d", "Residual", "ACTIVATIONS", "INITS", "deep_mlp"]


class BatchNorm1d(Layer):
    """Normalise each feature over the batch, then scale by gamma and shift by beta.

    Training mode: y = gamma * (x - mean_B) / sqrt(var_B + eps) + beta, with the
    batch mean and (biased) variance; the running statistics are updated as
    running = (1 - momentum) * running + momentum * batch (the running variance
    uses the unbiased batch variance, as PyTorch does).
    Eval mode: the running statistics replace the batch ones, so the output of an
    example no longer depends on the rest of its batch.

    Inputs:  x (N, D), N >= 2 in training mode
    Returns: y (N, D)
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        dtype: type = np.float64,
    ) -> None:
        num_features = _positive_int("num_features", num_features)
        number("eps", eps, 0, lo_open=True)
        number("momentum", momentum, 0, 1)
        dtype = _float_dtype(dtype)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.gamma = Parameter(np.ones(num_features, dtype=dtype), "gamma")
        self.beta = Parameter(np.zeros(num_features, dtype=dtype), "beta")
        # running statistics are state, not parameters: no gradient, not optimised
        self.running_mean = np.zeros(num_features, dtype=dtype)
        self.running_var = np.ones(num_features, dtype=dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.dtype.kind not in "fiub":
            raise TypeError(
                f"BatchNorm1d: x must be a real numeric array, got dtype {x.dtype}"
            )
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d: x has shape {x.shape}, expected (N, {self.num_features})"
            )
        x = x.astype(self.gamma.data.dtype, copy=False)
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(
                    f"BatchNorm1d: x has shape {x.shape}; training mode needs N >= 2 "
                    "to estimate a variance (call .eval() for single examples)"
                )
            mean = x.mean(axis=0)  # (D,)
            xc = x - mean  # (N, D)
            var = np.mean(xc * xc, axis=0)  # (D,) biased: what normalises this batch
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * mean
            self.running_var = (1 - m) * self.running_var + m * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var
            xc = x - mean
        inv_std = 1.0 / np.sqrt(var + self.eps)  # (D,)
        xhat = xc * inv_std  # (N, D)
        self._save((xhat, inv_std, self.training))
        return self.gamma.data * xhat + self.beta.data

    def backward(self, dout: np.ndarray) -> np.ndarray:
        xhat, inv_std, batch_stats = self._load()
        # same check and cast as every layer: a float32 net stays float32
        dout = _check_dout(dout, xhat.shape, xhat.dtype, "BatchNorm1d.backward")
        self.gamma.grad += (dout * xhat).sum(axis=0)  # (D,)
        self.beta.grad += dout.sum(axis=0)  # (D,)
        dxhat = dout * self.gamma.data  # (N, D)
        if not batch_stats:
            return dxhat * inv_std  # fixed statistics: an affine map per feature
        # the batch mean and variance depend on every x too; their terms subtract
        # the part of dxhat along 1 and along xhat (a projection, per feature)
        n = dout.shape[0]
        return inv_std / n * (
            n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)
        )

    def parameters(self) -> list[Parameter]:
        return [self.gamma, self.beta]

    def __repr__(self) -> str:
        return (f"BatchNorm1d({self.num_features}, eps={self.eps}, "
                f"momentum={self.momentum})")


class Residual(Layer):
    """out = x + inner(x): a skip connection around any shape-preserving layer.

    Backward adds the identity path to the inner path,
    dL/dx = dL/dout + inner.backward(dL/dout), so even when the inner block's
    gradient vanishes, dL/dout reaches x unchanged.

    Inputs:  x (N, D)
    Returns: out (N, D); inner(x) must have x's shape.
    """

    def __init__(self, inner: Layer) -> None:
        if not isinstance(inner, Layer):
            raise TypeError(f"inner is a {type(inner).__name__}, not a Layer")
        self.inner = inner

    def forward(self, x: np.ndarray) -> np.ndarray:
        fx = self.inner.forward(x)
        if fx.shape != np.shape(x):
            raise ValueError(
                f"Residual: inner block maps shape {np.shape(x)} to {fx.shape}, "
                f"expected {np.shape(x)} (a skip connection needs equal shapes)"
            )
        self._save(self.inner._snapshot())  # so one Residual can be reused
        return x + fx

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.inner._restore(self._load())
        return dout + self.inner.backward(dout)

    def parameters(self) -> list[Parameter]:
        return self.inner.parameters()

    def children(self) -> list[Layer]:
        return [self.inner]

    def __repr__(self) -> str:
        inner = repr(self.inner).replace("\n", "\n  ")
        return f"Residual(\n  {inner}\n)"


def _normal(std: float) -> Callable:
    return lambda shape, rng: _init.normal(shape, rng, std=std)


# the initialisations lesson 04 compares, by name (activations: layers.ACTIVATIONS)
INITS: dict[str, Callable] = {
    "normal_1": _normal(1.0),  # N(0, 1): ignores the layer width
    "normal_0.01": _normal(0.01),  # N(0, 0.01^2): "small random numbers"
    "xavier": _init.xavier_normal,  # std sqrt(2 / (fan_in + fan_out))
    "he": _init.he_normal,  # std sqrt(2 / fan_in)
}


def deep_mlp(
    in_features: int,
    width: int,
    out_features: int,
    depth: int,
    rng: np.random.Generator,
    activation: str = "relu",
    init: str = "he",
    batchnorm: bool = False,
    residual: bool = False,
) -> Sequential:
    """A deep MLP: `depth` hidden layers of `width` units, then a linear readout.

    Each hidden layer is Linear -> [BatchNorm1d] -> activation. With `residual`,
    every hidden layer whose input already has `width` features is wrapped as
    Residual(Sequential(Linear, [BatchNorm1d], activation)), so its output is
    h + f(h). The readout Linear uses `init` too.

    The returned Sequential is flat at the top level: one entry per Linear,
    BatchNorm1d, activation or Residual block, which is what
    `bpkit.diagnostics.gradient_flow` reports on.

    Inputs:  x (N, in_features)
    Returns: logits (N, out_features)
    """
    _choice("activation", activation, ACTIVATIONS, "activation")
    _choice("init", init, INITS, "init")
    in_features = _positive_int("in_features", in_features)
    width = _positive_int("width", width)
    out_features = _positive_int("out_features", out_features)
    depth = _positive_int("depth", depth)
    init_fn = INITS[init]
    layers: list[Layer] = []
    fan_in = in_features
    for _ in range(depth):
        block = [Linear(fan_in, width, rng, init=init_fn)]
        if batchnorm:
            block.append(BatchNorm1d(width))
        block.append(ACTIVATIONS[activation]())
        if residual and fan_in == width:
            layers.append(Residual(Sequential(*block)))
        else:
            layers.extend(block)
        fan_in = width
    layers.append(Linear(width, out_features, rng, init=init_fn))
    return Sequential(*layers)
