"""Jacobian-vector and vector-Jacobian products through a `Sequential`.

A network y = f(x) has a Jacobian J = dy/dx, (M, D) per example. Forward mode
pushes a tangent v through the layers beside the values and gets J v: the
derivative of *every* output along *one* input direction. Reverse mode (the
layers' own `backward`) pulls a cotangent u back and gets J^T u: the derivative
of *one* output combination along *every* input. The two are tied by
u·(J v) = (J^T u)·v, which the tests check.

Each layer's tangent rule is its derivative applied forward:

    Linear       dy = dx @ W + x @ dW + db       (N, H)
    ReLU         dy = dx * (x > 0)
    LeakyReLU    dy = dx * where(x > 0, 1, slope)
    Tanh         dy = dx * (1 - y^2)
    Sigmoid      dy = dx * y (1 - y)

Nothing is kept between layers: forward mode needs no memory beyond the
current layer's value and tangent, whatever the depth.

Shape letters: N batch, D input features, M output features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..layers import (
    LeakyReLU, Linear, Parameter, ReLU, Sequential, Sigmoid, Tanh, sigmoid,
)
from .memory import clear_caches

__all__ = ["Passes", "jvp", "vjp", "jacobian_forward", "jacobian_reverse"]


@dataclass
class Passes:
    """How many passes a computation ran: forward, tangent (JVP) and backward."""

    forward: int = 0
    tangent: int = 0
    backward: int = 0


def _check_net(net: Sequential, who: str) -> list:
    if not isinstance(net, Sequential):
        raise TypeError(f"{who}: net must be a bpkit.layers.Sequential, "
                        f"got {type(net).__name__}")
    for i, layer in enumerate(net.layers):
        if not isinstance(layer, (Linear, ReLU, LeakyReLU, Tanh, Sigmoid, Sequential)):
            raise TypeError(
                f"{who}: layer {i} is a {type(layer).__name__}; {who} here knows "
                "Linear, ReLU, LeakyReLU, Tanh, Sigmoid and nested Sequentials")
    return net.layers


def _array(name: str, value: object, shape: tuple | None, who: str) -> np.ndarray:
    a = np.asarray(value)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{who}: {name} must be a real array, got dtype {a.dtype}")
    a = a.astype(np.float64, copy=False)
    if shape is not None and a.shape != shape:
        raise ValueError(f"{who}: {name} has shape {a.shape}, expected {shape}")
    return a


def _tangents(net: Sequential, dparams: Sequence[np.ndarray] | None, who: str) -> dict:
    """id(parameter) -> its tangent (zero where none is given)."""
    params = net.parameters()
    if dparams is None:
        return {}
    dparams = list(dparams)
    if len(dparams) != len(params):
        raise ValueError(f"{who}: dparams has {len(dparams)} arrays, expected one per "
                         f"parameter of net ({len(params)})")
    return {id(p): _array(f"dparams[{i}]", d, p.shape, who)
            for i, (p, d) in enumerate(zip(params, dparams))}


def _layer_jvp(layer, x: np.ndarray, dx: np.ndarray, dp: dict) -> tuple:
    """(y, dy) of one layer at x along the tangent dx (and parameter tangents dp)."""
    if isinstance(layer, Sequential):
        for inner in layer.layers:
            x, dx = _layer_jvp(inner, x, dx, dp)
        return x, dx
    if isinstance(layer, Linear):
        if x.ndim != 2 or x.shape[1] != layer.in_features:
            raise ValueError(f"jvp: x has shape {x.shape}, expected (N, "
                             f"{layer.in_features}) at a Linear layer")
        W = layer.W.data
        y, dy = x @ W, dx @ W  # (N, H), (N, H)
        if id(layer.W) in dp:
            dy = dy + x @ dp[id(layer.W)]
        if layer.b is not None:
            y = y + layer.b.data
            if id(layer.b) in dp:
                dy = dy + dp[id(layer.b)]
        return y, dy
    if isinstance(layer, ReLU):
        return np.maximum(x, 0), dx * (x > 0)
    if isinstance(layer, LeakyReLU):
        return (np.where(x > 0, x, layer.slope * x),
                dx * np.where(x > 0, 1.0, layer.slope))
    if isinstance(layer, Tanh):
        y = np.tanh(x)
        return y, dx * (1 - y**2)
    s = sigmoid(x)  # Sigmoid
    return s, dx * s * (1 - s)


def jvp(net: Sequential, x: np.ndarray, dx: np.ndarray | None = None,
        dparams: Sequence[np.ndarray] | None = None,
        passes: Passes | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One forward-mode pass: (f(x), J v) for the tangent v = (dx, dparams).

    Inputs:  x (N, D); dx (N, D), the input tangent (zero if None); dparams, one
             array per `net.parameters()` of its shape (zero if None).
    Returns: y (N, M) and dy (N, M). Nothing is cached on the layers.
    """
    layers = _check_net(net, "jvp")
    x = _array("x", x, None, "jvp")
    if x.ndim != 2:
        raise ValueError(f"jvp: x has shape {x.shape}, expected (N, D)")
    dx = np.zeros_like(x) if dx is None else _array("dx", dx, x.shape, "jvp")
    dp = _tangents(net, dparams, "jvp")
    for layer in layers:
        x, dx = _layer_jvp(layer, x, dx, dp)
    if passes is not None:
        passes.tangent += 1
    return x, dx


