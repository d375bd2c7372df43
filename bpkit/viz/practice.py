"""Figures for lesson 08: training and validation curves, several runs per panel.

Figures are built without a layout engine (margins set once): on a busy
machine constrained layout costs more than drawing the lines.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..practice.overfitting import History

__all__ = ["setup_curve_axes", "plot_runs", "train_val_panel", "runs_figure",
           "TRAIN_STYLE", "VAL_STYLE", "RUN_COLORS"]

TRAIN_STYLE = dict(color="tab:blue", lw=1.6)
VAL_STYLE = dict(color="tab:orange", lw=1.6)
RUN_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


def setup_curve_axes(ax, title: str = "", ymax: float = 2.5,
                     ylabel: str = "cross-entropy", ymin: float = 1e-3) -> None:
    """A loss-against-epoch panel: log loss axis from `ymin` to `ymax`."""
    ax.set_yscale("log")
    ax.set_ylim(ymin, ymax)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)


def plot_runs(ax, runs: Mapping[str, History], key: str = "val_loss",
              stopped: Mapping[str, int | None] | None = None) -> None:
    """One line per run of `history.<key>` against epoch; a dot at the validation
    minimum (for val_loss) and a dashed line where a run stopped early."""
    for (name, h), color in zip(runs.items(), RUN_COLORS):
        values = np.clip(getattr(h, key), 1e-3, None)
        ax.plot(np.arange(len(values)), values, color=color, lw=1.5, label=name)
        if key == "val_loss":
            best = int(np.argmin(values))
            ax.plot([best], [values[best]], "o", color=color, ms=5)
        if stopped and stopped.get(name) is not None:
            ax.axvline(stopped[name], color=color, ls="--", lw=1)


def train_val_panel(ax, runs: Mapping[str, History], title: str = "",
                    colors: Sequence[str] = RUN_COLORS) -> None:
    """Each run's training (dashed) and validation (solid) loss, one colour per run
    (pass other `colors` to keep a colour from meaning two things in one figure)."""
    setup_curve_axes(ax, title)
    for (name, h), color in zip(runs.items(), colors):
        ax.plot(np.clip(h.train_loss, 1e-3, None), color=color, lw=1.2, ls="--")
        ax.plot(h.val_loss, color=color, lw=1.6, label=name)
    ax.legend(fontsize=8, loc="lower left", title="solid: validation, dashed: train",
              title_fontsize=7)


def runs_figure(runs: Mapping[str, History],
                stopped: Mapping[str, int | None] | None = None,
                figsize: tuple[float, float] = (11.0, 3.4),
                early: tuple[str, int, int] | None = None):
    """Two panels: the runs' training loss and their validation loss.

    `early = (run, stopped_at, restored)` marks early stopping *on* that run,
    in the validation panel only (it watches the validation loss): a dashed
    line in that run's colour where it stopped and a star at the epoch it restored, each in
    the legend, instead of a second curve drawn over the first.
    """
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=figsize, sharex=True)
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.15, top=0.9, wspace=0.2)
    setup_curve_axes(a, "training loss", ylabel="cross-entropy")
    plot_runs(a, runs, "train_loss", stopped)
    setup_curve_axes(b, "validation loss (dot: its minimum)", ylabel="")
    plot_runs(b, runs, "val_loss", stopped)
    if early is not None:
        name, at, restored = early
        color = RUN_COLORS[list(runs).index(name)]
        b.axvline(at, color=color, ls="--", lw=1.2,
                  label=f"early stopping on '{name}': stopped at epoch {at}")
        b.plot([restored], [runs[name].val_loss[restored]], "*", color=color, ms=13,
               mec="black", mew=0.8, label=f"... and restored epoch {restored}")
        b.legend(fontsize=8, loc="upper right")
    b.set_ylim(0.3, 3.0)
    a.legend(fontsize=8, loc="lower left")
    return fig
