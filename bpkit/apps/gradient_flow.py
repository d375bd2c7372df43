"""Lesson 04 app: how gradients flow (or don't) through a deep MLP at initialisation.

The view only. Every control reconfigures a `bpkit.gradient_flow.GradientFlowModel`
and redraws, per hidden layer, the gradient norms on a log scale (with the
sigmoid's 0.25-per-layer factor alone drawn over them), the activations' spread
and their histograms. The status line gives the model's `message`, marked by its
`verdict`.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.legend import Legend
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from ..gradient_flow import GradientFlowModel
from ..viz.gradient_flow import (
    ACTIVATION_LABELS, INIT_LABELS, SIGMOID_ONLY_LABEL, decade_limits,
)
from .base import BAD, GOOD, WARN, AppView, status_html
from .threads import one_blas_thread

__all__ = ["GradientFlowApp"]


class GradientFlowApp(AppView):
    """Controls for depth, width, activation, init, batch norm and residual; three plots.

    Every control rebuilds the model's network and redraws: gradient norms per
    layer (log), activation std per layer (log), activation histograms per layer.

    The background (axes, ticks, labels, legend) is made of pieces, each drawn
    alone and kept by what it shows: a control that moves one axis redraws that
    axis only, and going back to an axis range seen before redraws nothing.
    """

    PIECES_KEPT = 16  # versions kept per piece (its drawn pixels, 10-90 kB each)
    COLOURS = {"good": GOOD, "warn": WARN, "bad": BAD}  # the model's verdict

    def __init__(self, model: GradientFlowModel | None = None) -> None:
        super().__init__(figsize=(11.5, 3.6))
        with one_blas_thread():  # as the handlers measure: the same digits after
            if model is None:     # a control goes and comes back
                model = GradientFlowModel()
            else:
                model.update()
        self.model = model
        m = self.model
        style = {"description_width": "80px"}
        self.depth_slider = widgets.IntSlider(
            value=m.depth, min=1, max=50, description="depth", style=style)
        self.width_slider = widgets.IntSlider(
            value=m.width, min=4, max=256, step=4, description="width", style=style)
        self.activation_dropdown = widgets.Dropdown(
            options=[(v, k) for k, v in ACTIVATION_LABELS.items()], value=m.activation,
            description="activation", style=style)
        self.init_dropdown = widgets.Dropdown(
            options=[(v, k) for k, v in INIT_LABELS.items()], value=m.init,
            description="init", style=style)
        self.batchnorm_checkbox = widgets.Checkbox(value=m.batchnorm,
                                                   description="batch norm")
        self.residual_checkbox = widgets.Checkbox(value=m.residual,
                                                  description="residual")
        self.resample_button = widgets.Button(description="new weights", icon="refresh")

        for w in (self.depth_slider, self.width_slider, self.activation_dropdown,
                  self.init_dropdown, self.batchnorm_checkbox, self.residual_checkbox):
            w.observe(self.handler(lambda change: self.set_params()), names="value")
        self.resample_button.on_click(self.handler(lambda _: self.resample()))

        self._build_figure()
        self.widget = widgets.VBox([
            widgets.HBox([
                widgets.VBox([self.depth_slider, self.width_slider]),
                widgets.VBox([self.activation_dropdown, self.init_dropdown]),
                widgets.VBox([self.batchnorm_checkbox, self.residual_checkbox]),
                self.resample_button,
            ]),
            self.status,
            self.image,
            self.errors,
        ])
        self.redraw()  # the first render solves the layout on the whole figure
        self._keep_pieces()

    # -------------------------------------------------------------- handlers
    def set_params(self) -> None:
        self.model.configure(
            depth=self.depth_slider.value, width=self.width_slider.value,
            activation=self.activation_dropdown.value, init=self.init_dropdown.value,
            batchnorm=self.batchnorm_checkbox.value,
            residual=self.residual_checkbox.value,
        )
        self.redraw()

    def resample(self) -> None:
        self.model.configure(seed=self.model.seed + 1)
        self.redraw()

    # -------------------------------------------------------------- drawing
    def _build_figure(self) -> None:
        self.ax_grad, self.ax_std, self.ax_hist = self.fig.subplots(
            1, 3, gridspec_kw={"width_ratios": [1.25, 1, 1]})
        ax = self.ax_grad
        (self.grad_h_line,) = ax.semilogy([1], [1], "o-", ms=3, lw=1.5, color="tab:blue",
                                          label="‖dL/dh‖ activations")
        (self.grad_w_line,) = ax.semilogy([1], [1], "s-", ms=2.5, lw=1,
                                          color="tab:orange", label="‖dL/dW‖ weights")
        (self.bound_line,) = ax.semilogy(
            [1], [1], "k--", lw=1, label=f"0.25^(L-l) × last: {SIGMOID_ONLY_LABEL}")
        ax.set_xlabel("hidden layer l (input side → output side)")
        # titles at a given y: else every draw measures the tick labels to place them
        ax.set_title("gradient norm per layer", y=1.0)
        ax.grid(True, alpha=0.3)

        ax = self.ax_std
        (self.std_line,) = ax.semilogy([1], [1], "o-", ms=3, color="tab:green")
        ax.set_xlabel("hidden layer l")
        ax.set_title("activation std per layer", y=1.0)
        ax.grid(True, alpha=0.3)

        ax = self.ax_hist
        self.hist_image = ax.imshow(np.zeros((1, 2)), aspect="auto", origin="lower",
                                    cmap="magma", interpolation="nearest",
                                    norm=PowerNorm(0.5, vmin=0, vmax=1))
        ax.set_ylabel("hidden layer l")
        ax.set_title("activation histogram per layer", y=1.0)
        for a in (self.ax_grad, self.ax_std):
            a.yaxis.set_minor_locator(NullLocator())
            # plain "1e-8" labels: mathtext exponents cost most of a full redraw
            a.yaxis.set_major_formatter(
                FuncFormatter(lambda v, _: f"1e{math.log10(v):.0f}"))
            a.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        self.ax_hist.xaxis.set_major_locator(MaxNLocator(5))
        self.ax_hist.yaxis.set_major_locator(MaxNLocator(6, integer=True))
        self.animate(self.grad_h_line, self.grad_w_line, self.bound_line, self.std_line,
                     self.hist_image)
        self._frame: dict = {}  # what the cached background was drawn for
        self._kept: dict | None = None  # the pieces, once the layout is fixed

    def _keep_pieces(self) -> None:
        """Once the layout is fixed, pin the axis labels and start keeping pieces.

        Axis labels stay where the layout put them (but the histogram's y label,
        which follows its tick labels' width): placing them afresh means
        measuring every tick label, much of an axis' drawing time.
        """
        for ax in (self.ax_grad, self.ax_std, self.ax_hist):
            for axis in (ax.xaxis, ax.yaxis):
                if axis is not self.ax_hist.yaxis:
                    axis.set_label_coords(*axis.label.get_position(),
                                          transform=axis.label.get_transform())
        self._kept = {}  # piece name -> {key: its drawn pixels}, least recent first
        self._compose(self._frame)

    def _frame_for(self, key: str, values: np.ndarray) -> tuple[float, float]:
        """Log-axis limits that move only when the data leave them or shrink a lot."""
        lo, hi = self._frame.get(key, (None, None))
        v = values[np.isfinite(values) & (values > 0)]
        if lo is not None and v.size:
            margin = 10**0.2  # keep data off the frame's edges
            inside = v.min() >= lo * margin and v.max() <= hi / margin
            span = math.log10(max(v.max(), v.min() * 10)) - math.log10(v.min())
            if inside and span >= 0.35 * math.log10(hi / lo):
                return lo, hi
        return decade_limits(values)

    def redraw(self) -> None:
        m = self.model
        sigmoid = m.activation == "sigmoid"
        self.grad_h_line.set_data(m.layers, m.grad_h)
        self.grad_w_line.set_data(m.layers, m.grad_w)
        self.bound_line.set_data(m.layers, m.sigmoid_only)
        self.bound_line.set_visible(sigmoid)
        self.std_line.set_data(m.layers, m.act_std)
        self.hist_image.set_data(m.hist)
        self.hist_image.set_extent((m.edges[0], m.edges[-1], 0.5, m.depth + 0.5))

        # the sigmoid's line sets the scale only for a plain sigmoid chain; with batch
        # norm or a skip path the measured curve leaves it, and the line dives away
        plain = sigmoid and not (m.batchnorm or m.residual)
        line = [m.sigmoid_only] if plain else []
        shown = np.concatenate([m.grad_h, m.grad_w] + line)
        frame = {
            "grad": self._frame_for("grad", shown),
            "std": self._frame_for("std", m.act_std),
            # layer axes in brackets, so dragging the depth slider rarely moves them
            "layers": next(b for b in (5, 10, 20, 30, 40, 50, 10**9) if b >= m.depth),
            "values": (m.value_range, m.normalised),
            "sigmoid": sigmoid,
        }
        if frame != self._frame:
            self._frame = frame
            self._set_axes(frame)
            if self._kept is None:
                self.invalidate()
            else:
                self._compose(frame)
        self.status.value = status_html(m.message, self.COLOURS[m.verdict])
        self.render()

    def _set_axes(self, frame: dict) -> None:
        top = frame["layers"] + 0.5
        for ax, key in ((self.ax_grad, "grad"), (self.ax_std, "std")):
            lo, hi = frame[key]
            ax.set_ylim(lo, hi)
            k_lo, k_hi = round(math.log10(lo)), round(math.log10(hi))
            every = max(1, math.ceil((k_hi - k_lo) / 6))
            ax.yaxis.set_major_locator(
                FixedLocator(10.0 ** np.arange(k_lo, k_hi + 1, every)))
            ax.set_xlim(0.5, top)
        self.ax_hist.set_ylim(0.5, top)
        (lo, hi), normalised = frame["values"]
        self.ax_hist.set_xlim(lo, hi)
        self.ax_hist.set_xlabel(
            "h / rms(h) of the layer" if normalised else "activation h")
        handles = [self.grad_h_line, self.grad_w_line]
        handles += [self.bound_line] if frame["sigmoid"] else []
        self.ax_grad.legend(handles=handles, loc="best", fontsize=7, framealpha=0.7)

    def _pieces(self, frame: dict) -> list[tuple[str, object, list]]:
        """The background's pieces in drawing order: (name, what it shows, artists)."""
        g, s, h = self.ax_grad, self.ax_std, self.ax_hist
        legend = g.get_legend()
        # "best" puts the legend where the data are not: a new place, a new piece
        place = tuple(legend.get_window_extent(self.fig.canvas.get_renderer()).bounds)
        return [
            ("patches", None, [g.patch, s.patch, h.patch]),
            ("grad y", frame["grad"], [g.yaxis]),
            ("grad x", frame["layers"], [g.xaxis]),
            ("std y", frame["std"], [s.yaxis]),
            ("std x", frame["layers"], [s.xaxis]),
            ("hist y", frame["layers"], [h.yaxis]),
            ("hist x", frame["values"], [h.xaxis]),
            ("frames", None, [*g.spines.values(), *s.spines.values(),
                              *h.spines.values(), g.title, s.title, h.title]),
            ("legend", (frame["sigmoid"], place), [legend]),
        ]

    def _compose(self, frame: dict) -> None:
        """Make the cached background from its pieces, drawing those not kept.

        A piece is the pixels its artists change on a blank figure (for the
        legend, its whole box, which hides the grid under it); laid down in
        drawing order they give what a full redraw gives, but for a grid
        crossing or a label touching a neighbour's frame.
        """
        canvas = self.fig.canvas
        # one uint32 per RGBA pixel: (H, W), a view of the canvas itself
        pixels = np.asarray(canvas.buffer_rgba()).view(np.uint32)[..., 0]
        face = np.round(np.asarray(self.fig.patch.get_facecolor()) * 255)
        blank = face.astype(np.uint8).view(np.uint32)[0]
        composed = np.full(pixels.size, blank)
        for name, key, artists in self._pieces(frame):
            kept = self._kept.setdefault(name, OrderedDict())
            if key not in kept:
                kept[key] = self._draw_alone(artists, pixels, blank)
                if len(kept) > self.PIECES_KEPT:
                    kept.popitem(last=False)  # the one least recently shown
            kept.move_to_end(key)
            where, values = kept[key]
            composed[where] = values
        pixels[...] = composed.reshape(pixels.shape)
        self._background = canvas.copy_from_bbox(self.fig.bbox)  # render() restores it

    def _draw_alone(self, artists: list, pixels: np.ndarray,
                    blank: np.uint32) -> tuple[np.ndarray, np.ndarray]:
        """Draw artists on a blank canvas: (flat indices, values) of pixels drawn."""
        renderer = self.fig.canvas.get_renderer()
        pixels.fill(blank)
        drawn = np.zeros(pixels.shape, bool)
        for a in artists:
            a.draw(renderer)
            if isinstance(a, Legend):  # its box hides what is under it
                (x0, y0), (x1, y1) = a.get_frame().get_window_extent().get_points()
                top = pixels.shape[0]  # display y counts up, rows count down
                drawn[int(top - y1):math.ceil(top - y0), int(x0):math.ceil(x1)] = True
        drawn |= pixels != blank
        where = np.flatnonzero(drawn)
        return where, pixels.ravel()[where]
