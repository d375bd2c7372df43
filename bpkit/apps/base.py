"""What every widget view shares: a figure rendered to PNG, a status line, an error panel."""

from __future__ import annotations

import functools
import os
import struct
import traceback
import weakref
import zlib
from typing import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .threads import one_blas_thread

__all__ = [
    "AppView", "GOOD", "WARN", "BAD", "PIXEL_RATIO_VAR", "pixel_ratio",
    "png_bytes", "status_html",
]

# Status lines. No one JupyterLab colour variable is readable as *text* on both
# its light and dark themes (warn-color1 is 2.7:1 on white, error-color0 3.8:1
# on #111), so the words take the theme's own text colour (16:1 light, 12:1
# dark) and the verdict is a coloured mark beside them, in the theme's
# success/warn/error-color0 (3.8:1 or more on both themes, over the 3:1 that
# graphics need). Each mark has its own shape, so colour is never the only cue.
# tests/test_apps_contrast.py measures these against the installed themes' CSS.
TEXT = "var(--jp-ui-font-color1, rgba(0, 0, 0, 0.87))"
GOOD = "var(--jp-success-color0, #1b5e20)"
WARN = "var(--jp-warn-color0, #e65100)"
BAD = "var(--jp-error-color0, #b71c1c)"
_MARKS = {GOOD: "\u25cf", WARN: "\u25b2", BAD: "\u2716"}  # ● ▲ ✖


def status_html(message: str, colour: str) -> str:
    """A status line: `message` in the theme's text colour after a mark in `colour`.

    `colour` is GOOD, WARN or BAD.
    """
    if colour not in _MARKS:
        raise ValueError(f"colour must be GOOD, WARN or BAD, got {colour!r}")
    return (f"<span style='color:{colour}'>{_MARKS[colour]}</span> "
            f"<b style='color:{TEXT}'>{message}</b>")


# Figures are drawn for a screen with this many pixels per CSS pixel and shown at
# their 1x size, so they stay sharp on a HiDPI screen or zoomed in (the lecture
# page zooms apps up to 1.45x and sets 2). Unset, 1: at 2x a control change
# takes 1.5-3.5x as long (benchmarks/bench_widgets.py), so notebooks stay at 1x.
PIXEL_RATIO_VAR = "BPKIT_PIXEL_RATIO"


def pixel_ratio() -> float:
    """The figures' pixel density, from $BPKIT_PIXEL_RATIO (1 to 4; 1 when unset)."""
    text = os.environ.get(PIXEL_RATIO_VAR, "").strip()
    if not text:
        return 1.0
    try:
        ratio = float(text)
    except ValueError:
        ratio = float("nan")
    if not 1.0 <= ratio <= 4.0:
        raise ValueError(
            f"{PIXEL_RATIO_VAR} must be a number from 1 to 4, got {text!r}")
    return ratio


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels, from a PNG's header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def png_bytes(rgba: np.ndarray) -> bytes:
    """PNG of the RGB of an (H, W, 4) or (H, W, 3) uint8 buffer: rows unfiltered, zlib 1.

    PIL tries five row filters on every row: 2-3x the time of compressing the
    rows as they are, for about the same size on a plot's flat colours.
    """
    h, w = rgba.shape[:2]
    rows = np.empty((h, 1 + 3 * w), np.uint8)  # (H, 1 + 3W)
    rows[:, 0] = 0  # filter type of each row: none
    rows[:, 1:] = rgba[..., :3].reshape(h, 3 * w)
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows, 1)) + _chunk(b"IEND", b""))


