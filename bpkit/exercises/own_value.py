"""Checks for lesson 02's exercise 5: the learner builds a `Value` of their own.

The learner's class (called `MyValue` in the notebook) is micrograd-shaped: a
node has `.data`, `.grad`, `._inputs` (the nodes it was made from) and
`._backward`, a function of no arguments that *adds* the node's gradient, times
each local derivative, into its inputs' `.grad`. Each op's check builds small
graphs with the learner's class, sets `out.grad`, calls `out._backward()` itself
and reads the inputs' gradients, so an op is checked on its own: a mistake in
another op, or an unfinished `backward()`, does not hide it. Then the op runs
inside random graphs, checked against `bpkit.Value` and central differences.
`check_my_backward` builds graphs whose `_backward`s the check writes, so it
judges the learner's traversal alone.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable

import numpy as np

from ..engine import Value
from ..gradcheck import numerical_grad
from . import (
    NOT_ATTEMPTED, Feedback, LearnerError, call, correct, describe, hard_coded_hint,
    hint, hints_on_error, learner_error, name_of, not_attempted,
)

__all__ = [
    "check_my_add", "check_my_mul", "check_my_pow", "check_my_tanh", "check_my_exp",
    "check_my_backward",
]

_PARTS = ".data, .grad and ._backward"


# ------------------------------------------------------------ making nodes
class _Same(Exception):
    """The class gave back one and the same node for different numbers."""


def _node(cls: Callable, x: float, *inputs: Any, made: list | None = None) -> Any:
    """`cls(x)` (or `cls(x, inputs)`), checked to be a fresh node holding x."""
    args = (x,) if not inputs else (x, tuple(inputs))
    try:
        v = call(cls, *args, copy=False)
    except LearnerError as e:
        if inputs and "TypeError" in str(e):  # a constructor without _inputs
            raise LearnerError(f"{name_of(cls)}(data, inputs) raised TypeError: the "
                               "check makes a node from others as MyValue(data, "
                               "(a, b)), as the skeleton's ops do; keep the "
                               "skeleton's __init__(self, data, _inputs=())") from None
        raise
    if v is NOT_ATTEMPTED:
        raise NotImplementedError()
    who = f"{name_of(cls)}({x:g})"
    missing = [p for p in ("data", "grad", "_backward") if not hasattr(v, p)]
    if missing:
        raise LearnerError(f"{who} gave {describe(v)}, expected a node with {_PARTS} "
                           f"(missing {', '.join('.' + m for m in missing)})")
    data = v.data
    if not isinstance(data, numbers.Real) or isinstance(data, bool):
        raise LearnerError(f"{who}.data is {describe(data)}, expected the number "
                           f"{x:g}")
    if made is not None and any(v is m for m in made):
        raise _Same()
    if float(data) != float(x):
        if made:
            raise _Same()
        raise LearnerError(f"{who}.data is {float(data):g}: a node keeps the number it "
                           "was made with")
    if not isinstance(v.grad, numbers.Real) or float(v.grad) != 0.0:
        raise LearnerError(f"{who}.grad starts at {describe(v.grad)}, expected 0.0: "
                           "nothing has been added to it yet")
    if made is not None:
        made.append(v)
    return v


def _leaves(cls: Callable, xs: tuple, made: list) -> list:
    return [_node(cls, x, made=made) for x in xs]


def _grad(v: Any, who: str) -> float:
    g = v.grad
    if isinstance(g, numbers.Real) and not isinstance(g, bool):
        return float(g)
    raise LearnerError(f"after the backward, {who}.grad is {describe(g)}, expected a "
                       "number")


def _run_backward(out: Any, expr: str) -> None:
    """`out._backward()`: a stub is 'not attempted', an error a hint."""
    fn = getattr(out, "_backward", None)
    if not callable(fn):
        raise LearnerError(f"({expr})._backward is {describe(fn)}, expected a function "
                           "of no arguments: set out._backward = _backward")
    try:
        fn()
    except NotImplementedError:
        raise
    except Exception as e:
        err = learner_error(fn, (), e)
        raise LearnerError(f"the backward of {expr} raised "
                           f"{str(err).split(' raised ', 1)[-1]}") from None


def _apply(op: str, nodes: list, expr: str, k: float = 3.0) -> Any:
    """The learner's op on their nodes (forward only)."""
    try:
        if op == "add":
            out = nodes[0] + nodes[-1]
        elif op == "mul":
            out = nodes[0] * nodes[-1]
        elif op == "pow":
            out = nodes[0] ** k
        elif op == "tanh":
            out = nodes[0].tanh()
        else:
            out = nodes[0].exp()
    except NotImplementedError:
        raise
    except Exception as e:
        raise LearnerError(f"{expr} raised {type(e).__name__}: {e}"[:160]) from None
    if not all(hasattr(out, p) for p in ("data", "grad", "_backward")):
        raise LearnerError(f"{expr} gave {describe(out)}, expected a new node with "
                           f"{_PARTS}: did the op return out?")
    return out


