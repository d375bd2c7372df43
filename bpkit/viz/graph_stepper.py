"""Pictures of a `GraphStepperModel`'s state: node colours, gradients, edge labels.

`StepperPainter` updates a drawn graph in place (the app reuses it for every
step); `stepper_figure` draws one step as a static figure, for readers without
a kernel.
"""

from __future__ import annotations

from collections import Counter

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..graph_stepper import GraphStepperModel, fmt
from .graph import (
    EDGE_COLOUR,
    FONT,
    GraphDrawing,
    PngFigure,
    _node_colour,
    draw_graph_on,
    graph_layout,
)

__all__ = ["StepperPainter", "stepper_figure", "step_title", "LEGEND"]

CURRENT_COLOUR = "#ff9f1c"  # the node whose turn it is
RECEIVING_COLOUR = "#ffd8a8"  # its inputs, receiving contributions right now
DONE_COLOUR = "#c7e9c0"  # nodes whose turn has come: gradient complete
CURRENT_EDGE = "#b00020"
DELIVERED_EDGE = "0.2"
# (colour, meaning) of the node highlights, for legends in a figure or a panel
LEGEND = ((CURRENT_COLOUR, "its turn now"),
          (RECEIVING_COLOUR, "receiving a contribution"),
          (DONE_COLOUR, "turn done: gradient complete"))


class StepperPainter:
    """Draws a model's state onto a `GraphDrawing`: colours, grads, edge labels."""

    def __init__(self, drawing: GraphDrawing) -> None:
        self.drawing = drawing
        uses = Counter(j for ins in drawing.layout.inputs for j in ins)
        # (consumer, slot) -> does gradient flow back into a node used more than once?
        ins = drawing.layout.inputs
        self.reused = {(i, k): uses[ins[i][k]] > 1 for (i, k) in drawing.edge_arrows}

    @property
    def dynamic(self) -> list:
        """The artists an update may change; everything else is drawn once."""
        d = self.drawing
        return [*d.boxes, *d.grad_texts, *d.edge_arrows.values(),
                *d.edge_labels.values()]

    def update(self, model: GraphStepperModel) -> None:
        d = self.drawing
        cur = model.current
        receiving = set(cur.inputs) if cur else set()
        for i in range(len(model.nodes)):
            d.set_grad(i, model.grad[i])
            if cur is not None and i == cur.node:
                fc, lw = CURRENT_COLOUR, 2.5
            elif i in receiving:
                fc, lw = RECEIVING_COLOUR, 1.5
            elif model.done(i):
                fc, lw = DONE_COLOUR, 1.0
            else:
                fc, lw = _node_colour(d.layout, i), 1.0
            d.boxes[i].set_facecolor(fc)
            d.boxes[i].set_linewidth(lw * d.scale)
        delivered = model.delivered()
        for key, arrow in d.edge_arrows.items():
            label = d.edge_labels[key]
            now = cur is not None and key[0] == cur.node
            if key in delivered:
                arrow.set_color(CURRENT_EDGE if now else DELIVERED_EDGE)
                arrow.set_linewidth((2.0 if now else 1.0) * d.scale)
                # a node used once has grad = its one contribution: label only
                # what adds up (reused nodes) and what flows right now
                label.set_visible(now or self.reused[key])
                label.set_text(fmt(delivered[key]))
                label.set_color(CURRENT_EDGE if now else "0.15")
            else:
                arrow.set_color(EDGE_COLOUR)
                arrow.set_linewidth(max(0.5, d.scale))
                label.set_visible(False)

    @staticmethod
    def legend_handles() -> list[Patch]:
        return [Patch(fc=c, ec="0.25", label=t) for c, t in LEGEND]


def step_title(model: GraphStepperModel) -> str:
    if model.current is None:
        return f"{model.example}: before the backward pass (dL/dL = 1)"
    n = model.names[model.current_node]
    return f"{model.example}: step {model.position}/{model.n_steps}, {n}'s turn"


def stepper_figure(
    model: GraphStepperModel, max_width: float = 10.0, dpi: int = 100
) -> Figure:
    """A static figure of the model's current step: the graph, its chain-rule lines."""
    layout = graph_layout(model.root)
    scale = min(1.0, max_width / layout.width)
    lines = model.explain()
    w = layout.width * scale
    gh = layout.height * scale
    th = 0.17 * (len(lines) + 1) + 0.2
    head = 0.6
    fig = PngFigure(figsize=(max(w, 7.0), gh + th + head), dpi=dpi)
    FigureCanvasAgg(fig)
    H = gh + th + head
    ax = fig.add_axes((0, (th) / H, 1, gh / H))
    painter = StepperPainter(draw_graph_on(ax, model.root, layout))
    painter.update(model)
    fig.text(0.5, 1 - 0.18 / H, step_title(model), ha="center", va="center",
             fontsize=FONT + 2, fontweight="bold")
    fig.legend(handles=StepperPainter.legend_handles(), loc="upper center",
               bbox_to_anchor=(0.5, 1 - 0.3 / H), ncol=3, fontsize=FONT,
               frameon=False)
    fig.text(0.01, (th - 0.1) / H, "\n".join(lines), ha="left", va="top",
             family="monospace", fontsize=FONT)
    return fig

