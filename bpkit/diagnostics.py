"""Gradient-flow diagnostics: one forward and backward pass, measured layer by layer.

`gradient_flow(model, x)` runs the pass itself, by walking the `Sequential`'s
layers and calling each one's `forward`, then each one's `backward` in reverse:
exactly what `Sequential.forward` / `.backward` do, with a look at every
intermediate result on the way. No layer's code changes, so it works on any
`Sequential` built of `bpkit` layers or your own. Nested `Sequential`s are walked
into (they are pure composition); any other layer, such as a `Residual` block,
is measured as one unit.

Per unit it records what the lesson on vanishing gradients looks at: the
output's mean and standard deviation, how much of an activation sits in its
flat region, the norm of dL/d(output), the weight-gradient norm, and the
update-to-data ratio lr * ||dW|| / ||W|| that one SGD step would make.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._validate import function, number
from .layers import Layer, LeakyReLU, ReLU, Sequential, Sigmoid, Tanh

__all__ = ["LayerStats", "FlowReport", "gradient_flow", "flatten", "SATURATION"]

# a sigmoid output beyond [0.01, 0.99], or a tanh output beyond +-0.99, counts
# as saturated: its local derivative is below 1/25 of its maximum there
SATURATION = 0.99


@dataclass(frozen=True)
class LayerStats:
    """What one unit of the network did in one forward and backward pass.

    `saturated` is the fraction of output entries in the activation's flat
    region: beyond SATURATION for Sigmoid and Tanh, x <= 0 for ReLU (for
    LeakyReLU, the slope side). `dead` is the fraction of units (columns) that
    are in that region for every example of the batch: they pass no gradient
    (LeakyReLU: 1/100 of it) for any of them. Both are NaN for non-activations.
    Weight quantities use the unit's parameters with 2 or more dimensions
    (weight matrices, not biases or BatchNorm's gamma/beta); NaN if it has none.
    """

    index: int
    kind: str  # the layer's class name, e.g. "Linear", "Sigmoid", "Residual"
    mean: float  # of the unit's output
    std: float
    saturated: float
    dead: float
    grad_norm: float  # ||dL/d(output)||, Frobenius over the batch
    weight_norm: float  # ||W||
    weight_grad_norm: float  # ||dL/dW||
    update_ratio: float  # lr * ||dL/dW|| / ||W||


@dataclass
class FlowReport:
    """The per-unit statistics of one pass; each unit's output is kept for histograms."""

    layers: list[LayerStats]
    outputs: list[np.ndarray] = field(repr=False)  # outputs[i]: unit i's output (N, *)
    units: list[Layer] = field(repr=False)
    input_grad_norm: float = float("nan")  # ||dL/dx|| at the network's input
    loss: float | None = None
    lr: float = 0.0

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> LayerStats:
        return self.layers[i]

    def __iter__(self):
        return iter(self.layers)

    def select(self, *kinds: str | type) -> list[LayerStats]:
        """The stats of the units of these kinds (class names or classes), in order."""
        names = {k if isinstance(k, str) else k.__name__ for k in kinds}
        return [s for s in self.layers if s.kind in names]

    def weighted(self) -> list[LayerStats]:
        """The stats of the units that have weight matrices, in order."""
        return [s for s in self.layers if not np.isnan(s.weight_norm)]

    def column(self, name: str, kinds: tuple = ()) -> np.ndarray:
        """One field as an array, over all units or over those of `kinds`.

        Example: report.column("weight_grad_norm", ("Linear",)).
        """
        if name not in LayerStats.__dataclass_fields__:
            raise ValueError(
                f"unknown field {name!r}; "
                f"choose one of {list(LayerStats.__dataclass_fields__)}"
            )
        rows = self.select(*kinds) if kinds else self.layers
        return np.array([getattr(s, name) for s in rows], dtype=np.float64)

    def table(self) -> str:
        """A fixed-format table, one line per unit (deterministic, for notebooks)."""
        head = (
            f"{'#':>3} {'layer':<10} {'mean':>9} {'std':>9} {'sat':>5} {'dead':>5} "
            f"{'|dL/dout|':>9} {'|dL/dW|':>9} {'lr|dW|/|W|':>10}"
        )
        lines = [head]
        for s in self.layers:
            lines.append(
                f"{s.index:>3} {s.kind[:10]:<10} {s.mean:>9.2e} {s.std:>9.2e} "
                f"{_pct(s.saturated):>5} {_pct(s.dead):>5} {s.grad_norm:>9.2e} "
                f"{_sci(s.weight_grad_norm):>9} {_sci(s.update_ratio):>10}"
            )
        return "\n".join(lines)


def _pct(v: float) -> str:
    return "" if np.isnan(v) else f"{100 * v:.0f}%"


def _sci(v: float) -> str:
    return "" if np.isnan(v) else f"{v:.2e}"


def flatten(model: Layer) -> list[Layer]:
    """The leaf units of `model` in forward order: nested Sequentials are opened."""
    if not isinstance(model, Layer):
        raise TypeError(f"model must be a bpkit Layer, got {type(model).__name__}")
    if isinstance(model, Sequential):
        return [u for layer in model.layers for u in flatten(layer)]
    return [model]


def _check_data(name: str, value: object) -> None:
    """A real array with at least one row and no NaN or inf (not converted)."""
    try:
        a = np.asarray(value)
    except (TypeError, ValueError):  # ragged lists and the like
        raise TypeError(
            f"{name} must be a numeric array, got {type(value).__name__}"
        ) from None
    if a.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a real numeric array, got dtype {a.dtype}")
    if a.ndim == 0 or a.shape[0] == 0:
        raise ValueError(
            f"{name} has shape {a.shape}: gradient_flow needs a batch of at least "
            "one row, (N, features)"
        )
    if not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))
        raise ValueError(
            f"{name} has {len(bad)} non-finite value(s) (NaN or inf), the first at "
            f"index {tuple(int(i) for i in bad[0])}: gradient_flow measures a "
            "network, not NaN"
        )


