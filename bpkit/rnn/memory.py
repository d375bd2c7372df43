"""Peak memory of a call, measured with tracemalloc."""

from __future__ import annotations

import tracemalloc
from typing import Any, Callable

__all__ = ["peak_memory"]


def peak_memory(fn: Callable[[], Any], repeats: int = 1) -> tuple[Any, int]:
    """Run `fn()`; return its result and the peak bytes it allocated (tracemalloc).

    Counts numpy arrays and Python objects created during the call, above what
    was allocated before it. tracemalloc sees every thread, so another thread's
    allocations (a Jupyter kernel's, say) can add noise: `repeats` > 1 runs
    `fn` that many times and keeps the smallest peak. Works whether or not
    tracemalloc is already on.
    """
    if int(repeats) != repeats or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    try:
        best = None
        for _ in range(int(repeats)):
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            out = fn()
            peak = tracemalloc.get_traced_memory()[1] - base
            best = peak if best is None else min(best, peak)
        return out, best
    finally:
        if not tracing:
            tracemalloc.stop()
