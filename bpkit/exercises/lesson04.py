"""Checks for lesson 04 (vanishing and exploding gradients)."""

from __future__ import annotations

import functools
import math
from typing import Callable

import numpy as np

from ..blocks import INITS, deep_mlp
from ..diagnostics import gradient_flow
from ..layers import Linear, Sequential, Sigmoid
from . import NOT_ATTEMPTED, Feedback, attempt, correct, hint, not_attempted

__all__ = [
    "check_gradient_ratio",
    "check_tanh_init",
    "check_residual_backward",
    "sigmoid_chain",
    "measure_tanh_init",
]

# (depth, w) points on which every anticipated mistake gives a different number
_RATIO_POINTS = [(10, 1.0), (10, 2.0), (3, 3.0), (1, 0.5), (5, 8.0)]


def sigmoid_chain(depth: int, w: float) -> Sequential:
    """`depth` scalar layers h = sigmoid(w h_prev + b), every pre-activation 0 at x = 0.

    The first bias is 0 (x = 0); the others are -w/2, since sigmoid(0) = 1/2.
    """
    layers = []
    for l in range(depth):
        lin = Linear(1, 1, np.random.default_rng(0))
        lin.W.data[:] = w
        lin.b.data[:] = 0.0 if l == 0 else -w / 2
        layers += [lin, Sigmoid()]
    return Sequential(*layers)


def _measured_ratio(depth: int, w: float) -> float:
    r = gradient_flow(sigmoid_chain(depth, w), np.zeros((1, 1)), dout=np.ones((1, 1)))
    return r.input_grad_norm / r[-1].grad_norm


_RATIO_MISTAKES: list[tuple[str, Callable[[int, float], float]]] = [
    ("the weight is missing: each layer multiplies the gradient by sigmoid'(z) * w, "
     "the local derivative of the activation times that of w h",
     lambda d, w: 0.25**d),
    ("the activation's derivative is missing: each layer multiplies the gradient by "
     "w * sigmoid'(z), and sigmoid'(0) = 1/4",
     lambda d, w: w**d),
    ("0.5 is sigmoid(0), the activation's value; the chain rule needs its slope, "
     "sigmoid'(0) = sigmoid(0) (1 - sigmoid(0)) = 1/4",
     lambda d, w: (0.5 * w) ** d),
    ("one factor short: a chain of `depth` layers has `depth` local derivatives "
     "between dL/dh_depth and dL/dh_0",
     lambda d, w: (0.25 * w) ** (d - 1)),
    ("upside down: you gave dL/dh_depth / dL/dh_0; the question asks how much of the "
     "last layer's gradient reaches the input",
     lambda d, w: (0.25 * w) ** -d),
    ("the chain rule multiplies the per-layer factors, it does not add them",
     lambda d, w: 0.25 * w * d),
]


def check_gradient_ratio(predicted_ratio: Callable[[int, float], float]) -> Feedback:
    """`predicted_ratio(depth, w)`: |dL/dh_0| / |dL/dh_depth| for `sigmoid_chain`."""
    got = attempt(predicted_ratio, 10, 1.0)
    if got is NOT_ATTEMPTED:
        return not_attempted("predicted_ratio(depth, w)")
    try:
        vals = [float(predicted_ratio(d, w)) for d, w in _RATIO_POINTS]
    except (TypeError, ValueError):
        return hint(f"return a number, got {type(got).__name__}")

    def same(ref: Callable[[int, float], float]) -> bool:
        return all(math.isclose(v, ref(d, w), rel_tol=1e-6)
                   for v, (d, w) in zip(vals, _RATIO_POINTS))

    if same(_measured_ratio):
        return correct(
            f"(w/4)^depth: at depth 10, w = 1 that is {_measured_ratio(10, 1.0):.3e}, "
            "as gradient_flow measures on the chain; at w = 4 the two factors cancel"
        )
    for message, mistake in _RATIO_MISTAKES:
        if same(mistake):
            return hint(message)
    return hint(
        f"at depth 10, w = 1 you give {vals[0]:.3g}; gradient_flow measures "
        f"{_measured_ratio(10, 1.0):.3g}. Multiply one local derivative per layer: "
        "dh_l/dh_(l-1) = sigmoid'(z_l) * w with z_l = 0."
    )


