"""Lesson 11 app: what a training step of a deep MLP costs in memory and time.

`CostExplorerApp` (model: `bpkit.cost.explorer.CostExplorerModel`): sliders for
depth, width, batch and the checkpoint segment (0: none). The left plot is the
peak memory backprop keeps against the segment length, beside plain backprop
and the parameters; the right one the time per step with and without
checkpoints. Memory comes from the byte model the tests hold equal to what
`Checkpointed` and `kept_bytes` measure; time from a model of four costs
(flops, weight reads, layer calls, activation elements) fitted to four short
timed steps on this machine (`bpkit.cost.explorer.measure_costs`).

The view only: it owns the widgets and the figure.
"""

from __future__ import annotations

import ipywidgets as widgets

from ..cost.explorer import LIMITS, CostExplorerModel
from ..viz.cost import ExplorerPainter
from .base import GOOD, WARN, AppView, status_html
from .threads import one_blas_thread

__all__ = ["CostExplorerApp"]


class CostExplorerApp(AppView):
    """Sliders: depth, width, batch, checkpoint segment; memory and time plots."""

    def __init__(self, model: CostExplorerModel | None = None) -> None:
        super().__init__(figsize=(10, 3.4))
        if model is None:
            with one_blas_thread():  # the costs the handlers' steps would run at
                model = CostExplorerModel()
        self.model = m = model
        style = {"description_width": "130px"}
        self.depth_slider = widgets.IntSlider(
            value=m.depth, min=LIMITS["depth"][0], max=LIMITS["depth"][1],
            description="depth (blocks)", style=style)
        self.width_slider = widgets.IntSlider(
            value=m.width, min=LIMITS["width"][0], max=LIMITS["width"][1], step=16,
            description="width", style=style)
        self.batch_slider = widgets.IntSlider(
            value=m.batch, min=LIMITS["batch"][0], max=LIMITS["batch"][1],
            description="batch N", style=style)
        self.segment_slider = widgets.IntSlider(
            value=m.segment or 0, min=0, max=m.depth,
            description="segment (0: none)", style=style)
        for w in (self.depth_slider, self.width_slider, self.batch_slider,
                  self.segment_slider):
            w.observe(self.handler(lambda change: self.set_params()), names="value")
        self.painter = ExplorerPainter(self.fig)
        p = self.painter
        self.animate(*p.artists)
        self.widget = widgets.VBox([
            widgets.HBox([widgets.VBox([self.depth_slider, self.width_slider]),
                          widgets.VBox([self.batch_slider, self.segment_slider])]),
            self.status, self.image, self.errors,
        ])
        self.redraw()

    def set_params(self) -> None:
        depth = self.depth_slider.value
        if self.segment_slider.max != depth:
            self.segment_slider.max = depth  # clips the value, which calls us again
        self.model.set(depth=depth, width=self.width_slider.value,
                       batch=self.batch_slider.value,
                       segment=min(self.segment_slider.value, depth))
        self.redraw()

    def redraw(self) -> None:
        m = self.model
        self.painter.update(m)  # fixed limits: only the animated artists move
        colour = GOOD if m.segment and m.peak_bytes < m.plain_bytes else WARN
        self.status.value = status_html(m.message, colour)
        self.render()
