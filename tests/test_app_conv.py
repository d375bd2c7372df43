"""Lesson 09 app: the explorer's model sums agree with conv2d_backward; the view is driven."""

import io

import numpy as np
import PIL.Image
import pytest

from bpkit.apps.conv import ConvExplorerApp
from bpkit.conv.explorer import MODES, ConvExplorer
from bpkit.viz.conv import explorer_figure, number_grid


SETTINGS = [(size, k, s, p) for size in range(3, 9) for k in range(1, 6)
            for s in range(1, 4) for p in range(3) if k <= size + 2 * p]


def test_every_slider_setting_works_and_every_pick_sums_to_conv2d_backward():
    # the sliders allow 261 settings; those with an output over 8x8 crashed
    assert len(SETTINGS) == 261
    for cfg in SETTINGS:
        m = ConvExplorer(*cfg)
        for mode in MODES:
            n = m.shape(mode)[0]
            for r in range(n):
                for c in range(n):
                    s = m.select(mode, r, c)
                    if mode == "output":  # a dy cell is given to backward, not computed
                        assert s.full is None and s.total == m.dy[r, c]
                    else:
                        assert s.total == pytest.approx(s.full, abs=1e-12)


def test_a_refused_configure_leaves_the_model_as_it_was():
    m = ConvExplorer(6, 3, 2, 1)
    m.select("input", 4, 5)
    before = (m.size, m.kernel, m.stride, m.padding, m.out, m.cell, m.dy.copy())
    with pytest.raises(ValueError, match="kernel of 5 does not fit"):
        m.configure(2, 5, 1, 0)
    assert (m.size, m.kernel, m.stride, m.padding, m.out, m.cell) == before[:6]
    np.testing.assert_array_equal(m.dy, before[6])
    assert m.select().cell == (4, 5)


def test_status_text_says_where_the_padding_is_and_counts_in_the_singular():
    m = ConvExplorer(6, 3, 2, 1)
    text = m.select("output", 0, 0).text
    assert "rows -1..1" in text and "rows and columns outside 0..5 are the zero padding" in text
    m = ConvExplorer(5, 1, 1, 0)
    text = m.select("output", 0, 0).text
    assert "(1 pixel inside the image)" in text and "the 1 cell of dw" in text
    assert "1 pixels" not in text and "all 1 cells" not in text


def test_output_cells_contributions_add_up_to_dx_and_dw():
    m = ConvExplorer(6, 3, 2, 1)
    dx, dw = np.zeros_like(m.x), np.zeros_like(m.w)
    for i in range(m.out):
        for j in range(m.out):
            s = m.select("output", i, j)
            dx += s.on_x
            dw += s.on_w
    np.testing.assert_allclose(dx, m.dx, atol=1e-12)
    np.testing.assert_allclose(dw, m.dw, atol=1e-12)


def test_counts_weight_sharing_receptive_fields_and_skipped_pixels():
    m = ConvExplorer(5, 3, 1, 0)
    s = m.select("weight", 1, 1)
    assert s.positions == 9 and "all 9 output positions" in s.text
    s = m.select("input", 2, 2)  # the centre pixel sits in every 3x3 window
    assert s.positions == 9
    assert m.select("input", 0, 0).positions == 1
    m.configure(5, 1, 2, 0)  # stride 2 with a 1x1 kernel skips odd pixels
    s = m.select("input", 1, 1)
    assert s.positions == 0 and "the stride skipped it" in s.text
    m.configure(4, 3, 1, 1)
    s = m.select("weight", 0, 0)
    assert "7 of them on padding" in s.text  # a 4x4 output: first row and column


def test_model_refuses_bad_settings():
    m = ConvExplorer()
    with pytest.raises(ValueError, match="mode must be one of"):
        m.select("bias", 0, 0)
    with pytest.raises(ValueError, match=r"row must be an integer in \[0, 2\]"):
        m.select("output", 3, 0)
    with pytest.raises(ValueError, match="kernel of 5 does not fit"):
        m.configure(2, 5, 1, 0)


def test_number_grid_is_cells_of_fill_and_labels():
    fill = np.zeros((2, 3, 4), dtype=np.float32)
    fill[1, 2] = (1, 0, 0, 1)
    img = number_grid((2, 3), 10, fill, [["", "", ""], ["", "7", ""]])
    assert img.shape == (20, 30, 4) and img.dtype == np.uint8
    assert (img[10:, 20:] == (255, 0, 0, 255)).all()
    assert img[10:, 10:20, 3].max() > 0 and img[:10, :, 3].max() == 0


def _png(app):
    return np.asarray(PIL.Image.open(io.BytesIO(app.image.value)).convert("RGB"))


def test_view_drives_the_model_and_redraws():
    app = ConvExplorerApp()
    before = _png(app)
    app.row_slider.value = 2
    assert app.model.cell == (2, 0)
    after = _png(app)
    assert not np.array_equal(before, after)
    app.mode_dropdown.value = "weight"
    assert app.model.mode == "weight" and app.model.cell == (0, 0)
    assert "w[0,0] was used at all 9" in app.status.value
    app.size_slider.value = 8
    app.padding_slider.value = 2
    app.kernel_slider.value = 5
    assert (app.model.size, app.model.padding, app.model.kernel) == (8, 2, 5)
    assert app.row_slider.max == 4 and app.model.out == 8
    app.mode_dropdown.value = "input"
    assert app.row_slider.max == 7
    app.col_slider.value = 7
    assert app.model.cell == (0, 7) and "conv2d_backward gives the same" in app.status.value
    assert not app.errors.outputs


def test_kernel_is_kept_inside_the_padded_image():
    app = ConvExplorerApp()
    app.size_slider.value = 3
    app.padding_slider.value = 0
    assert app.kernel_slider.max == 3 and app.model.kernel <= 3
    app.kernel_slider.value = 3
    app.stride_slider.value = 3
    assert app.model.out == 1 and not app.errors.outputs


def test_fast_redraw_equals_a_full_one():
    app = ConvExplorerApp()
    app.mode_dropdown.value = "input"
    app.row_slider.value = 3
    fast = _png(app)
    app.invalidate()
    app.render()
    np.testing.assert_array_equal(fast, _png(app))


def test_static_figure_has_a_row_per_pick():
    fig = explorer_figure(picks=(("output", 0, 0), ("weight", 1, 1)))
    assert len(fig.subfigs) == 2
    assert "w[1,1] was used at all 9" in fig.subfigs[1]._suptitle.get_text()


def test_numpy_composited_grids_look_like_matplotlibs_drawing():
    # the app blends the grids and overlays into pixels drawn without them; they
    # must land where matplotlib would draw the same images (at most a pixel's shift
    # of a grid line from the nearest-neighbour resampling)
    app = ConvExplorerApp()
    for size, mode in ((8, "input"), (5, "weight")):
        app.size_slider.value = size
        app.mode_dropdown.value = mode
        pixels = app._pixels[app.painter.frame].copy()
        app.painter.composite(pixels)
        for artist in app.painter.base + app.painter.overlays:
            artist.set_visible(True)
        app.fig.canvas.draw()
        full = np.asarray(app.fig.canvas.buffer_rgba())[..., :3].astype(int)
        for artist in app.painter.base + app.painter.overlays:
            artist.set_visible(False)
        differ = np.abs(full - pixels[..., :3].astype(int)).max(axis=-1) > 40
        assert differ.mean() < 0.08, differ.mean()
