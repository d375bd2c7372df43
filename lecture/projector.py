"""One lecture section: a lesson's title, a one-line prompt, and its app.

Used by lecture/apps.ipynb. The section is a single widget with the CSS class
`bpkit-section` (and `bpkit-lesson-NN`), so the projector template can give every
app a screen of its own, and the browser tests can find each app by its section.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

__all__ = ["section"]


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
