"""Lesson 11 app: the explorer's view driven headlessly, and its static figure."""

import io

import numpy as np
import PIL.Image
import pytest

from bpkit.apps.cost import CostExplorerApp
from bpkit.cost.explorer import CostExplorerModel, kept_bytes_model
from bpkit.viz.cost import explorer_figure


def _app():
    return CostExplorerApp(CostExplorerModel(costs=[5e-11, 0, 0, 0]))


def test_sliders_drive_the_model_and_the_plotted_data():
    app = _app()
    png0 = app.image.value
    app.depth_slider.value = 25
    app.width_slider.value = 128
    app.batch_slider.value = 32
    app.segment_slider.value = 5
    m = app.model
    assert (m.depth, m.width, m.batch, m.segment) == (25, 128, 32, 5)
    xs, ys = app.painter.curve.get_data()
    assert list(xs) == list(range(1, 26))
    assert ys[4] == kept_bytes_model(25, 128, 32, 5) == m.peak_bytes
    assert app.painter.plain.get_ydata()[0] == 9 * 25 * 128 * 32
    assert app.painter.params.get_ydata()[0] == 8 * 25 * (128 * 128 + 128)
    assert app.painter.marker.get_data()[0][0] == 5
    heights = [b.get_height() for b in app.painter.bars]
    assert heights[1] == pytest.approx(heights[0] * 4 / 3)
    assert "depth 25, width 128, batch 32, checkpoint every 5 blocks" in app.status.value
    assert app.image.value != png0
    assert app.errors.outputs == ()


def test_segment_zero_means_plain_backprop_and_follows_the_depth():
    app = _app()
    app.segment_slider.value = 0
    assert app.model.segment is None
    assert "no checkpoints" in app.status.value
    assert app.model.peak_bytes == app.model.plain_bytes
    app.segment_slider.value = 16
    app.depth_slider.value = 6  # the segment slider's range shrinks with the depth
    assert app.segment_slider.max == 6 and app.model.segment == 6
    assert app.errors.outputs == ()


def test_every_slider_at_both_ends_leaves_no_error():
    app = _app()
    for w in (app.depth_slider, app.width_slider, app.batch_slider,
              app.segment_slider):
        for v in (w.min, w.max, w.min):
            w.value = v
            assert app.errors.outputs == ()
    assert np.isfinite(app.painter.curve.get_data()[1]).all()


def test_static_figure_draws_the_explorer_at_one_setting():
    fig = explorer_figure(CostExplorerModel(costs=[5e-11, 0, 0, 0]))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    img = np.asarray(PIL.Image.open(buf))
    assert img.shape[0] > 200 and img.std() > 10


def test_static_figure_fits_its_axes_and_writes_the_numbers():
    m = CostExplorerModel(depth=16, width=256, batch=64, segment=4, costs=[5e-11, 0, 0, 0])
    fig = explorer_figure(m)
    ax_mem, ax_time = fig.axes
    texts = [t.get_text() for t in ax_mem.texts] + [t.get_text() for t in ax_time.texts]
    assert ax_mem.get_yscale() == "linear"
    assert ax_mem.get_ylim()[1] < 1.2 * m.parameter_bytes  # fitted, not 10 B to 10 GB
    assert "s = 4: 960 kB" in texts and "plain 2.2 MB" in texts
    assert "parameters 8.0 MB" in texts
    assert any(t.endswith(" ms") for t in texts)


def test_status_line_at_the_small_corner_has_no_scientific_notation():
    # costs of the order this machine measures: the call overhead keeps the bars up
    app = CostExplorerApp(CostExplorerModel(costs=[2.5e-11, 1e-9, 5e-6, 5e-10]))
    app.depth_slider.value, app.width_slider.value = 2, 16
    app.batch_slider.value, app.segment_slider.value = 1, 0
    assert "e-0" not in app.status.value and "e+0" not in app.status.value
    assert all(b.get_height() > app.painter.ax_time.get_ylim()[0] for b in app.painter.bars)
