"""Lesson 03 app: an MLP playground on spirals.

Choose the hidden width, the depth, the activation and the learning rate; the
network retrains from scratch on three spiral arms, and the decision boundary
and the loss curve update as it learns.

The view only: the model is `bpkit.mlp_playground.PlaygroundModel`, the
boundary picture `bpkit.viz.classification.boundary_image`. `LiveTraining` draws
the same two panels for a training loop written by hand.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FixedLocator, NullLocator

from ..data import grid
from ..layers import ACTIVATIONS
from ..mlp_playground import PlaygroundModel
from ..viz.classification import CLASS_COLORS, boundary_image, probability_image
from .base import BAD, GOOD, AppView, status_html

__all__ = ["MLPPlayground", "LiveTraining"]


class _BoundaryAndLoss(AppView):
    """Two panels: the plane coloured by predicted class, and the loss against step."""

    def _build_figure(self, X: np.ndarray, y: np.ndarray, extent: tuple, classes: int,
                      grid_shape: tuple[int, int]) -> None:
        self.ax_boundary, self.ax_loss = self.fig.subplots(
            1, 2, gridspec_kw={"width_ratios": [1, 1.15]})
        ax = self.ax_boundary
        self.boundary = ax.imshow(
            np.full(grid_shape + (3,), 255, dtype=np.uint8), origin="lower",
            extent=extent, aspect="auto", interpolation="bilinear")
        colors = np.array(CLASS_COLORS)[y]
        self.points = ax.scatter(X[:, 0], X[:, 1], c=list(colors), s=12,
                                 edgecolors="k", linewidths=0.3)
        ax.set_xlim(extent[:2])
        ax.set_ylim(extent[2:])
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title("decision boundary (training points)")

        ax2 = self.ax_loss
        (self.loss_line,) = ax2.semilogy([], [], color="tab:blue", lw=1.5)
        ax2.set_xlabel("step")
        ax2.set_ylabel("training loss (log scale)")
        ax2.set_title("cross-entropy loss")
        ax2.grid(True, alpha=0.3)
        ax2.set_ylim(1e-3, 10)
        ax2.yaxis.set_major_locator(FixedLocator([1e-3, 1e-2, 1e-1, 1, 10]))
        ax2.yaxis.set_minor_locator(NullLocator())
        ax2.axhline(math.log(classes), color="0.6", ls=":", lw=1)
        ax2.text(0.99, math.log(classes) * 1.15, f"chance: log {classes}", ha="right",
                 fontsize=8, color="0.4", transform=ax2.get_yaxis_transform())
        # animated artists are drawn in this order, so the points go over the image
        self.animate(self.boundary, self.points, self.loss_line)
        self._xmax = None

    def _show(self, image: np.ndarray, losses: list[float], xmax: int) -> None:
        """Put a new boundary image and loss curve on screen."""
        self.boundary.set_data(image)
        self.loss_line.set_data(np.arange(1, len(losses) + 1), np.clip(losses, 1e-3, 10))
        if xmax != self._xmax:  # the x axis moves in coarse jumps only
            self._xmax = xmax
            self.ax_loss.set_xlim(0, xmax)
            self.invalidate()
        self.render()


class LiveTraining(_BoundaryAndLoss):
    """A live boundary and loss curve for a training loop you write yourself.

    >>> live = LiveTraining(X, y, lambda pts: softmax(net(pts)), steps=500)
    >>> display(live)
    >>> for step in range(500):
    ...     ...                       # forward, loss, backward, update
    ...     live.log(loss)            # redraws every `every` steps

    Inputs: X (N, 2) training points, y (N,) labels, `predict_proba` mapping
    (M, 2) points to (M, C) probabilities.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray,
                 predict_proba: Callable[[np.ndarray], np.ndarray],
                 steps: int = 500, every: int = 25, grid_steps: int = 60) -> None:
        super().__init__(figsize=(9.0, 4.0))
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),):
            raise ValueError(
                f"X has shape {X.shape} and y {y.shape}, expected (N, 2), (N,)"
            )
        self.predict_proba = predict_proba
        self.every, self.steps = int(every), int(steps)
        self.xx, self.yy, self.grid_points = grid(X, grid_steps, pad=0.3)
        self.classes = int(y.max()) + 1
        self.losses: list[float] = []
        extent = (self.xx.min(), self.xx.max(), self.yy.min(), self.yy.max())
        self._build_figure(X, y, extent, self.classes, self.xx.shape)
        self.widget = widgets.VBox([self.status, self.image, self.errors])
        self.redraw()

    def log(self, loss: float) -> None:
        """Record one step's loss; redraw every `every` steps."""
        self.losses.append(float(loss))
        if len(self.losses) % self.every == 0:
            self.redraw()

    def redraw(self) -> None:
        with np.errstate(all="ignore"):
            probs = self.predict_proba(self.grid_points)
        image = (255 * probability_image(probs, self.xx.shape)).astype(np.uint8)
        last = f", loss {self.losses[-1]:.4f}" if self.losses else ""
        self.status.value = f"<b>step {len(self.losses)}{last}</b>"
        self._show(image, self.losses, max(self.steps, len(self.losses)))