def _forward(op: str, xs: tuple, k: float = 3.0) -> float:
    a, b = xs[0], xs[-1]
    return {"add": lambda: a + b, "mul": lambda: a * b, "pow": lambda: a**k,
            "tanh": lambda: math.tanh(a), "exp": lambda: math.exp(a)}[op]()


# ------------------------------------------------------------ one op, one node
# (xs, the grads already in the inputs, out.grad, the exponent of a ** k): the
# grads already there catch `=` for `+=`, an out.grad other than 1 catches a
# missing upstream factor, three exponents catch a k or a power written in
_CASES = [((0.7, -1.3), (0.25, -0.5), 1.5, 3.0),
          ((-0.4, 2.1), (-0.75, 0.125), -2.0, 2.0),
          ((1.1, 0.6), (0.5, 0.375), 0.75, 2.5)]


def _slopes(op: str, xs: tuple, k: float = 3.0) -> list[float]:
    """d out / d input, the right local derivatives."""
    a, b = xs[0], xs[-1]
    if op == "add":
        return [1.0, 1.0]
    if op == "mul":
        return [b, a]
    if op == "pow":
        return [k * a ** (k - 1)]
    if op == "tanh":
        return [1 - math.tanh(a) ** 2]
    return [math.exp(a)]


_SYMBOL = {"add": "a + b", "mul": "a * b", "pow": "a ** k",
           "tanh": "a.tanh()", "exp": "a.exp()"}


def _slips(op: str) -> list[tuple[str, Callable[[tuple, float], list[float]]]]:
    """Each classic slip as the local 'slopes' (of xs and k) it amounts to, with its
    hint."""
    per_op: dict[str, list] = {
        "add": [("a + b's backward must pass out.grad to both inputs: other is "
                 "missing", lambda xs, k: [1.0, 0.0]),
                ("a + b's backward must pass out.grad to both inputs: self is missing",
                 lambda xs, k: [0.0, 1.0])],
        "mul": [("the slope of a * b with respect to a is b's value (and with respect "
                 "to b, a's): self.grad += other.data * out.grad, not self.data",
                 lambda xs, k: [xs[0], xs[-1]])],
        "pow": [("the power rule lowers the exponent: d(a**k)/da = k * a**(k - 1), "
                 "not k * a**k", lambda xs, k: [k * xs[0] ** k]),
                ("the power rule brings k down in front: d(a**k)/da = "
                 "k * a**(k - 1), not a**(k - 1)", lambda xs, k: [xs[0] ** (k - 1)]),
                ("the slope of a ** k is written for one exponent: use the k the op "
                 "was called with, k * self.data ** (k - 1)",
                 lambda xs, k: [3.0 * xs[0] ** 2])],
        "tanh": [("tanh' is 1 - t**2 with t = tanh(a), the node's own output "
                  "(out.data), not 1 - a**2 from the input",
                  lambda xs, k: [1 - xs[0] ** 2])],
        "exp": [("exp is its own slope: d(e**a)/da = e**a, the output out.data, not "
                 "the input a", lambda xs, k: [xs[0]]),
                ("exp is not a power of a: d(e**a)/da = e**a, not a * e**(a - 1)",
                 lambda xs, k: [xs[0] * math.exp(xs[0] - 1)])],
    }
    return per_op[op]


