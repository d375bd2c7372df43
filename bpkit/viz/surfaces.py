"""Contour plots of `bpkit.surfaces` and optimizer paths on them (matplotlib only)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from ..optim import SGD
from ..surfaces import Path, Quadratic1D, Surface, descend, quadratic_regime

__all__ = [
    "COLORS",
    "contour_levels",
    "plot_contours",
    "plot_curve",
    "plot_path",
    "plot_race",
    "plot_lr_regimes",
]

# one colour per optimizer, the same in every figure and widget of lessons 05-06
COLORS = {
    "SGD": "tab:gray",
    "momentum": "tab:blue",
    "Nesterov": "tab:cyan",
    "Adagrad": "tab:olive",
    "RMSprop": "tab:purple",
    "Adam": "tab:red",
    "AdamW": "tab:orange",
}


def contour_levels(surface: Surface, zz: np.ndarray, n: int = 25) -> np.ndarray:
    """Contour levels for a grid of values: log-spaced above the minimum for
    surfaces whose walls are far steeper than their floor (Rosenbrock, Beale)."""
    finite = zz[np.isfinite(zz)]
    lo, hi = float(finite.min()), float(np.quantile(finite, 0.98))
    if surface.log_contours:
        base = surface.min_value
        top = max(hi - base, 1e-3)
        return base + np.geomspace(top * 1e-4, top, n)
    return np.linspace(lo, hi, n)


def plot_contours(ax, surface: Surface, bounds: tuple | None = None,
                  resolution: int = 150,
                  levels: int | Sequence[float] = 25, cmap: str = "viridis",
                  show_minima: bool = True, filled: bool = False):
    """Draw `surface`'s contours on `ax` and mark its known minima with stars.

    Returns the contour set.
    """
    if surface.dim != 2:
        raise ValueError(f"{surface.name} has {surface.dim} coordinate(s); contours "
                         "need 2 (use plot_curve for a 1-D surface)")
    bounds = surface.bounds if bounds is None else bounds
    xx, yy, zz = surface.grid(resolution, bounds)
    lv = contour_levels(surface, zz, levels) if isinstance(levels, int) else levels
    if filled:
        cs = ax.contourf(xx, yy, zz, levels=lv, cmap=cmap, alpha=0.8)
    else:
        cs = ax.contour(xx, yy, zz, levels=lv, cmap=cmap, linewidths=0.8, alpha=0.9)
    if show_minima:
        m = np.asarray(surface.minima)
        ax.plot(m[:, 0], m[:, 1], "*", color="gold", mec="k", mew=0.6, ms=13,
                zorder=4, label="minimum")
    ax.set_xlim(*bounds[0])
    ax.set_ylim(*bounds[1])
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    return cs


def plot_curve(ax, surface: Surface, bounds: tuple | None = None, resolution: int = 300,
               **kwargs: Any):
    """Draw a 1-D surface f(w) as a curve. Returns the Line2D."""
    if surface.dim != 1:
        raise ValueError(f"{surface.name} is {surface.dim}-D; plot_curve needs a "
                         "1-D surface")
    xs, zs = surface.grid(resolution, bounds)
    color, lw = kwargs.pop("color", "0.35"), kwargs.pop("lw", 1.5)
    (line,) = ax.plot(xs, zs, color=color, lw=lw,
                      **kwargs)
    ax.set_xlabel("w")
    ax.set_ylabel("loss")
    return line


def plot_path(ax, path: Path | np.ndarray, label: str | None = None,
              color: str | None = None,
              ms: float = 3.0, lw: float = 1.2, **kwargs: Any):
    """Draw an optimizer's path (a `Path`, or points (k, 2)) with a square at the start.

    Returns the Line2D of the path.
    """
    pts = path.points if isinstance(path, Path) else np.asarray(path)
    (line,) = ax.plot(pts[:, 0], pts[:, 1], "o-", ms=ms, lw=lw, color=color,
                      label=label,
                      **kwargs)
    ax.plot(pts[:1, 0], pts[:1, 1], "s", color="k", ms=6, zorder=5)
    return line


def plot_race(surface: Surface, paths: Mapping[str, Path], title: str | None = None,
              bounds: tuple | None = None, figsize: tuple[float, float] = (10.0, 4.0)):
    """Paths on the contours (left) and loss against step (right), one colour each.

    Returns the matplotlib Figure.
    """
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=figsize, layout="constrained",
                                  gridspec_kw={"width_ratios": [1.1, 1]})
    plot_contours(ax, surface, bounds=bounds)
    for name, p in paths.items():
        plot_path(ax, p, label=name, color=COLORS.get(name), ms=2, lw=1.2)
        gap = np.maximum(p.losses - surface.min_value, 1e-16)
        ax2.semilogy(gap, color=COLORS.get(name), label=name, lw=1.4)
    ax.set_title(title or surface.name, fontsize=10)
    ax2.set_xlabel("step")
    ax2.set_ylabel("loss - minimum (log scale)")
    ax2.grid(True, alpha=0.3)
    ax2.legend(fontsize=8, ncol=2)
    return fig


def plot_lr_regimes(L: float = 1.0, factors: Sequence[float] = (0.5, 1.5, 2.1),
                    w0: float = 1.0, steps: int = 12):
    """Gradient descent on L/2 w^2 at lr = factor / L: the path on the parabola
    (top row) and |w| against step (bottom row), one column per lr.

    Returns the matplotlib Figure.
    """
    s = Quadratic1D(L)
    fig, axes = plt.subplots(2, len(factors), figsize=(3.3 * len(factors), 5.2),
                             layout="constrained", squeeze=False)
    reach = 1.6 * abs(w0)
    for j, f in enumerate(factors):
        lr = f / L
        p = descend(s, SGD, start=[w0], steps=steps, lr=lr)
        w = p.points[:, 0]
        top, bottom = axes[0, j], axes[1, j]
        plot_curve(top, s, bounds=((-reach, reach),))
        shown = np.abs(w) <= reach
        top.plot(w[shown], p.losses[shown], "o-", ms=4, lw=1, color="tab:blue")
        top.plot(w[:1], p.losses[:1], "s", color="tab:green", ms=7)
        top.set_ylim(-0.03 * L * reach**2, 0.55 * L * reach**2)
        regime = quadratic_regime(lr, L)
        top.set_title(f"lr = {f:g}/L: {regime}\nw x {1 - f:+.2f} per step", fontsize=10)
        bottom.semilogy(np.arange(len(w)), np.maximum(np.abs(w), 1e-16), "o-", ms=3)
        bottom.set_xlabel("step")
        bottom.grid(True, alpha=0.3)
    axes[1, 0].set_ylabel("|w| (log scale)")
    return fig
