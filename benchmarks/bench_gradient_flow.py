"""Latency of the lesson 04 gradient-flow app at depth 50, width 64 (target < ~50 ms).

One widget update = rebuild the network from the settings, one forward and
backward pass of `gradient_flow` on a fixed batch of 64, the per-layer
statistics and histograms, then redraw the PNG. Reported separately:
- the model alone (numpy),
- a typical update (new weights / depth slider: only the data move, the cached
  background is reused),
- an update that moves axes (activation switch): the background's pieces for
  both activations are kept after the first visit, so none is drawn,
- the same switch with no piece kept: every piece drawn, as a full redraw.
Wall-clock medians; the CPU time of the same calls is shown beside them, since
on a shared machine the two differ.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

from bpkit.apps.gradient_flow import GradientFlowApp
from bpkit.gradient_flow import GradientFlowModel


def measure(fn: Callable[[int], None], n: int) -> tuple[float, float, float]:
    """(median wall ms, min wall ms, median cpu ms) of fn(i) for i in 1..n."""
    wall, cpu = [], []
    for i in range(1, n + 1):
        w0, c0 = time.perf_counter(), time.process_time()
        fn(i)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall) * 1e3, min(wall) * 1e3, statistics.median(cpu) * 1e3


def main(n: int = 30) -> None:
    model = GradientFlowModel(depth=50, width=64, activation="sigmoid", init="xavier")
    app = GradientFlowApp(model)
    app.depth_slider.value = 50

    def new_weights(i: int) -> None:
        app.resample_button.click()

    def drag_depth(i: int) -> None:
        app.depth_slider.value = 50 - i % 4  # 50, 49, 48, 47: inside one axis bracket

    def switch_activation(i: int) -> None:
        app.activation_dropdown.value = ("relu", "sigmoid")[i % 2]

    def switch_activation_cold(i: int) -> None:
        app._kept.clear()  # forget every piece of the background
        switch_activation(i)

    rows = [
        ("model only (rebuild + gradient_flow)", lambda i: model.configure(seed=i)),
        ("app update: new weights", new_weights),
        ("app update: depth slider 47-50", drag_depth),
        ("app update: activation (pieces kept)", switch_activation),
        ("app update: activation (all redrawn)", switch_activation_cold),
    ]
    assert not app.errors.outputs
    print("bench_gradient_flow: depth 50, width 64, batch 64")
    print(f"  {'':40s} {'median':>8s} {'min':>8s} {'cpu':>8s}   (ms, {n} runs)")
    for label, fn in rows:
        fn(0)  # warm-up
        med, lo, cpu = measure(fn, n)
        print(f"  {label:40s} {med:8.1f} {lo:8.1f} {cpu:8.1f}")
    print("  target: a typical app update under ~50 ms")


if __name__ == "__main__":
    main()
