"""Gradient checkpointing: keep a few activations, recompute the rest in backward.

Plain backprop keeps every layer's cache from the forward pass until the
backward pass has used it. `Checkpointed(net, every=k)` keeps only the *input*
of every k-th layer of a `Sequential` (the checkpoints). Backward then walks
the segments last to first: it reruns the segment's forward from its
checkpoint, which rebuilds the segment's caches, backpropagates through it and
drops them (and the checkpoint) before the next segment. The same operations
run on the same numbers, so the gradients are bit-identical to plain backprop;
the price is one more forward pass.

With L equal layers and segments of k, the peak holds about L/k checkpoints
plus one segment's k caches; L/k + k is smallest at k = sqrt(L).

"The same numbers" holds only for layers that compute the same thing every
time they run: a Dropout in training draws a new mask when its segment is
redone, and a BatchNorm in training updates its running statistics twice.
`Checkpointed` refuses such layers (put them in eval mode, or leave them out).

This version also redoes the last segment, whose caches a real implementation
would keep from the forward pass: there the extra cost is (depth - k)/depth of
a forward pass instead of a whole one.

`checkpoint_peak(sizes, positions)` is that count for any layer sizes: the
memory model the exercises and the explorer use, checked against the bytes a
real `Checkpointed` keeps.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .._validate import integer, positive_integer
from ..layers import Layer, Linear, Sequential
from .memory import array_bytes

__all__ = ["Checkpointed", "checkpoint_positions", "checkpoint_peak"]


def checkpoint_positions(depth: int, every: int) -> list[int]:
    """The layers whose input is kept: 0, k, 2k, ... below `depth`."""
    depth = positive_integer("depth", depth)
    every = positive_integer("every", every)
    return list(range(0, depth, every))


def _check_positions(positions: Sequence[int], depth: int) -> list[int]:
    if isinstance(positions, (str, bytes)) or not hasattr(positions, "__iter__"):
        raise TypeError(f"positions must be a list of layer indices, got "
                        f"{type(positions).__name__}")
    out = [integer(f"positions[{i}]", p, 0, depth - 1) for i, p in enumerate(positions)]
    if not out or out[0] != 0:
        raise ValueError(f"positions must start with 0 (the input is always kept), "
                         f"got {out}")
    if any(b <= a for a, b in zip(out, out[1:])):
        raise ValueError(f"positions must be increasing, without repeats, got {out}")
    return out


def _layer_size(i: int, s: object) -> tuple[float, float, bool]:
    """(input bytes, cache bytes, whether the cache is the input) of sizes[i]."""
    if isinstance(s, (tuple, list)):
        if len(s) != 2:
            raise ValueError(f"sizes[{i}] must be a number or a pair (input bytes, "
                             f"cache bytes), got {s!r}")
        pair = [_size_number(f"sizes[{i}]", v) for v in s]
        return pair[0], pair[1], False
    v = _size_number(f"sizes[{i}]", s)
    return v, v, True


def _size_number(name: str, v: object) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number of bytes, got {type(v).__name__}")
    if not (np.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be a non-negative finite number, got {v!r}")
    return float(v)


def checkpoint_peak(sizes: Sequence, positions: Sequence[int]) -> float:
    """Peak memory of checkpointed backprop, in the units of `sizes`.

    `sizes[l]` describes layer l: a number if what it keeps for backward is its
    own input (a Linear, or the exercise's unit layers), or a pair (input,
    cache) if it keeps something else (a ReLU keeps a 1-byte mask of its 8-byte
    float64 input). A checkpoint at l keeps layer l's *input*. The backward
    pass of segment i holds the checkpoints of segments 0..i (later ones are
    already freed) and the caches of segment i's layers, each buffer once:

        peak = max over i of  sum(input[p] for the checkpoints up to i)
                              + sum(cache[l] for l in segment i)
                              - cache[start] if layer start keeps its input

    So a checkpoint belongs where a layer's input is small next to what its
    segment keeps: at every layer of a Linear -> ReLU network (the ReLUs'
    float64 inputs kept) it is more than plain backprop's sum of the caches.
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a list with one size per layer, got "
                        f"{type(sizes).__name__}")
    if not len(sizes):
        raise ValueError("sizes is empty: give one size per layer")
    layers = [_layer_size(i, s) for i, s in enumerate(sizes)]
    positions = _check_positions(positions, len(layers))
    bounds = positions + [len(layers)]
    before, peak = 0.0, 0.0
    for start, stop in zip(bounds[:-1], bounds[1:]):
        inp, _, shared = layers[start]
        caches = sum(c for _, c, _ in layers[start:stop])
        peak = max(peak, before + caches + (0.0 if shared else inp))
        before += inp
    return peak


