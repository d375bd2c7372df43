"""Lesson 03 app: the spirals model, and the view driven headlessly."""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest

from bpkit.apps.mlp_playground import MLPPlayground
from bpkit.layers import Linear, Tanh
from bpkit.metrics import confusion_matrix
from bpkit.mlp_playground import PlaygroundModel
from bpkit.viz.classification import CLASS_COLORS, boundary_image, probability_image


def small_model(**kw) -> PlaygroundModel:
    kw.setdefault("steps", 200)
    return PlaygroundModel(n_points=300, grid_steps=30, **kw)


# ------------------------------------------------------------------ model
def test_training_fits_the_spirals_and_generalises():
    m = PlaygroundModel(steps=500)
    m.train()
    assert m.steps_done == 500
    assert m.losses[-1] < 0.1 < math.log(3) < m.losses[0]
    assert m.train_accuracy > 0.97 and m.test_accuracy > 0.93


def test_same_settings_same_run():
    a, b = small_model(), small_model()
    a.train()
    b.train()
    assert a.losses == b.losses


def test_settings_rebuild_the_network_with_the_chosen_shape():
    m = small_model()
    m.step(5)
    m.set(width=8, depth=3, activation="tanh", lr=0.05)
    linears = [layer for layer in m.net if isinstance(layer, Linear)]
    assert [(l.in_features, l.out_features) for l in linears] == [
        (2, 8), (8, 8), (8, 8), (8, 3)]
    assert sum(isinstance(layer, Tanh) for layer in m.net) == 3
    assert m.opt.lr == 0.05 and m.steps_done == 0


@pytest.mark.parametrize("kwargs, match", [
    (dict(width=0), r"width must be an integer in \[1, 1024\], got 0"),
    (dict(depth=2.5), "depth must be an integer"),
    (dict(activation="swish"), "unknown activation 'swish'"),
    (dict(lr=-0.1), "lr must be a positive number"),
])
def test_bad_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        small_model().set(**kwargs)


def test_unknown_setting_is_a_type_error():
    with pytest.raises(TypeError, match="unknown setting"):
        small_model().set(momentum=0.5)


def test_a_new_learning_rate_carries_the_run_on_from_where_it_is():
    m, ref = small_model(), small_model()
    m.step(20)
    m.set(lr=0.02)
    assert m.steps_done == 20 and m.opt.lr == 0.02  # no restart
    m.step(20)
    ref.step(20)  # the same run, the rate changed by hand between the halves
    ref.opt.lr = 0.02
    ref.step(20)
    assert m.losses == ref.losses


def test_speed_and_length_settings_keep_the_run():
    m = small_model()
    m.step(7)
    m.set(steps=300, steps_per_frame=3)
    assert m.steps_done == 7 and m.steps == 300 and m.steps_per_frame == 3


def test_a_new_activation_starts_again_from_the_same_seed():
    m = small_model()
    m.step(20)
    m.set(activation="tanh")
    assert m.steps_done == 0
    m.step(20)
    fresh = small_model(activation="tanh")
    fresh.step(20)
    assert m.losses == fresh.losses


def test_frames_take_steps_per_frame_steps_and_the_loss_falls_across_them():
    m = small_model(steps_per_frame=15)
    ends = []
    for _ in range(3):
        assert m.frame() == 15
        ends.append(m.losses[-1])
    assert m.steps_done == 45
    assert ends[0] > ends[1] > ends[2]


def test_a_spent_time_budget_still_takes_one_step():
    m = small_model(steps_per_frame=50)
    assert m.frame(budget=0.0) == 1
    assert m.step(50, budget=10.0) == 50  # a roomy budget cuts nothing
    assert m.steps_done == 51


@pytest.mark.parametrize("budget, match", [
    (-1.0, "budget must be"), (float("nan"), "budget must be"),
])
def test_a_bad_time_budget_is_named(budget, match):
    with pytest.raises(ValueError, match=match):
        small_model().step(3, budget=budget)


def test_no_verdict_before_step_100_while_every_run_starts_near_chance():
    m = small_model(activation="relu")
    m.step(1)
    assert m.losses[0] > math.log(3) + 0.01  # above chance at the first step...
    assert m.verdict is None  # ...which is where runs start, not a fault
    assert "worse than guessing" not in m.message


def test_a_slow_sigmoid_start_near_chance_is_not_called_stuck():
    m = PlaygroundModel(width=64, depth=4, activation="sigmoid")
    m.step(300)
    assert abs(m.losses[-1] - math.log(3)) < 0.01  # on the plateau...
    assert not m.constant_output  # ...but its outputs still differ by point
    assert m.verdict is None and "stuck" not in m.message


