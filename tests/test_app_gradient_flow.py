"""Lesson 04 app: the model's measurements, and the view driven headlessly."""

import io

import numpy as np
import PIL.Image
import pytest

from bpkit.apps.base import BAD, GOOD, WARN
from bpkit.apps.gradient_flow import GradientFlowApp
from bpkit.apps.threads import one_blas_thread
from bpkit.gradient_flow import GradientFlowModel
from bpkit.viz.gradient_flow import SIGMOID_ONLY_LABEL, plot_gradient_norms


def test_model_sigmoid_xavier_vanishes_near_the_quarter_per_layer_factor():
    m = GradientFlowModel(depth=20, activation="sigmoid", init="xavier")
    assert m.layers.tolist() == list(range(1, 21))
    assert m.grad_h.shape == m.grad_w.shape == m.act_std.shape == (20,)
    # measured per-layer factor, geometric mean over 19 steps: near sigmoid'(0) = 1/4
    per_layer = m.ratio ** (1 / 19)
    assert 0.15 < per_layer < 0.3
    assert m.ratio < 1e-10


def test_model_sigmoid_only_line_is_a_quarter_per_layer_anchored_at_the_last_layer():
    m = GradientFlowModel(depth=6)
    assert m.sigmoid_only[-1] == m.grad_h[-1]
    np.testing.assert_allclose(m.sigmoid_only[:-1] / m.sigmoid_only[1:], 0.25)


@pytest.mark.parametrize("depth, below, above", [
    (44, (14, 15.5), False), (49, (15, 16.5), False),  # "up to about 16 times below"
    (10, (1.4, 1.7), True), (47, (9, 10.5), True),     # "at a few depths a little above"
])
def test_model_sigmoid_only_line_is_no_bound_the_weights_move_the_curve(depth, below,
                                                                      above):
    m = GradientFlowModel(depth=depth, activation="sigmoid", init="xavier", bins=1)
    over = m.grad_h / m.sigmoid_only
    assert below[0] < 1 / over.min() < below[1]
    assert (over.max() > 1) == above and over.max() < 1.02


@pytest.mark.parametrize(
    "settings,lo,hi",
    [
        (dict(activation="relu", init="he"), 0.2, 5),
        (dict(activation="relu", init="normal_1"), 1e10, np.inf),
        (dict(activation="sigmoid", init="normal_0.01"), 0, 1e-20),
        (dict(activation="sigmoid", init="normal_0.01", batchnorm=True), 0.2, 5),
        (dict(activation="sigmoid", init="normal_0.01", residual=True), 0.2, 5),
    ],
)
def test_model_ratio_for_the_canonical_configurations(settings, lo, hi):
    m = GradientFlowModel(depth=20, **settings)
    assert lo < m.ratio < hi


def test_model_histograms_have_one_row_per_layer_each_peaking_at_one():
    m = GradientFlowModel(depth=7, activation="tanh", init="normal_1", bins=21)
    assert m.hist.shape == (7, 21) and m.edges.shape == (22,)
    np.testing.assert_allclose(m.hist.max(axis=1), 1)
    assert (m.edges[0], m.edges[-1]) == (-1.0, 1.0)
    # N(0, 1) weights saturate tanh: the outermost bins hold the peaks
    assert set(m.hist.argmax(axis=1)) <= {0, 20}
    assert np.mean(m.saturated) > 0.5


def test_model_histograms_of_unbounded_activations_are_scaled_per_layer():
    m = GradientFlowModel(depth=30, activation="relu", init="normal_1", bins=20)
    assert m.normalised and (m.edges[0], m.edges[-1]) == (-3.0, 3.0)
    # exploding values, yet every layer's histogram has the same shape: ReLU's zeros
    # (half the entries) in the bin at 0, the rest spread over positive values
    zero_bin = np.searchsorted(m.edges, 0.0, side="right") - 1
    assert np.all(m.hist.argmax(axis=1) == zero_bin)
    assert m.act_std[-1] / m.act_std[0] > 1e15


def test_model_configure_rejects_unknown_settings():
    m = GradientFlowModel(depth=3)
    with pytest.raises(ValueError, match="unknown setting 'update'"):
        m.configure(update=1)
    with pytest.raises(ValueError, match="unknown activation"):
        m.configure(activation="gelu")


@pytest.mark.parametrize("setting, match", [
    (dict(width=0), "width must be a positive integer, got 0"),
    (dict(classes=-1), "classes must be a positive integer, got -1"),
    (dict(batch=1), "batch must be an integer >= 2, got 1"),
    (dict(depth=0), "depth must be in 1..200, got 0"),
])
def test_model_names_a_bad_setting_and_keeps_its_previous_state(setting, match):
    m = GradientFlowModel(depth=3, width=8)
    before = m.grad_h.copy()
    with pytest.raises(ValueError, match=match):
        m.configure(**setting)
    assert (m.depth, m.width, m.batch, m.classes) == (3, 8, 64, 10)
    np.testing.assert_array_equal(m.grad_h, before)
    m.configure(width=12)  # the next good change works
    assert m.net[0].W.shape == (12, 12)


