"""Lesson 06 app: SGD, momentum, Nesterov, Adagrad, RMSprop, Adam and AdamW race
from one start on one surface; their paths are animated on the contours.

The view only: the race is `bpkit.optimizer_race.RaceModel`. The view owns a
check box, an lr slider and a momentum/beta slider per optimizer, the surface,
start and step count, and a Play widget that drives the frame shown.
"""

from __future__ import annotations

import math
from dataclasses import replace

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator

from ..optimizer_race import BETA_MIN, DEFAULT_LRS, RACE_SURFACES, RACERS, Entry, RaceModel
from ..viz.surfaces import COLORS, contour_levels
from .base import AppView

__all__ = ["OptimizerRaceApp"]


class OptimizerRaceApp(AppView):
    """Check boxes and sliders per optimizer; surface, start, steps; a Play button."""

    def __init__(self, model: RaceModel | None = None) -> None:
        super().__init__(figsize=(9.8, 4.0))
        self.model = model or RaceModel()
        m = self.model
        style = {"description_width": "70px"}
        self.surface_dropdown = widgets.Dropdown(
            options=list(RACE_SURFACES), value=m.surface_name, description="surface",
            style=style, layout=widgets.Layout(width="330px"))
        self.x0_slider = widgets.FloatSlider(description="start w1", step=0.05,
                                             style=style,
                                             continuous_update=False)
        self.y0_slider = widgets.FloatSlider(description="start w2", step=0.05,
                                             style=style,
                                             continuous_update=False)
        self.steps_slider = widgets.IntSlider(value=m.steps, min=10, max=500, step=10,
                                              description="steps", style=style,
                                              continuous_update=False)
        self.play = widgets.Play(value=m.steps, min=0, max=m.steps, step=2, interval=60,
                                 description="play")
        self.frame_slider = widgets.IntSlider(value=m.steps, min=0, max=m.steps,
                                              description="step", style=style)
        widgets.link((self.play, "value"), (self.frame_slider, "value"))
        self.checkboxes: dict[str, widgets.Checkbox] = {}
        self.lr_sliders: dict[str, widgets.FloatLogSlider] = {}
        self.beta_sliders: dict[str, widgets.FloatSlider] = {}
        rows = []
        for name, racer in RACERS.items():
            e = m.entries[name]
            cb = widgets.Checkbox(value=e.enabled, description=name, indent=False,
                                  layout=widgets.Layout(width="100px"))
            lr = widgets.FloatLogSlider(value=e.lr, base=10, min=-4, max=1, step=0.05,
                                        description="lr", readout_format=".4f",
                                        continuous_update=False,
                                        style={"description_width": "20px"})
            beta = widgets.FloatSlider(value=e.beta, min=BETA_MIN.get(name, 0.0),
                                       max=0.999, step=0.001,
                                       readout_format=".3f", continuous_update=False,
                                       description=racer.beta_name or "-",
                                       disabled=racer.beta_name is None,
                                       style={"description_width": "70px"})
            self.checkboxes[name], self.lr_sliders[name] = cb, lr
            self.beta_sliders[name] = beta
            swatch = widgets.HTML(
                f"<span style='color:{_css(name)};font-size:18px'>&#9632;</span>")
            fixed = widgets.HTML(f"<small>{racer.fixed}</small>" if racer.fixed else "")
            rows.append(widgets.HBox([swatch, cb, lr, beta, fixed]))
            for w in (cb, lr, beta):
                w.observe(self.handler(lambda c, n=name: self.set_racer(n)),
                          names="value")
        self._set_start_ranges()
        self.surface_dropdown.observe(self.handler(lambda c: self.set_surface()),
                                      names="value")
        for s in (self.x0_slider, self.y0_slider, self.steps_slider):
            s.observe(self.handler(lambda c: self.set_race()), names="value")
        self.frame_slider.observe(self.handler(lambda c: self._quiet or self.redraw()),
                                  names="value")

        self._build_figure()
        self._draw_surface()
        self.widget = widgets.VBox([
            widgets.HBox([self.surface_dropdown, self.steps_slider]),
            widgets.HBox([self.x0_slider, self.y0_slider]),
            widgets.VBox(rows),
            widgets.HBox([self.play, self.frame_slider]),
            self.status,
            self.image,
            self.errors,
        ])
        self.redraw()

    # -------------------------------------------------------------- handlers
    def _set_start_ranges(self) -> None:
        s, start = self.model.surface, self.model.start
        self._quiet = True
        try:
            for i, slider in enumerate((self.x0_slider, self.y0_slider)):
                slider.min, slider.max = -1e9, 1e9  # widen first so nothing is clamped
                slider.value = float(start[i])
                slider.min, slider.max = s.bounds[i]
        finally:
            self._quiet = False

    def _entries_from_widgets(self) -> dict[str, Entry]:
        return {n: Entry(self.checkboxes[n].value, self.lr_sliders[n].value,
                         self.beta_sliders[n].value) for n in RACERS}

    def set_surface(self) -> None:
        """A new surface: its own start and each optimizer's default lr."""
        name = self.surface_dropdown.value
        entries = self._entries_from_widgets()
        entries = {n: replace(e, lr=DEFAULT_LRS[name][n]) for n, e in entries.items()}
        self.model = RaceModel(name, None, self.steps_slider.value, entries)
        self._quiet = True
        try:
            for n, e in entries.items():
                self.lr_sliders[n].value = e.lr
        finally:
            self._quiet = False
        self._set_start_ranges()
        self._draw_surface()
        self._rewind()

    def set_race(self) -> None:
        if self._quiet:
            return
        start = (self.x0_slider.value, self.y0_slider.value)
        self.model = RaceModel(self.surface_dropdown.value, start,
                               self.steps_slider.value,
                               self._entries_from_widgets())
        self._rewind()

    def set_racer(self, name: str) -> None:
        if self._quiet:
            return
        self.model.set_entry(name, enabled=self.checkboxes[name].value,
                             lr=self.lr_sliders[name].value,
                             beta=self.beta_sliders[name].value)
        self.redraw()

    def _rewind(self) -> None:
        """New paths: show them in full (press play to watch them grow)."""
        n = self.model.steps
        self._quiet = True
        try:
            self.play.max = self.frame_slider.max = n
            self.play.value = self.frame_slider.value = n
        finally:
            self._quiet = False
        self._set_loss_limits()
        self.redraw()

    # -------------------------------------------------------------- drawing
    def _build_figure(self) -> None:
        self.ax_path, self.ax_loss = self.fig.subplots(
            1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        self.lines, self.heads, self.curves = {}, {}, {}
        for name in RACERS:
            c = COLORS[name]
            (self.lines[name],) = self.ax_path.plot([], [], "-", color=c, lw=1.6,
                                                    zorder=3)
            (self.heads[name],) = self.ax_path.plot([], [], "o", color=c, mec="k", ms=7,
                                                    zorder=5, label=name)
            (self.curves[name],) = self.ax_loss.semilogy([], [], color=c, lw=1.5,
                                                         label=name)
        (self.start_marker,) = self.ax_path.plot([], [], "s", color="k", ms=7, zorder=4)
        self.frame_line = self.ax_loss.axvline(0, color="0.5", lw=0.8, ls=":")
        ax = self.ax_loss
        ax.set_xlabel("step")
        ax.set_ylabel("loss - minimum (log scale)")
        ax.grid(True, alpha=0.3)
        ax.yaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        ax.legend(handles=list(self.curves.values()), fontsize=7, ncol=2,
                  loc="lower left")
        self.animate(*self.lines.values(), *self.heads.values(), *self.curves.values(),
                     self.start_marker, self.frame_line)
        self._contours: list = []
        self._set_loss_limits()

    def _set_loss_limits(self) -> None:
        m = self.model
        s = m.surface
        gap0 = float(s.value(m.start)) - s.min_value
        top = 10 ** math.ceil(math.log10(100 * max(gap0, 1e-3)))
        if (m.steps, top) == getattr(self, "_loss_limits", None):
            return  # same frame: the cached background still holds
        self._loss_limits = (m.steps, top)
        self.ax_loss.set_xlim(0, m.steps)
        self.ax_loss.set_ylim(1e-12, top)
        self.ax_loss.yaxis.set_major_locator(
            FixedLocator(10.0 ** np.arange(-12, math.log10(top) + 1, 4)))
        self.invalidate()

    def _draw_surface(self) -> None:
        for a in self._contours:
            a.remove()
        s, ax = self.model.surface, self.ax_path
        xx, yy, zz = s.grid(120)
        cs = ax.contour(xx, yy, zz, levels=contour_levels(s, zz, 20), cmap="viridis",
                        linewidths=0.7, alpha=0.8)
        mins = np.asarray(s.minima)
        self._contours = [cs, *ax.plot(mins[:, 0], mins[:, 1], "*", color="gold",
                                       mec="k",
                                       ms=12, zorder=2)]
        ax.set_xlim(*s.bounds[0])
        ax.set_ylim(*s.bounds[1])
        ax.set_title(self.model.surface_name, fontsize=10)
        self.invalidate()

    def redraw(self) -> None:
        m, k = self.model, self.frame_slider.value
        for name in RACERS:
            on = name in m.paths
            for a in (self.lines[name], self.heads[name], self.curves[name]):
                a.set_visible(on)
            if not on:
                continue
            p = m.paths[name]
            pts = p.points[: k + 1]
            self.lines[name].set_data(pts[:, 0], pts[:, 1])
            head = m.position(name, k)
            self.heads[name].set_data([head[0]], [head[1]])
            gap = np.maximum(p.losses[: k + 1] - m.surface.min_value, 1e-16)
            self.curves[name].set_data(np.arange(len(gap)), gap)
        self.start_marker.set_data([m.start[0]], [m.start[1]])
        self.frame_line.set_xdata([k, k])
        board = m.leaderboard(k)
        parts = []
        for name, gap in board:
            p = m.paths[name]
            if p.diverged and k >= p.diverged_at:
                parts.append(f"{name}: diverged at step {p.diverged_at}")
            else:
                parts.append(f"{name}: {gap:.2e}")
        self.status.value = (f"<b>step {k}</b>, loss - minimum: "
                             + " &middot; ".join(parts))
        self.render()


def _css(name: str) -> str:
    from matplotlib.colors import to_hex

    return to_hex(COLORS[name])