def _inputs_of(op: str, xs: tuple) -> tuple:
    return xs if op in ("add", "mul") else xs[:1]


def _judge_one_node(op: str, got: list[list[float]]) -> str | None:
    """A hint for the first slip the gradients show, or None if they are right."""

    def shows(local: Callable[[tuple, float], list[float]], upstream: bool = True,
              adds: bool = True) -> bool:
        out = []
        for xs, pre, g, k in _CASES:
            s = local(_inputs_of(op, xs), k)
            out.append([(p if adds else 0.0) + v * (g if upstream else 1.0)
                        for p, v in zip(pre, s)])
        return all(np.allclose(a, b, rtol=1e-9, atol=1e-12) for a, b in zip(got, out))

    right = lambda xs, k: _slopes(op, xs, k)  # noqa: E731
    if shows(right):
        return None
    sym = _SYMBOL[op]
    if shows(lambda xs, k: [0.0] * len(xs)):
        return (f"nothing was added to the inputs' grads by the backward of {sym}: "
                "is out._backward = _backward still there, and does _backward add "
                "(+=) into the inputs' .grad?")
    if shows(right, adds=False):
        return (f"the backward of {sym} sets the input's grad with `=`: that throws away "
                "what the node's other uses already added (a node used twice, "
                "a * a or one feeding two ops, needs both); use +=")
    if shows(right, upstream=False):
        return (f"the backward of {sym} adds the local derivative alone: the chain rule "
                "multiplies it by the upstream gradient, out.grad")
    if shows(right, upstream=False, adds=False):
        return (f"the backward of {sym} uses `=` and leaves out out.grad: add "
                "(+=) the local derivative times out.grad")
    for text, local in _slips(op):
        for upstream in (True, False):
            if shows(local, upstream, True) or shows(local, upstream, False):
                return text
    if shows(lambda xs, k: [-v for v in _slopes(op, xs, k)]):
        return f"the backward of {sym} has the wrong sign: no minus belongs there"
    xs, pre, g, k = _CASES[0]
    want = [p + v * g for p, v in zip(pre, _slopes(op, _inputs_of(op, xs), k))]
    return (f"after the backward of {sym}, the inputs' grads are "
            f"{np.round(got[0], 4).tolist()}, expected {np.round(want, 4).tolist()} "
            f"(they held {list(pre[:len(want)])} before, and out.grad was {g:g}): "
            "grad += local derivative * out.grad")


def _one_node(cls: Callable, op: str) -> list[list[float]]:
    """The inputs' grads after out._backward(), for each case of _CASES."""
    results = []
    made: list = []
    for xs, pre, g, k in _CASES:
        xs1 = _inputs_of(op, xs)
        nodes = _leaves(cls, xs1, made)
        for n, p in zip(nodes, pre):
            n.grad = p
        expr = _SYMBOL[op].replace("k", f"{k:g}")
        out = _apply(op, nodes, expr, k)
        want = _forward(op, xs1, k)
        if not (isinstance(out.data, numbers.Real)
                and math.isclose(float(out.data), want, rel_tol=1e-12, abs_tol=1e-12)):
            raise LearnerError(f"the forward of {expr} at a = {xs1[0]:g}"
                               + (f", b = {xs1[-1]:g}" if len(xs1) > 1 else "")
                               + f" gave {describe(out.data)}, expected {want:.6g}: "
                               "the skeleton's forward line was changed")
        out.grad = g
        _run_backward(out, expr)
        results.append([_grad(n, "a" if i == 0 else "b") for i, n in enumerate(nodes)])
    return results


