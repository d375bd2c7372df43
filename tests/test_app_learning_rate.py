"""Lesson 05 app: the model's regimes and the view driven headlessly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bpkit.apps.learning_rate import LearningRateApp
from bpkit.learning_rate import SURFACE_NAMES, LearningRateModel, classify_path, hessian
from bpkit.surfaces import Path, Rosenbrock


@pytest.mark.parametrize(
    "lr,regime",
    [(0.5, "converging"), (1.0, "converging"), (1.5, "oscillating"), (2.0, "neutral"),
     (2.2, "diverging")],
)
def test_regime_on_the_1d_quadratic_follows_one_and_two_over_l(lr, regime):
    m = LearningRateModel("quadratic 1-D", lr=lr, steps=30)
    assert m.regime == regime and m.critical_lr == pytest.approx(2.0)
    w = m.path.points[:, 0]
    if regime != "diverging":
        np.testing.assert_allclose(w[1:], (1 - lr) * w[:-1])
    else:
        assert np.all(np.abs(w[1:]) > np.abs(w[:-1]))


def test_empirical_regime_agrees_with_the_exact_one_on_quadratics():
    for lr in (0.5, 1.5, 2.5):
        m = LearningRateModel("quadratic 2-D", lr=lr, condition=1, steps=50)
        assert classify_path(m.path) == m.regime


def test_condition_number_slows_the_flat_direction():
    gaps = [LearningRateModel("quadratic 2-D", lr=1.0, condition=c, steps=50).path.losses[-1]
            for c in (1, 10, 100)]
    assert gaps[0] < 1e-20 < gaps[1] < gaps[2]


def test_divergence_stops_quietly_with_a_message():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = LearningRateModel("Himmelblau", lr=0.1, steps=300)
    assert m.path.diverged and m.regime == "diverging"
    assert f"diverged at step {m.path.diverged_at}" in m.message


def test_hessian_by_differences_matches_rosenbrock_at_its_minimum():
    H = hessian(Rosenbrock(), np.array([1.0, 1.0]))
    np.testing.assert_allclose(H, [[802, -400], [-400, 200]], rtol=1e-6)


def test_critical_lr_on_rosenbrock_comes_from_the_hessian_at_the_minimum():
    m = LearningRateModel("Rosenbrock", lr=1e-3, steps=5)
    top = np.linalg.eigvalsh([[802, -400], [-400, 200]])[-1]
    assert m.critical_lr == pytest.approx(2 / top, rel=1e-5)


def test_classify_path_sees_oscillation():
    pts = np.array([[1.0], [-0.8], [0.6], [-0.4], [0.2]])
    assert classify_path(Path(pts, 0.5 * pts[:, 0] ** 2)) == "oscillating"
    mono = np.array([[1.0], [0.8], [0.6]])
    assert classify_path(Path(mono, 0.5 * mono[:, 0] ** 2)) == "converging"


def test_bad_model_arguments_are_named():
    with pytest.raises(ValueError, match="surface"):
        LearningRateModel("moon")
    with pytest.raises(ValueError, match="lr"):
        LearningRateModel(lr=0)
    with pytest.raises(ValueError, match="steps"):
        LearningRateModel(steps=0)


# ---------------------------------------------------------------- the view
def test_lr_slider_moves_through_the_three_regimes():
    app = LearningRateApp()
    seen = []
    for lr in (0.5, 1.5, 2.5):
        app.lr_slider.value = lr
        seen.append(app.model.regime)
        assert app.regime_text.get_text().startswith(app.model.regime)
        x, y = app.path_line.get_data()
        np.testing.assert_allclose(y, 0.5 * np.asarray(x) ** 2)  # on the parabola
    assert seen == ["converging", "oscillating", "diverging"]
    assert "diverged at step" in app.status.value
    steps, gaps = app.loss_line.get_data()
    assert len(steps) == len(app.model.path.losses)


def test_surface_dropdown_and_condition_slider_redraw_the_contours():
    app = LearningRateApp()
    png = app.image.value
    app.surface_dropdown.value = "quadratic 2-D"
    assert app.model.surface.dim == 2 and not app.condition_slider.disabled
    assert app.image.value != png
    app.lr_slider.value = 1.0
    app.condition_slider.value = 100
    assert app.model.surface.condition == pytest.approx(100)
    x, y = app.path_line.get_data()
    np.testing.assert_allclose(np.c_[x, y], app.model.path.points)
    app.surface_dropdown.value = "Rosenbrock"
    assert app.condition_slider.disabled
    np.testing.assert_allclose([app.x0_slider.value, app.y0_slider.value],
                               Rosenbrock().start)


def test_start_and_steps_sliders_drive_the_model():
    app = LearningRateApp()
    app.surface_dropdown.value = "saddle"
    app.x0_slider.value = 1.0
    app.y0_slider.value = 0.5
    app.steps_slider.value = 25
    np.testing.assert_allclose(app.model.start, [1.0, 0.5])
    assert len(app.model.path.points) == 26
    x, y = app.start_marker.get_data()
    assert (x[0], y[0]) == (1.0, 0.5)


def test_every_surface_renders_without_errors():
    app = LearningRateApp()
    for name in SURFACE_NAMES[::-1]:
        app.surface_dropdown.value = name
        assert app.errors.outputs == ()
        assert app.image.value[:4] == b"\x89PNG"
