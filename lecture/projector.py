"""One lecture section: a lesson's title, a one-line prompt, and its app.

Used by lecture/apps.ipynb. The section is a single widget with the CSS class
`bpkit-section` (and `bpkit-lesson-NN`), so the projector template can give every
app a screen of its own, and the browser tests can find each app by its section.

Imported before any app is built, it sets the lecture's figure resolution:
PIXEL_RATIO figure pixels per CSS pixel (bpkit.apps.base reads
BPKIT_PIXEL_RATIO), unless the server was started with another
(`tools/present.py --pixel-ratio 1`). The template zooms apps up to 1.45x on a
1920 x 1080 projector; at 2x they stay sharp there, and under a browser zoom
or on a HiDPI screen too. A control change then takes 9-48 ms (median, per
control) instead of 3-31 ms (benchmarks/bench_widgets.py, an idle 2-core
machine); fractional ratios such as 1.5 make some apps' fast redraws differ
from a full redraw by a pixel, so the ratio is a whole number.
"""

from __future__ import annotations

import html
import os

import ipywidgets as widgets

__all__ = ["PIXEL_RATIO", "section"]

PIXEL_RATIO = 2
os.environ.setdefault("BPKIT_PIXEL_RATIO", str(PIXEL_RATIO))


def section(
    lesson: str, title: str, prompt: str, app, compact: bool = False
) -> widgets.VBox:
    """Lay out lesson `lesson`'s app (an AppView or any widget) under a heading.

    The projector template enlarges the app as a whole (controls, figure and side
    panels keep the layout the app was designed with); `compact=True` enlarges it
    less, for an app that is taller than it is wide.
    """
    heading = widgets.HTML(
        f"<h2 class='bpkit-title'>"
        f"<span class='bpkit-lesson'>{html.escape(lesson)}</span> {html.escape(title)}"
        f"</h2><p class='bpkit-prompt'>{html.escape(prompt)}</p>"
    )
    body = widgets.Box([getattr(app, "widget", app)])
    body.add_class("bpkit-app")
    if compact:
        body.add_class("bpkit-compact")
    box = widgets.VBox([heading, body])
    box.add_class("bpkit-section")
    box.add_class(f"bpkit-lesson-{lesson}")
    return box
