"""Draw a `Value` graph with matplotlib alone: no graphviz, no system binary.

`bpkit.viz.graph_layout` decides where every node goes; this module draws
boxes, op nodes, bent edges and their labels there, as a figure, onto given
axes (`draw_graph_on`, which the stepper app updates in place) or as SVG.
All lengths are in inches at scale 1, so text keeps its size whatever the graph.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path
from matplotlib.text import Text

from ..engine import Value
from ..graph_stepper import MAX_NODES, fmt
from .graph_layout import (
    BOX_H,
    BOX_W,
    OP_H,
    GraphLayout,
    _op_width,
    graph_layout,
    op_text,
)

__all__ = [
    "GraphLayout",
    "GraphDrawing",
    "PngFigure",
    "graph_layout",
    "draw_graph",
    "draw_graph_on",
    "to_svg",
    "fmt",
    "MAX_NODES",
]

FONT = 8.0  # points, at scale 1
MIN_FONT = 5.0  # smaller than this is unreadable: summarise instead

# colours
LEAF_COLOUR = "#dbe9f6"
VALUE_COLOUR = "#f4f4f4"
ROOT_COLOUR = "#fde7c8"
OP_COLOUR = "#fff6d5"
EDGE_COLOUR = "0.45"

class PngFigure(Figure):
    """A plain `Figure` (no pyplot state) that Jupyter and Voila show as PNG.

    A drawn graph has few colours: a 64-colour palette PNG looks the same and
    is about four times smaller, which keeps committed notebooks light.
    """

    def _repr_png_(self) -> bytes:
        import PIL.Image

        buf = io.BytesIO()
        self.savefig(buf, format="png")
        image = PIL.Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
        out = io.BytesIO()
        image.quantize(64, method=PIL.Image.Quantize.FASTOCTREE).save(out, format="png")
        return out.getvalue()

@dataclass
class GraphDrawing:
    """The artists of a drawn graph, by node index, for apps to update.

    boxes, label_texts, data_texts, grad_texts: one per value node.
    op_boxes, op_texts, out_arrows: per non-leaf node i (its op and op -> value).
    edge_arrows, edge_labels: per input edge (i, k); labels start hidden.
    """

    layout: GraphLayout
    ax: Axes
    scale: float
    boxes: list[FancyBboxPatch]
    label_texts: list[Text]
    data_texts: list[Text]
    grad_texts: list[Text]
    op_boxes: dict[int, FancyBboxPatch]
    op_texts: dict[int, Text]
    out_arrows: dict[int, FancyArrowPatch]
    edge_arrows: dict[tuple[int, int], FancyArrowPatch]
    edge_labels: dict[tuple[int, int], Text]

    def set_grad(self, i: int, grad: float) -> None:
        self.grad_texts[i].set_text(f"grad {fmt(grad)}")


def _point_along(pts: np.ndarray, dist: float) -> tuple[float, float]:
    """The point `dist` inches along a polyline, or its middle if it is short."""
    seg = np.hypot(*np.diff(pts, axis=0).T)
    dist = min(dist, seg.sum() / 2)
    for (a, b), s in zip(zip(pts[:-1], pts[1:]), seg):
        if dist <= s:
            t = dist / max(s, 1e-12)
            return float(a[0] + t * (b[0] - a[0])), float(a[1] + t * (b[1] - a[1]))
        dist -= s
    return float(pts[-1][0]), float(pts[-1][1])


def _node_colour(layout: GraphLayout, i: int) -> str:
    if i == len(layout.nodes) - 1:
        return ROOT_COLOUR
    return VALUE_COLOUR if layout.inputs[i] else LEAF_COLOUR


def draw_graph_on(
    ax: Axes,
    root: Value,
    layout: GraphLayout | None = None,
    show_grad: bool = True,
) -> GraphDrawing:
    """Draw the graph of `root` into `ax`, scaled to fit it; return the artists.

    The axes are switched off and given equal aspect; text shrinks with the
    drawing (use `draw_graph` for a figure sized to the graph instead).
    """
    layout = layout or graph_layout(root)
    fig = ax.figure
    fw, fh = fig.get_size_inches()
    box = ax.get_position()
    scale = min(1.0, box.width * fw / layout.width, box.height * fh / layout.height)
    fs = FONT * scale
    lw = max(0.5, scale)
    ax.set_axis_off()
    ax.set_xlim(0, layout.width)
    ax.set_ylim(0, layout.height)
    ax.set_aspect("equal", adjustable="box")
    ax.set_anchor("C")

    boxes, label_texts, data_texts, grad_texts = [], [], [], []
    for i, node in enumerate(layout.nodes):
        x, y = layout.xy[i]
        b = FancyBboxPatch(
            (x - BOX_W / 2 + 0.04, y - BOX_H / 2 + 0.04), BOX_W - 0.08, BOX_H - 0.08,
            boxstyle="round,pad=0.04", fc=_node_colour(layout, i), ec="0.25", lw=lw,
            zorder=3,
        )
        ax.add_artist(b)  # add_patch would also grow data limits: fixed above
        boxes.append(b)
        dy = 0.155
        label_texts.append(ax.text(x, y + dy, node.label, ha="center", va="center",
                                   fontsize=fs, fontweight="bold", zorder=4))
        data_texts.append(ax.text(x, y, f"data {fmt(node.data)}", ha="center",
                                  va="center", fontsize=fs, zorder=4))
        grad_texts.append(ax.text(x, y - dy, f"grad {fmt(node.grad)}" if show_grad
                                  else "", ha="center", va="center", fontsize=fs,
                                  color="#8b1a1a", zorder=4))

    op_boxes, op_texts, out_arrows = {}, {}, {}
    arrow_kw = dict(arrowstyle="-|>", mutation_scale=8 * scale, lw=lw,
                    color=EDGE_COLOUR, shrinkA=0, shrinkB=0, zorder=2)
    for i, node in enumerate(layout.nodes):
        if not layout.inputs[i]:
            continue
        ox, oy = layout.op_xy[i]
        w = _op_width(node._op)
        ob = FancyBboxPatch((ox - w / 2 + 0.05, oy - OP_H / 2 + 0.05), w - 0.1,
                            OP_H - 0.1, boxstyle="round,pad=0.05", fc=OP_COLOUR,
                            ec="0.4", lw=lw, zorder=3)
        ax.add_artist(ob)
        op_boxes[i] = ob
        op_texts[i] = ax.text(ox, oy, op_text(node._op), ha="center", va="center",
                              fontsize=fs, zorder=4)
        x, y = layout.xy[i]
        a = FancyArrowPatch((ox + w / 2, oy), (x - BOX_W / 2, y), **arrow_kw)
        ax.add_artist(a)
        out_arrows[i] = a

    edge_arrows, edge_labels = {}, {}
    for (i, k), pts in layout.edges.items():
        codes = [Path.MOVETO] + [Path.LINETO] * (len(pts) - 1)
        a = FancyArrowPatch(path=Path(pts, codes), **arrow_kw)
        ax.add_artist(a)
        edge_arrows[(i, k)] = a
        # a label on the edge, near the input's box: what flows back along it
        lx, ly = _point_along(pts, 0.3)
        edge_labels[(i, k)] = ax.text(
            lx, ly + 0.02, "", ha="center", va="bottom",
            fontsize=fs, color="#b00020", zorder=5, visible=False,
            bbox=dict(boxstyle="round,pad=0.05", fc="white", ec="none", alpha=0.85),
        )
    return GraphDrawing(layout, ax, scale, boxes, label_texts, data_texts, grad_texts,
                        op_boxes, op_texts, out_arrows, edge_arrows, edge_labels)


def _summary(fig: Figure, layout_nodes: list[Value], why: str) -> None:
    """A figure that says why the graph is not drawn, and what it contains."""
    nodes = layout_nodes
    index = {id(n): i for i, n in enumerate(nodes)}
    depth = np.zeros(len(nodes), dtype=int)
    for i, n in enumerate(nodes):
        if n._prev:
            depth[i] = 1 + max(depth[index[id(p)]] for p in n._prev)
    ops = Counter(op_text(n._op) for n in nodes if n._prev)
    n_leaves = sum(1 for n in nodes if not n._prev)
    fig.suptitle(
        f"Graph not drawn: {why}\n(draw a smaller piece, such as one neuron or one "
        "layer, or pass a larger max_nodes to draw it anyway)", fontsize=11,
    )
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[2, 1])
    counts = np.bincount(depth)
    ax1.bar(np.arange(len(counts)), counts, color="#4c72b0")
    ax1.set_xlabel("depth (longest path from an input)")
    ax1.set_ylabel("value nodes (log scale)")
    ax1.set_yscale("log")
    ax1.set_title(
        f"{len(nodes)} value nodes ({n_leaves} leaves), {sum(ops.values())} ops, "
        f"depth {int(depth.max())}", fontsize=10,
    )
    names, vals = zip(*sorted(ops.items(), key=lambda kv: -kv[1])) if ops else ((), ())
    ax2.barh(np.arange(len(names)), vals, color="#dd8452")
    ax2.set_yticks(np.arange(len(names)), names)
    ax2.invert_yaxis()
    ax2.set_xlabel("count")
    ax2.set_title("ops", fontsize=10)


def draw_graph(
    root: Value,
    max_nodes: int = MAX_NODES,
    show_grad: bool = True,
    title: str | None = None,
    dpi: int = 100,
) -> Figure:
    """A figure of the graph that ends in `root`, sized so its text stays 8 pt.

    Value nodes show label, data and grad; op nodes show the op. Graphs with
    more than `max_nodes` value nodes get a summary figure (nodes per depth and
    op counts) instead of an unreadable hairball. The figure is a plain
    `Figure` (no pyplot state) that Jupyter displays as PNG.

    The figure's `graph_drawing` attribute holds the `GraphDrawing`, or None
    for a summary.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph takes a Value, got {type(root).__name__}")
    nodes = root.topo_order()
    if len(nodes) > max_nodes:
        fig = PngFigure(figsize=(9, 4), dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        _summary(fig, nodes, f"{len(nodes)} value nodes is more than "
                             f"max_nodes={max_nodes}")
        fig.graph_drawing = None
        return fig
    layout = graph_layout(root)
    head = 0.35 if title else 0.0
    fig = PngFigure(figsize=(layout.width, layout.height + head), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, layout.height / (layout.height + head)))
    drawing = draw_graph_on(ax, root, layout, show_grad=show_grad)
    if title:
        fig.text(0.5, 1 - 0.5 * head / (layout.height + head), title, ha="center",
                 va="center", fontsize=FONT + 2, fontweight="bold")
    fig.graph_drawing = drawing
    return fig


def to_svg(root: Value, **kwargs) -> str:
    """The drawing of `draw_graph(root, **kwargs)` as SVG text (crisp at any zoom).

    Built by matplotlib's own SVG writer: no graphviz. Text stays text, and
    the output is the same on every run (no date, fixed ids).
    """
    fig = draw_graph(root, **kwargs)
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "bpkit", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()
