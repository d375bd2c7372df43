"""The memory/compute explorer's model: a deep ReLU MLP, with and without checkpoints.

The network is `depth` blocks of Linear(W, W) -> ReLU on a batch of N. What
backprop keeps, per block: the Linear's input, N x W float64 (8NW bytes), and
the ReLU's mask, N x W booleans (NW bytes). So plain backprop keeps 9·depth·NW
bytes, against 8·depth·(W² + W) bytes of parameters: the activations outgrow
the parameters once the batch N is above about W·8/9.

Checkpointing every s blocks keeps the block inputs at 0, s, 2s, ... and
recomputes one segment at a time: `checkpoint_peak` of the per-layer sizes.
Time is counted in multiply-adds: a block's forward is 2NW² flops, its
backward 4NW² (dW and dx), and checkpointing reruns every forward once more,
so a step costs 6 or 8 NW² flops per block. `seconds` divides by a rate
measured once on this machine. The tests hold both against measurements: the
bytes exactly (`kept_bytes`, `Checkpointed.peak_bytes`), the time within a
factor of three.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .._validate import integer
from ..layers import Linear, ReLU, Sequential
from .checkpoint import checkpoint_peak

__all__ = ["CostExplorerModel", "block_mlp", "kept_bytes_model", "flops_per_step"]

LIMITS = {"depth": (2, 64), "width": (16, 512), "batch": (1, 512)}


def block_mlp(depth: int, width: int, rng: np.random.Generator) -> Sequential:
    """`depth` blocks of Linear(width, width) -> ReLU: the explorer's network."""
    layers = []
    for _ in range(integer("depth", depth, 1)):
        layers += [Linear(width, width, rng), ReLU()]
    return Sequential(*layers)


def _layer_sizes(depth: int, width: int, batch: int) -> list[int]:
    """Bytes each layer caches: a Linear its float64 input, a ReLU its bool mask."""
    return [8 * batch * width, batch * width] * depth


def kept_bytes_model(depth: int, width: int, batch: int, segment: int | None) -> int:
    """Peak bytes backprop keeps; `segment` blocks per checkpoint (None: plain).

    Segment i (0-based, len_i blocks) is redone while the i checkpoints before
    it wait: 8NW·i + 9NW·len_i bytes. This is `checkpoint_peak` of the layers'
    sizes, in closed form (a test holds them equal).
    """
    nw = batch * width
    if segment is None:
        return 9 * depth * nw
    segment = integer("segment", segment, 1, depth)
    starts = np.arange(0, depth, segment)  # (m,)
    lengths = np.minimum(starts + segment, depth) - starts
    return int(nw * np.max(8 * np.arange(len(starts)) + 9 * lengths))


def flops_per_step(depth: int, width: int, batch: int, checkpointed: bool) -> int:
    """Multiply-add flops of one forward + backward (+ the recompute)."""
    per_block = 2 * batch * width * width
    return depth * per_block * (4 if checkpointed else 3)


def _measure_rate(width: int = 256, batch: int = 128, repeats: int = 9) -> float:
    """Flops per second of this machine on a (batch, width) @ (width, width) product
    (in CPU time of this thread, so a busy machine reads about the same)."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((batch, width)), rng.standard_normal((width, width))
    a @ b  # the first product pays for warming up
    best = math.inf
    for _ in range(repeats):
        t0 = time.thread_time()
        a @ b
        best = min(best, time.thread_time() - t0)
    return 2 * batch * width * width / best


class CostExplorerModel:
    """depth, width, batch and a checkpoint segment -> peak memory and time per step."""

    def __init__(self, depth: int = 16, width: int = 256, batch: int = 64,
                 segment: int | None = 4, rate: float | None = None) -> None:
        self.rate = _measure_rate() if rate is None else float(rate)
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError(f"rate must be a positive number of flops per second, "
                             f"got {rate!r}")
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
        return flops_per_step(self.depth, self.width, self.batch, ck) / self.rate

    @property
    def message(self) -> str:
        seg = (f"checkpoint every {self.segment} block{'s' * (self.segment > 1)}"
               if self.segment else "no checkpoints")
        extra = ""
        if self.segment:
            extra = (f" ({self.peak_bytes / self.plain_bytes:.0%} of plain backprop's "
                     f"{_size(self.plain_bytes)}; +33% time for the recompute)")
        return (f"depth {self.depth}, width {self.width}, batch {self.batch}, {seg}: "
                f"activations kept {_size(self.peak_bytes)}{extra}, parameters "
                f"{_size(self.parameter_bytes)}; about {1e3 * self.seconds():.3g} ms "
                f"per step on this machine (best segment: {self.best_segment}, "
                f"sqrt(depth) = {math.sqrt(self.depth):.1f})")


def _size(n: float) -> str:
    """Bytes in B, kB or MB (of 1024), three figures or more."""
    for unit, scale in (("MB", 1024.0**2), ("kB", 1024.0)):
        if n >= scale:
            return f"{n / scale:,.{0 if n >= 100 * scale else 1}f} {unit}"
    return f"{n:.0f} B"
