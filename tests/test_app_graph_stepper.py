"""Lesson 02 app: the recorded backward pass, and the view driven headlessly."""

import io

import numpy as np
import PIL.Image
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from bpkit import Value
from bpkit.apps.graph_stepper import GraphStepperApp
from bpkit.example_graphs import EXAMPLES, random_expression
from bpkit.graph_stepper import YOUR_EXPRESSION, GraphStepperModel, fmt, local_formula
from bpkit.viz.graph import draw_graph_on
from bpkit.viz.graph_stepper import (
    CURRENT_COLOUR,
    DONE_COLOUR,
    RECEIVING_COLOUR,
    stepper_figure,
)

REUSED = "reused node: a = x + y, L = a*b + a"
MLP = "two-layer MLP on one point"


def backward_grads(build) -> list[float]:
    root = build()
    root.backward()
    return [n.grad for n in root.topo_order()]


# ------------------------------------------------------------------ model
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_stepping_to_the_end_gives_exactly_backwards_gradients(name):
    m = GraphStepperModel(name)
    while m.step():
        pass
    assert m.at_end and m.position == m.n_steps == len(m.nodes)
    assert m.grad.tolist() == backward_grads(EXAMPLES[name])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 15))
def test_every_recorded_step_equals_a_fresh_trace_and_the_end_equals_backward(seed, k):
    def build():
        return random_expression(np.random.default_rng(seed), k)

    m = GraphStepperModel(root=build())
    fresh = build()
    nodes = fresh.topo_order()
    for s, step in enumerate(fresh.backward_trace(), start=1):
        m.goto(s)
        assert m.current_node == nodes.index(step.node)
        assert m.grad.tolist() == [n.grad for n in nodes]
    np.testing.assert_array_equal(m.grads[-1], backward_grads(build))


def test_row_zero_holds_only_the_seed():
    m = GraphStepperModel(REUSED)
    assert m.grad.tolist() == [0.0] * (len(m.nodes) - 1) + [1.0]
    assert m.current is None and m.current_node is None


def test_step_back_reset_goto_stay_in_range():
    m = GraphStepperModel(REUSED)
    assert not m.back() and m.position == 0
    assert m.step() and m.step() and m.position == 2
    assert m.back() and m.position == 1
    m.goto(m.n_steps)
    assert not m.step() and m.at_end
    m.reset()
    assert m.position == 0
    with pytest.raises(ValueError, match="out of range: expected 0 to 6"):
        m.goto(7)


def test_reused_node_receives_two_contributions_that_add():
    m = GraphStepperModel(REUSED)
    a = m.names.index("a")
    m.goto(1)  # L = c + a passes 1 to a
    assert [c for _, _, c in m.received(a)] == [1.0]
    m.goto(2)  # c = a * b passes b = -3 to a
    assert [c for _, _, c in m.received(a)] == [1.0, -3.0]
    assert m.grad[a] == -2.0
    text = "\n".join(m.explain())
    assert "dL/dc · dc/da = 1 × -3 = -3" in text
    assert "a.grad: 1 + (-3) = -2" in text
    assert "a has received 2 contributions, one per use; they add: 1 + (-3) = -2" in text


def test_explanations_for_the_seed_a_leaf_and_the_end():
    m = GraphStepperModel(REUSED)
    assert "seed dL/dL = 1" in m.explain()[0]
    m.goto(m.n_steps)
    lines = m.explain()
    assert "is a leaf" in lines[1] and "final" in lines[1]
    assert "equals backward()" in lines[-1]


def test_single_neuron_shows_lesson_one_gradient():
    m = GraphStepperModel("single neuron: L = (y - w*x)^2")
    m.goto(m.n_steps)
    assert m.grad[m.names.index("w")] == -12.0


@pytest.mark.parametrize(
    "op,slot,want",
    [("*", 0, "b"), ("*", 1, "a"), ("+", 1, "1"), ("-", 1, "-1"), ("tanh", 0, "1 - o²"),
     ("**2", 0, "2·a"), ("**3", 0, "3·a^2"), ("sigmoid", 0, "o·(1 - o)"),
     ("/", 1, "-a/b²"), ("exp", 0, "o"), ("relu", 0, "(1 if a > 0 else 0)")],
)
def test_local_formulas(op, slot, want):
    assert local_formula(op, slot, ["a", "b"], "o") == want


