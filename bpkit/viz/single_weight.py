"""Static figures for lesson 01: the learning-rate regimes on one weight."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

from ..single_weight import SingleWeightModel

__all__ = ["plot_lr_regimes"]


def plot_lr_regimes(
    lrs: Sequence[float] = (0.05, 0.2, 0.3),
    x: float = 2.0,
    w0: float = 0.5,
    target: float = 4.0,
    steps: int = 8,
):
    """One panel per lr: the steps on the loss parabola, titled with the regime.

    Returns the matplotlib Figure.
    """
    fig, axes = plt.subplots(1, len(lrs), figsize=(3.4 * len(lrs), 3.1), sharey=True,
                             layout="constrained")
    w_star = target / x
    grid = np.linspace(w_star - 2.5, w_star + 2.5, 200)
    for ax, lr in zip(np.atleast_1d(axes), lrs):
        m = SingleWeightModel(x, w0, target, lr)
        m.run(steps)
        ax.plot(grid, m.loss(grid), color="0.4", lw=1.5)
        ax.plot(m.ws, m.losses, "o-", color="tab:blue", ms=4, lw=1)
        ax.plot(m.ws[0], m.losses[0], "s", color="tab:green", ms=7, label="start")
        ax.axvline(w_star, color="0.6", ls=":", lw=1)
        factor = 1 - 2 * lr * x * x
        ax.set_title(f"lr = {lr:g}: {m.regime}\nerror x {factor:+.2f} per step", fontsize=10)
        ax.set_xlim(grid[0], grid[-1])
        ax.set_ylim(-0.5, 1.2 * float(m.loss(grid).max()))
        ax.set_xlabel("w")
    np.atleast_1d(axes)[0].set_ylabel("loss (y - w x)^2")
    np.atleast_1d(axes)[0].legend(loc="upper center", fontsize=8)
    return fig
