"""Lesson 02 checks accept the solution and name each anticipated mistake."""

import pytest

from bpkit import Value
from bpkit.exercises import lesson02 as ex


def unattempted(*args):
    raise NotImplementedError()


# ------------------------------------------------------------ exercise 1
def test_predict_grad_accepts_the_two_paths_added_up():
    fb = ex.check_predict_grad(lambda: (2 * (3 * -0.5) + 1) * -0.5)
    assert fb.ok and "= 1" in fb.message


def test_predict_grad_agrees_with_the_engine():
    L = ex.exercise_graph()
    L.backward()
    x = next(n for n in L.topo_order() if n.label == "x")
    assert ex.check_predict_grad(lambda: x.grad).ok


@pytest.mark.parametrize(
    "answer,clue",
    [
        (2 * (3 * -0.5) * -0.5, "only the path through s"),
        (-0.5, "only the direct path"),
        ((3 * -0.5 + 1) * -0.5, "both slots"),
        (2 * (3 * -0.5) + 1, "that is dL/da"),
        ((2 * (3 * -0.5) + 1) * 3, "*other* factor"),
        (-1.0, "wrong sign"),
        (3.25, "naive recursion"),
        (7.0, "you give 7"),
    ],
)
def test_predict_grad_names_each_mistake(answer, clue):
    fb = ex.check_predict_grad(lambda: answer)
    assert not fb.ok and clue in fb.message


def test_predict_grad_wants_a_number():
    assert "not a Value" in ex.check_predict_grad(lambda: Value(1.0)).message
    assert "return a number" in ex.check_predict_grad(lambda: "1").message


def test_naive_recursion_gives_the_value_the_hint_names():
    L = ex.exercise_graph()
    L.grad = 1.0
    ex.naive_backward(L)
    x = next(n for n in L.topo_order() if n.label == "x")
    assert x.grad == pytest.approx(3.25)


# ------------------------------------------------------------ exercise 2
def good_topo(root):
    order, seen = [], set()

    def visit(n):
        if id(n) in seen:
            return
        seen.add(id(n))
        for p in n._prev:
            visit(p)
        order.append(n)

    visit(root)
    return order


def no_visited_set(root):
    order = []

    def visit(n):
        for p in n._prev:
            visit(p)
        order.append(n)

    visit(root)
    return order


def preorder(root):
    order, seen = [], set()

    def visit(n):
        if id(n) in seen:
            return
        seen.add(id(n))
        order.append(n)
        for p in n._prev:
            visit(p)

    visit(root)
    return order


def test_topo_order_accepts_a_post_order_depth_first_search():
    assert ex.check_topo_order(good_topo).ok


def test_topo_order_that_calls_the_engines_own_is_told_so():
    fb = ex.check_topo_order(lambda root: root.topo_order())
    assert not fb.ok and "the engine's own root.topo_order()" in fb.message
    assert Value.topo_order.__name__ == "topo_order"   # the engine is restored


def keyed_on_label(root):
    order, seen = [], set()

    def visit(n):
        if n.label in seen:
            return
        seen.add(n.label)
        for p in n._prev:
            visit(p)
        order.append(n)

    visit(root)
    return order


@pytest.mark.parametrize(
    "wrong,clue",
    [
        (no_visited_set, "keep a set of visited"),
        (lambda root: list(reversed(good_topo(root))), "that is the reverse"),
        (preorder, "comes before its input"),
        (preorder, "in one of the test graphs"),
        (keyed_on_label, "keyed on a node's label or value"),
        (lambda root: good_topo(root)[1:], "missing"),
        (lambda root: good_topo(root) + [Value(1.0)], "not in this graph"),
        (lambda root: "x y a L", "return a list"),
    ],
)
def test_topo_order_names_each_mistake(wrong, clue):
    fb = ex.check_topo_order(wrong)
    assert not fb.ok and clue in fb.message


# ------------------------------------------------------------ exercise 3
def good_backward(root):
    order = root.topo_order()
    root.grad = 1.0
    for node in reversed(order):
        for child, local in zip(node._prev, node._local):
            child.grad += local * node.grad


def test_backward_accepts_reverse_topological_accumulation():
    assert ex.check_backward(good_backward).ok


def no_seed(root):
    for node in reversed(root.topo_order()):
        for child, local in zip(node._prev, node._local):
            child.grad += local * node.grad


def assign(root):
    root.grad = 1.0
    for node in reversed(root.topo_order()):
        for child, local in zip(node._prev, node._local):
            child.grad = local * node.grad


def inputs_first(root):
    root.grad = 1.0
    for node in root.topo_order():
        for child, local in zip(node._prev, node._local):
            child.grad += local * node.grad


def naive(root):
    root.grad = 1.0
    ex.naive_backward(root)


def no_local(root):
    root.grad = 1.0
    for node in reversed(root.topo_order()):
        for child in node._prev:
            child.grad += node.grad


def seed_late(root):
    no_seed(root)
    root.grad = 1.0


def subtracting(root):
    root.grad = 1.0
    for node in reversed(root.topo_order()):
        for child, local in zip(node._prev, node._local):
            child.grad -= local * node.grad


def swapped_local(root):
    root.grad = 1.0
    for node in reversed(root.topo_order()):
        for child, local in zip(node._prev, node._local[::-1]):
            child.grad += local * node.grad


def over_preorder(root):
    root.grad = 1.0
    for node in reversed(preorder(root)):
        for child, local in zip(node._prev, node._local):
            child.grad += local * node.grad


def returns_a_dict(root):
    return {id(root): 1.0}


def off_by_a_bit(root):
    good_backward(root)
    root.topo_order()[0].grad += 0.5


@pytest.mark.parametrize(
    "wrong,clue",
    [
        (no_seed, "seed the output"),
        (assign, "(+=)"),
        (inputs_first, "inputs first"),
        (naive, "plain recursion"),
        (no_local, "*local*"),
        (off_by_a_bit, "expected"),
        (seed_late, "*before* the loop"),
        (subtracting, "contributions add"),
        (swapped_local, "its own local derivative"),
        (over_preorder, "your topo_order (exercise 2) lists a node before"),
        (returns_a_dict, "returns a dict"),
        (lambda root: root.backward(), "the engine's own root.backward()"),
        (lambda root: list(root.backward_trace()), "root.backward_trace()"),
    ],
)
def test_backward_names_each_mistake(wrong, clue):
    fb = ex.check_backward(wrong)
    assert not fb.ok and clue in fb.message


@pytest.mark.parametrize(
    "check", [ex.check_predict_grad, ex.check_topo_order, ex.check_backward]
)
def test_unattempted_stub_says_so_instead_of_failing(check):
    fb = check(unattempted)
    assert fb.status == "not attempted" and "not attempted yet" in repr(fb)


def test_backward_written_over_an_unwritten_topo_order_is_told_so_not_unattempted():
    def topo_order(root):
        raise NotImplementedError()

    def backward(root):
        root.grad = 1.0
        for node in reversed(topo_order(root)):
            for child, local in zip(node._prev, node._local):
                child.grad += local * node.grad

    fb = ex.check_backward(backward)
    assert fb.status == "hint", repr(fb)
    assert "topo_order()" in repr(fb) and "exercise 2" in repr(fb)
