"""Lesson 07 apps: the gradient over time, and what truncating BPTT costs and saves.

- `GradientOverTimeApp` (model: `bpkit.rnn.gradient_over_time.GradientOverTimeModel`):
  a random RNN whose Wh has the spectral radius you choose; the loss sits at the
  last step and the plot shows ||dL/dh_t|| against the number of steps back, on
  a log scale, beside a heatmap of every hidden unit's gradient.
- `TruncationApp` (model: `bpkit.rnn.truncation_study.TruncationModel`): one batch
  of sequences, the full BPTT gradient, and truncated BPTT with k steps: cosine
  similarity and norm ratio against the full gradient, peak memory and time per
  update.

The views only: they own the widgets and the figure.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from matplotlib.ticker import FixedLocator, NullLocator

from ..rnn import ACTIVATIONS
from ..rnn.gradient_over_time import GradientOverTimeModel
from ..rnn.truncation_study import TruncationModel
from .base import AppView

__all__ = ["GradientOverTimeApp", "TruncationApp"]

_LOG_LIMIT = 20  # the norm plot spans 1e-20 .. 1e20; beyond is clipped for display


class GradientOverTimeApp(AppView):
    """Sliders: spectral radius, sequence length, input scale; activation menu."""

    def __init__(self, model: GradientOverTimeModel | None = None) -> None:
        super().__init__(figsize=(10, 3.6))
        self.model = m = model or GradientOverTimeModel()
        style = {"description_width": "110px"}
        self.radius_slider = widgets.FloatSlider(
            value=m.radius, min=0.1, max=3.0, step=0.05,
            description="spectral radius", style=style,
        )
        self.length_slider = widgets.IntSlider(
            value=m.T, min=5, max=m.max_T, step=5, description="sequence length T",
            style=style,
        )
        self.input_slider = widgets.FloatLogSlider(
            value=max(m.input_scale, 1e-3), base=10, min=-3, max=0.5, step=0.05,
            description="input scale", readout_format=".3f", style=style,
        )
        self.activation_dropdown = widgets.Dropdown(
            options=list(ACTIVATIONS), value=m.activation, description="activation",
            style=style,
        )
        for w in (self.radius_slider, self.length_slider, self.input_slider,
                  self.activation_dropdown):
            w.observe(self.handler(lambda change: self.set_params()), names="value")
        self._build_figure()
        self.widget = widgets.VBox([
            widgets.HBox([widgets.VBox([self.radius_slider, self.length_slider]),
                          widgets.VBox([self.input_slider, self.activation_dropdown])]),
            self.status, self.image, self.errors,
        ])
        self.redraw()
        self._spans.prepare()

    def set_params(self) -> None:
        self.model.set(
            radius=self.radius_slider.value, T=self.length_slider.value,
            input_scale=self.input_slider.value,
            activation=self.activation_dropdown.value,
        )
        self.redraw()

    def _build_figure(self) -> None:
        self.ax_norm, self.ax_heat = self.fig.subplots(1, 2, width_ratios=[1.1, 1])
        ax = self.ax_norm
        (self.ref_line,) = ax.semilogy([], [], "--", color="0.5", lw=1,
                                       label="radius$^k$ (a linear RNN's rate)")
        (self.norm_line,) = ax.semilogy([], [], color="tab:blue", lw=2,
                                        label="||dL/dh|| k steps back")
        ax.set_ylim(10.0**-_LOG_LIMIT, 10.0**_LOG_LIMIT)
        ax.yaxis.set_major_locator(FixedLocator(10.0 ** np.arange(-20, 21, 5)))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.axhline(1.0, color="0.8", lw=0.8)
        ax.set_xlabel("steps back from the loss, k")
        ax.set_ylabel("gradient norm (log scale)")
        ax.set_title("the gradient going back in time")
        ax.legend(loc="upper left", fontsize=8)
        ax.grid(True, alpha=0.3)
        self.heat = self.ax_heat.imshow(
            np.zeros((self.model.hidden, 2)), aspect="auto", cmap="RdBu_r",
            vmin=-12, vmax=12, interpolation="nearest", origin="lower",
        )
        self.ax_heat.set_xlabel("steps back from the loss, k")
        self.ax_heat.set_ylabel("hidden unit")
        self.ax_heat.set_title("log10 |dL/dh_t| per unit (first sequence)")
        self.fig.colorbar(self.heat, ax=self.ax_heat, shrink=0.85)
        self.animate(self.ref_line, self.norm_line, self.heat)
        self._T = None
        # a new span changes the x axes of the two plots, nothing else
        self._spans = _Backgrounds(self, (self.ax_norm.xaxis, self.ax_heat.xaxis))

    def redraw(self) -> None:
        m = self.model
        lags = m.lags
        lo, hi = 10.0**-_LOG_LIMIT, 10.0**_LOG_LIMIT
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            self.norm_line.set_data(lags, np.clip(m.norms, lo, hi))
            ref = m.radius ** lags.astype(float)
            self.ref_line.set_data(lags, np.clip(ref, lo, hi))
            self.heat.set_data(np.clip(np.log10(m.unit_grads), -30, 30))
        self.heat.set_extent((-0.5, m.T - 0.5, -0.5, m.hidden - 0.5))
        span = next(s for s in (25, 50, 100, 200, 400, 10**9) if s >= m.T)
        if span != self._T:  # limits move in jumps: most updates skip a full redraw
            self._T = span
            for ax in (self.ax_norm, self.ax_heat):
                ax.set_xlim(-0.5, span - 0.5)
            self._background = self._spans.get(span)
        self.status.value = m.message
        self.render()
        self._spans.keep(span, self._background)


class TruncationApp(AppView):
    """A slider for k (and the spectral radius); similarity, memory, time against k."""

    def __init__(self, model: TruncationModel | None = None) -> None:
        super().__init__(figsize=(10, 3.6))
        self.model = m = model or TruncationModel()
        style = {"description_width": "110px"}
        self.k_slider = widgets.IntSlider(
            value=m.k, min=1, max=m.T, description="truncation k", style=style,
            continuous_update=False,
        )
        self.radius_slider = widgets.FloatSlider(
            value=m.radius, min=0.5, max=1.5, step=0.05, description="spectral radius",
            style=style, continuous_update=False,
        )
        self.k_slider.observe(self.handler(lambda c: self.update(m.set_k, c["new"])),
                              names="value")
        self.radius_slider.observe(
            self.handler(lambda c: self.update(m.set_radius, c["new"])), names="value"
        )
        self._build_figure()
        self.widget = widgets.VBox([
            widgets.HBox([self.k_slider, self.radius_slider]),
            self.status, self.image, self.errors,
        ])
        self.redraw()
        self._ylims.prepare()

    def update(self, action, *args) -> None:
        action(*args)
        self.redraw()

    def _build_figure(self) -> None:
        m = self.model
        self.ax_sim, self.ax_cost = self.fig.subplots(1, 2)
        ax = self.ax_sim
        (self.cos_line,) = ax.semilogx([], [], "o-", ms=3, color="tab:blue",
                                       label="cosine similarity")
        (self.ratio_line,) = ax.semilogx([], [], "s-", ms=3, color="tab:orange",
                                         label="norm ratio |g_k| / |g|")
        (self.sim_marker,) = ax.plot([], [], "o", ms=9, mfc="none", mec="k", mew=1.5)
        self.k_line = ax.axvline(m.k, color="k", lw=1, ls=":")
        ax.set_xlim(0.8, m.T * 1.25)
        ax.set_xlabel("truncation k (steps backpropagated)")
        ax.set_title("truncated gradient against the full one")
        ax.legend(loc="lower right", fontsize=8)
        ax.grid(True, alpha=0.3)
        ax2 = self.ax_cost
        (self.mem_line,) = ax2.semilogx(m.ks, m.peaks / 1e3, "o-", ms=3,
                                        color="tab:green", label="peak memory (kB)")
        ax2.set_ylim(0, 1.1 * m.peaks.max() / 1e3)
        ax2.set_xlim(0.8, m.T * 1.25)
        ax2.set_xlabel("truncation k")
        ax2.set_ylabel("peak memory (kB)", color="tab:green")
        ax3 = self.ax_time = ax2.twinx()
        (self.time_line,) = ax3.semilogx(m.ks, 1e3 * m.seconds, "s-", ms=3,
                                         color="tab:purple", label="time per update")
        ax3.set_ylim(0, 1.15 * 1e3 * m.seconds.max())
        ax3.set_ylabel("ms per update", color="tab:purple")
        (self.cost_marker,) = ax2.plot([], [], "o", ms=9, mfc="none", mec="k", mew=1.5)
        self.k_line2 = ax2.axvline(m.k, color="k", lw=1, ls=":")
        ax2.set_title("what truncation saves (one sequence batch)")
        ax2.grid(True, alpha=0.3)
        self._ylim = None
        # new y-limits change the left plot's y axis, nothing else
        self._ylims = _Backgrounds(self, (self.ax_sim.yaxis,))
        # the curves move with the radius; the axes only when the limits jump
        self.animate(self.cos_line, self.ratio_line, self.sim_marker, self.k_line,
                     self.cost_marker, self.k_line2)

    def redraw(self) -> None:
        m = self.model
        self.cos_line.set_data(m.ks, m.cos_curve)
        self.ratio_line.set_data(m.ks, m.ratio_curve)
        ylim = _coarse_ylim(float(np.min(m.cos_curve)), float(np.max(m.ratio_curve)))
        if ylim != self._ylim:  # a limit jumps: its background is drawn once, kept
            self._ylim = ylim
            self.ax_sim.set_ylim(*ylim)
            self._background = self._ylims.get(ylim)
        self.sim_marker.set_data([m.k, m.k], [m.cos, m.ratio])
        self.k_line.set_xdata([m.k, m.k])
        self.k_line2.set_xdata([m.k, m.k])
        self.cost_marker.set_data([m.k], [m.peak / 1e3])
        self.status.value = m.message
        self.render()
        self._ylims.keep(ylim, self._background)


class _Backgrounds:
    """Backgrounds of a view, one per key (axis limits), where only `axes` change.

    `axes` are matplotlib Axis objects (an `ax.xaxis`): their ticks, labels and
    grid lines. Everything else is drawn once, without them and what their
    plot draws over them where they are (spines, a legend): `prepare`. The
    background of a new key then draws only those, in a full draw's order;
    a key seen before draws nothing.
    """

    def __init__(self, view: AppView, axes) -> None:
        self.view, self.axes = view, tuple(axes)
        self.over: list = []  # what their plots draw over them, in drawing order
        self.by_key: dict = {}
        self._under = None  # the figure's pixels without `axes` and `over`

    def prepare(self) -> None:
        """Draw the layer under `axes`; call it after the view's first render."""
        canvas = self.view.fig.canvas
        renderer = canvas.get_renderer()
        self.over = []
        for axis in self.axes:
            # where the axis draws: its plot (grid lines) and its ticks and labels
            where = Bbox.union([axis.axes.bbox, axis.get_tightbbox(renderer)])
            kids = [a for a in axis.axes.get_children()
                    if a.get_zorder() > axis.get_zorder() and not a.get_animated()
                    and a not in self.axes and a.get_visible()
                    and a.get_window_extent(renderer).overlaps(where)]
            self.over += sorted(kids, key=lambda a: a.get_zorder())  # as Axes.draw
        hidden = [a for a in (*self.axes, *self.over) if a.get_visible()]
        # a draw with a title hidden places it anew (and wrongly): texts keep
        # the places the view's full draw gave them
        titles = [(t, t.get_position()) for t in self.over if isinstance(t, Text)]
        for a in hidden:
            a.set_visible(False)
        try:
            canvas.draw()
        finally:
            for a in hidden:
                a.set_visible(True)
            for t, xy in titles:
                t.set_position(xy)
        self._under = canvas.copy_from_bbox(self.view.fig.bbox)

    def get(self, key):
        """The background for `key`, or None before `prepare` (a full draw then)."""
        if key not in self.by_key and self._under is not None:
            canvas = self.view.fig.canvas
            canvas.restore_region(self._under)
            renderer = canvas.get_renderer()
            for a in (*self.axes, *self.over):
                a.draw(renderer)
            self.by_key[key] = canvas.copy_from_bbox(self.view.fig.bbox)
        return self.by_key.get(key)

    def keep(self, key, background) -> None:
        """Remember the background the view drew for `key`."""
        self.by_key.setdefault(key, background)


def _coarse_ylim(low: float, high: float) -> tuple[float, float]:
    """y-limits holding [low, high] with a margin, from a few coarse steps.

    Cosines and norm ratios sit in [0, 1] at most radii: (0, 1.05) then holds
    them all, and a radius that needs more jumps to the next step, not to a
    new limit per radius (each new limit redraws the y axis).
    """
    top = 1.05
    if high > 1.0:
        top = next((t for t in (1.25, 1.5, 2.0, 3.0, 5.0) if t >= 1.05 * high),
                   float(10 ** np.ceil(np.log10(1.05 * high))))
    bottom = 0.0
    if low < 0.05:
        bottom = next(b for b in (-0.25, -0.5, -0.75, -1.05) if b <= low - 0.05)
    return bottom, top
