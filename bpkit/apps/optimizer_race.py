"""Lesson 06 app: SGD, momentum, Nesterov, Adagrad, RMSprop, Adam and AdamW race
from one start on one surface; their paths are animated on the contours.

The view only: the race is `bpkit.optimizer_race.RaceModel`. The view owns a
check box, an lr slider and a momentum/beta slider per optimizer, the surface,
start and step count, and a Play widget that drives the frame shown.

Only the paths, heads and loss curves are drawn on each change. The rest of
the figure is kept in pieces: the contour axes of every surface (all drawn when
the app is built) and the loss axes of each step count and y range seen (drawn
alone the first time). A new start, step count or surface puts the background
together from them; a new step count continues the kept paths.
"""

from __future__ import annotations

import math
from dataclasses import replace

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator
from matplotlib.transforms import Bbox

from ..optimizer_race import BETA_MIN, DEFAULT_LRS, RACE_SURFACES, RACERS, Entry, RaceModel
from ..viz.surfaces import COLORS, contour_levels
from .base import AppView

__all__ = ["OptimizerRaceApp"]

_PIECES_KEPT = 8  # loss axes pieces kept (~0.5 MB each; one per surface too)


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
        for s in (self.x0_slider, self.y0_slider):
            s.observe(self.handler(lambda c: self.set_race()), names="value")
        self.steps_slider.observe(self.handler(lambda c: self.set_steps()),
                                  names="value")
        self.frame_slider.observe(self.handler(lambda c: self._quiet or self.redraw()),
                                  names="value")

        self._build_figure()
        self._show_surface()
        self.widget = widgets.VBox([
            widgets.HBox([self.surface_dropdown, self.steps_slider]),
            widgets.HBox([self.x0_slider, self.y0_slider]),
            widgets.VBox(rows),
            widgets.HBox([self.play, self.frame_slider]),
            self.status,
            self.image,
            self.errors,
        ])
        self.redraw()  # the first render draws the whole figure and fixes its layout
        self._split = self._split_column()
        self._draw_every_surface()
        self._compose_background()

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
        self._show_surface()
        self._rewind()

    def set_race(self) -> None:
        """A new start: every path runs again (the step count has its own handler)."""
        if self._quiet:
            return
        start = (self.x0_slider.value, self.y0_slider.value)
        self.model = RaceModel(self.surface_dropdown.value, start,
                               self.steps_slider.value,
                               self._entries_from_widgets())
        self._rewind()

    def set_steps(self) -> None:
        """A new step count: the kept paths are cut or continued, not run again."""
        if self._quiet:
            return
        self.model.set_steps(self.steps_slider.value)
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
        # an opaque legend: its inside is the same pixels over any grid (kept once)
        ax.legend(handles=list(self.curves.values()), fontsize=7, ncol=2,
                  loc="lower left", framealpha=1.0)
        self._legend_inside: tuple | None = None  # (rows, columns, pixels)
        self.animate(*self.lines.values(), *self.heads.values(), *self.curves.values(),
                     self.start_marker, self.frame_line)
        self._surfaces: dict[str, list] = {}  # surface name -> its contours and stars
        self._pieces: dict[str, dict] = {"path": {}, "loss": {}}  # key -> pixels
        self._shown: tuple | None = None  # the keys the cached background shows
        self._split: int | None = None  # the pixel column between the two axes
        self._set_loss_limits()

    @staticmethod
    def _loss_limits_for(surface, start, steps: int) -> tuple[int, float]:
        """(x range, y top) of the loss axes: two decades above the start's gap."""
        gap0 = float(surface.value(start)) - surface.min_value
        return steps, 10 ** math.ceil(math.log10(100 * max(gap0, 1e-3)))

    def _set_loss_limits(self, limits: tuple[int, float] | None = None) -> None:
        """The loss axes' ranges: the model's, or `limits` (steps, top)."""
        m = self.model
        limits = limits or self._loss_limits_for(m.surface, m.start, m.steps)
        if limits == getattr(self, "_loss_limits", None):
            return
        self._loss_limits = limits  # the loss axes' piece of the background
        steps, top = limits
        self.ax_loss.set_xlim(0, steps)
        self.ax_loss.set_ylim(1e-12, top)
        self.ax_loss.yaxis.set_major_locator(
            FixedLocator(10.0 ** np.arange(-12, math.log10(top) + 1, 4)))

    def _show_surface(self, name: str | None = None) -> None:
        """Surface `name` (the model's) in the path axes: its contours, made once."""
        name, ax = name or self.model.surface_name, self.ax_path
        s = RACE_SURFACES[name]()
        if name not in self._surfaces:
            xx, yy, zz = s.grid(120)
            cs = ax.contour(xx, yy, zz, levels=contour_levels(s, zz, 20),
                            cmap="viridis", linewidths=0.7, alpha=0.8)
            mins = np.asarray(s.minima)
            self._surfaces[name] = [cs, *ax.plot(mins[:, 0], mins[:, 1], "*",
                                                 color="gold", mec="k", ms=12,
                                                 zorder=2)]
        for shown, artists in self._surfaces.items():
            for a in artists:
                a.set_visible(shown == name)
        ax.set_xlim(*s.bounds[0])
        ax.set_ylim(*s.bounds[1])
        ax.set_title(name, fontsize=10, y=1.0)  # placed, not searched for: 5 ms

    # ------------------------------------------------- the cached background
    def _split_column(self) -> int:
        """The pixel column halfway between the two axes' drawings (a full draw's)."""
        renderer = self.fig.canvas.get_renderer()
        left = self.ax_path.get_tightbbox(renderer).x1
        right = self.ax_loss.get_tightbbox(renderer).x0
        return int(round((left + right) / 2))

    def _draw_every_surface(self) -> None:
        """Keep each surface's pieces now, not when it is picked: its contours,
        and its loss axes for its own start at this step count."""
        for name, make in RACE_SURFACES.items():
            s = make()
            self._show_surface(name)
            self._set_loss_limits(self._loss_limits_for(s, s.start, self.model.steps))
            for ax, side, key in ((self.ax_path, "path", name),
                                  (self.ax_loss, "loss", self._loss_limits)):
                if key not in self._pieces[side]:
                    piece = self._draw_piece(ax, left=side == "path")
                    if piece is not None:
                        self._pieces[side][key] = piece
        self._show_surface()
        self._set_loss_limits()

    def _compose_background(self) -> None:
        """The cached background from its two pieces, drawing a piece not kept.

        Left of the split column the path axes (one piece per surface), right
        of it the loss axes (one per step count and y range). A piece is drawn
        alone on white, as the full figure would draw it there; a piece that
        reaches over the split column is not kept, and a full draw is made.
        """
        keys = (self.model.surface_name, self._loss_limits)
        if self._split is None or (self._background is not None
                                   and keys == self._shown):
            return
        canvas = self.fig.canvas
        sides = ((self.ax_path, "path", keys[0]), (self.ax_loss, "loss", keys[1]))
        for ax, side, key in sides:
            kept = self._pieces[side]
            if key in kept:
                continue
            piece = self._draw_piece(ax, side == "path")
            if piece is None:  # it did not fit its side: a full draw instead
                self.invalidate()
                self._shown = None
                return
            if side == "loss" and len(kept) >= _PIECES_KEPT:
                kept.pop(next(iter(kept)))  # the oldest
            kept[key] = piece
        for _, side, key in sides:  # after the drawing, which whitens the canvas
            canvas.restore_region(self._pieces[side][key])
        self._background = canvas.copy_from_bbox(self.fig.bbox)
        self._shown = keys

    def _draw_piece(self, ax, left: bool):
        """Draw `ax` alone on white; its side of the split column, or None if it
        reached over the split. Leaves the other side white (restore it after)."""
        canvas = self.fig.canvas
        renderer = canvas.get_renderer()
        pixels = np.asarray(renderer.buffer_rgba())
        pixels[...] = 255  # the figure's white
        self._draw_axes(ax, renderer, pixels)
        x = self._split
        other = pixels[:, x:] if left else pixels[:, :x]
        if not np.all(other == 255):
            return None
        width, height = pixels.shape[1], pixels.shape[0]
        box = Bbox([[0, 0], [x, height]]) if left else Bbox([[x, 0], [width, height]])
        return canvas.copy_from_bbox(box)

    def _draw_axes(self, ax, renderer, pixels: np.ndarray) -> None:
        """Draw `ax` as a full draw does (the animated artists left out); the
        legend's inside is pasted from its first drawing, 40% of the loss axes'."""
        legend = ax.get_legend()
        if legend is None or self._legend_inside is None:
            ax.draw(renderer)
            if legend is not None:  # its inside: whole pixels 1.5 in from the frame
                box = legend.legendPatch.get_window_extent(renderer)
                height = pixels.shape[0]
                rows = slice(math.ceil(height - box.y1 + 1.5),
                             math.floor(height - box.y0 - 1.5))
                cols = slice(math.ceil(box.x0 + 1.5), math.floor(box.x1 - 1.5))
                self._legend_inside = (rows, cols, pixels[rows, cols].copy())
            return
        legend.set_visible(False)
        try:
            ax.draw(renderer)
        finally:
            legend.set_visible(True)
        legend.legendPatch.draw(renderer)  # its frame, where its last drawing put it
        rows, cols, inside = self._legend_inside
        pixels[rows, cols] = inside

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
        self._compose_background()
        self.render()


def _css(name: str) -> str:
    from matplotlib.colors import to_hex

    return to_hex(COLORS[name])