def test_a_huge_learning_rate_is_reported_not_warned():
    m = small_model(lr=3.0, steps=300, activation="tanh")
    m.train()  # RuntimeWarnings are errors in this suite
    assert np.isfinite(m.losses).all()
    assert m.losses[-1] > math.log(3) + 0.01
    assert "worse than guessing, log 3: lower the learning rate" in m.message


def test_a_network_whose_relus_died_is_reported_as_stuck_at_chance():
    m = PlaygroundModel(width=2, depth=2, activation="relu", steps=500)
    m.train()
    assert abs(m.losses[-1] - math.log(3)) < 1e-6 and m.constant_output
    assert m.verdict == "stuck at chance"
    assert "stuck at chance, log 3: units may have died" in m.message


def test_a_diverged_run_stops_and_says_so():
    m = small_model(lr=1e6, steps=50, activation="tanh")
    m.train()
    assert m.diverged_at is not None and m.steps_done == m.diverged_at - 1
    assert f"diverged at step {m.diverged_at}: lower the learning rate" in m.message
    assert m.step(10) == 0 and m.frame() == 0
    assert m.steps_done == m.diverged_at - 1  # stays stopped
    m.set(lr=0.05)  # a new rate cannot rescue a diverged net: start again
    assert m.diverged_at is None and m.steps_done == 0 and m.opt.lr == 0.05


def test_boundary_image_colours_each_region_by_its_predicted_class():
    m = small_model(steps=300)
    m.train()
    img = boundary_image(m)
    assert img.shape == m.xx.shape + (3,) and img.dtype == np.uint8
    probs = m.predict_proba(m.grid_points)
    expected = (255 * probability_image(probs, m.xx.shape)).astype(np.uint8)
    np.testing.assert_array_equal(img, expected)


# --------------------------------------------------------------- viz bits
def test_probability_image_tints_towards_the_class_colour_with_confidence():
    from matplotlib.colors import to_rgb

    probs = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.0, 0.0, 1.0]])
    img = probability_image(probs, (1, 3))[0]
    blue, green = np.array(to_rgb(CLASS_COLORS[0])), np.array(to_rgb(CLASS_COLORS[2]))
    # sure: 52 % of the way from white to the colour; unsure: 12 %
    np.testing.assert_allclose(img[0], 0.48 + 0.52 * blue)
    np.testing.assert_allclose(img[2], 0.48 + 0.52 * green)
    assert img[1].min() > img[0].min()  # paler where unsure


def test_confusion_matrix_counts_true_against_predicted():
    cm = confusion_matrix(np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 2, 0]), 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 1]])
    with pytest.raises(ValueError, match="expected \\(N,\\) both"):
        confusion_matrix(np.zeros(3, int), np.zeros(2, int), 3)


# ------------------------------------------------------------------- view
def playground(**kw) -> MLPPlayground:
    """A small app whose frames are cut by nothing but steps_per_frame."""
    kw.setdefault("frame_ms", 1e4)
    kw.setdefault("grid_steps", 30)
    return MLPPlayground(small_model(), **kw)


@pytest.fixture
def view():
    app = playground()
    yield app
    app.close()


def _tick_while_playing(app: MLPPlayground) -> None:
    """A tick of a playing clock that came an interval after the last frame."""
    app.play.playing = True
    app._idle_since = -math.inf  # the kernel has idled since: the tick is in time
    app.play.value += 1


def _loss_in(status: str) -> float:
    return float(re.search(r"loss (\d+\.\d+)", status).group(1))


def test_view_starts_untrained_and_paused_and_says_how_to_start(view):
    m = view.model
    assert m.steps_done == 0 and not view.play.playing
    assert "step 0, untrained (press \u25b6 to train)" in view.status.value
    assert view.loss_line.get_data()[0].size == 0
    np.testing.assert_array_equal(view.boundary.get_array(), view.boundary_pixels(30))
    assert view.image.value[:4] == b"\x89PNG"


def test_the_boundary_on_the_models_grid_is_boundary_image():
    app = MLPPlayground(small_model(), grid_steps=30)  # small_model's grid is 30
    app.step_button.click()
    np.testing.assert_array_equal(app.boundary.get_array(), boundary_image(app.model))