@functools.lru_cache(maxsize=None)  # deterministic: measure each init once
def measure_tanh_init(init: str, depth: int = 50, width: int = 64) -> dict[str, float]:
    """Gradient ratio, saturation and last-layer spread of a deep tanh MLP with `init`.

    Returns: {"ratio": |dL/dh_1| / |dL/dh_depth|, "saturated": mean fraction,
    "last_std": std of the last hidden layer}.
    """
    rng = np.random.default_rng(0)
    net = deep_mlp(width, width, 10, depth, rng, "tanh", init)
    x = rng.standard_normal((64, width))
    g = rng.standard_normal((64, 10)) / 64
    tanh = gradient_flow(net, x, dout=g).select("Tanh")
    return {
        "ratio": tanh[0].grad_norm / tanh[-1].grad_norm,
        "saturated": float(np.mean([s.saturated for s in tanh])),
        "last_std": tanh[-1].std,
    }


def check_tanh_init(pick_tanh_init: Callable[[], str]) -> Feedback:
    """`pick_tanh_init()` must name the init (a key of blocks.INITS) that suits tanh."""
    got = attempt(pick_tanh_init)
    if got is NOT_ATTEMPTED:
        return not_attempted("pick_tanh_init()")
    if got not in INITS:
        return hint(f"return one of {list(INITS)}, got {got!r}")
    m = measure_tanh_init(got)
    seen = (f"at depth 50, width 64: first/last gradient {m['ratio']:.2e}, "
            f"{100 * m['saturated']:.0f}% saturated, last-layer std {m['last_std']:.2e}")
    if got == "xavier":
        return correct(
            f"{seen}. Xavier keeps Var(W h) near Var(h), and tanh has slope 1 at 0, "
            "so neither the signal nor the gradient drifts far"
        )
    if got == "normal_1":
        return hint(f"{seen}: with 64 inputs each pre-activation has std ~8, deep in "
                    "tanh's flat tails. Scale the weights by the fan-in.")
    if got == "normal_0.01":
        return hint(f"{seen}: each layer multiplies the signal by ~0.01 * sqrt(64) "
                    "= 0.08, so it dies out, and the gradient with it")
    return hint(f"{seen}: close, but He's factor sqrt(2) makes up for ReLU zeroing half "
                "its inputs; tanh zeroes none, so deep down the gradient grows. Which "
                "init keeps a gain of 1?")


_RESIDUAL_MISTAKES: list[tuple[str, Callable]] = [
    ("that is the inner block's gradient alone: the skip path x -> out also carries "
     "dL/dout straight back, and the two add",
     lambda dout, inner: inner(dout)),
    ("that is the skip path alone: x also reaches out through the inner block, whose "
     "backward adds its own term",
     lambda dout, inner: dout),
    ("out = x + f(x), so d(out)/dx = I + f'(x): the paths add, they do not multiply",
     lambda dout, inner: dout * inner(dout)),
    ("twice dL/dout ignores the inner block's own Jacobian: call inner_backward(dout)",
     lambda dout, inner: 2 * dout),
]


def check_residual_backward(residual_backward: Callable) -> Feedback:
    """`residual_backward(dout, inner_backward)`: dL/dx for out = x + inner(x)."""
    rng = np.random.default_rng(4)
    M = rng.standard_normal((3, 3))
    dout = rng.standard_normal((5, 3))

    def inner(d):
        return d @ M

    got = attempt(residual_backward, dout.copy(), inner)
    if got is NOT_ATTEMPTED:
        return not_attempted("residual_backward(dout, inner_backward)")
    got = np.asarray(got)
    if got.shape != dout.shape:
        return hint(f"dL/dx has x's shape {dout.shape}; you returned shape {got.shape}")
    if np.allclose(got, dout + inner(dout)):
        return correct("dL/dx = dL/dout + inner_backward(dL/dout): even if the inner "
                       "gradient vanishes, dL/dout reaches x unchanged")
    for message, mistake in _RESIDUAL_MISTAKES:
        if np.allclose(got, mistake(dout, inner)):
            return hint(message)
    return hint("out = x + f(x): sum the gradient along the skip path (dout itself) and "
                "along the block (inner_backward(dout))")
