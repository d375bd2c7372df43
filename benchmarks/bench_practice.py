"""Lesson 08's practical costs: accumulation, float16 in numpy, and frozen layers.

For a 64-512-512-10 ReLU MLP on the 8x8 digits (one BLAS thread), this prints
- gradient accumulation: time for the gradient of 1,024 examples as one batch and
  as micro-batches of 256, 64 and 16, and the peak memory numpy allocates for it
  (tracemalloc): accumulation trades time for memory;
- float16 against float32: one forward and backward pass on 128 examples in each (numpy has no
  fast float16 matrix product on a CPU, so float16 saves memory, not time, here);
- frozen layers: the backward pass of the head only against the whole net.
It prints medians of several runs and never asserts.
"""

from __future__ import annotations

import pathlib
import statistics
import sys
import time
import tracemalloc

import numpy as np
from threadpoolctl import threadpool_limits

from bpkit.data import load_digits
from bpkit.layers import mlp
from bpkit.losses import softmax_cross_entropy
from bpkit.practice import (
    accumulated_gradient, backward_trainable, freeze, full_batch_gradient, half_gradients,
)

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _summary import record  # noqa: E402

SIZES = (64, 512, 512, 10)


def _median_ms(fn, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def _peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    X, y = load_digits()
    X, y = X[:1024], y[:1024]
    net = mlp(list(SIZES), np.random.default_rng(0))
    print(f"bench_practice: MLP {'-'.join(map(str, SIZES))}, 1,024 digits, one BLAS thread")
    print("  gradient accumulation (ms, peak MB numpy allocates):")
    rows = {}
    for micro in (1024, 256, 64, 16):
        def grad(micro=micro):
            if micro == 1024:
                return full_batch_gradient(net, X, y)
            return accumulated_gradient(net, X, y, micro)
        ms, mb = _median_ms(grad), _peak_mb(grad)
        rows[micro] = (ms, mb)
        print(f"    micro-batch {micro:5d}: {ms:7.1f} ms  {mb:6.1f} MB")

    print("  float16 against float32, forward + backward on 128 examples (ms):")
    net32 = mlp(list(SIZES), np.random.default_rng(0), dtype=np.float32)
    X32, y128 = X[:128].astype(np.float32), y[:128]

    def f32():
        net32.zero_grad()
        _, d = softmax_cross_entropy(net32(X32), y128)
        net32.backward(d)

    t32 = _median_ms(f32)
    t16 = _median_ms(lambda: half_gradients(net32, X32, y128, 1024.0), repeats=3)
    print(f"    float32 {t32:7.1f} ms, float16 {t16:7.1f} ms ({t16 / t32:.0f}x slower: "
          "no float16 BLAS in numpy)")

    print("  frozen layers: backward on 1,024 examples (ms):")
    _, d = softmax_cross_entropy(net(X), y)

    def full():
        net(X)
        net.backward(d)

    freeze(net[0])
    freeze(net[2])

    def head():
        net(X)
        backward_trainable(net, d)

    fwd = _median_ms(lambda: net(X))
    t_full, t_head = _median_ms(full) - fwd, _median_ms(head) - fwd
    print(f"    whole net {t_full:6.1f} ms, head only {t_head:6.1f} ms "
          f"(forward {fwd:.1f} ms subtracted)")
    record("practice", "accumulation, micro-batch 16 vs 1,024: time x / peak memory x",
           f"{rows[16][0] / rows[1024][0]:.1f} / {rows[16][1] / rows[1024][1]:.2f}")
    record("practice", "float16 / float32 time, numpy forward+backward", f"{t16 / t32:.0f}x")


if __name__ == "__main__":
    with threadpool_limits(1):
        main()