# ------------------------------------------------------------ random graphs
def _random_graph(rng: np.random.Generator, op: str, n_ops: int = 7) -> list[tuple]:
    """A recipe: a list of (kind, i, j, k) over 3 leaves; kind is op or 'glue' (+),
    k the exponent of a pow (2 or 3).

    A unary op only takes a leaf or a glue node, never its own output, so exp and
    powers do not nest (exp(exp(exp(x))) overflows); reuse is common.
    """
    recipe, n, plain = [], 3, [0, 1, 2]
    for _ in range(n_ops):
        binary = op in ("add", "mul")
        kind = op if (binary or rng.random() < 0.6) else "glue"
        if kind == op and not binary:
            i = j = plain[int(rng.integers(len(plain)))]
        else:
            i, j = int(rng.integers(n)), int(rng.integers(n))
        if kind == "glue":
            plain.append(n)
        recipe.append((kind, i, j, float(rng.integers(2, 4))))
        n += 1
    recipe.append(("glue", n - 1, n - 2, 0.0))  # the root uses the last two nodes
    return recipe


def _eval_floats(recipe: list, xs: np.ndarray) -> float:
    vals = list(xs)
    for kind, i, j, k in recipe:
        a, b = vals[i], vals[j]
        vals.append(a + b if kind in ("glue", "add") else a * b if kind == "mul"
                    else _forward(kind, (a,), k))
    return vals[-1]


def _eval_bpkit(recipe: list, xs: np.ndarray) -> list[float]:
    vals = [Value(float(x)) for x in xs]
    for kind, i, j, k in recipe:
        a, b = vals[i], vals[j]
        vals.append(a + b if kind in ("glue", "add") else a * b if kind == "mul"
                    else a**k if kind == "pow" else getattr(a, kind)())
    vals[-1].backward()
    return [v.grad for v in vals[:3]]


def _glue(cls: Callable, a: Any, b: Any) -> Any:
    """a + b made by the check (its own backward), to join the learner's unary ops."""
    out = _node(cls, a.data + b.data, a, b)

    def _backward() -> None:
        a.grad += out.grad
        b.grad += out.grad

    out._backward = _backward
    return out


def _eval_learner(cls: Callable, op: str, recipe: list, xs: np.ndarray) -> list[float]:
    vals = [_node(cls, float(x)) for x in xs]
    made = []  # every node the recipe makes, in the order made: a topological order
    for kind, i, j, k in recipe:
        a, b = vals[i], vals[j]
        out = (_glue(cls, a, b) if kind == "glue"
               else _apply(kind, [a, b], _SYMBOL[op], k))
        vals.append(out)
        made.append(out)
    vals[-1].grad = 1.0
    for node in reversed(made):
        _run_backward(node, _SYMBOL[op])
    return [_grad(v, "a leaf") for v in vals[:3]]


def _leaf_values(rng: np.random.Generator, op: str) -> np.ndarray:
    # small, positive numbers keep exp and powers of powers finite and tidy
    return rng.uniform(0.3, 0.9, 3) if op in ("pow", "exp", "mul") else \
        rng.uniform(-0.9, 0.9, 3)


def _graphs_agree(cls: Callable, op: str, n_graphs: int = 5) -> str | None:
    """None if the learner's op gives bpkit's and the differences' gradients."""
    rng = np.random.default_rng(2)
    for _ in range(n_graphs):
        recipe = _random_graph(rng, op)
        xs = _leaf_values(rng, op)
        got = _eval_learner(cls, op, recipe, xs)
        ref = _eval_bpkit(recipe, xs)
        fd = numerical_grad(lambda v: _eval_floats(recipe, v), xs.copy())
        if not np.allclose(ref, fd, rtol=1e-5, atol=1e-7):  # pragma: no cover
            return None  # the differences are too rough here: bpkit is the referee
        if not np.allclose(got, ref, rtol=1e-9, atol=1e-12):
            return (f"right on one node, but in a random graph of {len(recipe)} ops "
                    f"the leaves' gradients are {np.round(got, 4).tolist()}, expected "
                    f"{np.round(ref, 4).tolist()}: the backward must only add into "
                    ".grad, and read out.grad and the nodes' .data when it runs")
    return None


