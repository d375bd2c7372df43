"""A float16 forward and backward pass, loss scaling, and what float16 rounds away.

float16 keeps 11 significant bits and nothing below 2**-24 (about 6e-8, the
smallest subnormal): a gradient entry smaller than that becomes exactly 0
("underflows"). Loss scaling multiplies the loss (so every gradient) by S
before the float16 backward pass and divides by S afterwards in float32, which
shifts small gradients into float16's range. Too large an S overflows to inf;
the dynamic rule (PyTorch's GradScaler) halves S and skips that step, and
doubles S after `growth_interval` good steps.

`half_gradients(net, X, y, loss_scale)` runs a `Sequential` of `Linear` and
`ReLU` layers in float16 (weights, activations, gradients) and returns the
gradients unscaled in float32, as mixed-precision training does with its
float32 master weights.
"""

from __future__ import annotations

import numpy as np

from .._validate import integer, number
from ..layers import Linear, ReLU, Sequential
from ..losses import softmax_cross_entropy
from .accumulation import check_gradient_pairs

__all__ = ["half_gradients", "underflow_count", "DynamicLossScaler",
           "activation_bytes", "lost_update_fraction", "FLOAT16_TINY"]

FLOAT16_TINY = float(np.finfo(np.float16).smallest_subnormal)  # 2**-24 ~ 6e-8
_H = np.float16


def _layers(net: Sequential) -> list:
    if not isinstance(net, Sequential):
        raise TypeError(f"net must be a Sequential, got {type(net).__name__}")
    for i, layer in enumerate(net.layers):
        if not isinstance(layer, (Linear, ReLU)):
            raise TypeError(f"layer {i} is a {type(layer).__name__}; the float16 "
                            "path runs Linear and ReLU layers only")
    return net.layers


def half_gradients(net: Sequential, X: np.ndarray, y: np.ndarray,
                   loss_scale: float = 1.0) -> tuple[float, list[np.ndarray]]:
    """Forward and backward in float16 with the loss scaled by `loss_scale`.

    Inputs: net (Linear/ReLU only), X (N, D), y (N,), loss_scale > 0.
    Returns: (loss, grads): the float32 loss, and one float32 gradient per
    parameter, divided by loss_scale (inf/nan where float16 overflowed).
    """
    layers = _layers(net)
    loss_scale = number("loss_scale", loss_scale, 0.0, lo_open=True)
    X, y = np.asarray(X), np.asarray(y)
    first = next((layer for layer in layers if isinstance(layer, Linear)), None)
    if X.ndim != 2 or (first is not None and X.shape[1] != first.in_features):
        raise ValueError(f"X has shape {X.shape}; the net's first layer takes "
                         f"{first.in_features if first else '?'} features: expected (N, that)")
    if y.shape != (len(X),):
        raise ValueError(f"y has {y.size} labels but X has {len(X)} rows: expected shape ({len(X)},)")
    h = X.astype(_H)
    kept = []  # what each layer's backward needs, in float16
    for layer in layers:
        if isinstance(layer, Linear):
            kept.append(h)  # (N, D)
            h = h @ layer.W.data.astype(_H)
            if layer.b is not None:
                h = h + layer.b.data.astype(_H)
        else:
            kept.append(h > 0)
            h = np.maximum(h, _H(0))
    # the softmax and the loss in float32, as mixed-precision frameworks do
    loss, dlogits = softmax_cross_entropy(h.astype(np.float32), y)
    with np.errstate(over="ignore", invalid="ignore"):
        d = (dlogits * np.float32(loss_scale)).astype(_H)  # (N, C), scaled
        grads: list[np.ndarray] = []
        for layer, saved in zip(reversed(layers), reversed(kept)):
            if isinstance(layer, Linear):
                if layer.b is not None:
                    grads.append(d.sum(axis=0, dtype=_H))
                grads.append(saved.T @ d)  # (D, N) @ (N, H) in float16
                d = d @ layer.W.data.astype(_H).T
            else:
                d = d * saved
    grads.reverse()  # W, b of the first layer first, as net.parameters()
    return float(loss), [g.astype(np.float32) / np.float32(loss_scale) for g in grads]


def underflow_count(half: list[np.ndarray], reference: list[np.ndarray]) -> int:
    """Entries that are 0 in the float16 gradient but not in the float64 reference."""
    return int(sum(np.sum((h == 0) & (r != 0))
                   for h, r in check_gradient_pairs(half, reference)))


class DynamicLossScaler:
    """PyTorch GradScaler's rule: halve on inf/nan (skip the step), double after
    `growth_interval` finite steps in a row."""

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000) -> None:
        self.scale = number("init_scale", init_scale, 0.0, lo_open=True)
        self.growth_factor = number("growth_factor", growth_factor, 1.0, lo_open=True)
        self.backoff_factor = number("backoff_factor", backoff_factor, 0.0, 1.0,
                                     lo_open=True, hi_open=True)
        self.growth_interval = integer("growth_interval", growth_interval, 1)
        self.good_steps = 0
        self.skipped = 0

    def update(self, grads_finite: bool) -> bool:
        """After a backward pass: adjust the scale; True if the step may be taken."""
        if not isinstance(grads_finite, (bool, np.bool_)):
            raise TypeError("grads_finite must be True or False (are all gradients "
                            f"finite?), got {type(grads_finite).__name__} {grads_finite!r}")
        if not grads_finite:
            self.scale *= self.backoff_factor
            self.good_steps = 0
            self.skipped += 1
            return False
        self.good_steps += 1
        if self.good_steps == self.growth_interval:
            self.scale *= self.growth_factor
            self.good_steps = 0
        return True


def activation_bytes(net: Sequential, n: int, dtype: type) -> int:
    """Bytes the backward pass keeps for a batch of `n`: each Linear's input, each
    ReLU's mask (one byte per entry), in `dtype`."""
    n = integer("n", n, 1)
    size = np.dtype(dtype).itemsize
    total, width = 0, None
    for layer in _layers(net):
        if isinstance(layer, Linear):
            total += n * layer.in_features * size
            width = layer.out_features
        else:
            total += n * (width or 0)  # bool mask
    return total


def lost_update_fraction(w: np.ndarray, update: np.ndarray) -> float:
    """Share of nonzero updates that vanish when w - update is rounded to float16.

    float16 spaces numbers near w by about |w| * 2**-10, so an update much smaller
    than that leaves w unchanged: why mixed precision keeps float32 master weights.
    """
    w16 = np.asarray(w).astype(_H)
    moved = np.asarray(update) != 0
    if not moved.any():
        return 0.0
    same = (w16 - np.asarray(update).astype(_H)) == w16
    return float(np.mean(same[moved]))
