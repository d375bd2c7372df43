"""BPTT speed and memory: bpkit's numpy RNN against PyTorch.

A vanilla tanh RNN, D = 32 inputs, H = 128 hidden, T = 100 steps, batch 32,
float32, a linear readout with a per-step MSE loss. One iteration = forward +
full BPTT + an SGD update. Prints:

- median ms per iteration: full BPTT, and truncated BPTT with k = 20;
- peak memory (tracemalloc) against T = 100 .. 1,600, full and truncated, and
  the full layer's peak over the bytes of the hidden states it stores;
- where PyTorch is installed, timed in the same run, interleaved: torch
  autograd over a hand-written loop, and `torch.nn.RNN`; with the ratios.

Targets: at most 0.6x the time of torch.nn.RNN and 0.5x the torch hand loop.
Run: .venv/bin/python benchmarks/bench_rnn.py [--repeats 40]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys

import numpy as np

from bpkit.optim import SGD
from bpkit.rnn import RNN, SequenceModel, peak_memory, rnn_backward, rnn_forward, tbptt

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _interleaved import median_ms  # noqa: E402
from _summary import record  # noqa: E402

N, T, D, H = 32, 100, 32, 128
LR = 0.01


def make_data(T: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D)).astype(np.float32)
    y = rng.standard_normal((N, T, 1)).astype(np.float32)
    return x, y


def numpy_step(k: int | None = None):
    """One bpkit iteration (full BPTT, or truncated with k1 = k2 = k)."""
    rng = np.random.default_rng(0)
    model = SequenceModel(RNN(D, H, rng, dtype=np.float32), 1, rng)
    opt = SGD(model.parameters(), lr=LR)

    def update():
        opt.step()
        opt.zero_grad()

    def step(x, y):
        if k is None:  # full BPTT: one forward, one backward, one update
            opt.zero_grad()
            model.backprop(x, y)
            opt.step()
        else:  # an update after every window of k steps
            tbptt(model, x, y, k1=k, update=update, average="chunk")

    return step


def torch_steps():
    """(hand loop step, nn.RNN step) on torch tensors, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    lin = torch.nn.Linear(H, 1)
    Wx = torch.nn.Parameter(torch.randn(D, H) / D**0.5)
    Wh = torch.nn.Parameter(torch.randn(H, H) / H**0.5 * 0.9)
    b = torch.nn.Parameter(torch.zeros(H))
    hand_opt = torch.optim.SGD([Wx, Wh, b, *lin.parameters()], lr=LR)

    def hand(x, y):
        hand_opt.zero_grad()
        h = torch.zeros(x.shape[0], H)
        hs = []
        for t in range(x.shape[1]):
            h = torch.tanh(x[:, t] @ Wx + h @ Wh + b)
            hs.append(h)
        out = lin(torch.stack(hs, dim=1))
        torch.nn.functional.mse_loss(out, y).backward()
        hand_opt.step()

    rnn = torch.nn.RNN(D, H, batch_first=True)
    lin2 = torch.nn.Linear(H, 1)
    rnn_opt = torch.optim.SGD([*rnn.parameters(), *lin2.parameters()], lr=LR)

    def module(x, y):
        rnn_opt.zero_grad()
        out, _ = rnn(x)
        torch.nn.functional.mse_loss(lin2(out), y).backward()
        rnn_opt.step()

    return torch, hand, module


def timing(repeats: int) -> None:
    x, y = make_data(T)
    contenders = {"bpkit full BPTT": (numpy_step(), (x, y)),
                  "bpkit truncated k=20": (numpy_step(20), (x, y))}
    ts = torch_steps()
    if ts is not None:
        torch, hand, module = ts
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        contenders["torch hand loop"] = (hand, (xt, yt))
        contenders["torch.nn.RNN"] = (module, (xt, yt))
    med = median_ms(contenders, repeats)
    print(f"RNN, N={N} T={T} D={D} H={H}, float32, linear readout + per-step MSE; "
          f"one iteration = forward + BPTT + SGD update; median of {repeats}")
    for name, ms in med.items():
        print(f"  {name:<22s} {ms:8.2f} ms/iter")
    if ts is not None:
        ours = med["bpkit full BPTT"]
        for name, target in (("torch.nn.RNN", 0.6), ("torch hand loop", 0.5)):
            ratio = ours / med[name]
            verdict = "meets" if ratio <= target else "misses"
            print(f"  bpkit / {name:<16s} {ratio:5.2f}x  "
                  f"({verdict} the target <= {target}x)")
            record("rnn", f"BPTT step, bpkit / {name}", f"{ratio:.2f}x", f"<= {target}x")
        blas = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
        print(f"  (torch threads: {torch.get_num_threads()}; "
              f"OPENBLAS_NUM_THREADS={blas})")
    else:
        print("  torch not installed: no comparison")


def memory() -> None:
    print("\npeak memory (tracemalloc) of one iteration, MB; 'states' = the N*T*H "
          "float32 hidden states full BPTT stores; 'layer' = rnn_forward + "
          "rnn_backward alone (no dx), the readout's (N, T, H) upstream gradient given")
    print(f"  {'T':>5s} {'states':>8s} {'full':>8s} {'trunc k=20':>11s} "
          f"{'layer/states':>13s}")
    full, trunc = numpy_step(), numpy_step(20)
    rng = np.random.default_rng(1)
    Wx = (rng.standard_normal((D, H)) / D**0.5).astype(np.float32)
    Wh = (rng.standard_normal((H, H)) / H**0.5 * 0.9).astype(np.float32)
    b = np.zeros(H, np.float32)
    for T_ in (100, 200, 400, 800, 1600):
        x, y = make_data(T_)
        dh = np.ones((N, T_, H), np.float32)
        h0 = np.zeros((N, H), np.float32)
        _, p_full = peak_memory(lambda: full(x, y))
        _, p_trunc = peak_memory(lambda: trunc(x, y))
        _, p_layer = peak_memory(
            lambda: rnn_backward(dh, rnn_forward(x, h0, Wx, Wh, b)[1], need_dx=False)
        )
        states = N * T_ * H * 4
        print(f"  {T_:5d} {states / 1e6:8.2f} {p_full / 1e6:8.2f} "
              f"{p_trunc / 1e6:11.2f} "
              f"{p_layer / states:13.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    timing(args.repeats)
    memory()


if __name__ == "__main__":
    main()
