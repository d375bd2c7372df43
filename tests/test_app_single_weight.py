"""Lesson 01 app: the model's numbers, and the view driven headlessly."""

import warnings

import numpy as np
import pytest

from bpkit.apps.single_weight import SingleWeightApp
from bpkit.single_weight import SingleWeightModel, regime


def test_one_step_from_the_worked_example_gives_w_one_point_seven():
    m = SingleWeightModel(x=2, w0=0.5, target=4, lr=0.1)
    assert m.grad(0.5) == -12.0
    m.step()
    assert m.w == pytest.approx(1.7)
    assert m.losses == [9.0, pytest.approx((4 - 3.4) ** 2)]


@pytest.mark.parametrize(
    "lr,name",
    [(0.05, "converges"), (0.125, "lands in one step"),
     (0.2, "oscillates while converging"), (0.25, "oscillates forever"),
     (0.3, "diverges"), (0.0, "stuck")],
)
def test_regime_boundaries_at_one_eighth_and_one_quarter(lr, name):
    assert regime(lr, 2.0) == name


def test_each_step_multiplies_the_error_by_one_minus_two_lr_x_squared():
    m = SingleWeightModel(x=2, w0=0.5, target=4, lr=0.2)
    m.run(5)
    err = np.array(m.ws) - 2.0
    assert np.allclose(err[1:] / err[:-1], 1 - 2 * 0.2 * 4)


def test_divergence_is_a_message_not_a_warning_or_nan():
    m = SingleWeightModel(lr=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.run(500)
    assert m.diverged_at is not None
    assert m.message == f"diverged at step {m.diverged_at}"
    assert all(np.isfinite(m.losses))
    n = m.steps
    m.step()
    assert m.steps == n  # a diverged run stays stopped


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="x must be non-zero"):
        SingleWeightModel(x=0)
    with pytest.raises(ValueError, match="lr"):
        SingleWeightModel(lr=-1)


def test_view_lr_slider_and_step_button_drive_model_and_plot():
    app = SingleWeightApp()
    png0 = app.image.value
    app.lr_slider.value = 0.2
    assert app.model.lr == pytest.approx(0.2, rel=1e-3)
    app.step_button.click()
    assert app.model.steps == 1
    ws, losses = app.path.get_data()
    assert list(ws) == app.model.ws and list(losses) == app.model.losses
    # the tangent line passes through the current point with slope dL/dw
    tx, ty = app.tangent.get_data()
    slope = (ty[1] - ty[0]) / (tx[1] - tx[0])
    assert slope == pytest.approx(app.model.grad(app.model.w))
    assert app.image.value != png0
    assert "oscillates while converging" in app.status.value


def test_view_run_reset_and_divergence_message():
    app = SingleWeightApp()
    app.lr_slider.value = 0.5
    for _ in range(3):
        app.run_button.click()
    assert "diverged at step" in app.status.value
    steps, shown = app.curve.get_data()
    assert len(steps) == app.model.steps + 1
    app.reset_button.click()
    assert app.model.steps == 0 and app.model.diverged_at is None


def test_changing_x_restarts_with_new_parameters():
    app = SingleWeightApp()
    app.run_button.click()
    app.x_slider.value = 1.0
    assert app.model.x == 1.0 and app.model.steps == 0
    assert app.minimum.get_xdata()[0] == pytest.approx(4.0)


def test_callback_errors_are_shown_in_the_app(monkeypatch):
    app = SingleWeightApp()
    monkeypatch.setattr(app.model, "step", lambda: 1 / 0)
    app.step_button.click()
    assert "ZeroDivisionError" in str(app.errors.outputs)


def test_every_regime_is_reachable_with_the_sliders_at_every_x():
    # exercise 4 sets x = 1 and asks where divergence starts: lr > 1 / x^2
    app = SingleWeightApp()
    lr_max = app.lr_slider.base ** app.lr_slider.max
    lr_min = app.lr_slider.base ** app.lr_slider.min
    for x in (app.x_slider.min, 1.0, app.x_slider.max):
        assert lr_max > 1 / x**2, f"at x = {x} the lr slider cannot reach divergence"
        assert lr_min < 0.5 / x**2  # and the slow, monotone regime too
    app.x_slider.value = 1.0
    app.lr_slider.value = lr_max
    app.run_button.click()
    assert app.model.diverged_at is not None


def test_a_diverging_run_is_marked_bad_before_the_cutoff():
    from bpkit.apps.base import BAD, GOOD, WARN
    app = SingleWeightApp()
    app.lr_slider.value = 0.3            # diverges at x = 2, far from the cut-off yet
    app.step_button.click()
    assert app.model.diverged_at is None and BAD in app.status.value
    app.lr_slider.value = 0.1
    assert GOOD in app.status.value
    app.x_slider.value, app.lr_slider.value = 1.0, 1.0   # r = -1: a 2-cycle
    assert app.model.regime == "oscillates forever" and WARN in app.status.value


def test_axes_seen_before_reuse_their_background_and_match_a_full_redraw():
    import io

    import PIL.Image

    def pixels(app):
        return np.asarray(PIL.Image.open(io.BytesIO(app.image.value))).astype(int)

    app = SingleWeightApp()
    for _ in range(3):                     # run / reset toggles between two x-ranges
        app.run_button.click()
        app.reset_button.click()
    app.run_button.click()
    assert app._background is not None and len(app._kept_frames) >= 2
    cached = pixels(app)
    app.invalidate()
    app.redraw()                           # the same state, drawn from scratch
    assert np.array_equal(cached, pixels(app))
