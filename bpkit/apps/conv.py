"""Lesson 09 app: the convolution backward explorer.

Pick a cell of the output gradient dy, a kernel weight or an input pixel, and
see which cells of the other two arrays it meets and what each contributes:
the receptive field of an output cell, the sum over every position of a
shared weight, the few windows an input pixel sat in. The model is
`bpkit.conv.explorer.ConvExplorer`, the painter `bpkit.viz.conv.ExplorerPainter`.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..conv.explorer import ConvExplorer
from ..viz.conv import ExplorerPainter
from .base import BAD, GOOD, AppView, png_bytes, status_html

__all__ = ["ConvExplorerApp"]

_MODES = [("an output-gradient cell dy[i, j]", "output"),
          ("a kernel weight w[a, e]", "weight"),
          ("an input pixel x[r, c]", "input")]


class ConvExplorerApp(AppView):
    """Pick what to follow (dropdown) and its cell (row, column); sizes below."""

    def __init__(self, model: ConvExplorer | None = None) -> None:
        super().__init__(figsize=(10, 3.6))
        self.model = m = model or ConvExplorer()
        style = {"description_width": "70px"}
        self.mode_dropdown = widgets.Dropdown(options=_MODES, value=m.mode,
                                              description="follow", style=style)
        n = m.shape()[0]
        self.row_slider = widgets.IntSlider(value=m.cell[0], min=0, max=n - 1,
                                            description="row", style=style)
        self.col_slider = widgets.IntSlider(value=m.cell[1], min=0, max=n - 1,
                                            description="column", style=style)
        self.size_slider = widgets.IntSlider(value=m.size, min=3, max=8,
                                             description="image H=W", style=style)
        self.kernel_slider = widgets.IntSlider(value=m.kernel, min=1, max=5,
                                               description="kernel K", style=style)
        self.stride_slider = widgets.IntSlider(value=m.stride, min=1, max=3,
                                               description="stride s", style=style)
        self.padding_slider = widgets.IntSlider(value=m.padding, min=0, max=2,
                                                description="padding p", style=style)
        self.mode_dropdown.observe(self.handler(lambda c: self.pick()), names="value")
        for w in (self.row_slider, self.col_slider):
            w.observe(self.handler(lambda c: self.pick()), names="value")
        for w in (self.size_slider, self.kernel_slider, self.stride_slider,
                  self.padding_slider):
            w.observe(self.handler(lambda c: self.resize()), names="value")
        self.painter = ExplorerPainter(self.fig.subplots(1, 3, width_ratios=[1.3, 1, 1.1]))
        for artist in self.painter.artists + self.painter.base:  # composited in numpy
            artist.set_visible(False)                            # instead: see render
        self._blank = None  # the figure's pixels without the grids: titles and frames
        self._pixels: dict = {}  # frame -> the figure's static pixels (a few kept)
        self._busy = False  # slider limits set by the app itself do not redraw
        self.widget = widgets.VBox([
            widgets.HBox([self.mode_dropdown, self.row_slider, self.col_slider]),
            widgets.HBox([self.size_slider, self.kernel_slider, self.stride_slider,
                          self.padding_slider]),
            self.status, self.image, self.errors,
        ])
        self.redraw()

    def pick(self) -> None:
        """The mode or the cell changed: select it and redraw."""
        if self._busy:
            return
        m = self.model
        mode = self.mode_dropdown.value
        if mode != m.mode:
            m.select(mode, 0, 0)
            self._sync_cell_sliders()
        else:
            m.select(mode, self.row_slider.value, self.col_slider.value)
        self.redraw()

    def resize(self) -> None:
        """A size changed: keep the kernel inside the padded image, then redraw."""
        if self._busy:
            return
        size, p = self.size_slider.value, self.padding_slider.value
        self._busy = True
        try:
            self.kernel_slider.max = min(5, size + 2 * p)
        finally:
            self._busy = False
        self.model.configure(size, self.kernel_slider.value, self.stride_slider.value, p)
        self._sync_cell_sliders()
        self.redraw()

    def _sync_cell_sliders(self) -> None:
        m = self.model
        n = m.shape()[0]
        self._busy = True
        try:
            for w, v in ((self.row_slider, m.cell[0]), (self.col_slider, m.cell[1])):
                if w.max != n - 1:
                    if v > w.max:
                        w.value = v
                    w.max = n - 1
                w.value = v
        finally:
            self._busy = False

    def invalidate(self) -> None:
        super().invalidate()
        self._blank = None
        self._pixels.clear()

    def render(self) -> None:
        """The figure drawn by matplotlib once, without its images; the grids and the
        overlays blended in with numpy.

        Drawing the images through matplotlib costs ~15 ms each (it resamples
        them), a whole redraw tens of ms; every grid is square, so the axes never
        move and blending the same bitmaps into a copy of the kept pixels costs a
        few ms.
        """
        if self.closed:
            return
        canvas = self.fig.canvas
        if not self._layout_frozen:  # solve the layout once, then size the grids
            canvas.draw()
            self.fig.set_layout_engine("none")
            self._layout_frozen = True
            self.painter.setup(self.model)
            self.painter.update(self.model, self.model.select())
        if self._blank is None:
            canvas.draw()
            self._blank = np.asarray(canvas.buffer_rgba()).copy()
        frame = self.painter.frame
        if frame not in self._pixels:
            if len(self._pixels) >= 8:
                self._pixels.pop(next(iter(self._pixels)))
            pixels = self._blank.copy()
            self.painter.composite(pixels, base=True)
            self._pixels[frame] = pixels
        pixels = self._pixels[frame].copy()
        self.painter.composite(pixels)
        self.image.value = png_bytes(pixels)

    def redraw(self) -> None:
        m = self.model
        s = m.select()
        if self.painter.frame != (m.size, m.kernel, m.stride, m.padding):
            self.painter.setup(m)
        self.painter.update(m, s)
        ok = s.full is None or abs(s.total - s.full) < 1e-9
        check = ("" if s.full is None else "; conv2d_backward gives the same" if ok
                 else f"; conv2d_backward gives {s.full:g}")
        self.status.value = status_html(
            f"y is {m.out}x{m.out} = ({m.size} + 2*{m.padding} - {m.kernel}) // "
            f"{m.stride} + 1. {s.text}{check}", GOOD if ok else BAD)
        self.render()
