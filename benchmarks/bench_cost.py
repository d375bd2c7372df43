"""Lesson 11's costs on a deep ReLU MLP, one BLAS thread: checkpointing and the two modes.

- Checkpointing: one forward + backward of 32 blocks of width 512 on a batch of
  256, plain and with a checkpoint every s blocks: time (thread CPU, best of a
  few, interleaved) and the peak bytes kept (`Checkpointed.peak_bytes`) and
  traced (`step_peak`). The flop count says x 4/3 in time at every s.
- Modes: the gradient of f: R^n -> R (a tanh MLP n-64-64-1) at one input, by
  forward mode (n tangent passes) and reverse mode (one forward, one backward),
  for growing n.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import math
import pathlib
import sys
import time

import numpy as np

from bpkit.apps.threads import use_one_blas_thread
from bpkit.cost import Checkpointed, jacobian_forward, jacobian_reverse, step_peak
from bpkit.cost.explorer import block_mlp
from bpkit.layers import mlp

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _summary import record  # noqa: E402


def cpu_best(fns, repeats: int = 5) -> list[float]:
    """Best thread-CPU seconds of each function, run interleaved."""
    best = [math.inf] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.thread_time()
            fn()
            best[i] = min(best[i], time.thread_time() - t0)
    return best


def checkpointing(depth: int = 32, width: int = 512, batch: int = 256) -> None:
    rng = np.random.default_rng(0)
    net = block_mlp(depth, width, rng)
    x, dy = rng.standard_normal((batch, width)), rng.standard_normal((batch, width))

    def step(layer):
        def run():
            net.zero_grad()
            layer.forward(x)
            layer.backward(dy)
        return run

    segments = [1, 2, 4, round(math.sqrt(depth)), 8, 16]
    layers = [net] + [Checkpointed(net, every=2 * s) for s in segments]
    times = cpu_best([step(layer) for layer in layers])
    plain_kept = 9 * depth * batch * width
    print(f"checkpointing: {depth} blocks of width {width}, batch {batch}")
    print(f"  {'':>16} {'ms':>8} {'x plain':>8} {'kept MB':>8} {'traced MB':>10}")
    print(f"  {'plain':>16} {1e3 * times[0]:8.1f} {1.0:8.2f} {plain_kept / 2**20:8.1f} "
          f"{step_peak(net, x, dy) / 2**20:10.1f}")
    ratios = []
    for s, layer, t in zip(segments, layers[1:], times[1:]):
        layer.forward(x)
        layer.backward(dy)
        ratios.append(t / times[0])
        print(f"  {f'segment {s}':>16} {1e3 * t:8.1f} {t / times[0]:8.2f} "
              f"{layer.peak_bytes / 2**20:8.1f} {step_peak(layer, x, dy) / 2**20:10.1f}")
    s = round(math.sqrt(depth))
    ck = Checkpointed(net, every=2 * s)
    ck.forward(x)
    ck.backward(dy)
    record("cost", f"checkpointing s = {s} of {depth} blocks: time, memory kept",
           f"x {ratios[segments.index(s)]:.2f}, {ck.peak_bytes / plain_kept:.0%}",
           "x 1.33, ~2/sqrt(depth)")


def modes(ns=(1, 16, 256, 1024)) -> None:
    print("gradient of f: R^n -> R, tanh n-64-64-1, at one input")
    print(f"  {'n':>6} {'forward ms':>11} {'reverse ms':>11} {'forward/reverse':>16}")
    last = None
    for n in ns:
        net = mlp([n, 64, 64, 1], np.random.default_rng(n), activation="tanh")
        x = np.random.default_rng(1).standard_normal(n)
        tf, tr = cpu_best([lambda: jacobian_forward(net, x),
                           lambda: jacobian_reverse(net, x)], 3)
        last = tf / tr
        print(f"  {n:6d} {1e3 * tf:11.3f} {1e3 * tr:11.3f} {tf / tr:16.1f}")
    record("cost", f"forward / reverse mode time for a gradient at n = {ns[-1]}",
           f"{last:.0f}x", "grows with n")


def main() -> None:
    use_one_blas_thread()
    checkpointing()
    modes()


if __name__ == "__main__":
    main()
