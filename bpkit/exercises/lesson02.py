"""Checks for lesson 02 (computational graphs).

1. `check_predict_grad`: predict dL/dx in a graph with a reused node, before
   stepping to it in the app.
2. `check_topo_order`: write a topological sort.
3. `check_backward`: write the backward pass on top of it.
5. `check_my_add` .. `check_my_backward`: build a `Value` of your own (in
   `own_value`, re-exported here).
"""

from __future__ import annotations

import math
from typing import Callable

from ..engine import Value
from .own_value import (
    check_my_add, check_my_backward, check_my_exp, check_my_mul, check_my_pow,
    check_my_tanh,
)
from . import (
    NOT_ATTEMPTED, Feedback, LearnerError, call, correct, describe, hard_coded,
    hard_coded_hint, hint, hints_on_error, learner_error, name_of, not_attempted,
    number, run, show,
)

__all__ = [
    "exercise_graph",
    "naive_backward",
    "check_predict_grad",
    "check_topo_order",
    "check_backward",
    "check_my_add",
    "check_my_mul",
    "check_my_pow",
    "check_my_tanh",
    "check_my_exp",
    "check_my_backward",
]

# exercise 1's numbers: every anticipated mistake gives a different answer
X, Y = 3.0, -0.5


def exercise_graph(x: float = X, y: float = Y) -> Value:
    """Exercise 1's graph: a = x y, L = a a + a. `a` is used three times."""
    xv, yv = Value(x, label="x"), Value(y, label="y")
    a = xv * yv
    a.label = "a"
    s = a * a
    s.label = "s"
    L = s + a
    L.label = "L"
    return L


def naive_backward(node: Value) -> None:
    """Backprop by plain recursion: each node passes its gradient on at once.

    Wrong on any graph where a non-leaf node is used more than once: the node
    passes its gradient on before every contribution has arrived, and again
    after each later one, so the nodes below it count some paths twice. Kept
    here so the lesson can show the failure; call it on a graph whose output
    has grad 1 and every other grad 0.
    """
    for child, local in zip(node._prev, node._local):
        child.grad += local * node.grad
        naive_backward(child)


def _naive(root: Value) -> None:
    root.zero_grad()
    root.grad = 1.0
    naive_backward(root)


class _Shortcuts:
    """While active, note each call of the engine's own methods `names` on Value.

    The methods still work (the learner's code runs as written); the check then
    says that the answer used the engine instead of building the piece.
    """

    def __init__(self, *names: str) -> None:
        self.names, self.used = names, []

    def __enter__(self) -> "_Shortcuts":
        self.saved = {n: getattr(Value, n) for n in self.names}
        for name, original in self.saved.items():
            def noted(*args, _name=name, _original=original, **kwargs):
                self.used.append(_name)
                return _original(*args, **kwargs)
            setattr(Value, name, noted)
        return self

    def __exit__(self, *exc) -> None:
        for name, original in self.saved.items():
            setattr(Value, name, original)


# -------------------------------------------------------------- exercise 1
@hints_on_error(should="return a number, dL/dx")
def check_predict_grad(predict_dL_dx: Callable[[], float]) -> Feedback:
    """`predict_dL_dx()` returns dL/dx for L = a a + a, a = x y, at x = 3, y = -0.5."""
    got = call(predict_dL_dx)
    if got is NOT_ATTEMPTED:
        return not_attempted("predict_dL_dx()")
    if isinstance(got, Value):
        return hint("return a number (the gradient), not a Value")
    got = number(got, name_of(predict_dL_dx))
    a = X * Y
    dL_da = 2 * a + 1
    want = dL_da * Y
    naive = exercise_graph()
    _naive(naive)
    x_naive = next(n for n in naive.topo_order() if n.label == "x").grad
    if math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
        return correct(
            f"dL/dx = dL/da · da/dx = (2a + 1) · y = ({dL_da:g}) · ({Y:g}) = {want:g}"
        )
    mistakes = [
        (2 * a * Y, "you followed only the path through s = a·a; L = s + a also "
         "uses a directly, and the two contributions add: dL/da = 2a + 1"),
        (1 * Y, "you followed only the direct path L = s + a; a also feeds "
         "s = a·a, and the two contributions add: dL/da = 2a + 1"),
        ((a + 1) * Y, "s = a·a uses a in both slots: each slot contributes a, so "
         "ds/da = 2a, not a"),
        (dL_da, "that is dL/da; one more factor of the chain rule: da/dx = y"),
        (dL_da * X, "da/dx is the *other* factor of a = x·y, that is y, not x"),
        (-want, "right size, wrong sign: check the sign of each factor"),
        (x_naive, "that is what naive recursion gives: a passed its gradient on "
         "before all of it had arrived, so paths through a were counted again. "
         "Add up dL/da completely first, then pass it to x"),
    ]
    for value, message in mistakes:
        if math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-12):
            return hint(message)
    return hint(
        f"you give {show(got, want, 'g')[0]}. Find dL/da first (a is used 3 times: "
        "twice in a·a, once directly), then multiply by da/dx"
    )


