"""Figures of lesson 11: passes and time of the two modes, memory kept, checkpointing."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..cost.explorer import CostExplorerModel

__all__ = [
    "plot_mode_costs", "plot_memory_growth", "plot_checkpoint_memory",
    "ExplorerPainter", "explorer_figure",
]

KB = 1024.0


def _crossing(ns: np.ndarray, ratio: np.ndarray) -> float | None:
    """Where `ratio` (forward / reverse) passes 1, interpolated in log-log; None if never."""
    lr = np.log(ratio)
    for i in range(len(ns) - 1):
        if lr[i] < 0 <= lr[i + 1]:
            a, b = np.log(ns[i]), np.log(ns[i + 1])
            return float(np.exp(a + (b - a) * -lr[i] / (lr[i + 1] - lr[i])))
    return None


def plot_mode_costs(ax_passes, ax_time, ns: Sequence[int], m: int,
                    forward_passes, reverse_passes, t_forward, t_reverse) -> None:
    """The Jacobian of f: R^n -> R^m by each mode: passes and seconds against n.

    The passes panel marks n = m; the time panel marks where the measured times
    cross (interpolated between the measured n), which need not be n = m.
    """
    ns = np.asarray(ns)
    for ax, f, r, unit in ((ax_passes, forward_passes, reverse_passes, "passes"),
                           (ax_time, 1e3 * np.asarray(t_forward),
                            1e3 * np.asarray(t_reverse), "ms")):
        ax.loglog(ns, f, "o-", color="tab:orange", label="forward mode (a JVP per input)")
        ax.loglog(ns, r, "s-", color="tab:blue", label="reverse mode (a VJP per output)")
        ax.set_xlabel("inputs n")
        ax.set_ylabel(unit)
        ax.grid(True, which="both", alpha=0.3)
    ax_passes.axvline(m, color="0.5", ls=":", lw=1)
    ax_passes.text(m * 1.1, max(forward_passes) / 3, f"n = m = {m}", fontsize=8,
                   color="0.4")
    cross = _crossing(ns, np.asarray(t_forward) / np.asarray(t_reverse))
    if cross is not None:
        ax_time.axvline(cross, color="0.5", ls=":", lw=1)
        ax_time.text(cross * 1.1, 1e3 * max(t_forward) / 3,
                     f"times cross near n = {cross:.0f}", fontsize=8, color="0.4")
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


def plot_checkpoint_memory(ax, segments, model_bytes, counted_bytes, plain_bytes,
                           depth: int) -> None:
    """Peak bytes of checkpointed backprop against the segment length."""
    segments = np.asarray(segments)
    ax.plot(segments, np.asarray(model_bytes) / KB, "-", color="tab:green",
            label="model: checkpoints + one segment")
    ax.plot(segments, np.asarray(counted_bytes) / KB, "o", color="tab:green", mfc="none",
            label="counted by Checkpointed (peak_bytes)")
    ax.axhline(plain_bytes / KB, color="tab:red", ls="--", lw=1,
               label="plain backprop")
    ax.axvline(math.sqrt(depth), color="0.4", ls=":", lw=1, label="sqrt(depth)")
    ax.set_xlabel("segment length s (blocks between checkpoints)")
    ax.set_ylabel("peak kB kept")
    ax.set_ylim(0, 1.1 * plain_bytes / KB)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


def _size(n: float) -> str:
    for unit, scale in (("MB", KB * KB), ("kB", KB)):
        if n >= scale:
            return f"{n / scale:,.{0 if n >= 100 * scale else 1}f} {unit}"
    return f"{n:.0f} B"


def _ms(seconds: float) -> str:
    ms = 1e3 * seconds
    return (f"{ms / 1e3:.1f} s" if ms >= 1e3 else f"{ms:.0f} ms" if ms >= 10
            else f"{ms:.1f} ms" if ms >= 1 else f"{ms:.2f} ms")


class ExplorerPainter:
    """The explorer's two panels: memory against segment, and time per step.

    The live app keeps the limits fixed over the explorer's whole range
    (`bpkit.cost.explorer.LIMITS`), so an update only moves the artists; the
    static figure (`fit=True`) fits them to the data instead. The legend sits
    below the memory panel, out of the data's way; the bars carry their times.
    """

    def __init__(self, fig: Figure) -> None:
        self.ax_mem, self.ax_time = fig.subplots(1, 2, width_ratios=[1.6, 1])
        ax = self.ax_mem
        (self.curve,) = ax.loglog([], [], "-", color="tab:green", lw=2,
                                  label="activations kept, checkpointed")
        self.plain = ax.axhline(1, color="tab:red", ls="--", lw=1.2,
                                label="activations kept, plain backprop")
        self.params = ax.axhline(1, color="0.3", ls="-.", lw=1.2, label="parameters")
        self.sqrt = ax.axvline(1, color="0.4", ls=":", lw=1, label="sqrt(depth)")
        (self.marker,) = ax.plot([], [], "o", ms=9, mfc="none", mec="k", mew=1.5,
                                 label="this segment")
        ax.set_xlim(0.9, 70)
        ax.set_ylim(100, 1e9)
        ax.set_xticks([1, 2, 4, 8, 16, 32, 64], ["1", "2", "4", "8", "16", "32", "64"])
        ax.set_yticks([1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9],
                      ["100 B", "1 kB", "10 kB", "100 kB", "1 MB", "10 MB", "100 MB",
                       "1 GB"])
        ax.minorticks_off()
        ax.set_xlabel("segment length s (blocks between checkpoints)")
        ax.set_title("memory: peak of what backprop keeps")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  borderaxespad=0)
        self.bars = self.ax_time.bar([0, 1], [1e-2, 1e-2], width=0.6,
                                     color=["tab:red", "tab:green"])
        self.labels = [self.ax_time.text(i, 1e-2, "", ha="center", va="bottom",
                                         fontsize=9) for i in (0, 1)]
        self.ax_time.set_yscale("log")
        self.ax_time.set_ylim(1e-2, 1e4)
        self.ax_time.set_xlim(-0.6, 1.6)
        self.ax_time.set_xticks([0, 1], ["plain", "checkpointed"])
        self.ax_time.set_ylabel("ms per step (model)")
        self.ax_time.set_title("time: forward + backward")
        self.ax_time.grid(True, axis="y", alpha=0.3)
        self.frame = "fixed"

    @property
    def artists(self) -> list:
        return [self.curve, self.plain, self.params, self.sqrt, self.marker,
                *self.bars, *self.labels]

    def update(self, m: CostExplorerModel) -> bool:
        """Move the artists to the model; the limits never change (returns False)."""
        self.curve.set_data(m.segments, m.curve)
        self.plain.set_ydata([m.plain_bytes] * 2)
        self.params.set_ydata([m.parameter_bytes] * 2)
        self.sqrt.set_xdata([math.sqrt(m.depth)] * 2)
        seg = m.segment or m.depth  # no checkpoints: what one whole segment keeps
        self.marker.set_data([seg], [m.peak_bytes])
        for bar, label, t in zip(self.bars, self.labels,
                                 (m.seconds(False), m.seconds(True))):
            bar.set_height(1e3 * t)
            label.set_position((bar.get_x() + bar.get_width() / 2, 1e3 * t * 1.15))
            label.set_text(_ms(t))
        return False

    def fit(self, m: CostExplorerModel) -> None:
        """Fit the limits to the data and write the numbers on the memory panel."""
        ax = self.ax_mem
        hi = max(*m.curve, m.plain_bytes, m.parameter_bytes)
        ax.set_yscale("linear")  # bytes from 0: a halving reads as one
        ax.set_ylim(0, hi * 1.15)
        ax.set_xlim(0.9, m.depth * 1.1)
        ticks = [t for t in (1, 2, 4, 8, 16, 32, 64) if t <= m.depth]
        ax.set_xticks(ticks, [str(t) for t in ticks])
        unit = KB * KB if hi >= KB * KB else KB  # round ticks in MB (or kB)
        ticks = MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]).tick_values(0, hi * 1.15 / unit)
        ax.set_yticks([t * unit for t in ticks if t * unit <= hi * 1.15])
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _size(v) if v else "0"))
        seg = m.segment or m.depth
        ax.annotate(f"s = {seg}: {_size(m.peak_bytes)}", (seg, m.peak_bytes),
                    xytext=(0, -16), textcoords="offset points", ha="center",
                    fontsize=9)
        for y, text, dy in ((m.plain_bytes, f"plain {_size(m.plain_bytes)}", 3),
                            (m.parameter_bytes,
                             f"parameters {_size(m.parameter_bytes)}",
                             3 if m.parameter_bytes > m.plain_bytes else -12)):
            ax.annotate(text, (1.0, y), xycoords=("axes fraction", "data"),
                        xytext=(-4, dy), textcoords="offset points", ha="right",
                        fontsize=9)
        times = [1e3 * m.seconds(False), 1e3 * m.seconds(True)]
        self.ax_time.set_yscale("linear")
        self.ax_time.set_ylim(0, 1.25 * max(times))
        for label, t in zip(self.labels, times):
            label.set_y(t * 1.02)


def explorer_figure(model: CostExplorerModel | None = None) -> Figure:
    """The explorer's picture at one setting, for the page where widgets do not run:
    limits fitted to this setting, the numbers written on it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    model = model or CostExplorerModel()
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    FigureCanvasAgg(fig)
    painter = ExplorerPainter(fig)
    painter.update(model)
    painter.fit(model)
    seg = (f"checkpoints every {model.segment} blocks" if model.segment
           else "no checkpoints")
    fig.suptitle(f"depth {model.depth}, width {model.width}, batch {model.batch}, "
                 f"{seg}", fontsize=10)
    return fig
