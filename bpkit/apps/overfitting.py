"""Lesson 08 app: the overfitting explorer, trained live.

Press play and a digits MLP trains while you watch, a few epochs per tick:
the training and validation loss against epoch (left) and the validation
accuracy (right). Hidden width, training-set size, dropout p, L2 strength and
early stopping each restart the run from the same seed, so two settings are
compared on the same data and the same initial weights.

The view only: the model is `bpkit.practice.OverfitModel`, its curves drawn
as in `bpkit.viz.practice`.
"""

from __future__ import annotations

import math
import time

import ipywidgets as widgets
import numpy as np

from .._validate import integer, number
from ..practice import OverfitModel
from ..viz.practice import TRAIN_STYLE, VAL_STYLE, setup_curve_axes
from .base import GOOD, WARN, AppView, status_html

__all__ = ["OverfittingApp"]

WIDTHS = (4, 8, 16, 32, 64, 128, 256)
SIZES = (25, 50, 100, 200, 400, 800)
L2S = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
LOSS_FLOOR = 1e-4  # the loss axis' bottom: 300 epochs at 800 digits reach ~6e-4


class OverfittingApp(AppView):
    """Train a digits MLP live: width, training-set size, dropout, L2, early stopping.

    Every tick of `self.play` trains up to `epochs per frame` epochs within
    `frame_ms`, then redraws. Headless: `app.step_button.click()` runs a frame.
    """

    def __init__(self, model: OverfitModel | None = None, interval: int = 100,
                 frame_ms: float = 30.0) -> None:
        interval = integer("interval", interval, 1)
        self.frame_ms = number("frame_ms", frame_ms, 0.0, lo_open=True)
        super().__init__(figsize=(9.0, 3.6))
        self.model = model or OverfitModel()
        m = self.model
        style = {"description_width": "110px"}
        common = dict(style=style, continuous_update=False)
        self.play = widgets.Play(value=0, min=0, max=10**9, interval=interval,
                                 show_repeat=False,
                                 tooltip="play / pause; stop: back to epoch 0")
        self.step_button = widgets.Button(description="one frame", icon="step-forward",
                                          tooltip="train a few epochs, then redraw")
        self.reset_button = widgets.Button(description="reset", icon="undo",
                                           tooltip="new weights from the same seed")
        self.width_slider = widgets.SelectionSlider(
            options=_near(WIDTHS, m.width), value=m.width, description="hidden width",
            **common)
        self.size_slider = widgets.SelectionSlider(
            options=_near(SIZES, m.n_train), value=m.n_train,
            description="training digits", **common)
        self.dropout_slider = widgets.FloatSlider(
            value=m.p, min=0.0, max=0.8, step=0.1, description="dropout p",
            readout_format=".1f", **common)
        self.l2_slider = widgets.SelectionSlider(
            options=[(f"{v:g}", v) for v in _near(L2S, m.l2)], value=m.l2,
            description="L2 strength", **common)
        self.stop_box = widgets.Checkbox(value=m.early_stopping,
                                         description="early stopping (patience 15)",
                                         indent=False)
        self.timing: dict[str, float] = {}
        for control in (self.width_slider, self.size_slider, self.dropout_slider,
                        self.l2_slider, self.stop_box):
            control.observe(self.handler(lambda _: self.apply_settings()), names="value")
        self.play.observe(self.handler(self._tick), names="value")
        self.step_button.on_click(self.handler(lambda _: self.frame()))
        self.reset_button.on_click(self.handler(lambda _: self.reset()))
        self._build_figure()
        self.widget = widgets.VBox([
            widgets.HBox([self.play, self.step_button, self.reset_button]),
            widgets.HBox([
                widgets.VBox([self.width_slider, self.size_slider, self.dropout_slider]),
                widgets.VBox([self.l2_slider, self.stop_box]),
            ]),
            self.status, self.image, self.errors,
        ])
        self.redraw()

    def _build_figure(self) -> None:
        self.ax_loss, self.ax_acc = self.fig.subplots(
            1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
        ax = self.ax_loss
        setup_curve_axes(ax, "loss: train (blue), validation (orange)", ymax=5.0,
                         ymin=LOSS_FLOOR)
        ax.set_xlim(0, self.model.max_epochs)
        (self.train_line,) = ax.plot([], [], **TRAIN_STYLE)
        (self.val_line,) = ax.plot([], [], **VAL_STYLE)
        (self.best_dot,) = ax.plot([], [], "o", color="tab:orange", ms=5)
        self.stop_line = ax.axvline(0, color="0.4", ls="--", lw=1)
        a2 = self.ax_acc
        a2.set_xlim(0, self.model.max_epochs)
        a2.set_ylim(0, 1.02)
        a2.set_xlabel("epoch")
        a2.set_ylabel("accuracy")
        a2.set_title("accuracy: train (blue), validation (orange)", fontsize=10)
        a2.grid(True, alpha=0.3)
        (self.train_acc_line,) = a2.plot([], [], **TRAIN_STYLE)
        (self.val_acc_line,) = a2.plot([], [], **VAL_STYLE)
        self.animate(self.train_line, self.val_line, self.best_dot, self.stop_line,
                     self.train_acc_line, self.val_acc_line)

    # -------------------------------------------------------------- handlers
    def apply_settings(self) -> None:
        """Send the controls to the model: a new run from the same seed."""
        self.model.set(width=self.width_slider.value, n_train=self.size_slider.value,
                       p=self.dropout_slider.value, l2=self.l2_slider.value,
                       early_stopping=self.stop_box.value)
        self.redraw()

    def reset(self) -> None:
        self.model.reset()
        self.redraw()

    def _tick(self, change: dict) -> None:
        if change["new"] == self.play.min:
            self.reset()
            return
        self.frame()
        if self.model.finished:
            self.play.playing = False  # nothing left to train: stop ticking
            self.redraw()

    def frame(self) -> int:
        """Train up to `epochs_per_frame` epochs within the frame's time; redraw."""
        m = self.model
        t0 = time.perf_counter()
        ran = 0
        while ran < m.epochs_per_frame and not m.finished:
            ran += m.step(1)
            if time.perf_counter() - t0 > 1e-3 * self.frame_ms:
                break
        self.timing["train_ms"] = 1e3 * (time.perf_counter() - t0)
        self.timing["epochs"] = ran
        if ran:
            self.redraw()
        return ran

    # -------------------------------------------------------------- drawing
    def redraw(self) -> None:
        m = self.model
        h, run = m.run.history, m.run
        epochs = np.arange(len(h.train_loss))
        self.train_line.set_data(epochs, np.clip(h.train_loss, LOSS_FLOOR, 5.0))
        self.val_line.set_data(epochs, np.clip(h.val_loss, LOSS_FLOOR, 5.0))
        best = run.best_epoch
        self.best_dot.set_data([best], [min(h.val_loss[best], 5.0)])
        self.stop_line.set_visible(run.done)
        if run.done:
            self.stop_line.set_xdata([run.stopped_at, run.stopped_at])
        self.train_acc_line.set_data(epochs, h.train_acc)
        self.val_acc_line.set_data(epochs, h.val_acc)
        waiting = run.epochs == 0 and not self.play.playing
        hint = " (press \u25b6 to train)" if waiting else ""
        if min(h.train_loss) < LOSS_FLOOR:
            hint += "; training loss below 1e-4, drawn at the plot's floor"
        if m.finished and not run.done:
            hint += (f". The run is over ({m.max_epochs} epochs, the limit): press "
                     "reset or change a setting")
        colour = WARN if run.epochs and h.val_loss[-1] > 1.5 * min(h.val_loss) else GOOD
        self.status.value = status_html(m.message + hint, colour)
        self.render()


def _near(options: tuple, value: float) -> list:
    """`options` with `value` added in order if it is not one of them."""
    if value in options:
        return list(options)
    return sorted(set(options) | {value})
