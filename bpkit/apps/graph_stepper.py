"""Lesson 02 app: step through the backward pass of a drawn graph, one node at a time.

`GraphStepperModel` records `Value.backward_trace()` once, with a snapshot of
every gradient after each step, so stepping back is as cheap as stepping on.
`GraphStepperApp` draws the graph, highlights the node whose turn it is, labels
every edge with the contribution that flowed back along it, and lists the
chain-rule product in a side panel. `stepper_figure` draws the same state as a
static figure, for readers without a kernel.
"""

from __future__ import annotations

import html
import io
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..engine import Value
from ..viz.graph import (
    EDGE_COLOUR,
    FONT,
    MAX_NODES,
    GraphDrawing,
    PngFigure,
    _node_colour,
    draw_graph_on,
    fmt,
    graph_layout,
)
from .base import AppView

__all__ = [
    "EXAMPLES",
    "TraceStep",
    "GraphStepperModel",
    "GraphStepperApp",
    "stepper_figure",
    "random_expression",
    "local_formula",
]

CURRENT_COLOUR = "#ff9f1c"  # the node whose turn it is
RECEIVING_COLOUR = "#ffd8a8"  # its inputs, receiving contributions right now
DONE_COLOUR = "#c7e9c0"  # nodes whose turn has come: gradient complete
CURRENT_EDGE = "#b00020"
DELIVERED_EDGE = "0.2"
YOUR_EXPRESSION = "your expression"


# ---------------------------------------------------------------- examples
def single_neuron() -> Value:
    """Lesson 01's seed: L = (y - w x)^2 at x = 2, w = 0.5, y = 4 (dL/dw = -12)."""
    x, w, y = Value(2.0, label="x"), Value(0.5, label="w"), Value(4.0, label="y")
    p = w * x
    p.label = "p"
    e = y - p
    e.label = "e"
    L = e**2
    L.label = "L"
    return L


def tanh_neuron() -> Value:
    """o = tanh(x1 w1 + x2 w2 + b), with the bias chosen so that do/dn = 0.5."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "s"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def reused_node() -> Value:
    """a = x + y is used twice: L = a b + a, so dL/da = b + 1 adds two paths."""
    x, y, b = Value(1.5, label="x"), Value(-0.5, label="y"), Value(-3.0, label="b")
    a = x + y
    a.label = "a"
    c = a * b
    c.label = "c"
    L = c + a
    L.label = "L"
    return L


def two_layer_mlp() -> Value:
    """One input, two tanh hidden units, a linear output, squared error on one point."""
    x, y = Value(0.8, label="x"), Value(0.5, label="y")
    out = None
    for k, (w, b, v) in enumerate([(0.7, -0.2, 1.1), (-1.3, 0.4, -0.6)], start=1):
        wv, bv = Value(w, label=f"w{k}"), Value(b, label=f"b{k}")
        vv = Value(v, label=f"v{k}")
        m = wv * x
        m.label = f"w{k}x"
        z = m + bv
        z.label = f"z{k}"
        h = z.tanh()
        h.label = f"h{k}"
        term = vv * h
        term.label = f"v{k}h{k}"
        out = term if out is None else out + term
    out.label = "out"
    e = out - y
    e.label = "e"
    L = e**2
    L.label = "L"
    return L


def random_expression(
    rng: np.random.Generator,
    n_ops: int = 8,
    n_leaves: int = 3,
    leaf_values: list[float] | None = None,
) -> Value:
    """A random expression graph in which nodes are often reused.

    Each op draws its inputs from all earlier nodes, so a node can feed several
    ops (or both inputs of one). Nodes nobody consumed are summed into the
    root `L`, so every node reaches it. The structure depends on `rng` only:
    `leaf_values` replaces the drawn leaf values (for finite differences).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    drawn = rng.uniform(-1.5, 1.5, size=n_leaves)
    if leaf_values is not None:
        if len(leaf_values) != n_leaves:
            raise ValueError(
                f"leaf_values has {len(leaf_values)} entries, expected {n_leaves}"
            )
        drawn = np.asarray(leaf_values, dtype=float)
    pool = [Value(float(v), label=f"x{i}") for i, v in enumerate(drawn)]
    used: set[int] = set()
    for t in range(n_ops):
        kind = int(rng.integers(6))
        a = pool[int(rng.integers(len(pool)))]
        b = pool[int(rng.integers(len(pool)))]
        if kind == 0:
            out, ins = a + b, (a, b)
        elif kind == 1:
            out, ins = a - b, (a, b)
        elif kind == 2:
            out, ins = a * b, (a, b)
        elif kind == 3:
            out, ins = a.tanh(), (a,)
        elif kind == 4:
            out, ins = a.sigmoid(), (a,)
        else:
            out, ins = a**2, (a,)
        used.update(id(n) for n in ins)
        out.label = f"v{t}"
        pool.append(out)
    loose = [n for n in pool if id(n) not in used]
    root = loose[0]
    for n in loose[1:]:
        root = root + n
    if root._prev:
        root.label = "L"
    return root


