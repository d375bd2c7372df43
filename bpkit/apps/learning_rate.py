"""Lesson 05 app: gradient descent on a surface, with a log-scale learning-rate slider.

Drag the lr across 2/L on the 1-D quadratic and watch the path go from
monotone convergence to oscillation to divergence; raise the condition number
of the 2-D bowl and watch the flat direction crawl. The view only: the model
is `bpkit.learning_rate.LearningRateModel`.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator

from ..learning_rate import SURFACE_NAMES, LearningRateModel
from ..surfaces import Surface
from ..viz.surfaces import contour_levels
from .base import BAD, GOOD, WARN, AppView, status_html

__all__ = ["LearningRateApp"]

# the loss axis reaches above every blow-up threshold of a start inside the
# sliders' range (1e6 x the worst start's loss - min, Beale's corner: 1.8e5), so
# moving the start never rescales it
_LOSS_TOP = 1e13
# the label's colour: green for getting there, orange for a warning, red otherwise
_COLOURS = {"converging": "tab:green", "at the minimum": "tab:green",
            "oscillating": "tab:orange", "neutral": "tab:orange",
            "crawling": "tab:orange"}


class LearningRateApp(AppView):
    """Surface, log-lr, condition number, start and steps; path, loss curve, regime."""

    def __init__(self, model: LearningRateModel | None = None) -> None:
        super().__init__(figsize=(9.6, 3.9))
        self.model = model or LearningRateModel()
        m = self.model
        style = {"description_width": "95px"}
        self.surface_dropdown = widgets.Dropdown(options=SURFACE_NAMES,
                                                 value=m.surface_name,
                                                 description="surface", style=style)
        self.lr_slider = widgets.FloatLogSlider(
            value=m.lr, base=10, min=-4, max=1, step=0.01, description="learning rate",
            readout_format=".4f", style=style, continuous_update=True)
        self.condition_slider = widgets.FloatLogSlider(
            value=m.condition, base=10, min=0, max=3, step=0.05,
            description="condition #", readout_format=".1f", style=style,
            continuous_update=False)  # each value redraws the contours: on release
        self.x0_slider = widgets.FloatSlider(description="start w1", step=0.05,
                                             style=style)
        self.y0_slider = widgets.FloatSlider(description="start w2", step=0.05,
                                             style=style)
        self.steps_slider = widgets.IntSlider(value=m.steps, min=1, max=300,
                                              description="steps", style=style)
        self._set_start_ranges(m.surface, m.start)

        self.surface_dropdown.observe(self.handler(lambda c: self.set_surface()),
                                      names="value")
        self.condition_slider.observe(
            self.handler(lambda c: self.set_surface(keep_start=True)),
                                      names="value")
        for s in (self.lr_slider, self.x0_slider, self.y0_slider, self.steps_slider):
            s.observe(self.handler(lambda c: self.set_params()), names="value")

        self._build_figure()
        self._draw_surface()
        self.widget = widgets.VBox([
            widgets.HBox([
                widgets.VBox([self.surface_dropdown, self.lr_slider,
                              self.condition_slider]),
                widgets.VBox([self.x0_slider, self.y0_slider, self.steps_slider]),
            ]),
            self.status,
            self.image,
            self.errors,
        ])
        self.redraw()

    # -------------------------------------------------------------- handlers
    def _set_start_ranges(self, surface: Surface, start: np.ndarray) -> None:
        self._quiet = True
        try:
            for i, slider in enumerate((self.x0_slider, self.y0_slider)):
                if i < surface.dim:
                    lo, hi = surface.bounds[i]
                    slider.min, slider.max = -1e9, 1e9  # widen first: no clamping
                    slider.value = float(start[i])
                    slider.min, slider.max = lo, hi
                    slider.disabled = False
                else:
                    slider.disabled = True
            bowl = self.surface_dropdown.value == "quadratic 2-D"
            self.condition_slider.disabled = not bowl
        finally:
            self._quiet = False

    def _model_from_widgets(self, start=None) -> LearningRateModel:
        return LearningRateModel(self.surface_dropdown.value, self.lr_slider.value,
                                 self.condition_slider.value, start,
                                 self.steps_slider.value)

    def set_surface(self, keep_start: bool = False) -> None:
        """A new surface or condition number: new contours, the surface's start."""
        start = self.model.start if keep_start else None
        self.model = self._model_from_widgets(start)
        self._set_start_ranges(self.model.surface, self.model.start)
        self._draw_surface()
        self.redraw()

    def set_params(self) -> None:
        if getattr(self, "_quiet", False):
            return
        start = (self.x0_slider.value, self.y0_slider.value)
        self.model = self._model_from_widgets(start)
        self.redraw()

    # -------------------------------------------------------------- drawing
    def _build_figure(self) -> None:
        self.ax_path, self.ax_loss = self.fig.subplots(
            1, 2, gridspec_kw={"width_ratios": [1.05, 1]})
        (self.path_line,) = self.ax_path.plot([], [], "o-", color="tab:red", ms=3,
                                              lw=1.1,
                                              zorder=3)
        (self.start_marker,) = self.ax_path.plot([], [], "s", color="k", ms=7, zorder=4)
        for axis in (self.ax_path.xaxis, self.ax_path.yaxis):  # few labels: fast draws
            axis.set_major_locator(MaxNLocator(5, steps=[1, 2, 5, 10]))
        self.regime_text = self.ax_path.text(
            0.02, 0.97, "", transform=self.ax_path.transAxes, va="top", fontsize=11,
            fontweight="bold", bbox=dict(facecolor="white", alpha=0.8,
                                         edgecolor="none"))
        (self.loss_line,) = self.ax_loss.semilogy([], [], "o-", color="tab:red",
                                                  ms=2.5, lw=1)
        ax = self.ax_loss
        ax.set_xlabel("step")
        ax.set_ylabel("loss - minimum (log scale)")
        # a fixed title height: matplotlib would measure the tick labels each draw
        ax.set_title("loss against step", fontsize=10, y=1.0)
        ax.grid(True, alpha=0.3)
        ax.yaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        self.animate(self.path_line, self.start_marker, self.regime_text,
                     self.loss_line)
        self._artists: list = []
        self._limits = None

    def _draw_surface(self) -> None:
        """Contours (2-D) or the curve (1-D): redrawn only when the surface changes."""
        for a in self._artists:
            a.remove()
        self._artists = []
        ax, s = self.ax_path, self.model.surface
        if s.dim == 1:  # wide enough for any start the slider allows
            reach = 1.3 * max(s.bounds[0][1], abs(float(self.model.start[0])))
            xs, zs = s.grid(300, ((-reach, reach),))
            self._artists += ax.plot(xs, zs, color="0.35", lw=1.5)
            ax.set_xlim(-reach, reach)
            ax.set_ylim(-0.05 * zs.max(), 1.1 * zs.max())
            ax.set_xlabel("w")
            ax.set_ylabel("loss")
        else:
            xx, yy, zz = s.grid(120)
            cs = ax.contour(xx, yy, zz, levels=contour_levels(s, zz, 20),
                            cmap="viridis",
                            linewidths=0.8)
            self._artists.append(cs)
            mins = np.asarray(s.minima)
            self._artists += ax.plot(mins[:, 0], mins[:, 1], "*", color="gold", mec="k",
                                     ms=12, zorder=2)
            ax.set_xlim(*s.bounds[0])
            ax.set_ylim(*s.bounds[1])
            ax.set_xlabel("$w_1$")
            ax.set_ylabel("$w_2$")
        ax.set_title(s.name, fontsize=10, y=1.0)
        self._refresh(ax)

    def _refresh(self, ax) -> None:
        """Redraw one axes into the cached background; the other stays as drawn.

        A full redraw draws every tick label of both axes and the contours; a
        new surface changes only the left axes, a new step count only the right.
        """
        if self._background is None:
            return  # a full draw is due anyway
        canvas = self.fig.canvas
        renderer = canvas.get_renderer()
        canvas.restore_region(self._background)
        pixels = np.asarray(renderer.buffer_rgba())
        # the loss axes' y labels never change (fixed limits): their pixels stay,
        # and everything left of its tick marks belongs to the path axes
        loss = self.ax_loss
        ticks = loss.yaxis.get_major_ticks()[0].get_tick_padding()
        edge = max(int(np.floor(loss.bbox.x0 - ticks * self.fig.dpi / 72)) - 1, 0)
        if ax is self.ax_path:
            height = pixels.shape[0]
            boxes = [loss.yaxis.label.get_window_extent(renderer)] + [
                t.label1.get_window_extent(renderer)
                for t in loss.yaxis.get_major_ticks() if t.label1.get_visible()]
            keep = []
            for b in boxes:  # (rows, columns) of each label, one pixel wider
                rows = slice(max(int(height - b.y1) - 1, 0), int(height - b.y0) + 2)
                cols = slice(max(int(b.x0) - 1, 0), int(b.x1) + 2)
                keep.append((rows, cols, pixels[rows, cols].copy()))
            pixels[:, :edge] = 255  # the figure is white
            for rows, cols, saved in keep:
                pixels[rows, cols] = saved
            ax.draw(renderer)
        else:
            pixels[:, edge:] = 255
            label = ax.yaxis.label
            where = label.get_position()  # drawing without tick labels moves it
            ax.yaxis.set_tick_params(labelleft=False)
            label.set_visible(False)
            try:
                ax.draw(renderer)
            finally:
                ax.yaxis.set_tick_params(labelleft=True)
                label.set_visible(True)
                label.set_position(where)
        self._background = canvas.copy_from_bbox(self.fig.bbox)

    def _place_label(self, s: Surface, start: np.ndarray) -> None:
        """The regime label in the corner farthest from the start and the minima."""
        if s.dim == 1:  # the parabola leaves the top middle free
            self.regime_text.set_position((0.5, 0.97))
            self.regime_text.set_horizontalalignment("center")
            self.regime_text.set_verticalalignment("top")
            return
        (x0, x1), (y0, y1) = s.bounds
        marks = np.vstack([start, s.minima])
        frac = (marks - [x0, y0]) / [x1 - x0, y1 - y0]  # in axes fractions
        corners = np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
        gap = np.min(np.linalg.norm(corners[:, None] - frac[None], axis=2), axis=1)
        cx, cy = corners[np.argmax(gap)]
        self.regime_text.set_position((0.02 + 0.96 * cx, 0.03 + 0.94 * cy))
        self.regime_text.set_horizontalalignment("left" if cx == 0 else "right")
        self.regime_text.set_verticalalignment("top" if cy == 1 else "bottom")

    def redraw(self) -> None:
        m = self.model
        p, s = m.path, m.surface
        if s.dim == 1:
            reach = self.ax_path.get_xlim()[1]
            w0 = abs(m.start[0])
            wide = 1.3 * s.bounds[0][1]
            if w0 * 1.3 > reach or (reach > wide and w0 * 2.6 < reach):
                self._draw_surface()
            w = p.points[:, 0]
            # points far off the plot would only squash the picture: clip for display
            shown = np.clip(w, -3 * reach, 3 * reach)
            self.path_line.set_data(shown, s.value(shown[:, None]))
            self.start_marker.set_data(w[:1], p.losses[:1])
        else:
            self.path_line.set_data(p.points[:, 0], p.points[:, 1])
            self.start_marker.set_data(p.points[:1, 0], p.points[:1, 1])
        verdict = m.verdict
        colour = _COLOURS.get(verdict, "tab:red")
        stop = f": stopped at step {p.diverged_at}" if p.diverged else ""
        self.regime_text.set_text(verdict + stop)
        self.regime_text.set_color(colour)
        self._place_label(s, p.points[0])
        gap = np.maximum(p.losses - s.min_value, 1e-16)
        self.loss_line.set_data(np.arange(len(gap)), gap)
        top = max(_LOSS_TOP, 10 ** math.ceil(
            math.log10(max(m.max_loss - s.min_value, 1.0)) + 1))
        limits = (m.steps, top)
        if limits != self._limits:
            self._limits = limits
            self.ax_loss.set_xlim(-0.5, m.steps + 0.5)
            self.ax_loss.set_ylim(1e-16, top)
            self.ax_loss.yaxis.set_major_locator(
                FixedLocator(10.0 ** np.arange(-16, math.log10(top) + 1, 4)))
            self._refresh(self.ax_loss)
        html = {"tab:green": GOOD, "tab:orange": WARN}.get(colour, BAD)
        self.status.value = status_html(m.message, html)
        self.render()
