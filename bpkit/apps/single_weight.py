"""Lesson 01 app: gradient descent on one weight, L(w) = (y - w x)^2.

The view only: sliders, buttons and the figure; the model is
`bpkit.single_weight.SingleWeightModel`.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator

from ..single_weight import SingleWeightModel
from .base import BAD, GOOD, WARN, AppView, status_html

__all__ = ["SingleWeightApp"]


def _nice_ceil(v: float) -> float:
    """The smallest of 1, 2, 5 x 10^k at or above v: axis limits that move in jumps."""
    k = 10 ** math.floor(math.log10(v))
    return next(m * k for m in (1, 2, 5, 10) if m * k >= v)


class SingleWeightApp(AppView):
    """Sliders for x, w0, target and a log-scale lr; step / run 20 / reset; two plots."""

    def __init__(self, model: SingleWeightModel | None = None) -> None:
        super().__init__(figsize=(9.5, 3.6))
        self.model = model or SingleWeightModel()
        m = self.model
        style = {"description_width": "90px"}
        self.x_slider = widgets.FloatSlider(
            value=m.x, min=0.5, max=3.0, step=0.1, description="input x", style=style
        )
        self.w0_slider = widgets.FloatSlider(
            value=m.w0, min=-2.0, max=4.0, step=0.1, description="initial w", style=style
        )
        self.target_slider = widgets.FloatSlider(
            value=m.target, min=-4.0, max=6.0, step=0.5, description="target y", style=style
        )
        # up to 10^0.7 = 5: divergence (lr > 1 / x^2) is reachable at every x down to 0.5
        self.lr_slider = widgets.FloatLogSlider(
            value=m.lr, base=10, min=-3, max=0.7, step=0.01,
            description="learning rate", readout_format=".4f", style=style,
        )
        self.step_button = widgets.Button(description="step", icon="step-forward")
        self.run_button = widgets.Button(description="run 20 steps", icon="forward")
        self.reset_button = widgets.Button(description="reset", icon="undo")

        for s in (self.x_slider, self.w0_slider, self.target_slider, self.lr_slider):
            s.observe(self.handler(lambda change: self.set_params()), names="value")
        self.step_button.on_click(self.handler(lambda _: self.update(self.model.step)))
        self.run_button.on_click(self.handler(lambda _: self.update(self.model.run, 20)))
        self.reset_button.on_click(self.handler(lambda _: self.update(self.model.reset)))

        self._build_figure()
        self.widget = widgets.VBox([
            widgets.HBox([
                widgets.VBox([self.x_slider, self.w0_slider]),
                widgets.VBox([self.target_slider, self.lr_slider]),
            ]),
            widgets.HBox([self.step_button, self.run_button, self.reset_button]),
            self.status,
            self.image,
            self.errors,
        ])
        self.redraw()

    # -------------------------------------------------------------- handlers
    def set_params(self) -> None:
        self.model = SingleWeightModel(
            self.x_slider.value, self.w0_slider.value,
            self.target_slider.value, self.lr_slider.value,
        )
        self.redraw()

    def update(self, action, *args) -> None:
        action(*args)
        self.redraw()

    # -------------------------------------------------------------- drawing
    def _build_figure(self) -> None:
        self.ax_loss, self.ax_curve = self.fig.subplots(1, 2)
        ax = self.ax_loss
        (self.parabola,) = ax.plot([], [], color="0.35", lw=1.5, label="L(w)")
        (self.tangent,) = ax.plot([], [], color="tab:orange", lw=1.5, label="tangent at w")
        (self.path,) = ax.plot([], [], "o-", color="tab:blue", ms=4, lw=1, label="steps")
        (self.current,) = ax.plot([], [], "o", color="tab:red", ms=8)
        self.minimum = ax.axvline(0.0, color="0.6", ls=":", lw=1, label="minimum y/x")
        ax.set_xlabel("w")
        ax.set_ylabel("loss")
        ax.set_title("the loss parabola and the steps on it")
        ax.legend(loc="upper center", fontsize=8)
        ax2 = self.ax_curve
        (self.curve,) = ax2.semilogy([], [], "o-", color="tab:blue", ms=3)
        ax2.set_xlabel("step")
        ax2.set_ylabel("loss (log scale)")
        ax2.set_title("loss against step")
        ax2.grid(True, alpha=0.3)
        # everything that depends on x, w0, target or lr is animated; the cached
        # background holds only axes, ticks and labels
        self.animate(self.parabola, self.minimum, self.tangent, self.path,
                     self.current, self.curve)
        self._limits = None
        # few ticks: tick labels are most of a redraw's cost
        ax2.yaxis.set_minor_locator(NullLocator())
        for a in (ax, ax2):
            a.xaxis.set_major_locator(MaxNLocator(5, integer=a is ax2))
        ax.yaxis.set_major_locator(MaxNLocator(4))

    def redraw(self) -> None:
        m = self.model
        w_star = float(round(m.target / m.x))  # the view's centre, snapped
        half = _nice_ceil(max(2.0, 1.3 * abs(m.w0 - w_star)))
        grid = np.linspace(w_star - half, w_star + half, 200)
        self.parabola.set_data(grid, m.loss(grid))
        # tangent line at the current w: L(w) + L'(w) (v - w), over a short span
        w, g = m.w, m.grad(m.w)
        span = np.array([w - 0.35 * half, w + 0.35 * half])
        self.tangent.set_data(span, m.loss(w) + g * (span - w))
        self.path.set_data(m.ws, m.losses)
        self.minimum.set_xdata([m.target / m.x])
        self.current.set_data([w], [m.loss(w)])
        steps = np.arange(len(m.losses))
        # a loss of exactly 0 cannot sit on a log axis: floor it for display only
        shown = np.maximum(m.losses, 1e-16)
        self.curve.set_data(steps, shown)

        # axis limits move in coarse jumps, so most updates redraw only the
        # animated artists over the cached background
        # the highest the parabola gets on the grid, whatever the exact minimum
        top = _nice_ceil(((half + 0.5) * m.x) ** 2)
        n_max = int(_nice_ceil(max(20, steps[-1] + 1)))  # 20, 50, 100, 200, ...
        ceiling = 10 ** math.ceil(math.log10(m.divergence_threshold) + 1)
        limits = (w_star, half, top, n_max, ceiling)
        if limits != self._limits:
            self._limits = limits
            self.ax_loss.set_xlim(grid[0], grid[-1])
            self.ax_loss.set_ylim(-0.05 * top, 1.05 * top)
            self.ax_curve.set_xlim(-0.5, n_max + 0.5)
            # from float64's resolution up to the divergence cut-off
            self.ax_curve.set_ylim(1e-16, ceiling)
            self.ax_curve.yaxis.set_major_locator(
                FixedLocator(10.0 ** np.arange(-16, math.log10(ceiling) + 1, 4))
            )
            # axes seen before reuse their background: run / reset toggles
            # between a few sets of limits, and redrawing the axes is the cost
            self.show_frame(limits)

        # the verdict follows the regime, not only the cut-off: a diverging run is
        # marked as such from its first step
        colour = (BAD if m.diverged_at is not None or m.regime == "diverges"
                  else WARN if m.regime in ("oscillates forever", "stuck") else GOOD)
        self.status.value = status_html(m.message, colour)
        self.render()