def _current_cell() -> tuple[str, str] | None:
    """(cell id, execution id) of the notebook cell running now, else None.

    JupyterLab and Notebook 7 send the cell's id with each execution request.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipywidgets brings IPython
        return None
    shell = get_ipython()
    header = getattr(shell, "parent_header", None) or {}
    cell = (header.get("metadata") or {}).get("cellId")
    run = (header.get("header") or {}).get("msg_id", "")
    return None if cell is None else (cell, run)


def _widgets_in(root) -> list[widgets.Widget]:
    """`root` and every widget it refers to (children, layout, style), each once."""
    found: dict[int, widgets.Widget] = {}
    stack = [root]
    while stack:
        w = stack.pop()
        if not isinstance(w, widgets.Widget) or id(w) in found:
            continue
        found[id(w)] = w
        for name in w.keys:  # the synced traits: widgets hide in layout and style
            value = getattr(w, name, None)
            if isinstance(value, widgets.Widget):
                stack.append(value)
            elif isinstance(value, (tuple, list)):
                stack.extend(v for v in value if isinstance(v, widgets.Widget))
    return list(found.values())


class AppView:
    """Base for a widget view.

    The figure is a plain matplotlib `Figure` on an Agg canvas, rendered to PNG
    into an `ipywidgets.Image`. No pyplot state, no front-end extension: the
    same bytes show in JupyterLab, Voila and a headless test, and a test can
    read the plotted data straight off the artists.

    Subclasses build `self.fig`'s axes and artists once, and update the artists
    in `redraw()`; handlers are wrapped by `self.handler` so an exception
    appears in `self.errors` instead of vanishing into the kernel log.

    `dpi` is the figure's resolution on a 1x screen: with $BPKIT_PIXEL_RATIO
    (`pixel_ratio()`) above 1, the figure is drawn at that many times the dpi,
    and the image keeps its 1x size on the page, so it is sharp when zoomed.

    `close()` releases the widgets and the figure. Re-running a notebook cell
    closes the apps of that class its previous run built (apps built in one run,
    say in a loop, all stay), so an app cell run a hundred times keeps one app's
    memory, not a hundred.
    """

    # (class name, cell id) -> [(execution id, weak reference to an app)]
    _by_cell: dict[tuple, list] = {}

    def __init__(self, figsize: tuple[float, float], dpi: int = 80) -> None:
        self.closed = False
        where = _current_cell()
        if where is not None:
            cell, run = where
            built = AppView._by_cell.setdefault((type(self).__name__, cell), [])
            for old_run, ref in built:
                old = ref()
                if old is not None and old_run != run:
                    old.close()
            built[:] = [(r, ref) for r, ref in built if r == run and ref() is not None]
            built.append((run, weakref.ref(self)))
        self.pixel_ratio = pixel_ratio()
        self.fig = Figure(figsize=figsize, dpi=dpi * self.pixel_ratio,
                          layout="constrained")
        FigureCanvasAgg(self.fig)
        self.image = widgets.Image(format="png")
        if self.pixel_ratio != 1.0:  # every PNG, whichever render() made it
            self.image.observe(self._show_at_1x, names="value")
        self.status = widgets.HTML()
        self.errors = widgets.Output()
        self.widget: widgets.Widget | None = None  # subclasses build it
        self._layout_frozen = False
        self._background = None  # pixels of everything but the animated artists
        self._animated: list = []  # none: every render redraws the whole figure
        self._static_frame = None  # what the static part shows (see show_frame)
        self._kept_frames: dict = {}  # frame -> its background, the most recent few

    def animate(self, *artists) -> None:
        """Mark artists that change on every update; the rest is drawn once and cached.

        Call `invalidate()` whenever something else changes (axis limits, ticks,
        titles): the next `render()` then redraws the whole figure.
        """
        for a in artists:
            a.set_animated(True)
            self._animated.append(a)

    def invalidate(self) -> None:
        """The cached background is stale: redraw everything on the next render.

        The kept backgrounds of other frames are dropped too: whatever changed
        is in them as well.
        """
        self._background = None
        self._kept_frames.clear()

    def show_frame(self, frame) -> None:
        """The static part now shows `frame` (a hashable: axis limits, ticks...).

        Set the axes for it first. A frame drawn before gets its kept background
        back, so toggling between a few axis ranges costs no full redraw; a new one
        is drawn whole on the next render and kept (the eight most recent).
        """
        if frame != self._static_frame:
            self._static_frame = frame
            self._background = self._kept_frames.get(frame)

    def handler(self, fn: Callable) -> Callable:
        """Wrap a callback so any error is shown in the app, with its traceback.

        The error panel empties again at the next callback that succeeds. The
        callback runs on one BLAS thread (`threads.one_blas_thread`).
        """

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            try:
                with one_blas_thread():  # small matrices: see apps/threads.py
                    out = fn(*args, **kwargs)
            except Exception:  # shown to the learner, never lost
                # append_stdout works with or without a kernel (tests, Voila)
                self.errors.outputs = ()
                self.errors.append_stdout(traceback.format_exc())
                return None
            if self.errors.outputs:  # it works again: the old error is history
                self.errors.outputs = ()
            return out

        return wrapped

    def render(self) -> None:
        """Draw the figure and put its PNG bytes in the image widget.

        The constrained layout is solved on the first render only, then frozen:
        solving it costs more than drawing the whole figure, and the axes of an
        app do not move.
        """
        if self.closed:
            return  # a late timer tick or callback after close(): nothing to draw
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
            if self._static_frame is not None:
                self._kept_frames.pop(self._static_frame, None)
                if len(self._kept_frames) >= 8:
                    self._kept_frames.pop(next(iter(self._kept_frames)))
                self._kept_frames[self._static_frame] = self._background
        else:
            canvas.restore_region(self._background)
        for artist in self._animated:
            if artist.get_visible():
                artist.axes.draw_artist(artist)
        self.image.value = png_bytes(np.asarray(canvas.buffer_rgba()))

    def _show_at_1x(self, change) -> None:
        """Give the image its 1x width on the page (the browser keeps its aspect)."""
        if len(change["new"]) >= 24:
            width = round(_png_size(change["new"])[0] / self.pixel_ratio)
            self.image.width = str(width)  # synced only when it changes

    def close(self) -> None:
        """Close every widget of the app and free its figure; safe to call twice."""
        if self.closed:
            return
        self.closed = True
        owned = [v for v in vars(self).values() if isinstance(v, widgets.Widget)]
        for group in vars(self).values():  # dicts of widgets, one per optimizer...
            if isinstance(group, dict):
                owned += [v for v in group.values() if isinstance(v, widgets.Widget)]
        seen: set[int] = set()
        for root in [self.widget, *owned]:
            for w in _widgets_in(root):
                if id(w) not in seen:
                    seen.add(id(w))
                    w.close()
        # drop everything else the app holds (figure, artists, widgets, caches:
        # the canvas alone keeps a ~1 MB pixel buffer), so a closed app that a
        # notebook's Out[] still refers to keeps only its model
        self.fig.clear()
        model = getattr(self, "model", None)
        self.__dict__.clear()
        self.closed, self.model, self.fig, self.image = True, model, None, None

    def _repr_mimebundle_(self, **kwargs):
        if self.closed:
            return {"text/plain": f"{type(self).__name__} (closed)"}
        return self.widget._repr_mimebundle_(**kwargs)
