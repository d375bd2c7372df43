"""Pictures of attention (lesson 10): the explorer's two panels, gradient paths, memory.

`ExplorerPainter` draws what `bpkit.attention.AttentionExplorer` computes: one
query's attention weights over the keys, and the gradient each key and value
receives from that query's output. The static figure and the app share it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.ticker import MaxNLocator

__all__ = ["BarSet", "ExplorerPainter", "draw_explorer", "plot_gradient_over_lag"]

_HIDDEN = "0.85"  # a key the causal mask hides
_HEADROOM = 1.35  # each panel's top, in units of its tallest bar: room for the legend
_BELOW = 0.6  # the gradient panel's bottom, in units of its tallest bar (negative bars)
_MARK_Y = 1.06  # the query's marker: just above a weight of 1, below the legend


class BarSet:
    """Bars drawn as one PolyCollection (one draw call, not one per bar).

    `set_heights(h)` moves them (negative heights go down from 0); `heights` reads them.
    """

    def __init__(self, ax, x: np.ndarray, width: float, color: str,
                 label: str | None = None) -> None:
        self.left, self.right = x - width / 2, x + width / 2
        self.heights = np.zeros(len(x))
        self.collection = PolyCollection(self._verts(), facecolors=color, linewidths=0,
                                         label=label)
        ax.add_collection(self.collection)

    def _verts(self) -> np.ndarray:
        h = self.heights
        z = np.zeros_like(h)
        return np.stack([np.stack([self.left, z], 1), np.stack([self.left, h], 1),
                         np.stack([self.right, h], 1), np.stack([self.right, z], 1)], 1)

    def set_heights(self, heights: np.ndarray) -> None:
        self.heights = np.asarray(heights, dtype=float).copy()
        self.collection.set_verts(self._verts())


def _key_axis(ax, T: int) -> None:
    """x from key 0 to T - 1; every key ticked up to 20 keys, then about ten ticks."""
    ax.set_xlim(-0.6, T - 0.4)
    if T <= 20:
        ax.set_xticks(np.arange(T))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))
    ax.set_xlabel("key position s")


class ExplorerPainter:
    """Build the two panels once on `axes` (two Axes); `update(explorer)` moves the bars.

    Left: query t's weights over the keys. Right: what its output sends back,
    the component of dL/dk_s along q_t (signed: dL/dk_s is a multiple of q_t)
    and ||dL/dv_s||, both clipped to the panel. `dynamic_title`: the title names
    the query and the mask (a static figure); an app keeps a fixed title, since
    drawing a changing text costs more than every bar together.
    """

    def __init__(self, axes, T: int, grad_max: float, dynamic_title: bool = True) -> None:
        self.ax_w, self.ax_g = axes
        keys = np.arange(T)
        ax = self.ax_w
        self.w_bars = BarSet(ax, keys, 0.7, "tab:blue")
        ax.set_ylim(0, _HEADROOM)
        ax.set_yticks(np.linspace(0, 1, 6))
        _key_axis(ax, T)
        ax.set_ylabel("attention weight p[t, s]")
        ax.grid(True, axis="y", alpha=0.3)
        (self.q_mark,) = ax.plot([], [], "v", color="tab:red", ms=8,
                                 label="the query t")
        ax = self.ax_g
        self.k_bars = BarSet(ax, keys - 0.2, 0.4, "tab:orange",
                             "dL/dk_s along q_t (signed)")
        self.v_bars = BarSet(ax, keys + 0.2, 0.4, "tab:green", "||dL/dv_s||")
        self.grad_max = grad_max
        self.grad_min = -_BELOW * grad_max
        ax.set_ylim(self.grad_min, _HEADROOM * grad_max)
        ax.set_yticks(np.linspace(-grad_max / 2, grad_max, 4))
        ax.axhline(0, color="0.3", lw=0.8)
        _key_axis(ax, T)
        ax.set_ylabel("gradient")
        ax.set_title("what query t's output sends back", fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
        self.dynamic_title = dynamic_title
        self.title = self.ax_w.set_title(
            "" if dynamic_title else "query t's weights over the keys", fontsize=10)
        # the keys the causal mask hides, shaded on both panels up to the tallest
        # bar, below the legends' band: an app draws the spans over the static
        # legends, which must stay readable
        tops = [1 / _HEADROOM, (grad_max - self.grad_min) / (_HEADROOM * grad_max - self.grad_min)]
        self.spans = [a.axvspan(T - 0.5, T - 0.4, ymax=top, color=_HIDDEN, alpha=0.6,
                                lw=0,
                                label="hidden by the mask" if a is self.ax_w else None)
                      for a, top in zip(axes, tops)]
        self.legends = [a.legend(loc="upper right", fontsize=8, ncol=2) for a in axes]
        self.T = T

    @property
    def artists(self) -> list:
        """Everything `update` changes (for an app to animate)."""
        bars = [b.collection for b in (self.w_bars, self.k_bars, self.v_bars)]
        title = [self.title] if self.dynamic_title else []
        return [*self.spans, *bars, self.q_mark, *title]

    def update(self, ex) -> None:
        for span in self.spans:  # from the first hidden key to the right edge
            span.set_x(ex.visible - 0.5)
            span.set_width(ex.T - ex.visible + 0.1)
            span.set_visible(ex.visible < ex.T)
        self.w_bars.set_heights(ex.weights)
        self.k_bars.set_heights(np.clip(ex.dk_along, self.grad_min, self.grad_max))
        self.v_bars.set_heights(np.minimum(ex.dv_norms, self.grad_max))
        self.q_mark.set_data([ex.query], [_MARK_Y])  # above the tallest possible bar
        if self.dynamic_title:
            mask = "causal mask on" if ex.causal else "no mask"
            keys = "key" if ex.visible == 1 else "keys"
            self.title.set_text(f"query t = {ex.query}: {ex.visible} {keys} visible ({mask})")


def draw_explorer(fig, explorer, grad_max: float | None = None) -> ExplorerPainter:
    """The explorer's static figure on `fig` (two panels side by side)."""
    axes = fig.subplots(1, 2)
    top = grad_max or 1.1 * max(explorer.dk_norms.max(), explorer.dv_norms.max(), 1e-12)
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