def test_same_settings_give_the_same_measurement_and_a_new_seed_a_new_one():
    a, b = GradientFlowModel(depth=5), GradientFlowModel(depth=5)
    np.testing.assert_array_equal(a.grad_h, b.grad_h)
    b.configure(seed=1)
    assert not np.allclose(a.grad_h, b.grad_h)


def test_view_sliders_rebuild_the_network_and_the_plotted_data():
    app = GradientFlowApp(GradientFlowModel(depth=10))
    png = app.image.value
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    app.depth_slider.value = 25
    assert app.model.depth == 25 and len(app.model.net.parameters()) == 2 * 26
    xs, ys = app.grad_h_line.get_data()
    assert list(xs) == list(range(1, 26))
    np.testing.assert_array_equal(ys, app.model.grad_h)
    np.testing.assert_array_equal(app.std_line.get_ydata(), app.model.act_std)
    assert app.hist_image.get_array().shape == (25, app.model.bins)
    assert app.image.value != png
    app.width_slider.value = 32
    assert app.model.net[0].W.shape == (32, 32)
    assert not app.errors.outputs


def test_view_bound_is_shown_for_sigmoid_only_and_status_reports_the_ratio():
    app = GradientFlowApp(GradientFlowModel(depth=12, activation="sigmoid", init="xavier"))
    assert app.bound_line.get_visible()
    assert SIGMOID_ONLY_LABEL in app.bound_line.get_label()
    assert "≤" not in app.bound_line.get_label()  # it is not a bound
    np.testing.assert_array_equal(app.bound_line.get_ydata(), app.model.sigmoid_only)
    assert f"{app.model.ratio:.2e}" in app.status.value
    app.activation_dropdown.value = "relu"
    assert app.model.activation == "relu" and not app.bound_line.get_visible()
    assert "zero" in app.status.value


def test_view_checkboxes_and_init_restore_or_break_the_flow():
    app = GradientFlowApp(GradientFlowModel(depth=20, activation="sigmoid",
                                            init="normal_0.01"))
    assert app.model.ratio < 1e-20
    app.batchnorm_checkbox.value = True
    assert app.model.batchnorm and 0.2 < app.model.ratio < 5
    app.batchnorm_checkbox.value = False
    app.residual_checkbox.value = True
    assert app.model.residual and 0.2 < app.model.ratio < 5
    app.residual_checkbox.value = False
    app.activation_dropdown.value = "relu"
    app.init_dropdown.value = "normal_1"
    assert app.model.ratio > 1e10
    lo, hi = app.ax_grad.get_ylim()
    assert lo <= app.model.grad_h.min() and app.model.grad_h.max() <= hi


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_view_background_from_kept_pieces_matches_a_full_redraw():
    app = GradientFlowApp(GradientFlowModel(depth=10))
    changes = [(app.activation_dropdown, "relu"), (app.init_dropdown, "normal_1"),
               (app.depth_slider, 35), (app.residual_checkbox, True),
               (app.activation_dropdown, "sigmoid"), (app.batchnorm_checkbox, True)]
    for widget, value in changes:
        widget.value = value
        composed = _pixels(app.image.value)
        app.invalidate()  # the whole figure drawn at once, as a reference
        app.render()
        diff = np.abs(composed - _pixels(app.image.value)).max(axis=2)
        # only where two pieces cross (grid lines, the legend's faint box) may differ
        assert diff.max() <= 40 and np.mean(diff > 0) < 0.005, (widget.description, value)
    assert not app.errors.outputs


def test_view_going_back_to_seen_axes_draws_no_piece(monkeypatch):
    app = GradientFlowApp(GradientFlowModel(depth=20, activation="sigmoid"))
    drawn = []
    draw_alone = app._draw_alone
    monkeypatch.setattr(app, "_draw_alone", lambda *a: drawn.append(a) or draw_alone(*a))
    app.residual_checkbox.value = True  # new axis ranges: their pieces are drawn
    assert drawn
    drawn.clear()
    app.residual_checkbox.value = False
    app.residual_checkbox.value = True
    assert not drawn
    np.testing.assert_array_equal(app.grad_h_line.get_ydata(), app.model.grad_h)


def test_view_resample_button_draws_new_weights():
    app = GradientFlowApp(GradientFlowModel(depth=4))
    before = app.model.grad_h.copy()
    app.resample_button.click()
    assert app.model.seed == 1
    assert not np.allclose(app.grad_h_line.get_ydata(), before)


