"""Pictures of attention (lesson 10): the explorer's two panels, gradient paths, memory.

`ExplorerPainter` draws what `bpkit.attention.AttentionExplorer` computes: one
query's attention weights over the keys, and the gradient each key and value
receives from that query's output. The static figure and the app share it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ExplorerPainter", "draw_explorer", "plot_gradient_over_lag"]

_HIDDEN = "0.85"  # a key the causal mask hides


class ExplorerPainter:
    """Build the two panels once on `axes` (two Axes); `update(explorer)` moves the bars."""

    def __init__(self, axes, T: int, grad_max: float) -> None:
        self.ax_w, self.ax_g = axes
        keys = np.arange(T)
        ax = self.ax_w
        self.w_bars = ax.bar(keys, np.zeros(T), color="tab:blue", width=0.7)
        ax.set_ylim(0, 1.35)  # headroom above 1 for the legend
        ax.set_yticks(np.linspace(0, 1, 6))
        ax.set_xlim(-0.6, T - 0.4)
        ax.set_xticks(keys)
        ax.set_xlabel("key position s")
        ax.set_ylabel("attention weight p[t, s]")
        ax.grid(True, axis="y", alpha=0.3)
        (self.q_mark,) = ax.plot([], [], "v", color="tab:red", ms=10,
                                 label="the query t")
        ax = self.ax_g
        self.k_bars = ax.bar(keys - 0.2, np.zeros(T), width=0.4, color="tab:orange",
                             label="||dL/dk_s||")
        self.v_bars = ax.bar(keys + 0.2, np.zeros(T), width=0.4, color="tab:green",
                             label="||dL/dv_s||")
        self.grad_max = grad_max
        ax.set_ylim(0, 1.35 * grad_max)  # bars stop at grad_max: headroom for the legend
        ax.set_yticks(np.linspace(0, grad_max, 5))
        ax.set_xlim(-0.6, T - 0.4)
        ax.set_xticks(keys)
        ax.set_xlabel("key position s")
        ax.set_ylabel("gradient norm")
        ax.set_title("what query t's output sends back", fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
        self.title = self.ax_w.set_title("", fontsize=10)
        # the keys the causal mask hides, shaded on both panels
        # below the legends' band (the top quarter): an app draws the spans over the
        # static legends, which must stay readable
        self.spans = [a.axvspan(T - 0.5, T - 0.4, ymax=1 / 1.35, color=_HIDDEN, alpha=0.6,
                                lw=0,
                                label="hidden by the mask" if a is self.ax_w else None)
                      for a in axes]
        self.legends = [a.legend(loc="upper right", fontsize=8, ncol=2) for a in axes]
        self.T = T

    @property
    def artists(self) -> list:
        """Everything `update` changes (for an app to animate)."""
        return [*self.spans, *self.w_bars, *self.k_bars, *self.v_bars, self.q_mark,
                self.title]

    def update(self, ex) -> None:
        for span in self.spans:  # from the first hidden key to the right edge
            span.set_x(ex.visible - 0.5)
            span.set_width(ex.T - ex.visible + 0.1)
            span.set_visible(ex.visible < ex.T)
        for bar, w in zip(self.w_bars, ex.weights):
            bar.set_height(w)
        top = self.grad_max
        for bars, vals in ((self.k_bars, ex.dk_norms), (self.v_bars, ex.dv_norms)):
            for bar, v in zip(bars, vals):
                bar.set_height(min(v, top))
        self.q_mark.set_data([ex.query], [1.15])  # above the tallest possible bar
        mask = "causal mask on" if ex.causal else "no mask"
        keys = "key" if ex.visible == 1 else "keys"
        self.title.set_text(f"query t = {ex.query}: {ex.visible} {keys} visible ({mask})")


def draw_explorer(fig, explorer, grad_max: float | None = None) -> ExplorerPainter:
    """The explorer's static figure on `fig` (two panels side by side)."""
    axes = fig.subplots(1, 2)
    top = grad_max or 1.1 * max(explorer.dk_norms.max(), explorer.dv_norms.max())
    painter = ExplorerPainter(axes, explorer.T, top)
    painter.update(explorer)
    return painter


def plot_gradient_over_lag(ax, curves: dict, floor: float = 1e-12) -> None:
    """||dL/dx_{t-k}|| against k, one line per model (log scale)."""
    for name, norms in curves.items():
        ax.semilogy(np.arange(len(norms)), np.maximum(norms, floor), label=name, lw=2)
    ax.set_xlabel("steps back from the loss, k")
    ax.set_ylabel("||dL/dx at t - k||")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
