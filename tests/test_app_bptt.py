"""Lesson 07 apps: the models' numbers, and the views driven headlessly."""

import io

import numpy as np
import PIL.Image
import pytest
from matplotlib.figure import Figure

from bpkit.apps.bptt import GradientOverTimeApp, TruncationApp
from bpkit.rnn import grad_vector, tbptt
from bpkit.rnn.gradient_over_time import GradientOverTimeModel
from bpkit.rnn.truncation_study import TruncationModel, truncated_grads
from bpkit.viz.rnn import draw_unrolled_rnn


# ----------------------------------------------------------- gradient over time
def test_linear_rnn_norms_are_the_upstream_times_powers_of_Wh_transpose():
    m = GradientOverTimeModel(radius=0.9, activation="linear", T=30)
    for k in (0, 1, 7, 29):
        g = m._dh_last @ np.linalg.matrix_power(m.Wh.T, k)
        assert m.norms[k] == pytest.approx(np.linalg.norm(g), rel=1e-10)


def test_tanh_gradient_vanishes_below_radius_one_and_explodes_well_above():
    m = GradientOverTimeModel(activation="tanh", T=100, input_scale=0.1)
    m.set(radius=0.6)
    assert m.norms[-1] < 1e-15 and m.factor_per_step() < 0.7
    m.set(radius=2.5)
    assert m.norms[-1] > 1e5 and m.factor_per_step() > 1.1


def test_heatmap_columns_are_the_first_sequences_gradient():
    m = GradientOverTimeModel(radius=1.1, T=40, batch=1)
    assert m.unit_grads.shape == (m.hidden, 40)
    columns = np.linalg.norm(m.unit_grads, axis=0)
    np.testing.assert_allclose(columns, m.norms, rtol=1e-10)


def test_gradient_model_rejects_bad_parameters():
    m = GradientOverTimeModel()
    with pytest.raises(ValueError, match="activation must be one of"):
        m.set(activation="sigmoid")
    with pytest.raises(ValueError, match="T must be in 1..400"):
        m.set(activation="tanh", T=500)
    with pytest.raises(TypeError, match="unknown parameter 'lr'"):
        m.set(lr=1)


def test_gradient_view_sliders_drive_the_model_and_the_plot():
    app = GradientOverTimeApp()
    png0 = app.image.value
    app.radius_slider.value = 2.0
    app.length_slider.value = 60
    app.activation_dropdown.value = "linear"
    m = app.model
    assert (m.radius, m.T, m.activation) == (2.0, 60, "linear")
    lags, shown = app.norm_line.get_data()
    assert len(lags) == 60
    np.testing.assert_allclose(shown, np.clip(m.norms, 1e-20, 1e20))
    _, ref = app.ref_line.get_data()
    assert ref[10] == pytest.approx(2.0**10)
    assert app.heat.get_array().shape == (m.hidden, 60)
    assert "linear, radius 2.00, T = 60" in app.status.value
    assert app.image.value != png0
    assert app.errors.outputs == ()


def test_gradient_view_input_scale_saturates_tanh():
    app = GradientOverTimeApp()
    app.radius_slider.value = 1.5
    app.input_slider.value = 0.001
    small = app.model.mean_abs_h
    app.input_slider.value = 3.0
    assert app.model.mean_abs_h > small + 0.3


# ------------------------------------------------------------------ truncation
@pytest.fixture(scope="module")
def trunc():
    return TruncationModel(T=60, hidden=16, batch=8)


def test_truncation_with_k_equal_T_is_the_full_gradient(trunc):
    cos, ratio, err = trunc.compare(trunc.T)
    assert cos == pytest.approx(1.0) and ratio == pytest.approx(1.0) and err == 0.0


