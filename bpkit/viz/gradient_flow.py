"""Plots of a `GradientFlowModel`: gradient norms per layer on a log axis."""

from __future__ import annotations

import math

import numpy as np

from ..gradient_flow import GradientFlowModel

__all__ = ["plot_gradient_norms", "decade_limits", "ACTIVATION_LABELS", "INIT_LABELS",
           "SIGMOID_ONLY_LABEL"]

ACTIVATION_LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU",
                     "leaky_relu": "leaky ReLU"}
INIT_LABELS = {"normal_1": "N(0, 1)", "normal_0.01": "N(0, 0.01²)", "xavier": "Xavier",
               "he": "He"}
# the dashed 0.25^(L-l) line: the sigmoid's slope at best, the weights left out
SIGMOID_ONLY_LABEL = "the sigmoid's factor alone"


def decade_limits(values: np.ndarray) -> tuple[float, float]:
    """Log-axis limits on whole decades with a half-decade margin, at least 2 apart.

    Wide spans snap to multiples of 4 decades, so the limits move rarely.
    """
    v = values[np.isfinite(values) & (values > 0)]
    if v.size == 0:
        return 1e-1, 1e1
    lo = math.floor(math.log10(v.min()) - 0.5)
    hi = math.ceil(math.log10(v.max()) + 0.5)
    if hi - lo > 8:
        lo, hi = 4 * math.floor(lo / 4), 4 * math.ceil(hi / 4)
    if hi - lo < 2:
        lo, hi = lo - 1, hi + 1
    return 10.0**lo, 10.0**hi


def plot_gradient_norms(ax, model: GradientFlowModel, label: str,
                        sigmoid_only: bool = False, relative: bool = False, **kwargs):
    """Draw ||dL/dh_l|| against layer l on a log axis (for static figures).

    With `relative`, divide by the last hidden layer's norm (every curve ends at 1).
    With `sigmoid_only`, also draw 0.25^(L - l) anchored at the last layer: the
    sigmoid's factor alone, without the weights' (a guide, not a bound).
    Returns the measured line.
    """
    scale = model.grad_h[-1] if relative else 1.0
    (line,) = ax.semilogy(model.layers, model.grad_h / scale, label=label, **kwargs)
    if sigmoid_only:
        ax.semilogy(model.layers, model.sigmoid_only / scale, "k--", lw=1,
                    label=f"0.25^(L-l): {SIGMOID_ONLY_LABEL}")
    return line