def _flat_mask(unit: Layer, out: np.ndarray) -> np.ndarray | None:
    """Where the activation's derivative is (near) zero; None for non-activations."""
    if isinstance(unit, Sigmoid):
        return (out < 1 - SATURATION) | (out > SATURATION)
    if isinstance(unit, Tanh):
        return np.abs(out) > SATURATION
    if isinstance(unit, (ReLU, LeakyReLU)):
        return out <= 0
    return None


def _weights(unit: Layer) -> list:
    return [p for p in unit.parameters() if p.data.ndim >= 2]


def _norm(arrays: list[np.ndarray]) -> float:
    # float64 sums of squares: exploding float32 activations would overflow
    return float(np.sqrt(sum(np.sum(np.square(a, dtype=np.float64)) for a in arrays)))


def gradient_flow(
    model: Sequential,
    x: np.ndarray,
    dout: np.ndarray | None = None,
    loss: Callable[[np.ndarray], tuple[float, np.ndarray]] | None = None,
    lr: float = 0.01,
) -> FlowReport:
    """Run one forward and backward pass of `model` on `x`, measuring every unit.

    The starting gradient dL/d(output) is `loss(output)[1]` if `loss` is given
    (a function returning (loss, dlogits), like a softmax cross-entropy),
    else `dout`, else ones / N (as if L were the batch mean of the outputs' sum).
    Gradients are zeroed first and left filled afterwards, so you can clip
    them or take an optimizer step. Layers run in their current train/eval mode
    (a BatchNorm1d in training mode updates its running statistics).

    Inputs:
        model: a Sequential; x: (N, D) its input; dout: (N, C) like the output.
        lr: the learning rate for the update-to-data ratio.
    Returns:
        a FlowReport with one LayerStats per unit, in forward order.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model is a {type(model).__name__}, expected a Sequential")
    if dout is not None and loss is not None:
        raise ValueError("pass either dout or loss, not both")
    number("lr", lr, 0)
    if loss is not None:
        function("loss", loss)
    _check_data("x", x)
    if dout is not None:
        _check_data("dout", dout)
    units = flatten(model)
    model.zero_grad()

    outputs: list[np.ndarray] = []
    caches = []  # one per position, as Sequential keeps them: a unit may be reused
    h = x
    for unit in units:  # the forward walk: Sequential.forward, one unit at a time
        h = unit.forward(h)
        outputs.append(h)
        caches.append(unit._snapshot())

    loss_value = None
    if loss is not None:
        result = loss(h)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError(
                "loss must return a pair (loss value, dL/d(output)), "
                f"got {type(result).__name__}"
            )
        loss_value, g = result
        loss_value = float(loss_value)
        g = np.asarray(g)
        if g.shape != h.shape:
            raise ValueError(
                f"loss returned a gradient of shape {g.shape}, expected the "
                f"output's shape {h.shape}")
    elif dout is not None:
        g = np.asarray(dout)
    else:
        g = np.ones_like(h) / h.shape[0]
    if g.shape != h.shape:
        raise ValueError(
            f"dout has shape {g.shape}, expected the output's shape {h.shape}")

    grad_norms = [0.0] * len(units)
    for i in reversed(range(len(units))):  # the backward walk, in reverse
        grad_norms[i] = _norm([g])
        units[i]._restore(caches[i])
        g = units[i].backward(g)

    stats = []
    for i, (unit, out) in enumerate(zip(units, outputs)):
        out64 = out.astype(np.float64, copy=False)
        mask = _flat_mask(unit, out)
        if mask is None:
            saturated = dead = float("nan")
        else:
            saturated = float(mask.mean())
            dead = float(mask.reshape(mask.shape[0], -1).all(axis=0).mean())
        ws = _weights(unit)
        if ws:
            w_norm = _norm([p.data for p in ws])
            g_norm = _norm([p.grad for p in ws])
            ratio = lr * g_norm / w_norm if w_norm > 0 else float("nan")
        else:
            w_norm = g_norm = ratio = float("nan")
        stats.append(
            LayerStats(
                index=i,
                kind=type(unit).__name__,
                mean=float(out64.mean()),
                std=float(out64.std()),
                saturated=saturated,
                dead=dead,
                grad_norm=grad_norms[i],
                weight_norm=w_norm,
                weight_grad_norm=g_norm,
                update_ratio=ratio,
            )
        )
    return FlowReport(
        layers=stats,
        outputs=outputs,
        units=units,
        input_grad_norm=_norm([g]),
        loss=loss_value,
        lr=lr,
    )
