"""Where each node of a `Value` graph goes: a layered layout in inches, nothing drawn.

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

from dataclasses import dataclass, field

import numpy as np

from ..engine import Value

__all__ = ["GraphLayout", "graph_layout", "op_text"]

# geometry in inches at scale 1
PITCH = 1.55  # from one value column to the next
BOX_W, BOX_H = 0.9, 0.52  # value node
OP_H = 0.28  # op node (its width follows its text)
DUMMY_H = 0.06  # a bend point of a long edge
GAP = 0.16  # vertical gap between neighbours in a column
PORT = 0.06  # the two inputs of an op enter above and below its centre
MARGIN = 0.15

# short op names, so op nodes stay narrow
_OP_TEXT = {"*": "×", "-": "−", "/": "÷", "neg": "−x", "sigmoid": "σ"}

_VALUE, _OP, _DUMMY = 0, 1, 2


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
