"""Small matrices on one BLAS thread or on numpy's default: measured, quiet and loaded.

The course's training loops and apps multiply small matrices (a batch of 32 by a
64-wide layer, a 128-unit RNN step). For those, starting and syncing BLAS threads
can cost more than the multiply, and on a busy machine (a shared JupyterHub, a
second process) the threads wait for cores. This prints, for each workload, the
median ms per step with numpy's default BLAS threads and with one, on a quiet
machine and with a second process keeping one core busy. It never asserts.
"""

from __future__ import annotations

import multiprocessing as mp
import pathlib
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from bpkit.data import load_digits, make_spirals
from bpkit.layers import mlp
from bpkit.losses import softmax_cross_entropy
from bpkit.optim import SGD, Adam
from bpkit.rnn import LSTM, RNN, SequenceModel, tbptt
from bpkit.sequences import delayed_recall, one_hot

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _summary import record  # noqa: E402


def _mlp_step(sizes, X, y, lr=0.1):
    net = mlp(list(sizes), np.random.default_rng(0), activation="relu")
    opt = SGD(net.parameters(), lr=lr, momentum=0.9)

    def step():
        loss, d = softmax_cross_entropy(net(X), y)
        opt.zero_grad()
        net.backward(d, input_grad=False)
        opt.step()
    return step


def workloads():
    Xs, ys = make_spirals(300, np.random.default_rng(0), classes=3, noise=0.2)
    Xd, yd = load_digits()
    Xd = (Xd - Xd.mean(0)) / (Xd.std(0) + 0.1)
    rng = np.random.default_rng(0)
    rec_x, rec_y = delayed_recall(32, 40, rng)
    lstm = SequenceModel(LSTM(rec_x.shape[2], 32, rng), 4, rng, loss="cross_entropy",
                         many_to_one=True)
    lstm_opt = Adam(lstm.parameters(), lr=1e-2)

    def lstm_step():
        lstm_opt.zero_grad()
        lstm.backprop(rec_x, rec_y)
        lstm_opt.step()

    ids = rng.integers(0, 69, (32, 33))
    char = SequenceModel(RNN(69, 128, rng), 69, rng, loss="cross_entropy")
    xc, yc = one_hot(ids[:, :32], 69), ids[:, 1:]

    def char_step():
        tbptt(char, xc, yc, k1=32)

    return [
        ("03 spirals, full batch 300, 2-16-16-3", _mlp_step((2, 16, 16, 3), Xs, ys)),
        ("03 digits, batch 32, 64-64-10", _mlp_step((64, 64, 10), Xd[:32], yd[:32], 0.05)),
        ("07 LSTM H=32, 32 x 41 steps", lstm_step),
        ("07 char RNN H=128, 32 x 32 steps", char_step),
    ]


def _median_ms(fn, seconds=0.6, min_runs=5) -> float:
    fn()
    times, t_end = [], time.perf_counter() + seconds
    while len(times) < min_runs or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        fn()
        times.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(times)


def _burn(stop):
    x = 0
    while not stop.is_set():
        for _ in range(10_000):
            x += 1


def measure() -> list[tuple[str, float, float]]:
    rows = []
    for name, fn in workloads():
        default = _median_ms(fn)
        with threadpool_limits(limits=1, user_api="blas"):
            one = _median_ms(fn)
        rows.append((name, default, one))
    return rows


def main() -> None:
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    threads = blas[0]["num_threads"] if blas else "?"
    print(f"bench_threads: median ms per step, numpy's default BLAS threads ({threads}) "
          "against one")
    results = {}
    results["quiet"] = measure()
    stop = mp.Event()
    burner = mp.Process(target=_burn, args=(stop,), daemon=True)
    burner.start()
    try:
        results["loaded"] = measure()
    finally:
        stop.set()
        burner.join()
    print(f"  {'workload':<40} {'quiet: default / 1 thread':>27} "
          f"{'loaded: default / 1 thread':>28}")
    for (name, qd, q1), (_, ld, l1) in zip(results["quiet"], results["loaded"]):
        print(f"  {name:<40} {qd:8.2f} / {q1:6.2f} ({qd / q1:4.1f}x) "
              f"{ld:9.2f} / {l1:6.2f} ({ld / l1:4.1f}x)")
    worst = max(results["loaded"], key=lambda r: r[1] / r[2])
    record("threads", f"one BLAS thread vs default, loaded: {worst[0]}",
           f"{worst[1] / worst[2]:.1f}x faster")
    return results


if __name__ == "__main__":
    main()