# ------------------------------------------------------------ the op checks
def _check_op(cls: Callable, op: str, what: str) -> Feedback:
    try:
        got = _one_node(cls, op)
    except _Same:
        return hard_coded_hint(f"{name_of(cls)}(x)", "x")
    except NotImplementedError:
        return not_attempted(what)
    text = _judge_one_node(op, got)
    if text:
        return hint(text)
    if op in ("add", "mul"):  # a node used twice by the same op
        try:
            a = _node(cls, 0.8)
            out = _apply(op, [a, a], f"{_SYMBOL[op][0]} {_SYMBOL[op][2]} a")
            out.grad = 1.0
            _run_backward(out, "a " + _SYMBOL[op][2] + " a")
            g, want = _grad(a, "a"), 2.0 if op == "add" else 1.6
        except NotImplementedError:
            return not_attempted(what)
        if not math.isclose(g, want, rel_tol=1e-9):
            return hint(f"a {_SYMBOL[op][2]} a (one node on both sides) gives a.grad = "
                        f"{g:g}, expected {want:g}: both sides add into the same .grad")
    try:
        text = _graphs_agree(cls, op)
    except NotImplementedError:
        return not_attempted(what)
    if text:
        return hint(text)
    powers = " (at k = 3, 2 and 2.5)" if op == "pow" else ""
    return correct(f"{_SYMBOL[op]}'s backward adds local derivative times out.grad into "
                   f"the inputs' grads{powers}, and in 5 random graphs it gives "
                   "bpkit.Value's gradients, which match central differences")


@hints_on_error(should="be your class, called as MyValue(data)", noun="class")
def check_my_add(cls: Callable) -> Feedback:
    """`MyValue(data)`: your class, whose `__add__` attaches a `_backward`."""
    return _check_op(cls, "add", "the backward of a + b in MyValue.__add__")


@hints_on_error(should="be your class, called as MyValue(data)", noun="class")
def check_my_mul(cls: Callable) -> Feedback:
    """`MyValue(data)`: your class, whose `__mul__` attaches a `_backward`."""
    return _check_op(cls, "mul", "the backward of a * b in MyValue.__mul__")


@hints_on_error(should="be your class, called as MyValue(data)", noun="class")
def check_my_pow(cls: Callable) -> Feedback:
    """`MyValue(data)`: your class, whose `__pow__` (a number exponent) attaches a
    `_backward`."""
    return _check_op(cls, "pow", "the backward of a ** k in MyValue.__pow__")


@hints_on_error(should="be your class, called as MyValue(data)", noun="class")
def check_my_tanh(cls: Callable) -> Feedback:
    """`MyValue(data)`: your class, whose `tanh` attaches a `_backward`."""
    return _check_op(cls, "tanh", "the backward of a.tanh() in MyValue.tanh")


@hints_on_error(should="be your class, called as MyValue(data)", noun="class")
def check_my_exp(cls: Callable) -> Feedback:
    """`MyValue(data)`: your class, whose `exp` attaches a `_backward`."""
    return _check_op(cls, "exp", "the backward of a.exp() in MyValue.exp")


# ------------------------------------------------------------ backward()
class _Ref:
    """A node of the check's own, to replay each traversal slip."""

    def __init__(self, data: float, inputs: tuple = ()):
        self.data, self.grad, self._inputs = data, 0.0, inputs
        self._backward: Callable[[], None] = lambda: None


def _build(make: Callable, recipe: list, xs: tuple) -> tuple[list, Any]:
    """The recipe's graph from `make(data, inputs)`, with the check's _backwards."""
    vals = [make(float(x), ()) for x in xs]
    for kind, i, j in recipe:
        a, b = vals[i], vals[j]
        data = a.data + b.data if kind == "add" else a.data * b.data
        out = make(data, (a, b))
        da, db = (1.0, 1.0) if kind == "add" else (b.data, a.data)

        def _backward(out=out, a=a, b=b, da=da, db=db) -> None:
            a.grad += da * out.grad
            b.grad += db * out.grad

        out._backward = _backward
        vals.append(out)
    return vals, vals[-1]


