"""From the scalar engine to matrices: a scalar `nn.MLP` as a vectorised `Sequential`.

`from_scalar_mlp` copies a scalar MLP's weights into `Linear` layers (neuron j of
a layer becomes column j of W), and `scalar_grads` lays its `.grad`s out the same
way, so lesson 03 can show the two computing the same gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .layers import Layer, Linear, ReLU, Sequential, Sigmoid, Tanh

__all__ = ["from_scalar_mlp", "scalar_grads"]


_SCALAR_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "linear": None}


def _check_scalar_mlp(model: Any) -> None:
    """model must look like a scalar `bpkit.nn.MLP`: `.layers` of `.neurons`."""
    layers = getattr(model, "layers", None)
    ok = isinstance(layers, (list, tuple)) and all(
        isinstance(getattr(layer, "neurons", None), (list, tuple)) for layer in layers
    )
    if not ok:
        hint = ""
        if hasattr(model, "neurons"):
            hint = " (this is one scalar Layer: wrap it as an MLP)"
        elif isinstance(model, Layer):
            hint = " (this is already a vectorised network)"
        raise TypeError(
            "model must be a scalar bpkit.nn.MLP (its .layers hold .neurons), "
            f"got {type(model).__name__}{hint}"
        )


def from_scalar_mlp(model: Any, dtype: type = np.float64) -> Sequential:
    """The same network as a scalar `bpkit.nn.MLP`, as matrices: same numbers, copied.

    Neuron j of a scalar layer becomes column j of W: W[i, j] = neuron_j.w[i].
    """
    _check_scalar_mlp(model)
    layers: list[Layer] = []
    dummy = np.random.default_rng(0)  # weights are overwritten just below
    for layer in model.layers:
        neurons = layer.neurons
        W = np.array([[w.data for w in n.w] for n in neurons]).T  # (D, H)
        lin = Linear(W.shape[0], W.shape[1], dummy, dtype=dtype)
        lin.W.data[...] = W
        lin.b.data[...] = [n.b.data for n in neurons]
        layers.append(lin)
        act = _SCALAR_ACTIVATIONS[neurons[0].activation]
        if act is not None:
            layers.append(act())
    return Sequential(*layers)


def scalar_grads(model: Any) -> list[np.ndarray]:
    """A scalar MLP's `.grad`s laid out like `from_scalar_mlp(model).parameters()`.

    Returns: [dW (D, H), db (H,)] for each layer, in order.
    """
    _check_scalar_mlp(model)
    out: list[np.ndarray] = []
    for layer in model.layers:
        out.append(np.array([[w.grad for w in n.w] for n in layer.neurons]).T)
        out.append(np.array([n.b.grad for n in layer.neurons]))
    return out
