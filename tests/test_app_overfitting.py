"""Lesson 08 app: the overfitting explorer's model and its view, driven headlessly."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bpkit.apps.overfitting import L2S, SIZES, WIDTHS, OverfittingApp
from bpkit.practice import Dropout, OverfitModel


def test_controls_reach_the_model_and_restart_from_the_same_seed():
    app = OverfittingApp()
    app.width_slider.value = 32
    app.size_slider.value = 50
    app.dropout_slider.value = 0.3
    app.l2_slider.value = 1e-3
    m = app.model
    assert (m.width, m.n_train, m.p, m.l2) == (32, 50, 0.3, 1e-3)
    assert len(m.data[0]) == 50 and m.run.net[0].out_features == 32
    assert any(isinstance(layer, Dropout) and layer.p == 0.3 for layer in m.run.net)
    assert m.run.epochs == 0
    app.step_button.click()
    first = list(m.run.history.val_loss)
    app.reset_button.click()
    app.step_button.click()
    assert m.run.history.val_loss == first
    app.close()


def test_playing_trains_and_draws_the_curves_and_the_status():
    app = OverfittingApp()
    for _ in range(4):
        app.play.value += 1
    h = app.model.run.history
    assert app.model.run.epochs == len(h.train_loss) - 1 >= 4
    x, y = app.val_line.get_data()
    np.testing.assert_array_equal(y, np.clip(h.val_loss, 1e-4, 5.0))
    assert f"epoch {app.model.run.epochs}:" in app.status.value
    app.play.value = 0  # stop: back to epoch 0
    assert app.model.run.epochs == 0
    assert not app.errors.outputs
    app.close()


def test_early_stopping_in_the_app_stops_draws_the_line_and_says_restored():
    app = OverfittingApp(OverfitModel(early_stopping=True, epochs_per_frame=50),
                         frame_ms=10_000)
    while not app.model.finished:
        app.step_button.click()
    run = app.model.run
    assert run.done and app.stop_line.get_visible()
    assert app.stop_line.get_xdata()[0] == run.stopped_at
    assert "restored" in app.status.value and f"epoch {run.best_epoch}" in app.status.value
    assert app.step_button.click() is None and app.model.run.epochs == run.epochs
    app.close()


@pytest.mark.parametrize("width,n", [(WIDTHS[-1], SIZES[-1]), (WIDTHS[0], SIZES[0])])
def test_a_frame_at_the_largest_settings_stays_within_its_budget(width, n):
    app = OverfittingApp(OverfitModel(width=width, n_train=n), frame_ms=35)
    app.step_button.click()
    t0 = time.perf_counter()
    app.step_button.click()
    assert app.timing["epochs"] >= 1
    assert time.perf_counter() - t0 < 1.0  # generous: a loaded machine
    app.close()


def test_settings_outside_the_slider_options_are_shown_and_bad_ones_refused():
    app = OverfittingApp(OverfitModel(width=100, n_train=60, l2=L2S[2]))
    assert app.width_slider.value == 100 and app.size_slider.value == 60
    app.close()
    with pytest.raises(ValueError, match="frame_ms"):
        OverfittingApp(frame_ms=0)
    with pytest.raises(ValueError, match="width"):
        OverfitModel(width=0)


def test_at_max_epochs_the_status_says_the_run_is_over_and_play_stops():
    app = OverfittingApp(OverfitModel(max_epochs=6, epochs_per_frame=2), frame_ms=10_000)
    app.play.playing = True
    for _ in range(5):
        app.play.value += 1
    assert app.model.run.epochs == 6 and app.model.finished
    assert not app.play.playing
    assert "run is over" in app.status.value and "6 epochs" in app.status.value
    assert "press reset" in app.status.value
    app.close()


def test_the_training_loss_is_drawn_down_to_1e_4_and_a_clip_is_said():
    app = OverfittingApp(OverfitModel(width=128, n_train=800, epochs_per_frame=300),
                         frame_ms=100_000)
    app.step_button.click()
    h = app.model.run.history
    assert min(h.train_loss) < 1e-3  # 0.0006 at epoch 300: no flat floor at 1e-3
    _, y = app.train_line.get_data()
    np.testing.assert_allclose(y, np.clip(h.train_loss, 1e-4, 5.0))
    assert app.ax_loss.get_ylim()[0] == 1e-4
    assert "below" not in app.status.value
    app.model.run.history.train_loss[-1] = 1e-6  # a loss under the floor is said
    app.redraw()
    assert "training loss below 1e-4" in app.status.value
    app.close()
