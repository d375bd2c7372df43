"""The memory/compute explorer's model: a deep ReLU MLP, with and without checkpoints.

The network is `depth` blocks of Linear(W, W) -> ReLU on a batch of N. What
backprop keeps, per block: the Linear's input, N x W float64 (8NW bytes), and
the ReLU's mask, N x W booleans (NW bytes). So plain backprop keeps 9·depth·NW
bytes, against 8·depth·(W² + W) bytes of parameters: the activations outgrow
the parameters once the batch N is above about W·8/9.

Checkpointing every s blocks keeps the block inputs at 0, s, 2s, ... and
recomputes one segment at a time: `checkpoint_peak` of the per-layer sizes.

Time: a block's forward is one (N, W) @ (W, W) product, 2NW² flops; its
backward two (dW and dx), 4NW²; checkpointing reruns every forward once more,
so a step costs 6 or 8 NW² flops per block (+33% by the flop count). Flops
alone miss what dominates small settings: each layer call has a fixed cost
(microseconds of Python and numpy dispatch), each element of an activation a
memory cost, and at a small batch each product is bound by reading W's W²
numbers. `measure_costs` fits those four costs to four short timed steps on
this machine; `seconds` adds them up. The tests hold the bytes exactly against
`kept_bytes` and `Checkpointed.peak_bytes`, and the time within a factor of
two and a half of measured steps at the corners of the explorer's range.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .._validate import integer
from ..layers import Linear, ReLU, Sequential
from .checkpoint import checkpoint_peak

__all__ = [
    "CostExplorerModel", "block_mlp", "kept_bytes_model", "flops_per_step", "measure_costs",
]

LIMITS = {"depth": (2, 64), "width": (16, 512), "batch": (1, 512)}


def block_mlp(depth: int, width: int, rng: np.random.Generator) -> Sequential:
    """`depth` blocks of Linear(width, width) -> ReLU: the explorer's network."""
    layers = []
    for _ in range(integer("depth", depth, 1)):
        layers += [Linear(width, width, rng), ReLU()]
    return Sequential(*layers)


def _layer_sizes(depth: int, width: int, batch: int) -> list[int]:
    """Per layer, for `checkpoint_peak`: a Linear keeps its float64 input (8NW);
    a ReLU's input is float64 (8NW) but it keeps a bool mask (NW)."""
    return [8 * batch * width, (8 * batch * width, batch * width)] * depth


def kept_bytes_model(depth: int, width: int, batch: int, segment: int | None) -> int:
    """Peak bytes backprop keeps; `segment` blocks per checkpoint (None: plain).

    Segment i (0-based, len_i blocks) is redone while the i checkpoints before
    it wait: 8NW·i + 9NW·len_i bytes. This is `checkpoint_peak` of the layers'
    sizes, in closed form (a test holds them equal).
    """
    depth = integer("depth", depth, 1)
    width, batch = integer("width", width, 1), integer("batch", batch, 1)
    nw = batch * width
    if segment is None:
        return 9 * depth * nw
    segment = integer("segment", segment, 1, depth)
    starts = np.arange(0, depth, segment)  # (m,)
    lengths = np.minimum(starts + segment, depth) - starts
    return int(nw * np.max(8 * np.arange(len(starts)) + 9 * lengths))


def flops_per_step(depth: int, width: int, batch: int, checkpointed: bool) -> int:
    """Flops (2 per multiply-add) of one forward + backward (+ the recompute)."""
    per_block = 2 * batch * width * width
    return depth * per_block * (4 if checkpointed else 3)


def _features(depth: int, width: int, batch: int, checkpointed: bool) -> np.ndarray:
    """What a step does, per cost: flops, weight numbers read, layer calls, activation
    numbers touched (each layer call reads and writes an N x W array)."""
    products = depth * (4 if checkpointed else 3)  # matrix products
    calls = depth * 2 * (3 if checkpointed else 2)  # layer forwards and backwards
    return np.array([products * 2.0 * batch * width * width, products * width * width,
                     calls, calls * batch * width], dtype=float)


def _step_seconds(depth: int, width: int, batch: int, repeats: int) -> float:
    """The fastest of `repeats` forward + backward steps of a block MLP, in CPU
    seconds of this process (time spent waiting for a core is not counted)."""
    rng = np.random.default_rng(0)
    net = block_mlp(depth, width, rng)
    x, dy = rng.standard_normal((batch, width)), rng.standard_normal((batch, width))
    net.forward(x), net.backward(dy)  # the first step pays for warming up
    best = math.inf
    for _ in range(repeats):
        t0 = time.process_time()
        net.forward(x)
        net.backward(dy)
        best = min(best, time.process_time() - t0)
    return best


# Each calibration step is dominated by one cost: fixed per call, the flops,
# W² per product at batch 1, the activations at a wide batch.
_CALIBRATION = [(8, 16, 1), (2, 256, 128), (2, 512, 1), (8, 16, 512)]
_ORDER = [2, 0, 1, 3]  # the cost each calibration step measures