def test_unknown_example_and_bad_root_are_named():
    with pytest.raises(ValueError, match="unknown example 'nope'"):
        GraphStepperModel("nope")
    with pytest.raises(TypeError, match="root must be a Value"):
        GraphStepperModel(root=3.0)


def test_a_graph_too_big_to_read_is_refused_with_its_size_before_drawing():
    big = random_expression(np.random.default_rng(0), n_ops=300)
    n = len(big.topo_order())
    assert n > 150
    with pytest.raises(ValueError, match=f"graph has {n} value nodes, more than "
                                         "max_nodes=150"):
        GraphStepperApp(root=big)
    model = GraphStepperModel(root=big, max_nodes=n)  # asked for explicitly
    assert model.n_steps == n


def test_random_expression_checks_its_arguments_and_reaches_every_leaf():
    with pytest.raises(ValueError, match="leaf_values has 2 entries, expected 3"):
        random_expression(np.random.default_rng(0), 4, leaf_values=[1.0, 2.0])
    with pytest.raises(TypeError, match="numpy Generator"):
        random_expression(0, 4)
    root = random_expression(np.random.default_rng(0), 4, n_leaves=5)
    labels = {n.label for n in root.topo_order()}
    assert {f"x{i}" for i in range(5)} <= labels


# ------------------------------------------------------------------- view
def box_colours(app):
    return [tuple(b.get_facecolor()) for b in app.drawing.boxes]


def png_array(data: bytes) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


@pytest.mark.parametrize("k", [1, 2, 3, 6])
def test_step_k_times_highlights_the_kth_node_and_shows_the_traced_grads(k):
    app = GraphStepperApp()
    m = app.model
    for _ in range(k):
        app.step_button.click()
    assert m.position == k and app.play.value == k
    cur = m.trace[k - 1].node
    colours = box_colours(app)
    assert colours[cur] == to_rgba(CURRENT_COLOUR)
    assert colours.count(to_rgba(CURRENT_COLOUR)) == 1
    for j in m.trace[k - 1].inputs:
        assert colours[j] == to_rgba(RECEIVING_COLOUR)
    for i in range(len(m.nodes)):
        assert app.drawing.grad_texts[i].get_text() == f"grad {fmt(m.grads[k][i])}"
    # the grads shown are those of an independent trace of the same graph
    fresh = EXAMPLES[REUSED]()
    steps = fresh.backward_trace()
    for _ in range(k):
        next(steps)
    assert m.grad.tolist() == [n.grad for n in fresh.topo_order()]
    assert f"step {k}/{m.n_steps}" in app.status.value


def test_nodes_whose_turn_has_passed_are_marked_done():
    app = GraphStepperApp()
    app.play.value = 4
    done = [i for i in range(len(app.model.nodes)) if app.model.done(i)]
    colours = box_colours(app)
    cur = app.model.current_node
    assert all(colours[i] == to_rgba(DONE_COLOUR) for i in done if i != cur)
    assert len(done) == 4


def test_reused_node_shows_both_contributions_on_its_edges():
    app = GraphStepperApp()
    m = app.model
    a = m.names.index("a")
    app.play.value = m.n_steps
    inputs = app.drawing.layout.inputs
    edges = [(i, k) for (i, k) in app.drawing.edge_arrows if inputs[i][k] == a]
    labels = [app.drawing.edge_labels[e] for e in edges]
    assert len(labels) == 2 and all(t.get_visible() for t in labels)
    assert sorted(float(t.get_text()) for t in labels) == [-3.0, 1.0]
    assert app.drawing.grad_texts[a].get_text() == "grad -2"


