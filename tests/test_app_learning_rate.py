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


# --------------------------------------------- the status line stays true
def test_a_zero_gradient_away_from_a_minimum_is_stuck_not_converging():
    m = LearningRateModel("saddle", start=(0.0, 0.0))
    assert m.regime == "converging" and m.verdict == "stuck"  # the path can't tell
    assert "stuck" in m.message
    assert "the last step moved 0, the minimum is 1 away" in m.message


@pytest.mark.parametrize("surface",
                         ["quadratic 1-D", "Rosenbrock", "saddle", "Himmelblau"])
def test_tiny_steps_far_from_the_minimum_are_crawling(surface):
    m = LearningRateModel(surface, lr=1e-4)
    assert m.verdict == "crawling" and "crawling" in m.message
    assert 300 < m.distance / m.last_step < 1e6     # the words' definition


def test_a_run_that_gets_there_is_not_called_crawling():
    for surface, lr in [("quadratic 1-D", 0.5), ("Himmelblau", 0.01), ("Beale", 0.01)]:
        m = LearningRateModel(surface, lr=lr, steps=300)
        assert m.verdict == "converging", (surface, m.message)
    assert LearningRateModel("quadratic 1-D", start=(0.0,)).verdict == "at the minimum"


def test_lr_times_L_is_printed_with_four_digits_next_to_the_edge():
    m = LearningRateModel("quadratic 1-D", lr=10**0.30)   # the slider's stop below 2
    assert "lr L = 1.995" in m.message and m.verdict == "oscillating"


def test_the_status_line_names_the_minimum_L_was_taken_at():
    ends = LearningRateModel("Himmelblau", lr=0.01)            # settles at (3, 2)
    assert "2/L = 0.02431 at the minimum (3, 2) nearest the end" in ends.message
    L = np.linalg.eigvalsh(hessian(ends.surface, np.array([3.0, 2.0]))).max()
    assert ends.critical_lr == pytest.approx(2 / L)
    blew = LearningRateModel("Himmelblau", lr=0.1)             # diverges
    near_start = blew.surface.minima[np.argmin(
        np.linalg.norm(blew.surface.minima - blew.start, axis=1))]
    np.testing.assert_allclose(blew.minimum, near_start)
    assert blew.path.diverged and "nearest the start" in blew.message


@pytest.mark.parametrize("surface", SURFACE_NAMES)
def test_every_control_at_its_min_and_max_keeps_label_and_status_true(surface):
    app = LearningRateApp()
    app.surface_dropdown.value = surface
    sliders = [app.lr_slider, app.x0_slider, app.y0_slider, app.steps_slider,
               app.condition_slider]
    for w in sliders:
        if w.disabled:
            continue
        middle = w.value
        for end in (w.min, w.max):
            w.value = 10**end if "Log" in type(w).__name__ else end
            m = app.model
            assert app.errors.outputs == ()
            assert m.message in app.status.value
            assert app.regime_text.get_text().startswith(m.verdict)
        w.value = middle


@pytest.mark.parametrize("surface", SURFACE_NAMES)
def test_the_label_does_not_cover_the_start(surface):
    app = LearningRateApp()
    app.surface_dropdown.value = surface
    renderer = app.fig.canvas.get_renderer()
    box = app.regime_text.get_window_extent(renderer)
    x, y = app.start_marker.get_data()
    px, py = app.ax_path.transData.transform((x[0], y[0]))
    assert not box.contains(px, py)


def _pixels(app):
    import io

    import PIL.Image
    return np.asarray(PIL.Image.open(io.BytesIO(app.image.value)))


def test_no_control_redraws_the_whole_figure_and_the_picture_is_the_same():
    app = LearningRateApp()
    full_draws = []
    draw = app.fig.canvas.draw
    app.fig.canvas.draw = lambda: (full_draws.append(1), draw())[1]
    for change in [lambda: setattr(app.steps_slider, "value", 300),
                   lambda: setattr(app.surface_dropdown, "value", "Rosenbrock"),
                   lambda: setattr(app.x0_slider, "value", app.x0_slider.min),
                   lambda: setattr(app.steps_slider, "value", 1),
                   lambda: setattr(app.surface_dropdown, "value", "quadratic 2-D"),
                   lambda: setattr(app.condition_slider, "value", 1000),
                   lambda: setattr(app.surface_dropdown, "value", "quadratic 1-D"),
                   lambda: setattr(app.x0_slider, "value", app.x0_slider.max)]:
        change()
        assert full_draws == [] and app.errors.outputs == ()
        shown = _pixels(app)
        app.fig.canvas.draw = draw
        app.invalidate()
        app.render()                                    # a full draw, for comparison
        np.testing.assert_array_equal(shown, _pixels(app))
        app.fig.canvas.draw = lambda: (full_draws.append(1), draw())[1]
