"""Peak memory of a call, measured with tracemalloc."""

from __future__ import annotations

import tracemalloc
from typing import Any, Callable

from .._validate import positive_integer

__all__ = ["peak_memory"]


def peak_memory(fn: Callable[[], Any], repeats: int = 1) -> tuple[Any, int]:
    """Run `fn()`; return its result and the peak bytes it allocated (tracemalloc).

    Counts numpy arrays and Python objects created during the call, above what
    was allocated before it. With `repeats` > 1, `fn` runs that many times and
    the *largest* peak is kept: a later run can free, inside its own window,
    what an earlier run left behind (a layer's cache, the previous result), and
    then reads low; keeping the smallest would under-report. Another thread's
    allocations (a Jupyter kernel's, say) can only add to a peak. Works whether
    or not tracemalloc is already on.
    """
    repeats = positive_integer("repeats", repeats)
    if not callable(fn):
        raise TypeError(f"fn must be a function to call, got {type(fn).__name__}")
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    try:
        worst, out = 0, None
        for _ in range(int(repeats)):
            out = None  # the previous result is not part of this run's baseline
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            out = fn()
            worst = max(worst, tracemalloc.get_traced_memory()[1] - base)
        return out, worst
    finally:
        if not tracing:
            tracemalloc.stop()
