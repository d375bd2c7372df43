"""Lesson 03 app: an MLP playground on spirals, trained live.

Press play and the network trains while you watch, as in TensorFlow Playground:
each tick of the play clock (an ipywidgets `Play`, counted in the browser) runs
one frame, a few training steps and then the decision boundary, the loss curve
and the status redrawn. A frame is kept short, so the kernel stays free to
answer the controls between ticks. Width, depth and activation build a new
network from the same seed (and it goes on playing); the learning rate and the
speed change the run in place.

The view only: the model is `bpkit.mlp_playground.PlaygroundModel`, the
boundary picture `bpkit.viz.classification.probability_image`. `LiveTraining`
draws the same two panels for a training loop written by hand.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FixedLocator, NullLocator

from .._validate import integer, number
from ..data import grid
from ..layers import ACTIVATIONS
from ..mlp_playground import PlaygroundModel
from ..viz.classification import CLASS_COLORS, probability_image
from .base import BAD, GOOD, WARN, AppView, status_html

__all__ = ["MLPPlayground", "LiveTraining"]

# the loss curve is drawn from at most this many points: a long run stays cheap
_CURVE_POINTS = 1500
# boundary resolutions, finest first: a frame uses the finest that fits its budget
_GRIDS = (60, 48, 40, 32, 24)


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
        # one marker line per class: Agg stamps a cached marker, far faster than
        # a scatter's per-point paths, and the points are redrawn every frame
        self.points = [
            ax.plot(X[y == k, 0], X[y == k, 1], "o", ms=3.6, mfc=CLASS_COLORS[k],
                    mec="k", mew=0.3, ls="none")[0]
            for k in range(classes)
        ]
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
        # and the frame over both
        self.animate(self.boundary, *self.points, *ax.spines.values(), self.loss_line)
        self._xmax = None

    def _show(self, image: np.ndarray, losses: list[float], xmax: int) -> None:
        """Put a new boundary image and loss curve on screen."""
        self.boundary.set_data(image)
        n = len(losses)
        every = max(1, math.ceil(n / _CURVE_POINTS))  # thin a long curve, keep the end
        idx = np.arange(n - 1, -1, -every)[::-1]
        self.loss_line.set_data(idx + 1, np.clip(np.asarray(losses)[idx], 1e-3, 10))
        if xmax != self._xmax:  # coarse jumps, so the ticks stay put between them
            # one kept background per x range: going back to one (a reset after
            # a long run) costs no full redraw
            self._xmax = xmax
            self.ax_loss.set_xlim(0, xmax)
            self.show_frame(xmax)
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
    """Train an MLP on spirals live: play/pause, one frame, reset, and its settings.

    Every tick of `self.play` (ipywidgets' `Play`: the browser counts, the kernel
    runs a frame per count) trains `steps per frame` steps, fewer if they would
    take longer than the frame's budget, then redraws the boundary, the loss
    curve and the status. Play's stop button (which rewinds the count to 0) also
    resets. A tick that arrives while the kernel is still catching up is
    dropped, so a slow machine shows fewer frames but never falls behind.

    `frame_ms` bounds a frame's work: its training gets what the last redraw
    left of it (5 ms at least). `grid_steps` fixes the boundary's resolution;
    by default each frame picks the finest of 60, 48, 40, 32, 24 points a side
    that fits `boundary_ms`, so a wide deep network still draws in time.
    Headless: `app.step_button.click()` (or `app.play.value += 1`) runs a frame.
    """

    def __init__(
        self,
        model: PlaygroundModel | None = None,
        interval: int = 100,
        frame_ms: float = 40.0,
        boundary_ms: float = 10.0,
        grid_steps: int | None = None,
    ) -> None:
        interval = integer("interval", interval, 1)
        frame_ms = number("frame_ms", frame_ms, 0.0, lo_open=True)
        boundary_ms = number("boundary_ms", boundary_ms, 0.0, lo_open=True)
        if grid_steps is not None:
            grid_steps = integer("grid_steps", grid_steps, 2)
        super().__init__(figsize=(9.0, 4.0))
        self.model = model or PlaygroundModel()
        self.frame_ms, self.boundary_ms = frame_ms, boundary_ms
        self.fixed_grid = grid_steps
        m = self.model
        style = {"description_width": "100px"}
        common = dict(style=style, continuous_update=False)
        self.play = widgets.Play(
            value=0, min=0, max=10**9, interval=interval, show_repeat=False,
            tooltip="play / pause the training; stop: back to step 0")
        self.step_button = widgets.Button(
            description="one frame", icon="step-forward",
            tooltip="train one frame (steps per frame steps), then redraw")
        self.reset_button = widgets.Button(
            description="reset", icon="undo",
            tooltip="new weights from the same seed, step 0")
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
        self.speed_slider = widgets.IntSlider(
            value=m.steps_per_frame, min=1, max=50, description="steps / frame",
            **common)
        self.timing: dict[str, float] = {}

        for control in (self.width_slider, self.depth_slider, self.activation_dropdown,
                        self.lr_slider, self.speed_slider):
            control.observe(self.handler(lambda _: self.apply_settings()), names="value")
        self.play.observe(self.handler(self._tick), names="value")
        self.step_button.on_click(self.handler(lambda _: self.frame()))
        self.reset_button.on_click(self.handler(lambda _: self.reset()))

        extent = (m.xx.min(), m.xx.max(), m.yy.min(), m.yy.max())
        self._build_figure(m.X, m.y, extent, m.classes, m.xx.shape)
        self._grids: dict[int, np.ndarray] = {}  # grid points per resolution
        self._unit_cost = 1e-9  # seconds per grid point per unit of work, measured
        self._draw_ms = 20.0  # the last redraws' cost, so a frame can budget its steps
        self._idle_since = -math.inf  # when the last tick's frame ended
        self.widget = widgets.VBox([
            widgets.HBox([self.play, self.step_button, self.reset_button]),
            widgets.HBox([
                widgets.VBox([self.width_slider, self.depth_slider,
                              self.activation_dropdown]),
                widgets.VBox([self.lr_slider, self.speed_slider]),
            ]),
            self.status,
            self.image,
            self.errors,
        ])
        self.redraw()

    # -------------------------------------------------------------- handlers
    def apply_settings(self) -> None:
        """Send the controls to the model; it rebuilds only if the network changed."""
        self.model.set(
            width=self.width_slider.value, depth=self.depth_slider.value,
            activation=self.activation_dropdown.value, lr=self.lr_slider.value,
            steps_per_frame=self.speed_slider.value,
        )
        self.redraw()

    def reset(self) -> None:
        """New weights from the same seed, step 0; playing goes on if it was on."""
        self.model.reset()
        self.redraw()

    def _tick(self, change: dict) -> None:
        """The play clock counted: run a frame (or reset, if stop rewound it)."""
        if change["new"] == self.play.min:
            self.reset()
            return
        # a tick that waited in the kernel's queue behind the last frame: the
        # kernel is behind the clock, so drop it rather than pile frames up
        idle = time.perf_counter() - self._idle_since
        if self.play.playing and idle < 0.2e-3 * self.play.interval:
            self.timing["dropped_ticks"] = self.timing.get("dropped_ticks", 0) + 1
            return
        self.frame()
        self._idle_since = time.perf_counter()

    def frame(self) -> int:
        """Train one frame within the time budget and redraw; returns steps taken."""
        m = self.model
        # what the last redraw left of the frame's time, 5 ms at least
        budget = min(max(self.frame_ms - self._draw_ms, 5.0), self.frame_ms)
        was_diverged = m.diverged_at is not None
        t0 = time.perf_counter()
        taken = m.frame(budget=1e-3 * budget)
        self.timing["train_ms"] = 1e3 * (time.perf_counter() - t0)
        self.timing["frame_steps"] = taken
        if taken:
            self.timing["train_ms_per_step"] = self.timing["train_ms"] / taken
        if taken or not was_diverged:  # a dead run has nothing new to show
            self.redraw()
        return taken

    # -------------------------------------------------------------- drawing
    def _work_per_point(self) -> float:
        """The network's work for one grid point, in multiply-adds (roughly)."""
        m = self.model
        sizes = [2] + [m.width] * m.depth + [m.classes]
        weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
        elementwise = 4 if m.activation == "sigmoid" else 1  # exp costs more
        return weights + elementwise * m.width * m.depth + 30  # + softmax, colours

    def grid_size(self) -> int:
        """Points a side for the next boundary: the finest that fits `boundary_ms`."""
        if self.fixed_grid is not None:
            return self.fixed_grid
        per_point = self._unit_cost * self._work_per_point()
        for g in _GRIDS:
            if per_point * g * g <= 1e-3 * self.boundary_ms:
                return g
        return _GRIDS[-1]

    def boundary_pixels(self, g: int) -> np.ndarray:
        """(g, g, 3) uint8: the plane coloured by predicted class; grey if diverged."""
        m = self.model
        if g not in self._grids:  # the corners of the model's own grid, g a side
            xx, yy = np.meshgrid(np.linspace(m.xx.min(), m.xx.max(), g),
                                 np.linspace(m.yy.min(), m.yy.max(), g))
            self._grids[g] = np.column_stack([xx.ravel(), yy.ravel()])  # (g * g, 2)
        probs = m.predict_proba(self._grids[g])  # (g * g, C)
        if not np.isfinite(probs).all():
            return np.full((g, g, 3), 217, dtype=np.uint8)
        return (255 * probability_image(probs, (g, g))).astype(np.uint8)

    def redraw(self) -> None:
        t0 = time.perf_counter()
        m = self.model
        g = self.grid_size()
        image = self.boundary_pixels(g)
        t_boundary = time.perf_counter() - t0
        # learn the cost of a grid point, so the next frame picks a size that fits
        measured = t_boundary / (g * g * self._work_per_point())
        self._unit_cost = 0.5 * (self._unit_cost + measured)
        verdict = m.verdict
        colour = BAD if verdict == "diverged" else WARN if verdict else GOOD
        waiting = m.steps_done == 0 and not self.play.playing
        hint = " (press \u25b6 to train)" if waiting else ""
        self.status.value = status_html(m.message + hint, colour)
        done = max(m.steps_done, 1)
        xmax = 500 * 2 ** max(0, math.ceil(math.log2(done / 500)))  # 500, 1000, 2000...
        self._show(image, m.losses, xmax)
        self._draw_ms = 1e3 * (time.perf_counter() - t0)
        self.timing.update(redraw_ms=self._draw_ms, boundary_ms=1e3 * t_boundary,
                           grid=g)