# -------------------------------------------------------------- exercise 2
def _test_graphs() -> list[Value]:
    """Graphs with reuse at several depths, a node feeding both slots, a long chain."""
    from ..example_graphs import reused_node  # the lesson's own example

    out = [exercise_graph(), reused_node()]
    # a used near the inputs and near the output, through paths of unequal length
    p = Value(0.3, label="p")
    q = (p * 2).tanh()
    q.label = "q"
    r = ((q * q).sigmoid() * 3).tanh()
    r.label = "r"
    out.append(r + q * p)
    z = Value(0.1, label="z")
    for k in range(30):
        z = (z * 1.1 + 0.05).tanh()
    out.append(z)
    return out


def _name(n: Value) -> str:
    return repr(n.label) if n.label else f"the {n._op or 'leaf'} node {n.data:.4g}"


def _check_order(order, root: Value) -> str | None:
    """None if `order` is a topological order of root's graph, else a hint."""
    if not isinstance(order, (list, tuple)):
        return f"return a list of the graph's Value nodes, got {describe(order)}"
    other = next((n for n in order if not isinstance(n, Value)), None)
    if other is not None or not order:
        held = describe(other) if order else "nothing"
        return f"return a list of the graph's Value nodes; your list holds {held}"
    nodes = root.topo_order()
    ids = {id(n) for n in nodes}
    counts: dict[int, int] = {}
    for n in order:
        counts[id(n)] = counts.get(id(n), 0) + 1
    dup = next((n for n in order if counts[id(n)] > 1), None)
    if dup is not None:
        return (f"{_name(dup)} appears {counts[id(dup)]} times: keep a set of visited "
                "nodes and skip a node you have seen")
    if any(id(n) not in ids for n in order):
        return "your list has nodes that are not in this graph"
    missing = [n for n in nodes if id(n) not in counts]
    if missing:
        if any(_same_nodes(order, _keyed_dfs(root, key)) for key in ("label", "data")):
            return (f"{len(missing)} node(s) are missing, e.g. {_name(missing[0])}: "
                    "your visited set is keyed on a node's label or value, which two "
                    "nodes can share. Key it on the node itself (id(node))")
        return (f"{len(missing)} node(s) are missing, e.g. {_name(missing[0])}: "
                "visit every input of every node, down to the leaves")
    pos = {id(n): i for i, n in enumerate(order)}
    if order and order[0] is root and all(
        pos[id(p)] > pos[id(n)] for n in nodes for p in n._prev
    ):
        return ("that is the reverse: root first is the order backward visits "
                "nodes in. A topological order lists each node after its inputs")
    for n in order:
        for p in n._prev:
            if pos[id(p)] > pos[id(n)]:
                return (f"{_name(n)} comes before its input {_name(p)}: append a "
                        "node only after all of its inputs (post-order)")
    return None


def _keyed_dfs(root: Value, key: str) -> list[Value]:
    """The post-order search with `visited` keyed on each node's label or data."""
    order, seen = [], set()

    def visit(n):
        k = getattr(n, key)
        if k in seen:
            return
        seen.add(k)
        for p in n._prev:
            visit(p)
        order.append(n)
    visit(root)
    return order