def test_view_shows_errors_in_the_app(monkeypatch):
    app = GradientFlowApp(GradientFlowModel(depth=3))

    def broken(**kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.model, "configure", broken)
    app.depth_slider.value = 4
    assert "boom" in str(app.errors.outputs)


def test_static_plot_helper_draws_the_measured_norms_and_the_bound():
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    m = GradientFlowModel(depth=8)
    line = plot_gradient_norms(ax, m, "sigmoid", sigmoid_only=True)
    np.testing.assert_array_equal(line.get_ydata(), m.grad_h)
    assert len(ax.lines) == 2
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), m.sigmoid_only)
    assert SIGMOID_ONLY_LABEL in ax.lines[1].get_label()


# ------------------------------------------------------------ the status line
def test_status_for_leaky_relu_says_negative_and_never_dead():
    m = GradientFlowModel(depth=20, activation="leaky_relu", init="he")
    leaky = m.report.select("LeakyReLU")
    out = np.concatenate([m.report.outputs[s.index] for s in leaky])
    assert not np.any(out == 0)  # no output is zero: "zero" would be false
    share = f"{100 * np.mean(out < 0):.0f}% of activations negative"
    assert share in m.message and "never dead" in m.message
    assert "units dead" not in m.message
    assert m.verdict == "good"


@pytest.mark.parametrize("init", ["he", "xavier", "normal_1", "normal_0.01"])
def test_status_names_the_all_dead_layer_below_which_the_gradient_is_exactly_0(init):
    m = GradientFlowModel(depth=20, width=4, activation="relu", init=init)
    assert m.dead_layer == 20
    assert np.all(m.grad_h[:-1] == 0) and m.grad_h[-1] > 0 and m.ratio == 0
    assert np.all(m.grad_w == 0)  # "its weights and every layer below": all zero
    assert "every unit of layer 20 dead" in m.message and "exactly 0" in m.message
    assert m.verdict == "bad"


def test_status_without_a_dead_layer_says_nothing_of_one():
    for kw in (dict(activation="relu", init="he"), dict(activation="relu", init="he",
                                                        width=4, residual=True)):
        m = GradientFlowModel(depth=20, **kw)
        assert m.dead_layer is None and "every unit of layer" not in m.message
        assert np.all(m.grad_h > 0)


def test_verdict_warns_when_sigmoid_outputs_saturate_though_the_ratio_is_fine():
    m = GradientFlowModel(depth=50, activation="sigmoid", init="normal_1")
    assert 1e-2 <= m.ratio <= 1e2 and np.mean(m.saturated) > 0.3
    assert m.verdict == "warn"
    app = GradientFlowApp(m)
    assert WARN in app.status.value and "saturated" in app.status.value
    app.init_dropdown.value = "xavier"  # vanishing: bad
    assert BAD in app.status.value
    app.activation_dropdown.value = "relu"
    app.init_dropdown.value = "he"
    assert GOOD in app.status.value and app.model.verdict == "good"


def test_status_digits_come_back_with_the_settings_whatever_the_blas_threads():
    # width 252: a product several BLAS threads round differently (tanh, N(0, 1))
    m = GradientFlowModel(depth=50, width=252, activation="tanh", init="normal_1")
    app = GradientFlowApp(m)  # built on the caller's threads, measured on one
    first = app.status.value
    app.width_slider.value = 256
    app.width_slider.value = 252
    assert app.status.value == first
    with one_blas_thread():
        assert GradientFlowModel(depth=50, width=252, activation="tanh",
                                 init="normal_1").message in first


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_every_control_at_its_min_and_max_works_and_the_status_stays_true(activation):
    app = GradientFlowApp(GradientFlowModel(depth=3, activation=activation))
    for depth in (app.depth_slider.min, app.depth_slider.max):
        for width in (app.width_slider.min, app.width_slider.max):
            for bn, res in ((False, False), (True, False), (False, True)):
                app.depth_slider.value, app.width_slider.value = depth, width
                app.batchnorm_checkbox.value, app.residual_checkbox.value = bn, res
                m = app.model
                assert (m.depth, m.width, m.batchnorm, m.residual) == (depth, width, bn,
                                                                      res)
                assert not app.errors.outputs
                assert m.message in app.status.value
                assert f"{m.ratio:.2e}" in m.message
                k = m.dead_layer
                if k is not None:
                    assert np.all(m.grad_h[:k - 1] == 0) and np.all(m.grad_w[:k] == 0)
                else:
                    assert np.all(m.grad_h > 0)
    app.resample_button.click()
    assert app.model.seed == 1 and not app.errors.outputs
