"""Draw a `Value` graph with matplotlib alone: no graphviz, no system binary.

The layout is a small layered (Sugiyama-style) pipeline, written out here:

1. columns: a value sits one column to the right of its deepest input, so
   inputs are on the left and the output on the right; a leaf is pulled right,
   next to the first op that reads it;
2. the op that made a value sits in the half-column just left of it; an edge
   that jumps several columns is split by invisible dummy points, one per
   column it crosses, so it can bend around nodes;
3. the order inside each column is improved by barycentric sweeps (each item
   moves to the mean position of its neighbours), keeping the order with the
   fewest edge crossings;
4. heights: each item moves toward its neighbours' mean height while keeping
   its order and a minimum gap (an isotonic regression), so chains run straight.

All lengths are in inches at scale 1, so text keeps its size whatever the graph.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path
from matplotlib.text import Text

from ..engine import Value
from ..graph_stepper import MAX_NODES, fmt

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


# geometry in inches at scale 1
PITCH = 1.55  # from one value column to the next
BOX_W, BOX_H = 0.9, 0.52  # value node
OP_H = 0.28  # op node (its width follows its text)
DUMMY_H = 0.06  # a bend point of a long edge
GAP = 0.16  # vertical gap between neighbours in a column
PORT = 0.06  # the two inputs of an op enter above and below its centre
MARGIN = 0.15
FONT = 8.0  # points, at scale 1
MIN_FONT = 5.0  # smaller than this is unreadable: summarise instead

# short op names, so op nodes stay narrow
_OP_TEXT = {"*": "×", "-": "−", "/": "÷", "neg": "−x", "sigmoid": "σ"}

# colours
LEAF_COLOUR = "#dbe9f6"
VALUE_COLOUR = "#f4f4f4"
ROOT_COLOUR = "#fde7c8"
OP_COLOUR = "#fff6d5"
EDGE_COLOUR = "0.45"

_VALUE, _OP, _DUMMY = 0, 1, 2


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


def op_text(op: str) -> str:
    """What an op node shows: the op, shortened to fit a small node."""
    return _OP_TEXT.get(op, op)


def _op_width(op: str) -> float:
    return max(0.3, 0.075 * len(op_text(op)) + 0.16)


@dataclass
class GraphLayout:
    """Where every node and edge of a graph goes, in inches (y grows upwards).

    nodes:   the value nodes, in topological order (each after its inputs).
    inputs:  for node i, the indices of its inputs (as in `Value._prev`).
    depth:   (V,) column of each value node; 0 holds inputs, the root is deepest.
    xy:      (V, 2) centre of each value node's box.
    op_xy:   (V, 2) centre of the op node that made value i (nan for a leaf).
    edges:   one polyline per (consumer i, input slot k): from the input's box
             to op i, through any bend points; key (i, k).
    order:   the top-to-bottom order of items in each half-column, for tests.
    crossings: edge crossings in the chosen order.
    """

    nodes: list[Value]
    inputs: list[tuple[int, ...]]
    depth: np.ndarray
    xy: np.ndarray
    op_xy: np.ndarray
    edges: dict[tuple[int, int], np.ndarray]
    order: list[list[tuple[int, int, int]]]
    crossings: int
    width: float
    height: float
    _index: dict[int, int] = field(repr=False, default_factory=dict)

    def index(self, node: Value) -> int:
        """The position of `node` in `self.nodes`."""
        return self._index[id(node)]

    @property
    def n_ops(self) -> int:
        return sum(1 for ins in self.inputs if ins)


def _crossings(pos_a: np.ndarray, pos_b: np.ndarray) -> int:
    """Pairs of edges (a_i -> b_i) that cross between two adjacent columns."""
    if len(pos_a) < 2:
        return 0
    da = np.sign(pos_a[:, None] - pos_a[None, :])
    db = np.sign(pos_b[:, None] - pos_b[None, :])
    return int(np.sum(da * db < 0)) // 2


def _isotonic(q: np.ndarray) -> np.ndarray:
    """The non-decreasing sequence closest to q in least squares.

    Pool adjacent violators: merge neighbouring blocks while they are out of order.
    """
    sums: list[float] = []
    counts: list[int] = []
    for v in q:
        sums.append(float(v))
        counts.append(1)
        while len(sums) > 1 and sums[-2] / counts[-2] > sums[-1] / counts[-1]:
            s, c = sums.pop(), counts.pop()
            sums[-1] += s
            counts[-1] += c
    return np.repeat([s / c for s, c in zip(sums, counts)], counts)


def graph_layout(root: Value, sweeps: int = 8) -> GraphLayout:
    """Lay out the graph that ends in `root` (see the module docstring).

    Returns a `GraphLayout`; nothing is drawn.
    """
    if not isinstance(root, Value):
        raise TypeError(f"graph_layout takes a Value, got {type(root).__name__}")
    nodes = root.topo_order()
    V = len(nodes)
    index = {id(n): i for i, n in enumerate(nodes)}
    inputs = [tuple(index[id(p)] for p in n._prev) for n in nodes]
    consumers: list[list[int]] = [[] for _ in range(V)]
    for i, ins in enumerate(inputs):
        for j in set(ins):
            consumers[j].append(i)

    depth = np.zeros(V, dtype=int)
    for i, ins in enumerate(inputs):
        if ins:
            depth[i] = 1 + max(depth[j] for j in ins)
    for i, ins in enumerate(inputs):
        if not ins and consumers[i]:
            depth[i] = min(depth[c] for c in consumers[i]) - 1

    # items: (kind, node, k); half-columns: value at 2d, op at 2d - 1
    n_cols = 2 * int(depth.max()) + 1
    columns: list[list[tuple[int, int, int]]] = [[] for _ in range(n_cols)]
    key: dict[tuple[int, int, int], float] = {}
    links: list[tuple[tuple, tuple]] = []  # (left item, right item), adjacent columns
    chains: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for i in range(V):
        v = (_VALUE, i, 0)
        columns[2 * depth[i]].append(v)
        key[v] = i
        if inputs[i]:
            op = (_OP, i, 0)
            columns[2 * depth[i] - 1].append(op)
            key[op] = i - 0.5
            links.append((op, v))
            for k, j in enumerate(inputs[i]):
                chain = [(_VALUE, j, 0)]
                for c in range(2 * depth[j] + 1, 2 * depth[i] - 1):
                    d = (_DUMMY, i, 2 * c + k)  # unique per edge and column
                    columns[c].append(d)
                    key[d] = j + 0.25
                    chain.append(d)
                chain.append(op)
                links += list(zip(chain[:-1], chain[1:]))
                chains[(i, k)] = chain

    # start from the depth-first order: a tree drawn this way has no crossings
    for col in columns:
        col.sort(key=key.__getitem__)
    left: dict[tuple, list[tuple]] = {}
    right: dict[tuple, list[tuple]] = {}
    for a, b in links:
        right.setdefault(a, []).append(b)
        left.setdefault(b, []).append(a)

    def positions() -> dict[tuple, int]:
        return {item: r for col in columns for r, item in enumerate(col)}

    def total_crossings() -> int:
        pos = positions()
        col_of = {item: c for c, col in enumerate(columns) for item in col}
        by_col: dict[int, list[tuple[int, int]]] = {}
        for a, b in links:
            by_col.setdefault(col_of[a], []).append((pos[a], pos[b]))
        total = 0
        for pairs in by_col.values():
            arr = np.array(pairs, dtype=float)
            total += _crossings(arr[:, 0], arr[:, 1])
        return total

    best = [list(col) for col in columns]
    best_x = total_crossings()
    for sweep in range(sweeps):
        if best_x == 0:
            break
        backwards = sweep % 2 == 0  # the root's side first
        order = range(n_cols - 2, -1, -1) if backwards else range(1, n_cols)
        for c in order:
            pos = positions()
            nbrs = right if backwards else left
            bary = {}
            for r, item in enumerate(columns[c]):
                ps = [pos[n] for n in nbrs.get(item, ())]
                bary[item] = (sum(ps) / len(ps)) if ps else r
            columns[c].sort(key=bary.__getitem__)  # stable: ties keep their order
        x = total_crossings()
        if x < best_x:
            best, best_x = [list(col) for col in columns], x
    columns = best

    # heights: pull each item toward its neighbours, keep order and gaps
    height = {_VALUE: BOX_H, _OP: OP_H, _DUMMY: DUMMY_H}

    def offsets(col: list[tuple[int, int, int]]) -> np.ndarray:
        """Each item's distance below the first when packed as tightly as allowed."""
        h = [height[item[0]] for item in col]
        gaps = [(a + b) / 2 + GAP for a, b in zip(h, h[1:])]
        return np.concatenate([[0.0], np.cumsum(gaps)])

    # "down" grows downwards; start with each column packed and centred
    down: dict[tuple, float] = {}
    for col in columns:
        offs = offsets(col)
        down.update(zip(col, offs - offs[-1] / 2))
    for it in range(12):
        order = range(n_cols) if it % 2 == 0 else range(n_cols - 1, -1, -1)
        for c in order:
            col = columns[c]
            if not col:
                continue
            want = []
            for item in col:
                ps = [down[n] for n in left.get(item, []) + right.get(item, [])]
                want.append(sum(ps) / len(ps) if ps else down[item])
            offs = offsets(col)
            z = _isotonic(np.array(want) - offs)
            down.update(zip(col, z + offs))

    def x_of(c: int) -> float:
        return c * PITCH / 2

    top = max(down[it] + height[it[0]] / 2 for col in columns for it in col)
    bottom = min(down[it] - height[it[0]] / 2 for col in columns for it in col)
    xy = np.full((V, 2), np.nan)
    op_xy = np.full((V, 2), np.nan)
    for c, col in enumerate(columns):
        for item in col:
            p = (x_of(c) + BOX_W / 2 + MARGIN, top - down[item] + MARGIN)
            if item[0] == _VALUE:
                xy[item[1]] = p
            elif item[0] == _OP:
                op_xy[item[1]] = p

    edges: dict[tuple[int, int], np.ndarray] = {}
    for (i, k), chain in chains.items():
        ox, oy = op_xy[i]
        w = _op_width(nodes[i]._op) / 2
        # the input drawn higher enters the op's upper port
        if len(inputs[i]) == 2:
            other = chains[(i, 1 - k)][-2]
            mine = chain[-2]
            higher = down[mine] < down[other] or (down[mine] == down[other] and k == 0)
            oy += PORT if higher else -PORT
        pts = [(xy[chain[0][1], 0] + BOX_W / 2, xy[chain[0][1], 1])]
        for d in chain[1:-1]:
            c = 2 * depth[chain[0][1]] + 1 + (chain.index(d) - 1)
            pts.append((x_of(c) + BOX_W / 2 + MARGIN, top - down[d] + MARGIN))
        pts.append((ox - w, oy))
        edges[(i, k)] = np.array(pts)

    width = x_of(n_cols - 1) + BOX_W + 2 * MARGIN
    return GraphLayout(
        nodes=nodes,
        inputs=inputs,
        depth=depth,
        xy=xy,
        op_xy=op_xy,
        edges=edges,
        order=columns,
        crossings=best_x,
        width=width,
        height=(top - bottom) + 2 * MARGIN,
        _index=index,
    )


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
        ax.add_patch(b)
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
        ax.add_patch(ob)
        op_boxes[i] = ob
        op_texts[i] = ax.text(ox, oy, op_text(node._op), ha="center", va="center",
                              fontsize=fs, zorder=4)
        x, y = layout.xy[i]
        a = FancyArrowPatch((ox + w / 2, oy), (x - BOX_W / 2, y), **arrow_kw)
        ax.add_patch(a)
        out_arrows[i] = a

    edge_arrows, edge_labels = {}, {}
    for (i, k), pts in layout.edges.items():
        codes = [Path.MOVETO] + [Path.LINETO] * (len(pts) - 1)
        a = FancyArrowPatch(path=Path(pts, codes), **arrow_kw)
        ax.add_patch(a)
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
