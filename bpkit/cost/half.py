"""The other memory lever: keep the activations for backward in float16.

Checkpointing keeps fewer activations; storing them in half precision keeps
each in a quarter of float64's bytes (half of float32's). The forward pass
still computes in the network's dtype; only what waits for backward is
rounded, so the gradients change by float16's rounding (about 1e-3 relative),
and a value beyond float16's range (65504) would become inf.
"""

from __future__ import annotations

import numpy as np

from ..layers import Sequential

__all__ = ["store_caches_as"]


def store_caches_as(net: Sequential, dtype: type = np.float16) -> int:
    """Replace the float arrays `net` keeps for backward by `dtype` copies.

    Call it between `net.forward(x)` and `net.backward(dout)`. An array that
    two layers share (a Tanh's output, the next Linear's input) becomes one
    copy. Boolean masks (ReLU) stay as they are. Returns how many arrays were
    converted. The backward pass then reads the rounded values; numpy promotes
    them back to the gradient's dtype in every product.
    """
    if not isinstance(net, Sequential):
        raise TypeError(f"net must be a bpkit.layers.Sequential, got {type(net).__name__}")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a float type, got {dtype}")
    caches = net._saved
    if caches is None:
        raise RuntimeError("store_caches_as needs the caches of a forward pass; "
                           "run net.forward(x) first")
    memo: dict[int, np.ndarray] = {}

    def convert(obj):
        if isinstance(obj, np.ndarray):
            if obj.dtype.kind != "f" or obj.dtype == dtype:
                return obj
            if id(obj) not in memo:
                memo[id(obj)] = obj.astype(dtype)
            return memo[id(obj)]
        if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
            return tuple(convert(o) for o in obj)
        if isinstance(obj, list):
            return [convert(o) for o in obj]
        return obj

    net._saved = convert(caches)
    for layer in net.layers:  # the layers' own copies would keep the originals alive
        layer._saved = None
    return len(memo)