EXAMPLES: dict[str, Callable[[], Value]] = {
    "single neuron: L = (y - w*x)^2": single_neuron,
    "tanh neuron with 2 inputs": tanh_neuron,
    "reused node: a = x + y, L = a*b + a": reused_node,
    "two-layer MLP on one point": two_layer_mlp,
    "random graph (seed 2)": lambda: random_expression(np.random.default_rng(2), 7),
}
DEFAULT_EXAMPLE = "reused node: a = x + y, L = a*b + a"


# ------------------------------------------------------------------ model
def local_formula(op: str, slot: int, ins: list[str], out: str) -> str:
    """The local derivative d(out)/d(input `slot`) of `op`, as a formula.

    ins: the input names; out: the output name. `"*"` gives the other input,
    `"tanh"` gives `1 - out²` and so on; an op it does not know gives `"local"`.
    """
    a = ins[0]
    b = ins[1] if len(ins) > 1 else ""
    if op == "+":
        return "1"
    if op == "-":
        return "1" if slot == 0 else "-1"
    if op == "*":
        return b if slot == 0 else a
    if op == "/":
        return f"1/{b}" if slot == 0 else f"-{a}/{b}²"
    if op.startswith("**"):
        k = float(op[2:])
        return f"{k:g}·{a}" if k == 2 else f"{k:g}·{a}^{k - 1:g}"
    rules = {
        "tanh": f"1 - {out}²",
        "exp": out,
        "sigmoid": f"{out}·(1 - {out})",
        "relu": f"(1 if {a} > 0 else 0)",
        "log": f"1/{a}",
        "neg": "-1",
    }
    return rules.get(op, "local")


@dataclass(frozen=True)
class TraceStep:
    """One step of the backward pass, with nodes as indices into `model.nodes`."""

    node: int  # whose turn it is
    upstream: float  # dL/d(node), complete at its turn
    inputs: tuple[int, ...]
    local: tuple[float, ...]  # d(node)/d(input)
    contributions: tuple[float, ...]  # upstream * local, added to each input