def test_back_reset_and_play_drive_the_model_and_the_image():
    app = GraphStepperApp()
    png0 = app.image.value
    app.play.value = 3  # what one tick of the Play widget does, three times
    assert app.model.position == 3
    png3 = app.image.value
    assert png3 != png0
    app.back_button.click()
    assert app.model.position == 2 and app.play.value == 2
    app.reset_button.click()
    assert app.model.position == 0 and app.play.value == 0
    assert app.image.value == png0
    assert not any(t.get_visible() for t in app.drawing.edge_labels.values())


def test_speed_slider_sets_the_play_interval():
    app = GraphStepperApp()
    app.speed_slider.value = 4.0
    assert app.play.interval == 250
    app.speed_slider.value = 0.5
    assert app.play.interval == 2000


def test_dropdown_switches_example_and_restarts():
    app = GraphStepperApp()
    app.play.value = 3
    app.example_dropdown.value = MLP
    m = app.model
    assert m.example == MLP and m.position == 0 and app.play.value == 0
    assert app.play.max == m.n_steps == len(m.nodes)
    assert len(app.drawing.boxes) == len(m.nodes)
    app.step_button.click()
    assert app.drawing.boxes[m.current_node].get_facecolor() == to_rgba(CURRENT_COLOUR)
    app.example_dropdown.value = REUSED
    assert app.play.max == 6


def test_dropdown_offers_every_example():
    app = GraphStepperApp()
    assert list(app.example_dropdown.options) == list(EXAMPLES)
    assert "two-layer MLP on one point" in app.example_dropdown.options
    assert "tanh neuron with 2 inputs" in app.example_dropdown.options


def test_your_own_expression_can_be_stepped():
    w = Value(0.5, label="w")
    L = (w * 3 + w).tanh()
    app = GraphStepperApp(root=L)
    assert app.example_dropdown.value == YOUR_EXPRESSION
    app.play.value = app.model.n_steps
    L2 = Value(0.5)
    (L2 * 3 + L2).tanh().backward()
    assert app.model.grad[app.model.names.index("w")] == L2.grad


def test_side_panel_lists_the_chain_rule_product():
    app = GraphStepperApp()
    app.play.value = 2
    assert "dL/dc · dc/da = 1 × -3 = -3" in app.panel.value
    assert "they add" in app.panel.value


def test_layered_rendering_matches_a_plain_full_draw():
    app = GraphStepperApp()
    app.example_dropdown.value = MLP
    app.play.value = 7
    fast = png_array(app.image.value)
    app.fig.canvas.draw()  # everything visible, drawn the ordinary way
    full = np.asarray(app.fig.canvas.buffer_rgba())[..., :3].astype(int)
    assert fast.shape == full.shape
    differ = np.abs(fast - full).max(axis=-1) > 40
    assert differ.mean() < 0.002


def test_every_example_drawn_ahead_looks_as_drawn_afresh_on_every_visit():
    app = GraphStepperApp()
    tanh = "tanh neuron with 2 inputs"
    for name in [MLP, REUSED, tanh, MLP, REUSED]:  # first visits, then revisits
        app.example_dropdown.value = name
        app.play.value = 3
        fresh = Figure(figsize=app.fig.get_size_inches(), dpi=app.fig.dpi)
        want = draw_graph_on(fresh.add_axes((0, 0, 1, 1)), app.model.root)
        assert app.drawing.scale == want.scale  # the text is not squeezed
        fast = png_array(app.image.value)
        app.fig.canvas.draw()  # everything visible, drawn the ordinary way
        full = np.asarray(app.fig.canvas.buffer_rgba())[..., :3].astype(int)
        assert fast.shape == full.shape
        assert np.abs(fast - full).max() <= 3  # rounding: each pixel blended alone


def test_callback_errors_are_shown_in_the_app(monkeypatch):
    app = GraphStepperApp()
    monkeypatch.setattr(app.model, "step", lambda: 1 / 0)
    app.step_button.click()
    assert "ZeroDivisionError" in str(app.errors.outputs)


def test_static_figure_tells_the_same_story():
    m = GraphStepperModel(REUSED)
    m.goto(2)
    fig = stepper_figure(m)
    assert isinstance(fig, Figure)
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "step 2/6, c's turn" in texts
    assert "a has received 2 contributions" in texts