def measure_costs(repeats: int = 7) -> np.ndarray:
    """Seconds per flop, per weight number, per layer call, per activation number.

    Four short steps, each dominated by one cost, solved one after the other
    (what the earlier costs explain is taken off the later steps). CPU time of
    the process, best of `repeats`, so a busy machine reads about the same. Run
    it with BLAS on one thread, as the app and the lessons do
    (`bpkit.apps.threads.one_blas_thread`): with several, their CPU seconds add
    up and the model gives the one-thread time.
    """
    costs = np.zeros(4)
    for (d, w, n), k in zip(_CALIBRATION, _ORDER):
        f = _features(d, w, n, False)
        t = _step_seconds(d, w, n, repeats)
        costs[k] = max(t - f @ costs, 0.05 * t) / f[k]
    return costs


class CostExplorerModel:
    """depth, width, batch and a checkpoint segment -> peak memory and time per step."""

    def __init__(self, depth: int = 16, width: int = 256, batch: int = 64,
                 segment: int | None = 4, costs=None) -> None:
        """`costs`: `measure_costs()`'s four numbers (measured here if None)."""
        if costs is None:
            costs = measure_costs()
        try:
            self.costs = np.array(costs, dtype=float).reshape(4)
        except (TypeError, ValueError):
            raise ValueError(f"costs must be four non-negative numbers (seconds per "
                             f"flop, weight, call, activation), got {costs!r}") from None
        if not (np.all(self.costs >= 0) and np.all(np.isfinite(self.costs))
                and self.costs.any()):
            raise ValueError(f"costs must be four non-negative numbers (seconds per "
                             f"flop, weight, call, activation), got {costs!r}")
        self.depth = self.width = self.batch = 0
        self.segment: int | None = None
        self._curve = None
        self.set(depth=depth, width=width, batch=batch, segment=segment)

    def set(self, **kw) -> None:
        """Change depth, width, batch and/or segment (None or 0: no checkpoints)."""
        for name in kw:
            if name not in ("depth", "width", "batch", "segment"):
                raise TypeError(f"unknown parameter {name!r}; choose depth, width, "
                                "batch or segment")
        for name in ("depth", "width", "batch"):
            if name in kw:
                lo, hi = LIMITS[name]
                setattr(self, name, integer(name, kw[name], lo, hi))
        seg = kw.get("segment", self.segment)
        if seg is not None and seg != 0:
            seg = min(integer("segment", seg, 0, LIMITS["depth"][1]), self.depth)
        self.segment = seg or None

    # ---------------------------------------------------------------- numbers
    @property
    def plain_bytes(self) -> int:
        return kept_bytes_model(self.depth, self.width, self.batch, None)

    @property
    def peak_bytes(self) -> int:
        return kept_bytes_model(self.depth, self.width, self.batch, self.segment)

    @property
    def parameter_bytes(self) -> int:
        return 8 * self.depth * (self.width**2 + self.width)

    @property
    def segments(self) -> np.ndarray:
        return np.arange(1, self.depth + 1)

    @property
    def curve(self) -> np.ndarray:
        """Peak bytes for every segment length 1..depth."""
        key = (self.depth, self.width, self.batch)
        if self._curve is None or self._curve[0] != key:
            self._curve = key, np.array(
                [kept_bytes_model(*key, s) for s in range(1, self.depth + 1)])
        return self._curve[1]

    @property
    def best_segment(self) -> int:
        """The segment with the smallest peak (the first, if several tie)."""
        return int(self.segments[np.argmin(self.curve)])

    def seconds(self, checkpointed: bool | None = None) -> float:
        """Modelled time per step (forward + backward [+ recompute])."""
        ck = self.segment is not None if checkpointed is None else checkpointed
        return float(_features(self.depth, self.width, self.batch, ck) @ self.costs)

    @property
    def message(self) -> str:
        seg = (f"checkpoint every {self.segment} block{'s' * (self.segment > 1)}"
               if self.segment else "no checkpoints")
        extra = ""
        if self.segment:
            extra = (f" ({self.peak_bytes / self.plain_bytes:.0%} of plain backprop's "
                     f"{_size(self.plain_bytes)}; the recompute adds "
                     f"{self.seconds(True) / self.seconds(False) - 1:.0%} to the time "
                     "by the model)")
        return (f"depth {self.depth}, width {self.width}, batch {self.batch}, {seg}: "
                f"activations kept {_size(self.peak_bytes)}{extra}, parameters "
                f"{_size(self.parameter_bytes)}; about {_ms(self.seconds())} "
                f"per step on this machine by the model (best segment: {self.best_segment}, "
                f"sqrt(depth) = {math.sqrt(self.depth):.1f})")


def _size(n: float) -> str:
    """Bytes in B, kB or MB (of 1024), three figures or more."""
    for unit, scale in (("MB", 1024.0**2), ("kB", 1024.0)):
        if n >= scale:
            return f"{n / scale:,.{0 if n >= 100 * scale else 1}f} {unit}"
    return f"{n:.0f} B"


def _ms(seconds: float) -> str:
    """A time in ms or s, two or three figures, never in scientific notation."""
    ms = 1e3 * seconds
    if ms >= 1000:
        return f"{ms / 1000:.1f} s"
    if ms >= 10:
        return f"{ms:.0f} ms"
    if ms >= 1:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"