class GraphStepperModel:
    """The backward pass of one graph, recorded, to be stepped through.

    nodes:    the value nodes in topological order; `names[i]` is what is shown.
    trace:    the `TraceStep`s, in the order `Value.backward_trace` visits them.
    grads:    (n_steps + 1, V): every node's gradient after k steps; row 0 holds
              only the seed dL/dL = 1, the last row equals `backward()`.
    position: how many steps have been taken (0 .. n_steps).
    """

    def __init__(
        self,
        example: str = DEFAULT_EXAMPLE,
        root: Value | None = None,
        max_nodes: int = MAX_NODES,
    ) -> None:
        self.max_nodes = max_nodes
        self.examples: dict[str, Callable[[], Value]] = dict(EXAMPLES)
        if root is not None:
            if not isinstance(root, Value):
                raise TypeError(f"root must be a Value, got {type(root).__name__}")
            self.examples[YOUR_EXPRESSION] = lambda: root
            example = YOUR_EXPRESSION
        self.set_example(example)

    def set_example(self, name: str) -> None:
        """Build example `name` afresh and record its backward pass."""
        if name not in self.examples:
            raise ValueError(
                f"unknown example {name!r}; expected one of {list(self.examples)}"
            )
        self.example = name
        self.load(self.examples[name]())

    def load(self, root: Value) -> None:
        """Record the backward pass of `root`, starting from zero gradients."""
        nodes = root.topo_order()
        if len(nodes) > self.max_nodes:
            # drawn at this size the graph is an unreadable hairball, and the
            # app takes tens of seconds to build it
            raise ValueError(
                f"the graph has {len(nodes)} value nodes, more than max_nodes="
                f"{self.max_nodes} the stepper draws legibly; step through a "
                "smaller piece (one neuron, one layer) or pass a larger max_nodes"
            )
        self.root = root
        root.zero_grad()
        self.nodes = nodes
        index = {id(n): i for i, n in enumerate(self.nodes)}
        self.index = index
        self.names = [n.label or f"n{i}" for i, n in enumerate(self.nodes)]
        g = np.zeros(len(self.nodes))
        g[-1] = 1.0  # the seed dL/dL = 1, set before the first step
        rows = [g]
        self.trace: list[TraceStep] = []
        for s in root.backward_trace():
            self.trace.append(TraceStep(
                index[id(s.node)], s.upstream, tuple(index[id(p)] for p in s.inputs),
                s.local, s.contributions,
            ))
            rows.append(np.array([n.grad for n in self.nodes]))
        self.grads = np.array(rows)
        # turn[i]: the step (1-based) at which node i passes its gradient on
        self.turn = np.zeros(len(self.nodes), dtype=int)
        for k, s in enumerate(self.trace, start=1):
            self.turn[s.node] = k
        self.position = 0

    # ------------------------------------------------------------- stepping
    @property
    def n_steps(self) -> int:
        return len(self.trace)

    @property
    def at_end(self) -> bool:
        return self.position == self.n_steps

    def step(self) -> bool:
        """Take one step; False (and no change) at the end."""
        if self.at_end:
            return False
        self.position += 1
        return True

    def back(self) -> bool:
        """Undo one step; False (and no change) at the start."""
        if self.position == 0:
            return False
        self.position -= 1
        return True

    def reset(self) -> None:
        self.position = 0

    def goto(self, k: int) -> None:
        """Jump to the state after k steps."""
        if not 0 <= k <= self.n_steps:
            raise ValueError(f"step {k} is out of range: expected 0 to {self.n_steps}")
        self.position = int(k)

    # ---------------------------------------------------------------- state
    @property
    def grad(self) -> np.ndarray:
        """(V,) every node's gradient after `position` steps."""
        return self.grads[self.position]

    @property
    def current(self) -> TraceStep | None:
        """The step just taken (None before the first)."""
        return self.trace[self.position - 1] if self.position else None

    @property
    def current_node(self) -> int | None:
        s = self.current
        return None if s is None else s.node

    def done(self, i: int) -> bool:
        """Has node i had its turn (its gradient is complete and passed on)?"""
        return 0 < self.turn[i] <= self.position

    def delivered(self) -> dict[tuple[int, int], float]:
        """{(consumer, slot): contribution} for each edge gradient flowed back along."""
        out = {}
        for s in self.trace[: self.position]:
            for k, c in enumerate(s.contributions):
                out[(s.node, k)] = c
        return out

    def received(self, i: int) -> list[tuple[int, int, float]]:
        """(consumer, slot, contribution) that node i has received so far, in order."""
        return [
            (s.node, k, c)
            for s in self.trace[: self.position]
            for k, (j, c) in enumerate(zip(s.inputs, s.contributions))
            if j == i
        ]

    def name_of(self, node: Value) -> str:
        return self.names[self.index[id(node)]]

    def explain(self) -> list[str]:
        """The chain-rule lines for the current step, as plain text."""
        L = self.names[-1]
        s = self.current
        if s is None:
            return [
                f"before the first step: the seed dL/dL = 1 sits on {L}.",
                "the pass visits nodes in reverse topological order:",
                "a node's turn comes only after every node that uses it,",
                "so its gradient is complete when it is passed on.",
            ]
        n = self.names[s.node]
        node = self.nodes[s.node]
        head = f"step {self.position}/{self.n_steps}: {n}'s turn"
        if not s.inputs:
            lines = [
                head,
                f"{n} is a leaf (an input): dL/d{n} = {fmt(s.upstream)} is final;",
                "there is nothing to pass on.",
            ]
        else:
            ins = [self.names[j] for j in s.inputs]
            lines = [head + f"   ({n} = {_expr(node._op, ins)})",
                     f"upstream dL/d{n} = {fmt(s.upstream)} (complete)"]
            before = self.grads[self.position - 1]
            seen: dict[int, float] = {}
            for k, (j, loc, c) in enumerate(zip(s.inputs, s.local, s.contributions)):
                m = self.names[j]
                old = seen.get(j, before[j])
                seen[j] = old + c
                rule = local_formula(node._op, k, ins, n)
                lines.append(
                    f"to {m}: d{n}/d{m} = {rule} = {fmt(loc)};  "
                    f"dL/d{n} · d{n}/d{m} = {fmt(s.upstream)} × {fmt(loc)} = {fmt(c)}"
                )
                lines.append(f"   {m}.grad: {_sum([old, c])} = {fmt(old + c)}")
            for j in dict.fromkeys(s.inputs):
                got = self.received(j)
                if len(got) > 1:
                    terms = _sum([c for _, _, c in got])
                    lines.append(
                        f"{self.names[j]} has received {len(got)} contributions, "
                        f"one per use; they add: {terms} = {fmt(self.grad[j])}"
                    )
        if self.at_end:
            lines.append("done: every gradient now equals backward()'s.")
        return lines


