"""One training step of lesson 09's digits CNN: bpkit's numpy layers against PyTorch.

The CNN of `bpkit.conv.digits_cnn` (conv 3x3 1->8, ReLU, max pool 2, conv 3x3
8->16, ReLU, max pool 2, flatten, linear 64->10), batch 32 and 128 of 8x8
images, float32, softmax cross-entropy. One step = forward + backward + an SGD
(momentum 0.9) update. PyTorch runs the same architecture (nn.Conv2d,
nn.MaxPool2d, ...) with the same thread count: one numpy BLAS thread (as the
lessons run) and torch.set_num_threads(1). Timed in the same run, interleaved.

Target: bpkit within 1.5x of torch's time per step.
Run: .venv/bin/python benchmarks/bench_conv.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

from bpkit.apps.threads import use_one_blas_thread
from bpkit.conv import digits_cnn
from bpkit.losses import softmax_cross_entropy
from bpkit.optim import SGD

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _interleaved import median_ms  # noqa: E402
from _summary import record  # noqa: E402

TARGET = 1.5


def data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(0, 1, (n, 1, 8, 8)).astype(np.float32),
            rng.integers(0, 10, n))


def bpkit_step():
    net = digits_cnn(np.random.default_rng(0), dtype=np.float32)
    opt = SGD(net.parameters(), lr=0.05, momentum=0.9)

    def step(x, y):
        _, d = softmax_cross_entropy(net(x), y)
        opt.zero_grad()
        net.backward(d)
        opt.step()

    return step


def torch_step():
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(64, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)

    def step(x, y):
        loss = nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return torch, step


def main(repeats: int) -> None:
    use_one_blas_thread()
    ts = torch_step()
    if ts is not None:
        ts[0].set_num_threads(1)
    print(f"digits CNN (1,898 parameters), float32, one step = forward + backward + "
          f"SGD momentum; median of {repeats}, one thread each")
    for n in (32, 128):
        x, y = data(n)
        contenders = {"bpkit": (bpkit_step(), (x, y))}
        if ts is not None:
            torch = ts[0]
            contenders["torch"] = (ts[1], (torch.from_numpy(x), torch.from_numpy(y)))
        med = median_ms(contenders, repeats, warmup=10)
        line = f"  batch {n:3d}: bpkit {med['bpkit']:6.3f} ms/step"
        if ts is not None:
            ratio = med["bpkit"] / med["torch"]
            verdict = "meets" if ratio <= TARGET else "misses"
            line += (f", torch {med['torch']:6.3f} ms/step, bpkit / torch {ratio:4.2f}x "
                     f"({verdict} the target <= {TARGET}x)")
            record("conv", f"digits CNN step, batch {n}, bpkit / torch",
                   f"{ratio:.2f}x", f"<= {TARGET}x")
        print(line)
    if ts is None:
        print("  torch not installed: no comparison")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    main(parser.parse_args().repeats)
