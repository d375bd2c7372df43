"""Step through a graph's backward pass one node at a time (lesson 02), no drawing.

`GraphStepperModel` records `Value.backward_trace()` once, with a snapshot of
every gradient after each step, so stepping back is as cheap as stepping on;
`explain()` spells out the chain-rule product of the current step. The
pictures of the same state are in `bpkit.viz.graph_stepper`, the widget in
`bpkit.apps.graph_stepper`.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Number
from typing import Callable

import numpy as np

from ._validate import integer
from .engine import Value
from .example_graphs import DEFAULT_EXAMPLE, EXAMPLES

__all__ = ["GraphStepperModel", "TraceStep", "local_formula", "fmt", "MAX_NODES",
           "YOUR_EXPRESSION"]

# above this many value nodes a drawing is a hairball: the stepper refuses, and
# `bpkit.viz.graph.draw_graph` draws a summary instead
MAX_NODES = 150
YOUR_EXPRESSION = "your expression"


def fmt(x: float) -> str:
    """A number in at most ~9 characters: 4 significant digits, or e-notation."""
    if not isinstance(x, Number):
        raise TypeError(f"x must be a number, got {type(x).__name__} {x!r:.40}")
    s = f"{x:.4g}"
    if len(s) > 8:
        s = f"{x:.2e}"
    return s


def local_formula(op: str, slot: int, ins: list[str], out: str) -> str:
    """The local derivative d(out)/d(input `slot`) of `op`, as a formula.

    ins: the input names; out: the output name. `"*"` gives the other input,
    `"tanh"` gives `1 - out²` and so on; an op it does not know gives `"local"`.
    """
    if not isinstance(op, str):
        raise TypeError(f"op must be an operation's name such as '*' or 'tanh', got "
                        f"{type(op).__name__}")
    if (not isinstance(ins, (list, tuple)) or not ins
            or not all(isinstance(n, str) for n in ins)):
        raise ValueError(f"ins must be a non-empty list of input names, got {ins!r}")
    if not isinstance(out, str):
        raise TypeError(f"out must be the output's name (a str), got "
                        f"{type(out).__name__}")
    slot = integer("slot", slot, 0, len(ins) - 1)
    if op in ("+", "-", "*", "/") and len(ins) != 2:
        raise ValueError(f"op {op!r} takes 2 inputs, got ins={ins!r}")
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
        try:
            k = float(op[2:])
        except ValueError:
            raise ValueError(f"op {op!r}: expected '**' followed by a number, such "
                             "as '**2'") from None
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
        self.max_nodes = integer("max_nodes", max_nodes)
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
        k = integer("k", k)
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
        i = integer("i", i, 0, len(self.nodes) - 1)
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
        i = integer("i", i, 0, len(self.nodes) - 1)
        return [
            (s.node, k, c)
            for s in self.trace[: self.position]
            for k, (j, c) in enumerate(zip(s.inputs, s.contributions))
            if j == i
        ]

    def name_of(self, node: Value) -> str:
        i = self.index.get(id(node))
        if i is None or self.nodes[i] is not node:
            raise ValueError(f"node must be a Value of this graph (one of "
                             f"model.nodes), got {node!r:.60}")
        return self.names[i]

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