class MLPPlayground(_BoundaryAndLoss):
    """Width, depth, activation and lr controls; the boundary and loss curve, live.

    Changing a control retrains from scratch; the picture is redrawn every
    `redraw_every` steps while it trains.
    """

    def __init__(
        self, model: PlaygroundModel | None = None, redraw_every: int = 100
    ) -> None:
        super().__init__(figsize=(9.0, 4.0))
        self.model = model or PlaygroundModel()
        self.redraw_every = int(redraw_every)
        m = self.model
        style = {"description_width": "100px"}
        common = dict(style=style, continuous_update=False)
        self.width_slider = widgets.IntSlider(
            value=m.width, min=2, max=64, step=2, description="hidden width", **common)
        self.depth_slider = widgets.IntSlider(
            value=m.depth, min=1, max=4, description="hidden layers", **common)
        self.activation_dropdown = widgets.Dropdown(
            options=list(ACTIVATIONS), value=m.activation, description="activation",
            style=style)
        self.lr_slider = widgets.FloatLogSlider(
            value=m.lr, base=10, min=-3, max=0.5, step=0.05, description="learning rate",
            readout_format=".3f", **common)
        self.steps_slider = widgets.IntSlider(
            value=m.steps, min=100, max=3000, step=100, description="steps", **common)
        self.retrain_button = widgets.Button(description="retrain", icon="refresh")
        self.more_button = widgets.Button(description="train 200 more", icon="forward")
        self.timing: dict[str, float] = {}

        for control in (self.width_slider, self.depth_slider, self.activation_dropdown,
                        self.lr_slider, self.steps_slider):
            control.observe(self.handler(lambda _: self.apply_settings()), names="value")
        self.retrain_button.on_click(self.handler(lambda _: self.retrain()))
        self.more_button.on_click(self.handler(lambda _: self.train_more(200)))

        self._build_figure(m.X, m.y, (m.xx.min(), m.xx.max(), m.yy.min(), m.yy.max()),
                           m.classes, m.xx.shape)
        self.widget = widgets.VBox([
            widgets.HBox([
                widgets.VBox([self.width_slider, self.depth_slider,
                              self.activation_dropdown]),
                widgets.VBox([self.lr_slider, self.steps_slider,
                              widgets.HBox([self.retrain_button, self.more_button])]),
            ]),
            self.status,
            self.image,
            self.errors,
        ])
        self.retrain()

    # -------------------------------------------------------------- handlers
    def apply_settings(self) -> None:
        self.model.set(
            width=self.width_slider.value, depth=self.depth_slider.value,
            activation=self.activation_dropdown.value, lr=self.lr_slider.value,
            steps=self.steps_slider.value,
        )
        self.retrain(reset=False)

    def retrain(self, reset: bool = True) -> None:
        """Train from fresh weights for `model.steps` steps, redrawing as it goes."""
        if reset:
            self.model.reset()
        self.redraw()
        self.train_more(self.model.steps)

    def train_more(self, steps: int) -> None:
        m = self.model
        t_train = 0.0
        left = steps
        while left > 0 and m.diverged_at is None:
            k = min(self.redraw_every, left)
            t0 = time.perf_counter()
            m.step(k)
            t_train += time.perf_counter() - t0
            left -= k
            self.redraw()
        self.timing["train_ms"] = 1e3 * t_train
        self.timing["train_ms_per_step"] = 1e3 * t_train / max(steps, 1)

    def redraw(self) -> None:
        t0 = time.perf_counter()
        m = self.model
        colour = BAD if m.diverged_at is not None else GOOD
        self.status.value = status_html(m.message, colour)
        xmax = max(m.steps, 500 * math.ceil(m.steps_done / 500), 1)
        self._show(boundary_image(m), m.losses, xmax)
        self.timing["redraw_ms"] = 1e3 * (time.perf_counter() - t0)