def _topo(root: Any, dedupe: bool = True) -> list:
    order, seen = [], set()

    def visit(n: Any) -> None:
        if dedupe and id(n) in seen:
            return
        seen.add(id(n))
        for c in n._inputs:
            visit(c)
        order.append(n)

    visit(root)
    return order


def _naive(root: Any) -> None:
    root.grad = 1.0

    def go(n: Any) -> None:
        n._backward()
        for c in n._inputs:
            go(c)

    go(root)


def _bfs(root: Any) -> None:
    root.grad, queue, seen = 1.0, [root], {id(root)}
    while queue:
        n = queue.pop(0)
        n._backward()
        for c in n._inputs:
            if id(c) not in seen:
                seen.add(id(c))
                queue.append(c)


def _preorder(root: Any) -> None:
    """Each node appended when first reached (before its inputs), run in that order."""
    order, seen = [], set()

    def visit(n: Any) -> None:
        if id(n) in seen:
            return
        seen.add(id(n))
        order.append(n)
        for c in n._inputs:
            visit(c)

    visit(root)
    root.grad = 1.0
    for n in order:
        n._backward()


def _forward_order(root: Any) -> None:
    root.grad = 1.0
    for n in _topo(root):
        n._backward()


def _no_seen(root: Any) -> None:
    root.grad = 1.0
    for n in reversed(_topo(root, dedupe=False)):
        n._backward()


def _no_seed(root: Any) -> None:
    for n in reversed(_topo(root)):
        n._backward()


def _right(root: Any) -> None:
    root.grad = 1.0
    for n in reversed(_topo(root)):
        n._backward()


_TRAVERSAL_SLIPS = [
    (_naive, "a node's _backward ran before all of its consumers had added into its "
             ".grad (it passed on an incomplete gradient): visit the nodes in reverse "
             "topological order, each after every node that uses it"),
    (_preorder, "your order puts a node where the walk first reaches it, before all of "
                "its consumers have added into its .grad: append a node after its "
                "inputs (post-order), then run the list reversed"),
    (_bfs, "a breadth-first walk from the root can reach a node before all of its "
           "consumers: visit the nodes in reverse topological order instead"),
    (_forward_order, "only the root's inputs received a gradient: either only the "
                     "root's _backward ran, or the nodes ran inputs-first; run every "
                     "node's _backward, in reverse topological order (root first)"),
    (_no_seen, "a node reached by two paths is in your order twice, so its _backward "
               "runs twice and passes its gradient on twice: keep a set of visited "
               "nodes and add each node once"),
    (_no_seed, "every gradient stays 0: set root.grad = 1.0 (d root/d root) before "
               "calling the _backwards"),
]

# the lesson's reused-node graph (a = x + y, L = a * b + a); a node reached by a
# short and a long path (a = x + y, L = a * b * b + a), which a breadth-first
# walk visits too early; and three random graphs
_LESSON_RECIPE = ([("add", 0, 1), ("mul", 3, 2), ("add", 4, 3)], (2.0, -1.0, -3.0))
_TWO_PATHS = ([("add", 0, 1), ("mul", 3, 2), ("mul", 4, 2), ("add", 5, 3)],
              (0.5, -1.5, 2.0))


_GRAPH_NAMES = ["the lesson's graph (a = x + y, L = a * b + a)",
                "the two-path graph (a = x + y, L = a * b * b + a)",
                "random graph 1", "random graph 2", "random graph 3"]


def _recipes() -> list[tuple[list, tuple]]:
    rng = np.random.default_rng(5)
    out = [_LESSON_RECIPE, _TWO_PATHS]
    for _ in range(3):
        recipe, n = [], 3
        for _ in range(8):
            recipe.append(("add" if rng.random() < 0.5 else "mul",
                           int(rng.integers(n)), int(rng.integers(n))))
            n += 1
        recipe.append(("add", n - 1, int(rng.integers(3, n - 1))))
        out.append((recipe, tuple(np.round(rng.uniform(-1.5, 1.5, 3), 3))))
    return out


def _grads_with(traversal: Callable[[Any], None], recipe: list, xs: tuple) -> list:
    vals, root = _build(_Ref, recipe, xs)
    traversal(root)
    return [v.grad for v in vals]