def test_three_ticks_of_the_play_clock_train_three_frames_and_the_loss_falls(view):
    m, losses, pictures = view.model, [], []
    for frame in range(1, 4):
        view.play.value += 1  # what the browser's Play widget sends, once a tick
        assert m.steps_done == 10 * frame
        assert f"step {10 * frame}, loss" in view.status.value
        losses.append(_loss_in(view.status.value))
        pictures.append(view.image.value)
        xs, ys = view.loss_line.get_data()
        np.testing.assert_array_equal(xs, np.arange(1, 10 * frame + 1))
        np.testing.assert_allclose(ys, np.clip(m.losses, 1e-3, 10))
        np.testing.assert_array_equal(view.boundary.get_array(),
                                      view.boundary_pixels(30))
    assert losses[0] > losses[1] > losses[2]
    assert len(set(pictures)) == 3  # a new picture every frame
    assert view.errors.outputs == ()


def test_the_step_button_trains_one_frame_of_steps_per_frame_steps(view):
    view.speed_slider.value = 4
    view.step_button.click()
    view.step_button.click()
    assert view.model.steps_done == 8 and view.timing["frame_steps"] == 4


def test_a_learning_rate_changed_during_play_applies_at_the_next_frame(view):
    _tick_while_playing(view)
    _tick_while_playing(view)
    view.lr_slider.value = 0.02
    m = view.model
    assert m.steps_done == 20 and m.opt.lr == pytest.approx(0.02)  # no restart
    assert "lr 0.02: step 20" in view.status.value
    _tick_while_playing(view)
    ref = small_model()  # the same run by hand: 20 steps at 0.1, then 10 at 0.02
    ref.step(20)
    ref.set(lr=view.lr_slider.value)
    ref.step(10)
    assert m.losses == ref.losses


def test_a_width_changed_during_play_restarts_from_the_seed_and_plays_on(view):
    _tick_while_playing(view)
    _tick_while_playing(view)
    view.width_slider.value = 6
    m = view.model
    assert m.steps_done == 0 and "2 x 6 relu" in view.status.value
    assert [l.out_features for l in m.net if isinstance(l, Linear)] == [6, 6, 3]
    _tick_while_playing(view)
    assert m.steps_done == 10 and view.play.playing
    fresh = small_model(width=6)
    fresh.step(10)
    assert m.losses == fresh.losses


def test_a_tick_that_queued_behind_the_last_frame_is_dropped(view):
    view.play.interval = 1000  # a tick is late if it comes < 200 ms after a frame
    view.play.playing = True
    view.play.value += 1
    assert view.model.steps_done == 10
    view.play.value += 1  # at once: it waited in the queue, the kernel is behind
    assert view.model.steps_done == 10 and view.timing["dropped_ticks"] == 1
    time.sleep(0.25e-3 * view.play.interval)  # the kernel idled a while: in time
    view.play.value += 1
    assert view.model.steps_done == 20


def test_stop_and_reset_both_go_back_to_step_0(view):
    view.play.value += 1
    view.reset_button.click()
    assert view.model.steps_done == 0 and "step 0, untrained" in view.status.value
    view.play.value += 1
    view.play.value = 0  # Play's stop button: pause and rewind the clock
    assert view.model.steps_done == 0
    assert view.loss_line.get_data()[0].size == 0


def test_the_step_axis_grows_in_doublings_and_long_curves_are_thinned(view):
    m = view.model
    m.step(1200)
    view.redraw()
    assert view.ax_loss.get_xlim() == (0, 2000)
    xs, ys = view.loss_line.get_data()
    assert len(xs) <= 1500 and xs[-1] == 1200  # the newest step is always drawn
    np.testing.assert_allclose(ys, np.clip(np.asarray(m.losses)[xs - 1], 1e-3, 10))
    view.reset_button.click()
    assert view.ax_loss.get_xlim() == (0, 500)
    fast = view.image.value  # drawn over the background kept for 0-500
    view.invalidate()
    view.render()
    assert view.image.value == fast  # the same as drawing everything again


def test_a_diverging_setting_shows_a_message_not_a_traceback():
    app = playground(grid_steps=None)
    app.width_slider.value = 64
    app.depth_slider.value = 4
    app.lr_slider.value = 10 ** app.lr_slider.max  # a log slider's max is an exponent
    for _ in range(3):
        app.step_button.click()
    assert "diverged at step" in app.status.value and "error-color0" in app.status.value
    shown = app.image.value
    assert app.frame() == 0 and app.image.value == shown  # nothing new to draw
    app.lr_slider.value = 0.1  # a diverged net starts again at a new rate
    assert app.model.steps_done == 0 and "diverged" not in app.status.value
    assert app.errors.outputs == ()


def test_a_run_that_diverges_at_the_first_step_of_a_frame_says_so_at_once():
    app = MLPPlayground(small_model(lr=1e6, activation="tanh", steps_per_frame=1),
                        frame_ms=1e4, grid_steps=30)
    for _ in range(50):
        app.step_button.click()
        if app.model.diverged_at is not None:
            break
    assert app.timing["frame_steps"] == 0  # its one step found the loss blown up
    assert f"diverged at step {app.model.diverged_at}" in app.status.value