def _same_nodes(a, b) -> bool:
    """The same Value objects: a list that cannot belong to two different graphs."""
    return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) > 0
            and len(a) == len(b)
            and all(isinstance(x, Value) and x is y for x, y in zip(a, b)))


@hints_on_error(should="return a list of the graph's nodes")
def check_topo_order(topo_order: Callable[[Value], list]) -> Feedback:
    """`topo_order(root)` must list every node once, each after all its inputs."""
    graphs = _test_graphs()
    with _Shortcuts("topo_order") as shortcuts:
        got = call(topo_order, graphs[0])
        if got is NOT_ATTEMPTED:
            return not_attempted("topo_order(root)")
        orders = [got] + [run(topo_order, root) for root in graphs[1:]]
    if shortcuts.used:
        return hint("your topo_order calls the engine's own root.topo_order(), which "
                    "is the answer: write the depth-first search yourself, with a "
                    "visited set and node._prev")
    if all(_same_nodes(order, got) for order in orders[1:]):
        # the same nodes for different graphs: a list built once, not from root
        return hard_coded_hint("topo_order", "root, visiting the nodes of its graph")
    problems = [(_check_order(order, root), k)
                for k, (order, root) in enumerate(zip(orders, graphs))]
    # a pre-order search can look reversed on one graph: name a real misorder
    # first, and prefer exercise_graph(), which the learner can build and draw
    found = sorted(((p, k) for p, k in problems if p),
                   key=lambda pk: (pk[0].startswith("that is"), pk[1]))
    if found:
        problem, k = found[0]
        where = ("in exercise_graph()" if k == 0
                 else "in one of the test graphs (it has reused nodes)")
        return hint(f"{where}: {problem}")
    return correct("every node once, each after its inputs, on 4 graphs with reuse")


# -------------------------------------------------------------- exercise 3
def _reference(root: Value) -> None:
    root.backward()


def _assigning(root: Value) -> None:
    order = root.topo_order()
    root.grad = 1.0
    for node in reversed(order):
        for child, local in zip(node._prev, node._local):
            child.grad = local * node.grad


def _forward_order(root: Value) -> None:
    root.grad = 1.0
    for node in root.topo_order():
        for child, local in zip(node._prev, node._local):
            child.grad += local * node.grad


def _seed_late(root: Value) -> None:
    for node in reversed(root.topo_order()):
        for child, local in zip(node._prev, node._local):
            child.grad += local * node.grad
    root.grad = 1.0


def _subtracting(root: Value) -> None:
    root.grad = 1.0
    for node in reversed(root.topo_order()):
        for child, local in zip(node._prev, node._local):
            child.grad -= local * node.grad


def _swapped_local(root: Value) -> None:
    root.grad = 1.0
    for node in reversed(root.topo_order()):
        for child, local in zip(node._prev, reversed(node._local)):
            child.grad += local * node.grad


def _no_local(root: Value) -> None:
    root.grad = 1.0
    for node in reversed(root.topo_order()):
        for child in node._prev:
            child.grad += node.grad


def _grads_after(fn: Callable[[Value], None],
                 build: Callable[[], Value]) -> list[float]:
    root = build()
    run(fn, root)
    grads = []
    for n in root.topo_order():
        if not isinstance(n.grad, (int, float)) or isinstance(n.grad, bool):
            try:
                n.grad = number(n.grad)
            except LearnerError:
                raise LearnerError(f"after {name_of(fn)}(root), {_name(n)}.grad is "
                                   f"{describe(n.grad)}: expected a number") from None
        grads.append(float(n.grad))
    return grads


def _same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-12) for u, v in zip(a, b)
    )


def _innermost_code(err: BaseException):
    """The code object of the function that raised `err` (None without a traceback)."""
    tb = err.__traceback__
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code


# exercise 1's graph at other numbers: a gradient computed once shows
_OTHER = (1.5, 2.0)


