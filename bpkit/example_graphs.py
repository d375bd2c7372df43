"""Small example graphs built from `Value`s, for lesson 02 and its stepper.

Each builder returns the root of a fresh graph (labelled nodes, no gradients);
`EXAMPLES` names them for the stepper's dropdown.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .engine import Value

__all__ = [
    "EXAMPLES",
    "DEFAULT_EXAMPLE",
    "single_neuron",
    "tanh_neuron",
    "reused_node",
    "two_layer_mlp",
    "random_expression",
]


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
    for k, n in enumerate(loose[1:], 1):
        root = root + n
        root.label = f"s{k}"  # every node named: the stepper's panel cites them
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
