"""Lesson 10 app: the explorer's model numbers, and the view driven headlessly."""

import io

import numpy as np
import PIL.Image
import pytest
from matplotlib.figure import Figure

from bpkit.apps.attention import AttentionExplorerApp
from bpkit.attention import AttentionExplorer, attention_backward, attention_forward
from bpkit.gradcheck import numerical_grad
from bpkit.viz.attention import draw_explorer


def test_explorer_gradients_are_those_of_the_loss_on_one_query():
    ex = AttentionExplorer(T=6, d=3, query=4, causal=True)

    def loss(_):
        return attention_forward(ex.q, ex.k, ex.v, causal=True)[0][4] @ ex.g

    np.testing.assert_allclose(ex.dk, numerical_grad(loss, ex.k), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(ex.dv, numerical_grad(loss, ex.v), rtol=1e-5, atol=1e-8)


def test_explorer_only_the_query_row_sends_gradient_to_the_queries():
    ex = AttentionExplorer(T=5, query=2, causal=False)
    _, cache = attention_forward(ex.q, ex.k, ex.v)
    dout = np.zeros((5, ex.d))
    dout[2] = ex.g
    dq, _, _ = attention_backward(dout, cache)
    assert np.all(dq[[0, 1, 3, 4]] == 0)
    np.testing.assert_allclose(ex.dq, dq[2])


def test_explorer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="query"):
        AttentionExplorer(T=4, query=4)
    with pytest.raises(ValueError, match="T"):
        AttentionExplorer(T=0)


def _bars(bars):
    return bars.heights


def test_view_query_slider_and_mask_checkbox_drive_the_model_and_the_bars():
    app = AttentionExplorerApp()
    try:
        app.query_slider.value = 3
        m = app.model
        assert m.query == 3 and m.visible == 4
        np.testing.assert_allclose(_bars(app.painter.w_bars), m.weights)
        assert np.all(_bars(app.painter.w_bars)[4:] == 0)
        np.testing.assert_allclose(_bars(app.painter.v_bars), np.minimum(m.dv_norms, 2.0))
        assert app.painter.spans[0].get_visible()
        assert "attends to 4 of 10 keys" in app.status.value
        app.causal_checkbox.value = False
        assert m.visible == 10 and np.all(_bars(app.painter.w_bars) > 0)
        assert not app.painter.spans[0].get_visible()
        assert "attends to 10 of 10 keys" in app.status.value
        assert not app.errors.outputs
    finally:
        app.close()


def test_view_renders_a_png_at_every_query_with_and_without_the_mask():
    app = AttentionExplorerApp()
    try:
        for causal in (True, False):
            app.causal_checkbox.value = causal
            for q in (0, 9):
                app.query_slider.value = q
                img = PIL.Image.open(io.BytesIO(app.image.value))
                assert img.size[0] > 500
        assert not app.errors.outputs
    finally:
        app.close()


def test_static_figure_shows_the_same_bars_as_the_app():
    ex = AttentionExplorer(query=6)
    painter = draw_explorer(Figure(), ex, grad_max=2.0)
    np.testing.assert_allclose(_bars(painter.w_bars), ex.weights)
    np.testing.assert_allclose(np.abs(_bars(painter.k_bars)), np.minimum(ex.dk_norms, 2.0))
    assert "query t = 6: 7 keys visible" in painter.title.get_text()


def test_explorer_key_gradient_is_its_signed_length_along_the_query():
    ex = AttentionExplorer(query=6)
    qt = ex.q[6] / np.linalg.norm(ex.q[6])
    np.testing.assert_allclose(ex.dk, ex.dk_along[:, None] * qt, atol=1e-15)
    assert ex.dk_along.min() < 0 < ex.dk_along.max()  # both signs occur


def test_bars_are_drawn_from_their_heights():
    painter = draw_explorer(Figure(), AttentionExplorer(query=6), grad_max=2.0)
    verts = painter.k_bars.collection.get_paths()[2].vertices
    assert verts[:, 1].min() == pytest.approx(min(0.0, painter.k_bars.heights[2]))
    assert verts[:, 1].max() == pytest.approx(max(0.0, painter.k_bars.heights[2]))


def test_view_says_key_for_one_key_and_thins_the_ticks_of_many():
    app = AttentionExplorerApp(AttentionExplorer(T=1))
    try:
        assert "attends to 1 of 1 key;" in app.status.value
    finally:
        app.close()
    app = AttentionExplorerApp(AttentionExplorer(T=50))
    try:
        assert len(app.painter.ax_w.get_xticks()) <= 12
    finally:
        app.close()


def test_query_marker_stays_below_the_legend_at_every_query():
    app = AttentionExplorerApp()
    try:
        renderer = app.fig.canvas.get_renderer()
        legend = app.painter.legends[0].get_window_extent(renderer)
        for q in range(10):
            app.query_slider.value = q
            mark = app.painter.q_mark.get_window_extent(renderer)
            # a clear gap (9 points), not a touch: the marker at 1.15 left 4 pixels
            assert legend.y0 - mark.y1 > 9 * app.fig.dpi / 72, q
    finally:
        app.close()
