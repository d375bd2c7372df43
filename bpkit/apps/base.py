"""What every widget view shares: a figure rendered to PNG, a status line, an error panel."""

from __future__ import annotations

import functools
import io
import traceback
from typing import Callable

import ipywidgets as widgets
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

    def handler(self, fn: Callable) -> Callable:
        """Wrap a callback so any error is shown in the app, with its traceback."""

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception:  # shown to the learner, never lost
                self.errors.clear_output()
                with self.errors:
                    print(traceback.format_exc())

        return wrapped

    def render(self) -> None:
        """Draw the figure and put its PNG bytes in the image widget."""
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
        self.image.value = buf.getvalue()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
