"""Lesson 03 app: the spirals model, and the view driven headlessly."""

from __future__ import annotations

import math

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


def test_a_huge_learning_rate_is_reported_not_warned():
    m = small_model(lr=3.0, steps=300, activation="tanh")
    m.train()  # RuntimeWarnings are errors in this suite
    assert np.isfinite(m.losses).all()
    assert m.losses[-1] > math.log(3) + 0.01
    assert "worse than guessing, log 3: lower the learning rate" in m.message


def test_a_network_whose_relus_died_is_reported_as_stuck_at_chance():
    m = PlaygroundModel(width=2, depth=2, activation="relu", steps=500)
    m.train()
    assert abs(m.losses[-1] - math.log(3)) < 1e-6
    assert "stuck at chance, log 3: units may have died" in m.message


def test_a_diverged_run_stops_and_says_so():
    m = small_model(lr=1e6, steps=50, activation="tanh")
    m.train()
    assert m.diverged_at is not None and m.steps_done == m.diverged_at - 1
    assert f"diverged at step {m.diverged_at}: lower the learning rate" in m.message
    m.step(10)
    assert m.steps_done == m.diverged_at - 1  # stays stopped


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
@pytest.fixture
def view():
    return MLPPlayground(small_model(), redraw_every=100)


def test_view_starts_trained_and_draws_the_loss_curve(view):
    m = view.model
    assert m.steps_done == 200
    xs, ys = view.loss_line.get_data()
    np.testing.assert_array_equal(xs, np.arange(1, 201))
    np.testing.assert_allclose(ys, np.clip(m.losses, 1e-3, 10))
    np.testing.assert_array_equal(view.boundary.get_array(), boundary_image(m))
    assert view.image.value[:4] == b"\x89PNG"
    assert "step 200" in view.status.value


def test_moving_a_slider_retrains_with_the_new_architecture(view):
    before = view.boundary.get_array().copy()
    view.width_slider.value = 6
    view.depth_slider.value = 1
    m = view.model
    assert m.width == 6 and m.depth == 1 and m.steps_done == 200
    assert [l.out_features for l in m.net if isinstance(l, Linear)] == [6, 3]
    assert not np.array_equal(view.boundary.get_array(), before)
    assert "1 x 6 relu" in view.status.value
    assert view.errors.outputs == ()


def test_activation_and_lr_controls_reach_the_model(view):
    view.activation_dropdown.value = "sigmoid"
    view.lr_slider.value = 0.02
    assert view.model.activation == "sigmoid"
    assert view.model.opt.lr == pytest.approx(0.02, rel=1e-6)
    assert "sigmoid, lr 0.02" in view.status.value


def test_train_more_extends_the_curve_and_retrain_starts_over(view):
    view.more_button.click()
    assert view.model.steps_done == 400
    assert len(view.loss_line.get_data()[0]) == 400
    first = view.model.losses[:200]
    view.retrain_button.click()
    assert view.model.steps_done == 200 and view.model.losses == first


def test_the_steps_slider_sets_the_training_length(view):
    view.steps_slider.value = 300
    assert view.model.steps_done == 300


def test_a_diverging_setting_shows_a_message_not_a_traceback(view):
    view.lr_slider.value = 3.0
    assert "lower the learning rate" in view.status.value
    assert view.errors.outputs == ()


def test_timings_are_recorded_for_the_benchmark_report(view):
    view.redraw()
    assert view.timing["redraw_ms"] > 0 and view.timing["train_ms_per_step"] > 0


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