def _refuse_run_dependent(layer: Layer, path: str) -> None:
    """A layer that gives other numbers (or changes state) when run again is refused."""
    for child in getattr(layer, "layers", None) or layer.children():
        _refuse_run_dependent(child, f"{path} > {type(child).__name__}")
    if not layer.training:
        return
    if getattr(layer, "p", 0) and hasattr(layer, "rng"):
        why = "draws a new random mask when its segment is redone"
    elif hasattr(layer, "running_mean"):
        why = "updates its running statistics again when its segment is redone"
    else:
        return
    raise ValueError(f"Checkpointed: {path} {why}, so the gradients would not be "
                     "plain backprop's; call .eval() on it or leave it out")


class Checkpointed(Layer):
    """A `Sequential` that keeps only its checkpoints' inputs and recomputes in backward.

    >>> ck = Checkpointed(mlp([4, 8, 8, 2], rng), every=2)
    >>> y = ck.forward(x); dx = ck.backward(dy)     # the grads of plain backprop

    Give `every=k` (checkpoints at 0, k, 2k, ...) or the explicit `positions`.
    `peak_bytes` is the largest number of cached bytes alive during the last
    backward (checkpoints plus the segment being redone, each buffer once).
    """

    def __init__(self, net: Sequential, every: int | None = None,
                 positions: Sequence[int] | None = None) -> None:
        if not isinstance(net, Sequential):
            raise TypeError(f"net must be a bpkit.layers.Sequential, got "
                            f"{type(net).__name__}")
        if not net.layers:
            raise ValueError("net has no layers: nothing to checkpoint")
        if (every is None) == (positions is None):
            raise ValueError("give exactly one of every=k or positions=[0, ...]")
        for i, layer in enumerate(net.layers):
            _refuse_run_dependent(layer, f"layer {i} ({type(layer).__name__})")
        depth = len(net.layers)
        if every is not None:
            positions = checkpoint_positions(depth, every)
        self.net = net
        self.positions = _check_positions(positions, depth)
        self._kept: list[np.ndarray] = []  # the checkpoints' inputs, one per segment
        self.peak_bytes = 0
        self.recomputed = 0  # layer forwards rerun by the last backward

    def _segments(self) -> list[tuple[int, int]]:
        bounds = self.positions + [len(self.net.layers)]
        return list(zip(bounds[:-1], bounds[1:]))

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Run every layer; keep only each segment's input, drop every cache.

        Inputs: x (N, D). Returns: the net's output.
        """
        layers, kept = self.net.layers, []
        for i, layer in enumerate(layers):  # a layer put in train mode since __init__
            _refuse_run_dependent(layer, f"layer {i} ({type(layer).__name__})")
        self.net._restore(None)  # a plain forward's caches, if any, are not ours
        for start, stop in self._segments():
            kept.append(x)
            for layer in layers[start:stop]:
                x = layer.forward(x)
                layer._restore(None)  # the cache is dropped: backward recomputes it
        self._kept = kept
        self._save(len(kept))  # the caches live in _kept; this marks a forward
        return x

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backprop segment by segment, last to first, recomputing each; return dL/dx.

        The same layer calls in the same order as `Sequential.backward`, so the
        parameter gradients are bit-identical. With ``input_grad=False`` a first
        `Linear` skips dL/dx and None is returned.
        """
        self._load()
        kept, self._kept = self._kept, []  # popped as backward passes them: freed
        if len(kept) != len(self.positions):
            raise RuntimeError("Checkpointed.backward needs the checkpoints of a "
                               "forward pass; run forward first")
        layers, segments = self.net.layers, self._segments()
        self.peak_bytes, self.recomputed = 0, 0
        for i in range(len(segments) - 1, -1, -1):
            start, stop = segments[i]
            x, caches = kept[i], []
            for layer in layers[start:stop]:  # rebuild this segment's caches
                x = layer.forward(x)
                caches.append(layer._snapshot())
                layer._restore(None)
            del x
            self.recomputed += stop - start
            self.peak_bytes = max(self.peak_bytes, array_bytes([kept, caches]))
            kept.pop()  # this segment's checkpoint is spent
            for j in range(stop - 1, start - 1, -1):
                layer = layers[j]
                layer._restore(caches.pop())
                if j == 0 and not input_grad:
                    if isinstance(layer, (Linear, Sequential)):
                        layer.backward(dout, input_grad=False)
                    else:
                        layer.backward(dout)
                    layer._restore(None)
                    return None
                dout = layer.backward(dout)
                layer._restore(None)
        return dout

    def parameters(self):
        return self.net.parameters()

    def children(self) -> list[Layer]:
        return [self.net]

    def __repr__(self) -> str:
        return f"Checkpointed(positions={self.positions}, net={self.net!r})"