@hints_on_error(should="fill in every node's .grad")
def check_backward(backward: Callable[[Value], None]) -> Feedback:
    """`backward(root)` must fill every node's .grad with dL/d(node), from zero
    grads."""
    builders = [lambda i=i: _test_graphs()[i] for i in range(4)]
    probe = builders[0]()
    shortcuts = _Shortcuts("backward", "backward_trace")
    try:
        with shortcuts:
            returned = backward(probe)
    except Exception as err:
        if not isinstance(err, NotImplementedError):
            raise learner_error(backward, (probe,), err) from None
        raiser = _innermost_code(err)
        if raiser is None or raiser is getattr(backward, "__code__", None):
            return not_attempted("backward(root)")
        # backward is written, but calls a stub: most likely exercise 2's topo_order
        return hint(
            f"your backward calls {raiser.co_name}(), which still raises "
            "NotImplementedError: finish it first (exercise 2), or use "
            "root.topo_order() for now"
        )
    if shortcuts.used:
        return hint(f"your backward calls the engine's own root.{shortcuts.used[0]}(), "
                    "which is the answer: write the loop yourself, over "
                    "reversed(topo_order(root)), with node._prev and node._local")
    if returned is not None and all(n.grad == 0.0 for n in probe.topo_order()[:-1]):
        return hint(f"your backward returns {describe(returned)} and leaves the "
                    "nodes' .grad at 0: it should write each node's gradient into "
                    "node.grad (and return nothing)")
    builds = [exercise_graph, lambda: exercise_graph(*_OTHER)]
    mine = [_grads_after(backward, b) for b in builds]
    want = [_grads_after(_reference, b) for b in builds]
    if hard_coded(mine, want, _same):
        return hard_coded_hint("backward", "the graph's own numbers: each node's "
                               "local derivatives and its users' .grad")
    mistakes = [
        (_assigning, "a reused node keeps only its last contribution: add into "
         "child.grad (+=), do not assign it (=)"),
        (_forward_order, "you visited nodes inputs first: a node must pass its "
         "gradient on only after every node that uses it has, so walk "
         "reversed(topo_order). If you already do, your topo_order (exercise 2) "
         "lists a node before its inputs: check_topo_order(topo_order) says where"),
        (_naive, "plain recursion: a reused node passed its gradient on before "
         "it was complete. Walk the nodes once, in reverse topological order"),
        (_no_local, "each contribution is upstream gradient times the *local* "
         "derivative: child.grad += local * node.grad"),
        (_seed_late, "root.grad = 1 must be set *before* the loop: while the seed "
         "is 0, every contribution is 0 times something"),
        (_subtracting, "contributions add: child.grad += local * node.grad. The "
         "minus sign belongs to the gradient-descent update, not to backprop"),
        (_swapped_local, "each input goes with its own local derivative: "
         "zip(node._prev, node._local), in the same order"),
    ]
    results = [(_grads_after(backward, b), _grads_after(_reference, b)) for b in builders]
    # a mistake that explains every graph is named first: on one small graph two
    # different mistakes can give the same numbers
    if not all(_same(m, w) for m, w in results) and any(
            not all(g == 0.0 for g in m) for m, _ in results):
        for fn, message in mistakes:
            if all(_same(m, _grads_after(fn, b)) for (m, _), b in zip(results, builders)):
                return hint(message)
    for build, (mine, want) in zip(builders, results):
        if _same(mine, want):
            continue
        if all(g == 0.0 for g in mine):
            return hint("every gradient is still 0: seed the output with root.grad = 1 "
                        "before the loop")
        for fn, message in mistakes:
            if _same(mine, _grads_after(fn, build)):
                return hint(message)
        if len(mine) != len(want):  # the learner's backward changed the graph
            return hint(f"after your backward the graph has {len(mine)} node"
                        f"{'s' if len(mine) != 1 else ''}, "
                        f"expected {len(want)}: only fill in .grad")
        nodes = build().topo_order()
        k = next(i for i, (g, w) in enumerate(zip(mine, want))
                 if not math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-12))
        g, w = show(mine[k], want[k], ".6g")
        return hint(f"{_name(nodes[k])} gets grad {g}, expected {w}")
    return correct("your backward pass gives backward()'s gradients on 4 graphs")