def test_the_press_play_hint_shows_only_while_paused(view):
    assert "press \u25b6 to train" in view.status.value
    view.play.playing = True
    view.reset_button.click()
    assert "step 0, untrained" in view.status.value
    assert "press" not in view.status.value


def test_stuck_at_chance_is_a_warning_in_the_status(view):
    view.width_slider.value = 2  # small_model(): relu, whose units die at width 2
    view.speed_slider.value = 50
    for _ in range(3):
        view.step_button.click()
    assert "stuck at chance" in view.status.value
    assert "warn-color0" in view.status.value


@pytest.mark.parametrize("end", ["min", "max"])
def test_every_control_works_at_both_ends_of_its_range(end):
    app = playground(grid_steps=None)
    sliders = (app.width_slider, app.depth_slider, app.lr_slider, app.speed_slider)
    for s in sliders:
        value = getattr(s, end)
        s.value = s.base ** value if s is app.lr_slider else value  # log: exponents
        app.step_button.click()
    for option in app.activation_dropdown.options:
        app.activation_dropdown.value = option
        app.play.value += 1
        assert app.errors.outputs == (), option
        assert f"{app.model.activation}, lr" in app.status.value
    m = app.model
    if end == "min":
        assert (m.width, m.depth, m.steps_per_frame) == (2, 1, 1)
        assert m.lr == pytest.approx(1e-3)
    else:
        assert (m.width, m.depth, m.steps_per_frame) == (64, 4, 50)
        assert m.lr == pytest.approx(10**0.5)
    assert app.timing["grid"] in (60, 48, 40, 32, 24)


def test_an_error_in_a_frame_is_shown_in_the_app_not_raised(view, monkeypatch):
    def broken(budget=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(view.model, "frame", broken)
    view.play.value += 1  # no exception reaches the caller
    assert "RuntimeError: boom" in view.errors.outputs[0]["text"]
    monkeypatch.undo()
    view.play.value += 1
    assert view.errors.outputs == ()  # it works again: the panel empties


def test_a_coarser_boundary_is_drawn_for_a_costlier_network():
    app = playground(grid_steps=None, boundary_ms=10.0)
    app._unit_cost = 1e-9  # seconds per grid point per multiply-add
    small = app.grid_size()
    app.width_slider.value = 64
    app.depth_slider.value = 4
    app._unit_cost = 1e-9
    assert small == 60 and app.grid_size() < small
    app.step_button.click()
    g = app.timing["grid"]
    assert app.boundary.get_array().shape == (g, g, 3)


def test_timings_are_recorded_for_the_benchmark_report(view):
    view.step_button.click()
    for key in ("redraw_ms", "boundary_ms", "train_ms", "train_ms_per_step"):
        assert view.timing[key] > 0, key
    assert view.timing["frame_steps"] == 10 and view.timing["grid"] == 30


# ------------------------------------------------------------- LiveTraining
def test_live_training_redraws_every_few_steps_of_a_hand_written_loop():
    from bpkit.apps.mlp_playground import LiveTraining
    from bpkit.data import make_spirals
    from bpkit.layers import mlp
    from bpkit.losses import softmax, softmax_cross_entropy
    from bpkit.optim import SGD

    X, y = make_spirals(90, np.random.default_rng(0))
    net = mlp([2, 8, 3], np.random.default_rng(1))
    opt = SGD(net.parameters(), lr=0.1, momentum=0.9)
    live = LiveTraining(X, y, lambda pts: softmax(net(pts)), steps=60, every=20,
                        grid_steps=20)
    blank = live.boundary.get_array().copy()
    for _ in range(50):
        loss, d = softmax_cross_entropy(net(X), y)
        opt.zero_grad()
        net.backward(d)
        opt.step()
        live.log(loss)
    xs, ys = live.loss_line.get_data()
    assert len(live.losses) == 50 and len(xs) == 40  # last redraw at step 40
    np.testing.assert_allclose(ys, np.clip(live.losses[:40], 1e-3, 10))
    assert live.ax_loss.get_xlim() == (0, 60)
    assert not np.array_equal(live.boundary.get_array(), blank)
    assert "step 40" in live.status.value
    live.redraw()
    assert len(live.loss_line.get_data()[0]) == 50


def test_live_training_names_bad_data_shapes():
    from bpkit.apps.mlp_playground import LiveTraining

    with pytest.raises(ValueError, match=r"X has shape \(5, 3\) and y \(5,\)"):
        LiveTraining(np.zeros((5, 3)), np.zeros(5, int), lambda p: p)
