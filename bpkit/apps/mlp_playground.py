"""Lesson 03 app: an MLP playground on spirals.

Choose the hidden width, the depth, the activation and the learning rate; the
network retrains from scratch on three spiral arms, and the decision boundary
and the loss curve update as it learns.

`PlaygroundModel` is pure numpy (bpkit layers, losses and optim);
`MLPPlayground` is the view that owns the widgets and the figure.
`LiveTraining` draws the same two panels for a training loop written by hand.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FixedLocator, NullLocator

from ..data import make_spirals, train_test_split
from ..layers import ACTIVATIONS, mlp
from ..losses import softmax, softmax_cross_entropy
from ..optim import SGD
from ..viz.boundary import grid
from ..viz.classification import CLASS_COLORS, probability_image
from .base import AppView

__all__ = ["PlaygroundModel", "MLPPlayground", "LiveTraining"]

# a loss this large means the run has left the useful range: call it diverged
_DIVERGED_LOSS = 1e4


class PlaygroundModel:
    """Full-batch SGD with momentum 0.9 on 3-class spirals, from a fixed seed.

    The data (300 training and 300 test points) depends only on `seed`, and the
    initial weights on `seed` and the architecture, so the same settings give
    the same run every time.
    """

    def __init__(
        self,
        width: int = 16,
        depth: int = 2,
        activation: str = "relu",
        lr: float = 0.1,
        steps: int = 500,
        n_points: int = 600,
        classes: int = 3,
        noise: float = 0.2,
        seed: int = 0,
        grid_steps: int = 60,
    ) -> None:
        X, y = make_spirals(n_points, np.random.default_rng(seed), classes, noise)
        self.X, self.X_test, self.y, self.y_test = train_test_split(
            X, y, np.random.default_rng(seed), test_fraction=0.5, stratify=True)
        self.classes, self.seed = classes, seed
        self.xx, self.yy, self.grid_points = grid(X, grid_steps, pad=0.3)
        self.width, self.depth, self.activation, self.lr, self.steps = (
            width, depth, activation, lr, steps)
        self.set()

    def set(self, **settings) -> None:
        """Change any of width, depth, activation, lr, steps, and start again."""
        unknown = set(settings) - {"width", "depth", "activation", "lr", "steps"}
        if unknown:
            raise TypeError(f"unknown setting(s) {sorted(unknown)}")
        names = ("width", "depth", "activation", "lr", "steps")
        new = {k: getattr(self, k) for k in names}
        new.update(settings)
        limits = (("width", 1, 1024), ("depth", 1, 16), ("steps", 1, 100_000))
        for name, lo, hi in limits:
            v = new[name]
            if isinstance(v, bool) or int(v) != v or not lo <= v <= hi:
                raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {v!r}")
            new[name] = int(v)
        if new["activation"] not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {new['activation']!r}; "
                f"choose one of {list(ACTIVATIONS)}"
            )
        if not (math.isfinite(new["lr"]) and new["lr"] > 0):
            raise ValueError(f"lr must be a positive number, got {new['lr']!r}")
        for k, v in new.items():
            setattr(self, k, v)
        self.reset()

    def reset(self) -> None:
        """Fresh weights (from the seed), no steps taken."""
        sizes = [2] + [self.width] * self.depth + [self.classes]
        self.net = mlp(sizes, np.random.default_rng(self.seed + 1), self.activation)
        self.opt = SGD(self.net.parameters(), lr=self.lr, momentum=0.9)
        self.losses: list[float] = []
        self.diverged_at: int | None = None

    @property
    def steps_done(self) -> int:
        return len(self.losses)

    def step(self, k: int = 1) -> None:
        """k full-batch steps (none once diverged)."""
        for _ in range(k):
            if self.diverged_at is not None:
                return
            with np.errstate(all="ignore"):  # divergence is reported, not warned
                logits = self.net(self.X)
                if not np.isfinite(logits).all():
                    self.diverged_at = self.steps_done + 1
                    return
                loss, dlogits = softmax_cross_entropy(logits, self.y)
                if loss > _DIVERGED_LOSS:
                    self.diverged_at = self.steps_done + 1
                    return
                self.opt.zero_grad()
                self.net.backward(dlogits, input_grad=False)
                self.opt.step()
            self.losses.append(loss)

    def train(self) -> None:
        """Reset, then take `steps` steps."""
        self.reset()
        self.step(self.steps)

    def predict_proba(self, points: np.ndarray) -> np.ndarray:
        """(M, 2) points -> (M, C) class probabilities."""
        with np.errstate(all="ignore"):
            return softmax(self.net(points))

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float((self.predict_proba(X).argmax(axis=1) == y).mean())

    @property
    def train_accuracy(self) -> float:
        return self.accuracy(self.X, self.y)

    @property
    def test_accuracy(self) -> float:
        return self.accuracy(self.X_test, self.y_test)

    def boundary_image(self) -> np.ndarray:
        """The plane coloured by predicted class, pale where unsure.

        Returns: (rows, cols, 3) uint8 pixels.
        """
        probs = self.predict_proba(self.grid_points)
        if not np.isfinite(probs).all():  # a diverged net: show a grey plane
            return np.full(self.xx.shape + (3,), 217, dtype=np.uint8)
        # uint8 pixels: matplotlib resamples them faster than floats
        return (255 * probability_image(probs, self.xx.shape)).astype(np.uint8)

    @property
    def message(self) -> str:
        head = (f"{self.depth} x {self.width} {self.activation}, lr {self.lr:.3g}: "
                f"step {self.steps_done}")
        if self.diverged_at is not None:
            return (f"{head}, diverged at step {self.diverged_at}: "
                    "lower the learning rate")
        if not self.losses:
            return f"{head}, untrained"
        text = (f"{head}, loss {self.losses[-1]:.3f}, train accuracy "
                f"{100 * self.train_accuracy:.1f} %, test accuracy "
                f"{100 * self.test_accuracy:.1f} %")
        chance = math.log(self.classes)  # the loss of predicting 1/C everywhere
        if self.losses[-1] > chance + 0.01:
            text += (f" (worse than guessing, log {self.classes}: "
                     "lower the learning rate)")
        elif abs(self.losses[-1] - chance) <= 0.01 and self.steps_done >= 100:
            text += (f" (stuck at chance, log {self.classes}: units may have died; "
                     "lower the learning rate or change the activation)")
        return text


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
        colour = "#b00020" if m.diverged_at is not None else "#1b5e20"
        self.status.value = f"<b style='color:{colour}'>{m.message}</b>"
        xmax = max(m.steps, 500 * math.ceil(m.steps_done / 500), 1)
        self._show(m.boundary_image(), m.losses, xmax)
        self.timing["redraw_ms"] = 1e3 * (time.perf_counter() - t0)
