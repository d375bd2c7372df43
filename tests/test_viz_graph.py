"""Graph drawing: layered layout, every node once, few crossings, legible, summaries."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from bpkit import Value
from bpkit.example_graphs import EXAMPLES, random_expression, tanh_neuron
from bpkit.nn import MLP
from bpkit.viz.graph import (
    BOX_H,
    BOX_W,
    FONT,
    draw_graph,
    fmt,
    graph_layout,
    op_text,
    to_svg,
)
from bpkit.viz.graph_layout import _crossings

seeds = st.integers(0, 2**32 - 1)


def random_tree(rng: np.random.Generator, depth: int) -> Value:
    """An expression in which every node is used once: a tree."""
    if depth == 0 or rng.random() < 0.25:
        return Value(float(rng.normal()))
    kind = int(rng.integers(4))
    a = random_tree(rng, depth - 1)
    if kind == 0:
        return a.tanh()
    b = random_tree(rng, depth - 1)
    return a + b if kind == 1 else a * b if kind == 2 else a - b


def mlp_graph(n_in: int, hidden: int) -> Value:
    rng = np.random.default_rng(0)
    model = MLP(n_in, [hidden, 1], rng=rng, activation="tanh")
    xs = [Value(float(v), label=f"x{i}") for i, v in enumerate(rng.normal(size=n_in))]
    L = (model(xs) - 1.0) ** 2
    L.label = "L"
    return L


# ------------------------------------------------------------------ layout
@settings(max_examples=40, deadline=None)
@given(seed=seeds, k=st.integers(1, 25))
def test_every_node_and_op_is_placed_exactly_once(seed, k):
    root = random_expression(np.random.default_rng(seed), k)
    lay = graph_layout(root)
    items = [it for col in lay.order for it in col]
    values = sorted(i for kind, i, _ in items if kind == 0)
    ops = sorted(i for kind, i, _ in items if kind == 1)
    assert values == list(range(len(lay.nodes)))
    assert ops == [i for i, ins in enumerate(lay.inputs) if ins]
    assert len(set(map(tuple, lay.xy))) == len(lay.nodes)  # no two at one spot


@settings(max_examples=40, deadline=None)
@given(seed=seeds, k=st.integers(1, 25))
def test_inputs_sit_at_lower_depth_and_left_of_what_they_feed(seed, k):
    root = random_expression(np.random.default_rng(seed), k)
    lay = graph_layout(root)
    assert lay.depth[-1] == lay.depth.max()  # the output is rightmost
    for i, ins in enumerate(lay.inputs):
        for j in ins:
            assert lay.depth[j] < lay.depth[i]
            assert lay.xy[j, 0] < lay.op_xy[i, 0] < lay.xy[i, 0]
    for (i, k_), pts in lay.edges.items():
        assert np.all(np.diff(pts[:, 0]) > 0), "edges run left to right"
        j = lay.inputs[i][k_]
        assert pts[0, 0] == pytest.approx(lay.xy[j, 0] + BOX_W / 2)
        assert pts[0, 1] == pytest.approx(lay.xy[j, 1])


def test_leaves_are_pulled_next_to_their_first_consumer():
    x = Value(1.0)
    deep = ((x * 2).tanh() * 3).tanh()
    c = Value(0.5, label="late constant")
    out = deep + c
    lay = graph_layout(out)
    assert lay.depth[lay.index(c)] == lay.depth[lay.index(out)] - 1
    assert lay.depth[lay.index(x)] == 0


@settings(max_examples=40, deadline=None)
@given(seed=seeds, depth=st.integers(1, 5))
def test_trees_are_drawn_without_crossings(seed, depth):
    root = random_tree(np.random.default_rng(seed), depth)
    assert graph_layout(root).crossings == 0


@settings(max_examples=25, deadline=None)
@given(seed=seeds, k=st.integers(2, 25))
def test_barycentric_sweeps_never_add_crossings(seed, k):
    root = random_expression(np.random.default_rng(seed), k)
    assert graph_layout(root).crossings <= graph_layout(root, sweeps=0).crossings


def test_barycentric_sweeps_remove_needless_crossings():
    root = random_expression(np.random.default_rng(1), 10)
    assert graph_layout(root, sweeps=0).crossings == 22
    assert graph_layout(root).crossings <= 6


def test_crossing_count_of_two_columns():
    assert _crossings(np.array([0.0, 1.0]), np.array([1.0, 0.0])) == 1
    assert _crossings(np.array([0.0, 1.0]), np.array([0.0, 1.0])) == 0
    assert _crossings(np.array([0.0, 1.0, 2.0]), np.array([2.0, 1.0, 0.0])) == 3


def test_layout_is_deterministic():
    a = graph_layout(mlp_graph(2, 3))
    b = graph_layout(mlp_graph(2, 3))
    assert np.array_equal(a.xy, b.xy) and a.crossings == b.crossings


# ----------------------------------------------------------------- drawing
def test_value_nodes_show_label_data_grad_and_op_nodes_show_the_op():
    o = tanh_neuron()
    o.backward()
    fig = draw_graph(o)
    d = fig.graph_drawing
    assert isinstance(fig, Figure)
    assert len(d.boxes) == len(o.topo_order()) == 10
    for i, node in enumerate(d.layout.nodes):
        assert d.label_texts[i].get_text() == node.label
        assert d.data_texts[i].get_text() == f"data {fmt(node.data)}"
        assert d.grad_texts[i].get_text() == f"grad {fmt(node.grad)}"
    assert sorted(t.get_text() for t in d.op_texts.values()) == sorted(
        op_text(n._op) for n in o.topo_order() if n._prev
    )
    n = next(n for n in o.topo_order() if n.label == "n")
    assert d.grad_texts[d.layout.index(n)].get_text() == "grad 0.5"
    # one arrow per input edge, one per op -> value
    assert len(d.edge_arrows) == sum(len(n._prev) for n in o.topo_order())
    assert len(d.out_arrows) == 5


def _overlaps(a, b) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def test_fifty_nodes_stay_legible_no_boxes_overlap_and_text_is_full_size():
    L = mlp_graph(3, 3)
    nodes = L.topo_order()
    assert 45 <= len(nodes) <= 60
    fig = draw_graph(L)
    d = fig.graph_drawing
    assert d.scale == 1.0
    assert min(t.get_fontsize() for t in d.data_texts) >= FONT
    lay = d.layout
    rects = [(x - BOX_W / 2, y - BOX_H / 2, x + BOX_W / 2, y + BOX_H / 2)
             for x, y in lay.xy]
    rects += [(x - 0.15, y - 0.14, x + 0.15, y + 0.14)
              for x, y in lay.op_xy if not np.isnan(x)]
    for i in range(len(rects)):
        for j in range(i + 1, len(rects)):
            assert not _overlaps(rects[i], rects[j])
    w, h = fig.get_size_inches()
    assert w < 20 and h < 12


def test_a_graph_of_300_nodes_gets_a_summary_not_a_hairball():
    L = mlp_graph(5, 16)
    n = len(L.topo_order())
    assert 300 <= n <= 350
    fig = draw_graph(L)
    assert fig.graph_drawing is None
    assert f"{n} value nodes is more than max_nodes=150" in fig._suptitle.get_text()
    depth_ax, ops_ax = fig.axes
    assert sum(p.get_height() for p in depth_ax.patches) == n
    leaves = sum(1 for v in L.topo_order() if not v._prev)
    assert sum(p.get_width() for p in ops_ax.patches) == n - leaves
    # and the limit is a choice: the same graph can be drawn on request
    assert draw_graph(mlp_graph(2, 2), max_nodes=10).graph_drawing is None
    assert draw_graph(mlp_graph(2, 2), max_nodes=1000).graph_drawing is not None


def test_a_single_leaf_is_drawn():
    d = draw_graph(Value(3.0, label="x")).graph_drawing
    assert len(d.boxes) == 1 and d.edge_arrows == {} and d.op_boxes == {}


def test_drawing_into_a_small_axes_shrinks_the_text():
    from bpkit.viz.graph import draw_graph_on

    fig = Figure(figsize=(3, 2))
    ax = fig.add_axes((0, 0, 1, 1))
    d = draw_graph_on(ax, tanh_neuron())
    assert d.scale < 1.0
    assert d.data_texts[0].get_fontsize() == pytest.approx(FONT * d.scale)


def test_to_svg_is_svg_with_text_and_the_same_every_time():
    svg = to_svg(EXAMPLES["single neuron: L = (y - w*x)^2"]())
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "data 0.5" in svg  # text stays text: crisp, searchable
    assert svg == to_svg(EXAMPLES["single neuron: L = (y - w*x)^2"]())


def test_draw_graph_rejects_a_number_with_a_clear_message():
    with pytest.raises(TypeError, match="takes a Value, got float"):
        draw_graph(3.0)


def test_fmt_keeps_numbers_short():
    assert fmt(-12.0) == "-12" and fmt(0.70710678) == "0.7071"
    assert fmt(-0.000123456) == "-1.23e-04"
    assert len(fmt(-123456789.0)) <= 9


def test_importing_the_graph_module_leaves_pyplot_alone():
    code = "import bpkit.viz.graph, sys; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
