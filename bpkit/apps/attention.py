"""Lesson 10 app: pick a query, see its attention weights and the gradient it sends back.

The view only: a query slider and a causal-mask checkbox; the model is
`bpkit.attention.AttentionExplorer`, the figure `bpkit.viz.attention.ExplorerPainter`.
"""

from __future__ import annotations

import ipywidgets as widgets

from ..attention import AttentionExplorer
from ..viz.attention import ExplorerPainter
from .base import GOOD, AppView, status_html

__all__ = ["AttentionExplorerApp"]

_GRAD_MAX = 2.0  # the gradient panel's fixed top: every query of the default model fits


class AttentionExplorerApp(AppView):
    """A slider for the query position t, a checkbox for the causal mask; two panels."""

    def __init__(self, model: AttentionExplorer | None = None) -> None:
        super().__init__(figsize=(10, 3.4))
        self.model = m = model or AttentionExplorer()
        style = {"description_width": "100px"}
        self.query_slider = widgets.IntSlider(
            value=m.query, min=0, max=m.T - 1, description="query t", style=style)
        self.causal_checkbox = widgets.Checkbox(value=m.causal, description="causal mask")
        self.query_slider.observe(
            self.handler(lambda c: self.update(self.model.set_query, c["new"])), "value")
        self.causal_checkbox.observe(
            self.handler(lambda c: self.update(self.model.set_causal, c["new"])), "value")
        # a fixed title: the status line names the query (a changing title costs
        # more to draw than every bar together)
        self.painter = ExplorerPainter(self.fig.subplots(1, 2), m.T, _GRAD_MAX,
                                       dynamic_title=False)
        self.animate(*self.painter.artists)
        self.widget = widgets.VBox([
            widgets.HBox([self.query_slider, self.causal_checkbox]),
            self.status, self.image, self.errors,
        ])
        self.redraw()

    def update(self, action, value) -> None:
        action(value)
        self.redraw()

    def redraw(self) -> None:
        m = self.model
        self.painter.update(m)
        p = self.painter
        clipped = (m.dv_norms.max() > p.grad_max or m.dk_along.max() > p.grad_max
                   or m.dk_along.min() < p.grad_min)
        clipped = " (bars clipped to the panel)" if clipped else ""
        keys = "key" if m.T == 1 else "keys"
        self.status.value = status_html(
            f"query {m.query} attends to {m.visible} of {m.T} {keys}; its largest weight "
            f"{m.weights.max():.2f} is on key {int(m.weights.argmax())}; value s "
            f"receives p[t, s] * dL/dout[t]{clipped}", GOOD)
        self.render()
