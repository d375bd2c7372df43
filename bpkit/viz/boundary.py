"""Decision boundaries of 2-D classifiers."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..data import grid

__all__ = ["plot_decision_boundary"]


def plot_decision_boundary(
    ax,
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    steps: int = 120,
    cmap: str = "coolwarm",
):
    """Colour the plane by `predict(points) -> (M,) class labels`, and scatter X by y.

    Returns the filled-contour artist.
    """
    xx, yy, pts = grid(X, steps)
    labels = np.asarray(predict(pts)).reshape(xx.shape)
    k = int(max(labels.max(), y.max())) + 1
    cs = ax.contourf(xx, yy, labels, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, s=14, edgecolors="k", linewidths=0.4,
               vmin=0, vmax=k - 1)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    return cs
