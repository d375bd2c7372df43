"""Median ms per training step of MLP(2, [16, 16, 1]) on 100 two-moons points.

One step = forward over all points, micrograd's max-margin loss + L2 penalty,
backward, SGD update: the loop of micrograd's demo, written naturally for both
engines. Target: bpkit at least 5x faster than the micrograd-style baseline.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import _micrograd_style as mg  # noqa: E402

from bpkit.data import make_moons  # noqa: E402
from bpkit.nn import MLP  # noqa: E402
from _summary import record  # noqa: E402


def train_step(model, X, y, wrap=float, lr=0.05):
    """Micrograd's demo step: forward over all points, margin loss + L2, backward, SGD.

    `wrap` turns an input number into what the engine takes (bpkit takes floats).
    """
    scores = [model([wrap(float(v)) for v in x]) for x in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data


def main(repeats: int = 5) -> None:
    rng = np.random.default_rng(0)
    X, y01 = make_moons(100, rng, noise=0.1)
    y = (2 * y01 - 1).astype(float).tolist()
    random.seed(0)
    ours = MLP(2, [16, 16, 1], rng=np.random.default_rng(1))
    theirs = mg.MLP(2, [16, 16, 1])
    t_ours, t_theirs = [], []
    # blocks of consecutive steps, alternated: each engine's own garbage is
    # collected inside its own steps (the cost of its design), never the other's
    for _ in range(3):
        for model, wrap, times in (
            (ours, float, t_ours),
            (theirs, mg.Value, t_theirs),
        ):
            gc.collect()
            for _ in range(repeats):
                t0 = time.perf_counter()
                train_step(model, X, y, wrap)
                times.append(time.perf_counter() - t0)
    a = statistics.median(t_ours) * 1e3
    b = statistics.median(t_theirs) * 1e3
    print("bench_engine: MLP(2, [16, 16, 1]), 100 moons points, one training step")
    print(f"  bpkit.engine         {a:8.1f} ms/step (median of {len(t_ours)})")
    print(f"  micrograd-style      {b:8.1f} ms/step")
    print(f"  speed-up             {b / a:8.1f}x   (target >= 5x)")
    record("engine", "scalar MLP step, speed-up over micrograd-style", f"{b / a:.1f}x",
           ">= 5x")


if __name__ == "__main__":
    main()