def vjp(net: Sequential, x: np.ndarray, u: np.ndarray, passes: Passes | None = None
        ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """One reverse-mode pass: (f(x), J^T u for x, J^T u for each parameter).

    Inputs:  x (N, D); u (N, M), the cotangent (dL/dy).
    Returns: y (N, M), dx (N, D) and one gradient per `net.parameters()`. The
    parameters' `.grad` are left as they were.
    """
    _check_net(net, "vjp")
    x = _array("x", x, None, "vjp")
    params = net.parameters()
    saved = [p.grad.copy() for p in params]
    clear_caches(net)  # an earlier forward's caches are not this product's
    for p in params:
        p.zero_grad()
    try:
        y = net.forward(x)
        u = _array("u", u, y.shape, "vjp")
        dx = net.backward(u)
        grads = [p.grad.copy() for p in params]
    finally:
        for p, g in zip(params, saved):
            p.grad[...] = g
    if passes is not None:
        passes.forward += 1
        passes.backward += 1
    return y, dx, grads


def _one_example(x: np.ndarray, who: str) -> np.ndarray:
    x = _array("x", x, None, who)
    if x.ndim != 1:
        raise ValueError(f"{who}: x has shape {x.shape}, expected (D,), one example")
    return x[None, :]  # (1, D)


def jacobian_forward(net: Sequential, x: np.ndarray, passes: Passes | None = None
                     ) -> np.ndarray:
    """dy/dx (M, D) at one example x (D,) by forward mode: D passes, a column each."""
    x = _one_example(x, "jacobian_forward")
    cols = []
    for j in range(x.shape[1]):
        e = np.zeros_like(x)
        e[0, j] = 1.0
        cols.append(jvp(net, x, e, passes=passes)[1][0])  # (M,)
    return np.stack(cols, axis=1)  # (M, D)


def jacobian_reverse(net: Sequential, x: np.ndarray, passes: Passes | None = None
                     ) -> np.ndarray:
    """dy/dx (M, D) at one example x (D,) by reverse mode: one forward pass, then
    M backward passes over its cache, a row each."""
    _check_net(net, "jacobian_reverse")
    x = _one_example(x, "jacobian_reverse")
    params = net.parameters()
    saved = [p.grad.copy() for p in params]
    clear_caches(net)  # an earlier forward's caches are not this Jacobian's
    try:
        y = net.forward(x)  # (1, M)
        if passes is not None:
            passes.forward += 1
        rows = []
        for i in range(y.shape[1]):
            e = np.zeros_like(y)
            e[0, i] = 1.0
            rows.append(net.backward(e)[0])  # (D,)
            if passes is not None:
                passes.backward += 1
    finally:
        for p, g in zip(params, saved):
            p.grad[...] = g
    return np.stack(rows, axis=0)  # (M, D)
