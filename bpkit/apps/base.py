"""What every widget view shares: a figure rendered to PNG, a status line, an error panel."""

from __future__ import annotations

import functools
import io
import traceback
from typing import Callable

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["AppView"]


class AppView:
    """Base for a widget view.

    The figure is a plain matplotlib `Figure` on an Agg canvas, rendered to PNG
    into an `ipywidgets.Image`. No pyplot state, no front-end extension: the
    same bytes show in JupyterLab, Voila and a headless test, and a test can
    read the plotted data straight off the artists.

    Subclasses build `self.fig`'s axes and artists once, and update the artists
    in `redraw()`; handlers are wrapped by `self.handler` so an exception
    appears in `self.errors` instead of vanishing into the kernel log.
    """

    def __init__(self, figsize: tuple[float, float], dpi: int = 80) -> None:
        self.fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        FigureCanvasAgg(self.fig)
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML()
        self.errors = widgets.Output()
        self.widget: widgets.Widget = widgets.VBox()  # subclasses fill this in
        self._layout_frozen = False
        self._background = None  # pixels of everything but the animated artists
        self._animated: list = []  # none: every render redraws the whole figure

    def animate(self, *artists) -> None:
        """Mark artists that change on every update; the rest is drawn once and cached.

        Call `invalidate()` whenever something else changes (axis limits, ticks,
        titles): the next `render()` then redraws the whole figure.
        """
        for a in artists:
            a.set_animated(True)
            self._animated.append(a)

    def invalidate(self) -> None:
        """The cached background is stale: redraw everything on the next render."""
        self._background = None

    def handler(self, fn: Callable) -> Callable:
        """Wrap a callback so any error is shown in the app, with its traceback."""

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception:  # shown to the learner, never lost
                # append_stdout works with or without a kernel (tests, Voila)
                self.errors.outputs = ()
                self.errors.append_stdout(traceback.format_exc())

        return wrapped

    def render(self) -> None:
        """Draw the figure and put its PNG bytes in the image widget.

        The constrained layout is solved on the first render only, then frozen:
        solving it costs more than drawing the whole figure, and the axes of an
        app do not move.
        """
        canvas = self.fig.canvas
        if not self._layout_frozen:
            canvas.draw()
            self.fig.set_layout_engine("none")
            self._layout_frozen = True
            self._background = None
        if not self._animated:
            canvas.draw()
        elif self._background is None:
            canvas.draw()  # animated artists are left out of this full draw
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self._animated:
            if artist.get_visible():
                artist.axes.draw_artist(artist)
        buf = io.BytesIO()
        rgba = np.asarray(canvas.buffer_rgba())
        PIL.Image.fromarray(rgba[..., :3]).save(buf, format="png", compress_level=1)
        self.image.value = buf.getvalue()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
