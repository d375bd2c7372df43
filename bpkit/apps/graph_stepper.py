"""Lesson 02 app: step through the backward pass of a drawn graph, one node at a time.

The view only: the recorded backward pass is `bpkit.graph_stepper.GraphStepperModel`,
the drawing `bpkit.viz.graph_stepper.StepperPainter`. The app highlights the node
whose turn it is, labels every edge with the contribution that flowed back along
it, and lists the chain-rule product in a side panel.
"""

from __future__ import annotations

import html
import io
from typing import Callable

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.figure import Figure

from ..engine import Value
from ..graph_stepper import MAX_NODES, GraphStepperModel
from ..viz.graph import draw_graph_on, graph_layout
from ..viz.graph_stepper import LEGEND, StepperPainter, step_title
from .base import AppView

__all__ = ["GraphStepperApp"]


class GraphStepperApp(AppView):
    """Step / back / reset / play (with a speed slider) through a graph's backward pass.

    Widgets: `example_dropdown`, `step_button`, `back_button`, `reset_button`,
    `play` (an `ipywidgets.Play` whose value is the step number), `speed_slider`
    (steps per second), and `panel`, the side panel with the chain-rule product.
    Headless, set `app.play.value = k` to do what a play tick does.
    """

    def __init__(
        self,
        model: GraphStepperModel | None = None,
        root: Value | None = None,
        max_width: float = 8.5,
        dpi: int = 96,
        max_nodes: int = MAX_NODES,
    ) -> None:
        super().__init__(figsize=(max_width, 4.0), dpi=dpi)
        self.fig.set_layout_engine("none")
        self.max_width = max_width
        if model is None:
            model = (GraphStepperModel() if root is None
                     else GraphStepperModel(root=root, max_nodes=max_nodes))
        self.model = model
        m = self.model
        self.example_dropdown = widgets.Dropdown(
            options=list(m.examples), value=m.example, description="example",
            layout=widgets.Layout(width="420px"),
        )
        self.back_button = widgets.Button(description="back", icon="step-backward",
                                          layout=widgets.Layout(width="80px"))
        self.step_button = widgets.Button(description="step", icon="step-forward",
                                          layout=widgets.Layout(width="80px"))
        self.reset_button = widgets.Button(description="reset", icon="undo",
                                           layout=widgets.Layout(width="80px"))
        self.speed_slider = widgets.FloatSlider(
            value=2.0, min=0.5, max=8.0, step=0.5, description="steps/s",
            layout=widgets.Layout(width="260px"),
        )
        self.play = widgets.Play(value=0, min=0, max=m.n_steps, step=1,
                                 interval=self._interval(), description="play")
        self.panel = widgets.HTML(layout=widgets.Layout(width="360px"))

        self.step_button.on_click(self.handler(lambda _: self._act(self.model.step)))
        self.back_button.on_click(self.handler(lambda _: self._act(self.model.back)))
        self.reset_button.on_click(self.handler(lambda _: self._act(self.model.reset)))
        self.play.observe(self.handler(self._on_play), names="value")
        self.speed_slider.observe(self.handler(self._on_speed), names="value")
        self.example_dropdown.observe(self.handler(self._on_example), names="value")

        self._build_figure()
        self.widget = widgets.VBox([
            self.example_dropdown,
            widgets.HBox([self.back_button, self.step_button, self.reset_button,
                          self.play, self.speed_slider]),
            self.status,
            # the panel sits beside the image, or below it in a narrow window
            widgets.HBox([self.image, self.panel],
                         layout=widgets.Layout(flex_flow="row wrap")),
            self.errors,
        ])
        self.redraw()

    # -------------------------------------------------------------- handlers
    def _interval(self) -> int:
        return int(round(1000 / self.speed_slider.value))

    def _act(self, action: Callable) -> None:
        action()
        if self.play.value != self.model.position:
            self.play.value = self.model.position  # _on_play sees no change
        self.redraw()

    def _on_play(self, change) -> None:
        if change["new"] != self.model.position:
            self.model.goto(change["new"])
            self.redraw()

    def _on_speed(self, change) -> None:
        self.play.interval = self._interval()

    def _on_example(self, change) -> None:
        self.play.playing = False
        self.model.set_example(change["new"])
        self.play.value = 0  # model is at 0 already: _on_play does nothing
        self.play.max = self.model.n_steps
        self._build_figure()
        self.redraw()

    # -------------------------------------------------------------- drawing
    def _build_figure(self) -> None:
        layout = graph_layout(self.model.root)
        scale = min(1.0, self.max_width / layout.width)
        w, h = layout.width * scale, layout.height * scale
        self.fig.clear()
        self.fig.set_size_inches(w, h)
        ax = self.fig.add_axes((0, 0, 1, 1))
        self.painter = StepperPainter(draw_graph_on(ax, self.model.root, layout))
        self.drawing = self.painter.drawing
        self._dynamic = self.painter.dynamic
        self._overlay = None  # the static layer, drawn on the next render

    def render(self) -> None:
        """Draw the changing artists, lay the once-drawn static layer over them, PNG.

        Labels, data and op nodes never change while stepping, and text is most
        of a draw's cost: they are drawn once, on a transparent layer, and
        composited over each new draw of the boxes, grads and edges below them.
        """
        if self.closed:
            return
        canvas = self.fig.canvas
        dynamic = {id(a) for a in self._dynamic}
        rest = [a for a in _artists(self.fig) if id(a) not in dynamic]
        if self._overlay is None:
            shown = [a.get_visible() for a in self._dynamic]
            for a in self._dynamic:
                a.set_visible(False)
            self.fig.patch.set_alpha(0.0)
            canvas.draw()
            rgba = np.asarray(canvas.buffer_rgba()).reshape(-1, 4)
            where = np.flatnonzero(rgba[:, 3])  # text and op pixels: a few percent
            alpha = rgba[where, 3:].astype(np.float32) / 255.0
            self._overlay = (where, rgba[where, :3] * alpha, 1.0 - alpha)
            self.fig.patch.set_alpha(1.0)
            for a, v in zip(self._dynamic, shown):
                a.set_visible(v)
        for a in rest:
            a.set_visible(False)
        canvas.draw()
        for a in rest:
            a.set_visible(True)
        where, over, keep = self._overlay
        rgba = np.asarray(canvas.buffer_rgba())
        rgb = np.ascontiguousarray(rgba[..., :3])
        flat = rgb.reshape(-1, 3)
        flat[where] = (flat[where] * keep + over + 0.5).astype(np.uint8)
        buf = io.BytesIO()
        PIL.Image.fromarray(rgb).save(buf, format="png", compress_level=1)
        self.image.value = buf.getvalue()

    def redraw(self) -> None:
        m = self.model
        self.painter.update(m)
        self.status.value = f"<b>{html.escape(step_title(m))}</b>"
        self.panel.value = _panel_html(m)
        self.render()


def _artists(fig: Figure) -> list:
    """Every drawable child of the figure and of its axes (not the backgrounds)."""
    out = [a for a in fig.texts]
    for ax in fig.axes:
        out += [*ax.patches, *ax.texts, *ax.lines, *ax.collections]
    return out


def _panel_html(m: GraphStepperModel) -> str:
    legend = "".join(
        f"<span style='background:{c};border:1px solid #555;padding:0 6px;"
        f"margin-right:4px'></span>{html.escape(t)}<br>"
        for c, t in LEGEND
    )
    body = "\n".join(html.escape(line) for line in m.explain())
    return (
        "<div style='font-size:12px'><b>chain rule at this step</b>"
        "<pre style='white-space:pre-wrap;font-size:11.5px;line-height:1.35'>"
        f"{body}</pre>"
        f"<div style='font-size:11px'>{legend}edge labels: the contribution that "
        "flowed back along the edge</div></div>"
    )
