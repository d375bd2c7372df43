"""Frozen layers: no update, and no gradient computed below the last trainable layer.

`freeze(layer)` sets `requires_grad = False` on its parameters: `Linear` then
adds nothing into their `.grad` and the optimizers skip them.
`backward_trainable(net, dout)` runs a `Sequential`'s backward only as far
down as the lowest layer that still has a trainable parameter: below it no
gradient is needed, so none is computed. Fine-tuning a head on a frozen base
therefore costs the head's backward only.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ..layers import Layer, Linear, Sequential

__all__ = ["freeze", "unfreeze", "trainable_parameters", "backward_trainable",
           "parameter_list"]


def parameter_list(obj: Layer | Iterable, name: str = "params") -> list:
    """A layer's parameters, or a list of parameters; refuses anything without .data/.grad."""
    items = obj.parameters() if isinstance(obj, Layer) else list(obj)
    for i, p in enumerate(items):
        if not (hasattr(p, "data") and hasattr(p, "grad")) or isinstance(p, np.ndarray):
            raise TypeError(f"{name} must be a Layer or parameters with .data and .grad "
                            f"(e.g. net.parameters()); item {i} is a {type(p).__name__}")
    return items


_params = parameter_list


def freeze(obj: Layer | Iterable) -> None:
    """Set requires_grad = False on a layer's (or a list's) parameters; zero their grads."""
    for p in _params(obj):
        p.requires_grad = False
        p.grad[...] = 0


def unfreeze(obj: Layer | Iterable) -> None:
    """Set requires_grad = True on a layer's (or a list's) parameters."""
    for p in _params(obj):
        p.requires_grad = True


def trainable_parameters(net: Layer) -> list:
    """The parameters of `net` that are not frozen."""
    return [p for p in net.parameters() if p.requires_grad]


def backward_trainable(net: Sequential, dout: np.ndarray) -> int:
    """`net.backward(dout)`, stopped at the lowest layer with a trainable parameter.

    Returns the number of layers whose backward ran (0 if everything is frozen).
    """
    if not isinstance(net, Sequential):
        raise TypeError(f"net must be a Sequential, got {type(net).__name__}")
    caches = net._load()
    live = [i for i, layer in enumerate(net.layers)
            if any(p.requires_grad for p in layer.parameters())]
    if not live:
        return 0
    lowest = live[0]
    for i in range(len(net.layers) - 1, lowest - 1, -1):
        layer = net.layers[i]
        layer._restore(caches[i])
        if i == lowest and isinstance(layer, (Linear, Sequential)):
            layer.backward(dout, input_grad=False)  # nothing below needs dx
        else:
            dout = layer.backward(dout)
    return len(net.layers) - lowest