@pytest.mark.parametrize("radius", [0.7, 1.3])
def test_one_pass_truncated_gradients_equal_tbptt_for_every_k(radius):
    m = TruncationModel(T=23, hidden=8, batch=4, radius=radius)
    ks = [1, 2, 3, 5, 7, 22, 23, 40]  # windows that divide T, that do not, k > T
    rows = truncated_grads(m.net, m.x, m.y, ks)
    for k, row in zip(ks, rows):
        m.net.zero_grad()
        tbptt(m.net, m.x, m.y, k1=k)
        want = grad_vector(m.net.cell.parameters())
        np.testing.assert_allclose(row, want, rtol=1e-10, atol=1e-14 * abs(want).max())
    assert not np.allclose(rows[0], rows[-1])  # k = 1 truncates, k > T does not


def test_truncation_error_falls_as_k_grows(trunc):
    trunc.set_radius(1.0)
    err = trunc.error_curve
    assert list(trunc.ks) == [1, 2, 5, 10, 20, 50, 60]
    assert err[0] > 0.1
    assert np.all(np.diff(err) <= 1e-12) and err[-1] == 0.0
    assert trunc.cos_curve[0] < trunc.cos_curve[3] < 1.0


def test_truncated_memory_grows_with_k(trunc):
    assert trunc.peaks[-1] > 4 * trunc.peaks[0]
    assert np.all(trunc.seconds > 0)


def test_truncation_model_rejects_bad_k(trunc):
    with pytest.raises(ValueError, match="k must be an integer in 1..60"):
        trunc.set_k(61)


def test_truncation_view_k_slider_moves_the_markers():
    app = TruncationApp(TruncationModel(T=60, hidden=16, batch=8))
    png0 = app.image.value
    app.k_slider.value = 7  # not on the precomputed grid: measured on the spot
    m = app.model
    assert m.k == 7 and m.peak > 0 and m.seconds_per_update > 0
    _, ys = app.sim_marker.get_data()
    assert list(ys) == [m.cos, m.ratio]
    assert list(app.k_line.get_xdata()) == [7, 7]
    assert "k = 7 (9 updates per sequence of 60)" in app.status.value
    assert app.image.value != png0
    before = app.cos_line.get_ydata().copy()
    app.radius_slider.value = 1.3
    assert m.radius == 1.3
    assert not np.allclose(app.cos_line.get_ydata(), before)
    assert app.errors.outputs == ()


def png_array(data: bytes) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


@pytest.mark.parametrize("app_class,name,values", [
    (GradientOverTimeApp, "length_slider", [105, 400, 20, 105]),  # new x spans
    (TruncationApp, "radius_slider", [1.3, 1.5, 0.5, 1.3]),  # new y-limits
])
def test_a_new_axis_range_looks_exactly_like_a_full_redraw(app_class, name, values):
    app = app_class()
    for v in values:
        getattr(app, name).value = v
        fast = png_array(app.image.value)
        kept = app._background
        app._background = None  # the next render draws everything afresh
        app.render()
        np.testing.assert_array_equal(fast, png_array(app.image.value))
        app._background = kept
    assert app.errors.outputs == ()


def test_unrolled_drawing_has_a_node_per_input_state_and_loss():
    fig = Figure()
    ax = fig.subplots()
    draw_unrolled_rnn(ax, T=3)
    labels = [t.get_text() for t in ax.texts]
    for t in (1, 2, 3):
        assert {f"$x_{t}$", f"$h_{t}$", f"$L_{t}$"} <= set(labels)
    assert "$h_0$" in labels


def test_huge_linear_gradient_is_measured_not_called_an_overflow():
    # 3^399 ~ 1e190 fits in float64: only its square does not
    m = GradientOverTimeModel(radius=3.0, activation="linear", T=400, input_scale=1.0)
    assert np.isfinite(m.norms[-1]) and m.norms[-1] > 1e180 and m.mean_abs_h > 1e60
    assert "overflows" not in m.message and "e+18" in m.message
    assert max(len(w) for w in m.message.split()) < 20   # no 170-digit number
    m.set(radius=0.9)
    assert "overflows" not in m.message and "x its value at the loss" in m.message
