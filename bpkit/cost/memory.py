"""What backprop keeps: bytes of the cached arrays, and a traced peak that holds.

Two measures, one exact and one physical:

- `array_bytes(obj)` walks what a forward pass cached (arrays inside tuples,
  lists, dicts, named tuples) and adds up the bytes of each distinct buffer
  once: a Tanh's output that the next Linear caches as its input is one array,
  counted once. `kept_bytes(net)` is that for everything a network keeps for
  its backward pass now. Exact and deterministic.
- `traced_peak(fn)` runs `fn` under tracemalloc and returns the peak bytes
  allocated above the start. It counts transient arrays too (matmul outputs,
  gradients), so it is at least the kept bytes. It sees what Python and numpy
  allocate, not the BLAS library's own workspace.

`bpkit.rnn.peak_memory` measured a call while the previous call's caches were
still alive, and a repeat freed them inside its window and read low (lesson
07's audit). Here `step_peak` clears the network's caches *before* it starts
tracing, so nothing from an earlier call is in the window; a test runs it
twice in a row and gets the same number within 2% (the first call of a
process can differ by a few hundred bytes of Python's own allocations).
"""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any, Callable

import numpy as np

from ..layers import Layer

__all__ = [
    "array_bytes", "kept_bytes", "parameter_bytes", "clear_caches", "traced_peak",
    "step_peak",
]


def _owner(a: np.ndarray) -> np.ndarray:
    """The array that owns `a`'s memory (a view's base, followed to the end)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def array_bytes(obj: Any, exclude: Any = ()) -> int:
    """Bytes of the distinct numpy buffers inside `obj` (each counted once).

    Walks tuples, lists, dicts, named tuples and objects with `_saved` (a
    layer's cache). A view counts as its whole base array. Arrays in `exclude`
    (say, the weights an RNN cache refers to) are left out.
    """
    skip = {id(_owner(a)) for a in _flat(exclude)}
    seen: dict[int, int] = {}
    for a in _flat(obj):
        base = _owner(a)
        if id(base) not in skip:
            seen[id(base)] = base.nbytes
    return sum(seen.values())


def _flat(obj: Any):
    """Every numpy array inside obj."""
    stack, visited = [obj], set()
    while stack:
        o = stack.pop()
        if isinstance(o, np.ndarray):
            yield o
        elif isinstance(o, (str, bytes, int, float, complex, type(None), np.dtype)):
            continue
        elif id(o) in visited:
            continue
        else:
            visited.add(id(o))
            if isinstance(o, dict):
                stack.extend(o.values())
            elif isinstance(o, (tuple, list, set, frozenset)):
                stack.extend(o)
            elif isinstance(o, Layer):
                stack.append(getattr(o, "_saved", None))
                stack.extend(getattr(o, "_kept", ()))  # a checkpointed net's inputs
                stack.extend(o.children())


def kept_bytes(net: Layer) -> int:
    """Bytes that `net` (and its children) keep for their backward pass now.

    Parameters are not counted (see `parameter_bytes`).
    """
    if not isinstance(net, Layer):
        raise TypeError(f"net must be a bpkit Layer, got {type(net).__name__}")
    return array_bytes(net, exclude=[(p.data, p.grad) for p in net.parameters()])


def parameter_bytes(net: Layer, grads: bool = False) -> int:
    """Bytes of the parameters' data (and, with `grads`, of their gradients)."""
    if not isinstance(net, Layer):
        raise TypeError(f"net must be a bpkit Layer, got {type(net).__name__}")
    n = sum(p.data.nbytes for p in net.parameters())
    return 2 * n if grads else n


def clear_caches(net: Layer) -> None:
    """Drop every cache `net` and its children hold, so their memory is freed."""
    if not isinstance(net, Layer):
        raise TypeError(f"net must be a bpkit Layer, got {type(net).__name__}")
    stack = [net]
    while stack:
        layer = stack.pop()
        layer._restore(None)
        layer._calls = 0  # no forward is waiting for its backward any more
        if hasattr(layer, "_kept"):
            layer._kept = []
        stack.extend(layer.children())


def traced_peak(fn: Callable[[], Any]) -> tuple[Any, int]:
    """Run `fn()`; return its result and the peak bytes allocated above the start.

    Collects garbage first, so nothing left from before is freed inside the
    window. Works whether or not tracemalloc is already on.
    """
    if not callable(fn):
        raise TypeError(f"fn must be a function to call, got {type(fn).__name__}")
    gc.collect()
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = fn()
        return out, tracemalloc.get_traced_memory()[1] - base
    finally:
        if not tracing:
            tracemalloc.stop()


def step_peak(net: Layer, x: np.ndarray, dout: np.ndarray) -> int:
    """Peak bytes of one forward and backward of `net`, measured from a clean start.

    The caches of an earlier call are cleared *before* tracing begins, so the
    number does not depend on what an earlier call left behind.
    """
    clear_caches(net)

    def step():
        net.forward(x)
        net.backward(dout)
        clear_caches(net)  # what the step keeps dies with it, as in training

    return traced_peak(step)[1]