def _sum(terms: list[float]) -> str:
    """'1 + (-3)': a sum of numbers, negatives in brackets."""
    return " + ".join(fmt(t) if t >= 0 else f"({fmt(t)})" for t in terms)


def _expr(op: str, ins: list[str]) -> str:
    if len(ins) == 2 and op in "+-*/":
        return f"{ins[0]} {op} {ins[1]}"
    if op.startswith("**"):
        return f"{ins[0]}{op}"
    return f"{op}({ins[0]})"


# ----------------------------------------------------------------- drawing
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
        return [
            Patch(fc=CURRENT_COLOUR, ec="0.25", label="its turn now"),
            Patch(fc=RECEIVING_COLOUR, ec="0.25", label="receiving a contribution"),
            Patch(fc=DONE_COLOUR, ec="0.25", label="turn done: gradient complete"),
        ]


def _title(model: GraphStepperModel) -> str:
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
    fig.text(0.5, 1 - 0.18 / H, _title(model), ha="center", va="center",
             fontsize=FONT + 2, fontweight="bold")
    fig.legend(handles=StepperPainter.legend_handles(), loc="upper center",
               bbox_to_anchor=(0.5, 1 - 0.3 / H), ncol=3, fontsize=FONT,
               frameon=False)
    fig.text(0.01, (th - 0.1) / H, "\n".join(lines), ha="left", va="top",
             family="monospace", fontsize=FONT)
    return fig


# -------------------------------------------------------------------- view
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
    ) -> None:
        super().__init__(figsize=(max_width, 4.0), dpi=dpi)
        self.fig.set_layout_engine("none")
        self.max_width = max_width
        if model is None:
            model = GraphStepperModel() if root is None else GraphStepperModel(root=root)
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
        self.status.value = f"<b>{html.escape(_title(m))}</b>"
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
        for c, t in [(CURRENT_COLOUR, "its turn now"),
                     (RECEIVING_COLOUR, "receiving a contribution"),
                     (DONE_COLOUR, "turn done: gradient complete")]
    )
    body = "\n".join(html.escape(line) for line in m.explain())
    return (
        "<div style='font-size:12px'><b>chain rule at this step</b>"
        "<pre style='white-space:pre-wrap;font-size:11.5px;line-height:1.35'>"
        f"{body}</pre>"
        f"<div style='font-size:11px'>{legend}edge labels: the contribution that "
        "flowed back along the edge</div></div>"
    )
