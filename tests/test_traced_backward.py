"""The traced backward pass (`Value.backward_trace`) against `backward()`,
finite differences and PyTorch, on graphs drawn by hypothesis."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bpkit import Value, numerical_grad, rel_error
from bpkit.example_graphs import EXAMPLES, random_expression

seeds = st.integers(0, 2**32 - 1)
n_ops = st.integers(1, 14)
fast = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def leaves_of(root: Value) -> list[Value]:
    """The random expression's inputs x0, x1, ... in order."""
    xs = [n for n in root.topo_order() if not n._prev and n.label.startswith("x")]
    return sorted(xs, key=lambda n: int(n.label[1:]))


def grads(root: Value) -> list[float]:
    return [n.grad for n in root.topo_order()]


@fast
@given(seed=seeds, k=n_ops)
def test_trace_run_to_the_end_gives_exactly_backwards_gradients(seed, k):
    a = random_expression(np.random.default_rng(seed), k)
    b = random_expression(np.random.default_rng(seed), k)
    a.backward()
    steps = list(b.backward_trace())
    assert len(steps) == len(b.topo_order())
    assert np.array_equal(grads(a), grads(b), equal_nan=True)


@fast
@given(seed=seeds, k=n_ops)
def test_each_node_gets_its_turn_after_every_node_that_uses_it(seed, k):
    root = random_expression(np.random.default_rng(seed), k)
    turn = {id(s.node): t for t, s in enumerate(root.backward_trace())}
    for node in root.topo_order():
        for p in node._prev:
            assert turn[id(node)] < turn[id(p)]


@fast
@given(seed=seeds, k=n_ops)
def test_upstream_is_final_at_a_nodes_turn_and_contributions_are_upstream_times_local(
    seed, k
):
    root = random_expression(np.random.default_rng(seed), k)
    received: dict[int, float] = {}
    for s in root.backward_trace():
        # nothing arrives after a node's turn: its upstream is its final gradient
        assert s.upstream == s.node.grad
        if s.node is root:
            assert s.upstream == 1.0
        else:
            assert math.isclose(s.upstream, received[id(s.node)], rel_tol=1e-12,
                                abs_tol=1e-300)
        assert s.inputs == s.node._prev and s.local == s.node._local
        assert s.contributions == tuple(loc * s.upstream for loc in s.local)
        for p, c in zip(s.inputs, s.contributions):
            received[id(p)] = received.get(id(p), 0.0) + c


def test_leaves_are_yielded_with_nothing_to_pass_on():
    L = EXAMPLES["reused node: a = x + y, L = a*b + a"]()
    steps = list(L.backward_trace())
    leaves = [s for s in steps if not s.node._prev]
    assert sorted(s.node.label for s in leaves) == ["b", "x", "y"]
    for s in leaves:
        assert s.inputs == () and s.local == () and s.contributions == ()


def test_reused_node_receives_one_contribution_per_use_and_they_add():
    L = EXAMPLES["reused node: a = x + y, L = a*b + a"]()
    got = [
        (s.node.label, c)
        for s in L.backward_trace()
        for p, c in zip(s.inputs, s.contributions)
        if p.label == "a"
    ]
    # from L = c + a (local 1) and from c = a * b (local b = -3)
    assert got == [("L", 1.0), ("c", -3.0)]
    a = next(n for n in L.topo_order() if n.label == "a")
    assert a.grad == -2.0


def test_trace_is_lazy_a_half_run_leaves_inputs_incomplete():
    L = EXAMPLES["reused node: a = x + y, L = a*b + a"]()
    it = L.backward_trace()
    next(it)  # only L's turn: a has its contribution from L, not yet from c
    a = next(n for n in L.topo_order() if n.label == "a")
    assert a.grad == 1.0
    list(it)
    assert a.grad == -2.0


@settings(max_examples=30, deadline=None)
@given(seed=seeds, k=st.integers(1, 10))
def test_traced_gradients_match_central_finite_differences(seed, k):
    root = random_expression(np.random.default_rng(seed), k)
    values = [n.data for n in leaves_of(root)]
    assume(all(abs(n.data) < 1e4 for n in root.topo_order()))
    for _ in root.backward_trace():
        pass
    got = np.array([n.grad for n in leaves_of(root)])

    def f(xs: np.ndarray) -> float:
        rng = np.random.default_rng(seed)
        return random_expression(rng, k, leaf_values=list(xs)).data

    want = numerical_grad(f, np.array(values, dtype=float))
    # relative error where the gradient is sizeable, absolute where it is ~0
    assert np.allclose(got, want, rtol=1e-5, atol=1e-6), (got, want)
    assert rel_error(got[np.abs(want) > 1e-3], want[np.abs(want) > 1e-3]) < 1e-5


_TORCH_OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "**2": lambda a: a**2,
}


@pytest.mark.torch
@settings(max_examples=25, deadline=None)
@given(seed=seeds, k=n_ops)
def test_traced_gradients_match_pytorch(seed, k):
    torch = pytest.importorskip("torch")
    root = random_expression(np.random.default_rng(seed), k)
    order = root.topo_order()
    assume(all(abs(n.data) < 1e6 for n in order))
    t = {}
    for n in order:
        if not n._prev:
            t[id(n)] = torch.tensor(n.data, dtype=torch.float64, requires_grad=True)
        else:
            t[id(n)] = _TORCH_OPS[n._op](*(t[id(p)] for p in n._prev))
    t[id(root)].backward()
    for _ in root.backward_trace():
        pass
    for n in order:
        if not n._prev:
            assert n.grad == pytest.approx(t[id(n)].grad.item(), rel=1e-10, abs=1e-12)