@hints_on_error(should="be your class, whose backward() fills every .grad",
                noun="class")
def check_my_backward(cls: Callable) -> Feedback:
    """`MyValue(data)`: your class, with backward() written; graphs are made with
    `MyValue(data, inputs)`, and the check writes each node's `_backward`."""
    got_all, want_all = [], []
    made: list = []
    try:
        for recipe, xs in _recipes():
            vals, root = _build(lambda d, ins: _node(cls, d, *ins, made=made),
                                recipe, xs)
            fn = getattr(root, "backward", None)
            if not callable(fn):
                return hint(f"the root node's .backward is {describe(fn)}: define "
                            "backward(self) in the class")
            try:
                fn()
            except NotImplementedError:
                raise
            except Exception as e:
                raise LearnerError(f"root.backward() raised {type(e).__name__}: "
                                   f"{e}"[:160]) from None
            got_all.append([_grad(v, "a node") for v in vals])
            want_all.append(_grads_with(_right, recipe, xs))
    except _Same:
        return hard_coded_hint(f"{name_of(cls)}(x)", "x")
    except NotImplementedError:
        return not_attempted("MyValue.backward(self)")

    def same(a: list, b: list) -> bool:
        return all(np.allclose(x, y, rtol=1e-9, atol=1e-12) for x, y in zip(a, b))

    if same(got_all, want_all):
        again = _second_backward(cls)
        if again:
            return hint(again)
        recipe, xs = _recipes()[0]
        ref = _eval_bpkit_mixed(recipe, xs)
        if not np.allclose(got_all[0][:3], ref, rtol=1e-12):  # pragma: no cover
            return hint("your backward disagrees with bpkit.Value: please report it")
        return correct("backward() gives every node bpkit.Value's gradient on the "
                       "lesson's reused-node graph, a graph with a short and a long path to one node, "
                       "and 3 random graphs")
    for traversal, text in _TRAVERSAL_SLIPS:
        slipped = [_grads_with(traversal, r, xs) for r, xs in _recipes()]
        if same(got_all, slipped) and not same(slipped, want_all):
            return hint(text)
    if same([g[:-1] for g in got_all], [w[:-1] for w in want_all]):
        return hint("every gradient is right except the root's own: root.grad is "
                    "d root/d root = 1.0")
    k = next(k for k, (g, w) in enumerate(zip(got_all, want_all)) if not same([g], [w]))
    node = next(n for n, (a, b) in enumerate(zip(got_all[k], want_all[k]))
                if not np.isclose(a, b, rtol=1e-9, atol=1e-12))
    return hint(f"on {_GRAPH_NAMES[k]}, node {node} (the leaves are 0, 1, 2, then the "
                f"nodes in the order made) gets grad {got_all[k][node]:.6g}, expected "
                f"{want_all[k][node]:.6g}: set root.grad = 1, then call each node's "
                "_backward once, in reverse topological order")


def _second_backward(cls: Callable) -> str | None:
    """A hint if backward() on the same graph, grads zeroed, gives other grads."""
    recipe, xs = _TWO_PATHS
    vals, root = _build(lambda d, ins: _node(cls, d, *ins), recipe, xs)
    root.backward()
    first = [v.grad for v in vals]
    for v in vals:
        v.grad = 0.0
    root.backward()
    if np.allclose([v.grad for v in vals], first, rtol=1e-12, atol=0.0):
        return None
    return ("the first backward() is right, but a second one on the same graph (its "
            "grads set back to 0) gives other gradients: make the visited set and the "
            "order new at each call (a default argument seen=set(), or a set kept on "
            "the class, survives between calls)")


def _eval_bpkit_mixed(recipe: list, xs: tuple) -> list[float]:
    vals = [Value(float(x)) for x in xs]
    for kind, i, j in recipe:
        vals.append(vals[i] + vals[j] if kind == "add" else vals[i] * vals[j])
    vals[-1].backward()
    return [v.grad for v in vals[:3]]
