"""Figures of lesson 11: passes and time of the two modes, memory kept, checkpointing."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from ..cost.explorer import CostExplorerModel

__all__ = [
    "plot_mode_costs", "plot_memory_growth", "plot_checkpoint_memory",
    "ExplorerPainter", "explorer_figure",
]

KB = 1024.0


def plot_mode_costs(ax_passes, ax_time, ns: Sequence[int], m: int,
                    forward_passes, reverse_passes, t_forward, t_reverse) -> None:
    """The Jacobian of f: R^n -> R^m by each mode: passes and seconds against n."""
    ns = np.asarray(ns)
    for ax, f, r, unit in ((ax_passes, forward_passes, reverse_passes, "passes"),
                           (ax_time, 1e3 * np.asarray(t_forward),
                            1e3 * np.asarray(t_reverse), "ms")):
        ax.loglog(ns, f, "o-", color="tab:orange", label="forward mode (a JVP per input)")
        ax.loglog(ns, r, "s-", color="tab:blue", label="reverse mode (a VJP per output)")
        ax.axvline(m, color="0.5", ls=":", lw=1)
        ax.set_xlabel("inputs n")
        ax.set_ylabel(unit)
        ax.grid(True, which="both", alpha=0.3)
    ax_passes.text(m * 1.1, max(forward_passes) / 3, f"n = m = {m}", fontsize=8,
                   color="0.4")
    ax_passes.set_title(f"passes for the Jacobian of f: R^n -> R^{m}")
    ax_time.set_title("time (this machine)")
    ax_passes.legend(fontsize=8, loc="upper left")


def plot_memory_growth(ax_depth, ax_batch, depths, kept_depth, params_depth,
                       batches, kept_batch, params_batch, width: int) -> None:
    """Bytes kept for backward against depth and against batch, beside the parameters."""
    for ax, xs, kept, params, xlabel in (
            (ax_depth, depths, kept_depth, params_depth, "depth (blocks)"),
            (ax_batch, batches, kept_batch, params_batch, "batch size N")):
        ax.plot(xs, np.asarray(kept) / KB, "o-", color="tab:red",
                label="activations kept for backward")
        ax.plot(xs, np.asarray(params) / KB, "--", color="0.3", label="parameters")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("kB")
        ax.grid(True, alpha=0.3)
    ax_depth.set_title(f"against depth (width {width})")
    ax_batch.set_title(f"against batch (width {width})")
    ax_depth.legend(fontsize=8)


def plot_checkpoint_memory(ax, segments, model_bytes, measured_bytes, plain_bytes,
                           depth: int) -> None:
    """Peak bytes of checkpointed backprop against the segment length."""
    segments = np.asarray(segments)
    ax.plot(segments, np.asarray(model_bytes) / KB, "-", color="tab:green",
            label="model: checkpoints + one segment")
    ax.plot(segments, np.asarray(measured_bytes) / KB, "o", color="tab:green", mfc="none",
            label="measured (Checkpointed.peak_bytes)")
    ax.axhline(plain_bytes / KB, color="tab:red", ls="--", lw=1,
               label="plain backprop")
    ax.axvline(math.sqrt(depth), color="0.4", ls=":", lw=1, label="sqrt(depth)")
    ax.set_xlabel("segment length s (blocks between checkpoints)")
    ax.set_ylabel("peak kB kept")
    ax.set_ylim(0, 1.1 * plain_bytes / KB)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


class ExplorerPainter:
    """The explorer's two panels: memory against segment, and time per step.

    Both axes are logarithmic with limits fixed over the explorer's whole range
    (`bpkit.cost.explorer.LIMITS`), so an update only moves the artists.
    """

    def __init__(self, fig: Figure) -> None:
        self.ax_mem, self.ax_time = fig.subplots(1, 2, width_ratios=[1.6, 1])
        ax = self.ax_mem
        (self.curve,) = ax.loglog([], [], "-", color="tab:green", lw=2,
                                  label="activations kept, checkpointed")
        self.plain = ax.axhline(1, color="tab:red", ls="--", lw=1,
                                label="activations kept, plain backprop")
        self.params = ax.axhline(1, color="0.3", ls="-.", lw=1, label="parameters")
        self.sqrt = ax.axvline(1, color="0.4", ls=":", lw=1, label="sqrt(depth)")
        (self.marker,) = ax.plot([], [], "o", ms=9, mfc="none", mec="k", mew=1.5)
        ax.set_xlim(0.9, 70)
        ax.set_ylim(10, 1e10)
        ax.set_xticks([1, 2, 4, 8, 16, 32, 64], ["1", "2", "4", "8", "16", "32", "64"])
        ax.set_yticks([1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10],
                      ["10 B", "100 B", "1 kB", "10 kB", "100 kB", "1 MB", "10 MB",
                       "100 MB", "1 GB", "10 GB"])
        ax.minorticks_off()
        ax.set_xlabel("segment length s (blocks between checkpoints)")
        ax.set_title("memory: peak of what backprop keeps")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
        self.bars = self.ax_time.bar([0, 1], [1e-3, 1e-3], color=["tab:red", "tab:green"])
        self.ax_time.set_yscale("log")
        self.ax_time.set_ylim(1e-3, 1e5)
        self.ax_time.set_xticks([0, 1], ["plain", "checkpointed"])
        self.ax_time.set_ylabel("ms per step (model)")
        self.ax_time.set_title("time: forward + backward")
        self.ax_time.grid(True, axis="y", alpha=0.3)
        self.frame = "fixed"

    def update(self, m: CostExplorerModel) -> bool:
        """Move the artists to the model; the limits never change (returns False)."""
        self.curve.set_data(m.segments, m.curve)
        self.plain.set_ydata([m.plain_bytes] * 2)
        self.params.set_ydata([m.parameter_bytes] * 2)
        self.sqrt.set_xdata([math.sqrt(m.depth)] * 2)
        seg = m.segment or m.depth  # no checkpoints: what one whole segment keeps
        self.marker.set_data([seg], [m.peak_bytes])
        for bar, t in zip(self.bars, (m.seconds(False), m.seconds(True))):
            bar.set_height(1e3 * t)
        return False


def explorer_figure(model: CostExplorerModel | None = None) -> Figure:
    """The explorer's picture at one setting, for the page where widgets do not run."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    model = model or CostExplorerModel()
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    FigureCanvasAgg(fig)
    ExplorerPainter(fig).update(model)
    fig.suptitle(f"depth {model.depth}, width {model.width}, batch {model.batch}",
                 fontsize=10)
    return fig
