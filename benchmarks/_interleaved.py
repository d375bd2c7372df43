"""Time several contenders in turn, so that every one sees the same machine load."""

from __future__ import annotations

import gc
import statistics
import time
from typing import Any, Callable


def median_ms(contenders: dict[str, tuple[Callable[..., Any], tuple]], repeats: int,
              warmup: int = 3) -> dict[str, float]:
    """{name: median milliseconds of fn(*args)} over `repeats` interleaved rounds.

    Each contender runs `warmup` times first; the garbage collector is off while
    timing, so a collection does not land on one contender's step.
    """
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for fn, args in contenders.values():
        for _ in range(warmup):
            fn(*args)
    gc.disable()
    try:
        for _ in range(repeats):  # interleaved: every contender sees the same load
            for name, (fn, args) in contenders.items():
                t0 = time.perf_counter()
                fn(*args)
                times[name].append(time.perf_counter() - t0)
    finally:
        gc.enable()
    return {name: 1e3 * statistics.median(v) for name, v in times.items()}
