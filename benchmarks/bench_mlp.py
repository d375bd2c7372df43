"""Median ms per training step of a 784-256-256-10 ReLU MLP, bpkit against PyTorch.

One step, on a batch of 128: forward, softmax cross-entropy, backward, SGD
update (bpkit.optim.SGD / torch.optim.SGD, lr 0.01), in float32 and float64.
Where PyTorch is installed, the same network (same initial weights) is timed
with torch autograd in the same run, interleaved block by block, with
`torch.set_num_threads` set to numpy's BLAS thread count.

It prints the ratio bpkit/torch (target <= 1.0) and the GFLOP/s each achieves,
against a large-matmul measurement sampled through the same run (its best):
the step is three matmuls forward and five backward (the first layer needs no
dL/dx), so the large-matmul rate is the ceiling.

    python benchmarks/bench_mlp.py              # ~30 s
    python benchmarks/bench_mlp.py --quick      # ~5 s, fewer samples
    python benchmarks/bench_mlp.py --threads 1  # one core each (a shared machine)
"""

from __future__ import annotations

import argparse
import ctypes
import os
import pathlib
import statistics
import sys
import time

import numpy as np

from bpkit.layers import mlp
from bpkit.losses import softmax_cross_entropy
from bpkit.optim import SGD

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _summary import record  # noqa: E402

SIZES = (784, 256, 256, 10)
BATCH = 128
LR = 0.01


# ------------------------------------------------------------------ threads
_PREFIXES = ("scipy_openblas_", "openblas_")
_SUFFIXES = ("64_", "")


def _blas_function(kind: str):
    """`openblas_{kind}_num_threads` of the BLAS numpy loaded, or None."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if ".so" in line}
    except OSError:
        return None
    for path in sorted(libs):
        if "blas" not in path.lower():
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in _PREFIXES:
            for suffix in _SUFFIXES:
                name = f"{prefix}{kind}_num_threads{suffix}"
                if hasattr(lib, name):
                    return getattr(lib, name)
    return None


def numpy_blas_threads() -> int:
    """The thread count numpy's BLAS uses, asked of the loaded OpenBLAS itself."""
    get = _blas_function("get")
    if get is not None:
        return int(get())
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


def set_numpy_blas_threads(n: int) -> None:
    setter = _blas_function("set")
    if setter is None:
        raise SystemExit("cannot set the BLAS thread count: set OPENBLAS_NUM_THREADS")
    setter(int(n))


# -------------------------------------------------------------------- flops
def step_flops(sizes=SIZES, n=BATCH) -> float:
    """Multiply-adds x 2 of the matmuls in one step (elementwise work ignored)."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    forward = sum(2 * n * d * h for d, h in pairs)  # x @ W
    grad_w = forward  # x.T @ dout
    grad_x = sum(2 * n * d * h for d, h in pairs[1:])  # dout @ W.T, not for layer 1
    return float(forward + grad_w + grad_x)


class MatmulPeak:
    """GFLOP/s of a large (m x m) @ (m x m) product: the best of every measurement.

    The best, not the median: it is a ceiling, and on a shared machine every
    other measurement is the ceiling minus someone else's load.
    """

    def __init__(self, dtype, m: int = 1024) -> None:
        rng = np.random.default_rng(0)
        self.a = rng.standard_normal((m, m)).astype(dtype)
        self.b = rng.standard_normal((m, m)).astype(dtype)
        self.flops = 2.0 * m**3
        self.best = 0.0
        self.a @ self.b  # warm up

    def measure(self, repeats: int = 1) -> None:
        for _ in range(repeats):
            t0 = time.perf_counter()
            self.a @ self.b
            self.best = max(self.best, self.flops / (time.perf_counter() - t0) / 1e9)


# -------------------------------------------------------------------- steps
def make_bpkit(dtype, rng):
    net = mlp(list(SIZES), rng, activation="relu", dtype=dtype)
    opt = SGD(net.parameters(), lr=LR)

    def step(X, y):
        opt.zero_grad()
        loss, dlogits = softmax_cross_entropy(net(X), y)
        net.backward(dlogits, input_grad=False)  # X is data: no dL/dX needed
        opt.step()
        return loss

    return net, step


def make_torch(torch, net, dtype):
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    layers = []
    for layer in net:
        if type(layer).__name__ == "Linear":
            lin = torch.nn.Linear(layer.in_features, layer.out_features, dtype=tdtype)
            with torch.no_grad():  # the same starting weights
                lin.weight.copy_(torch.from_numpy(layer.W.data.T.copy()))
                lin.bias.copy_(torch.from_numpy(layer.b.data.copy()))
            layers.append(lin)
        else:
            layers.append(torch.nn.ReLU())
    tnet = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(tnet.parameters(), lr=LR)
    F = torch.nn.functional

    def step(X, y):
        opt.zero_grad()
        loss = F.cross_entropy(tnet(X), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def timed(step, args, k: int, out: list[float]) -> None:
    for _ in range(k):
        t0 = time.perf_counter()
        step(*args)
        out.append(time.perf_counter() - t0)


def bench(dtype, torch, rounds: int, block: int, peak: MatmulPeak) -> dict:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((BATCH, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], BATCH)
    net, ours = make_bpkit(dtype, rng)
    engines = {"bpkit": (ours, (X, y))}
    if torch is not None:
        theirs = make_torch(torch, net, dtype)
        engines["torch"] = (theirs, (torch.from_numpy(X), torch.from_numpy(y)))
        # the same network from the same weights: after 3 steps, the same loss
        third = {name: [fn(*args) for _ in range(3)][-1]
                 for name, (fn, args) in engines.items()}
        agree = abs(third["bpkit"] - third["torch"])
    times = {name: [] for name in engines}
    for name, (fn, args) in engines.items():
        timed(fn, args, 3, [])  # warm up
    for r in range(rounds):
        peak.measure()  # the ceiling, sampled through the run
        order = list(engines) if r % 2 == 0 else list(engines)[::-1]
        for name in order:  # interleaved blocks, alternating who goes first
            fn, args = engines[name]
            timed(fn, args, block, times[name])
    out = {name: statistics.median(t) * 1e3 for name, t in times.items()}
    out["n"] = len(times["bpkit"])
    if torch is not None:
        out["loss_diff"] = agree
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer samples (~5 s)")
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS threads for numpy (and torch); default: numpy's own")
    args = ap.parse_args()
    rounds, block = (6, 5) if args.quick else (20, 10)
    if args.threads is not None:
        set_numpy_blas_threads(args.threads)

    try:
        import torch
    except ImportError:
        torch = None
    threads = numpy_blas_threads()
    if torch is not None:
        torch.set_num_threads(threads)

    flops = step_flops()
    print(f"bench_mlp: {'-'.join(map(str, SIZES))} ReLU MLP, batch {BATCH}, "
          "softmax cross-entropy, one SGD step")
    print(f"  numpy {np.__version__}, BLAS threads {threads}; "
          + (f"torch {torch.__version__}, threads {torch.get_num_threads()}"
             if torch is not None else "torch not installed: bpkit only"))
    print(f"  {flops / 1e6:.1f} MFLOP of matmul per step")
    for dtype in (np.float32, np.float64):
        ceiling = MatmulPeak(dtype)
        ceiling.measure(3)
        r = bench(dtype, torch, rounds, block, ceiling)
        peak = ceiling.best
        name = np.dtype(dtype).name
        print(f"\n  {name}: large matmul (1024^3, best) {peak:7.1f} GFLOP/s")
        for engine in ("bpkit", "torch"):
            if engine not in r:
                continue
            ms = r[engine]
            gf = flops / (ms / 1e3) / 1e9
            print(f"    {engine:6s} {ms:8.3f} ms/step  (median of {r['n']})  "
                  f"{gf:6.1f} GFLOP/s = {100 * gf / peak:3.0f} % of matmul")
        gf = flops / (r["bpkit"] / 1e3) / 1e9
        record("mlp", f"{name} step, bpkit, % of matmul peak",
               f"{r['bpkit']:.2f} ms, {100 * gf / peak:.0f} %")
        if "torch" in r:
            record("mlp", f"{name} step, bpkit / torch", f"{r['bpkit'] / r['torch']:.2f}x",
                   "<= 1.0x")
            print(f"    ratio bpkit/torch {r['bpkit'] / r['torch']:5.2f}   (target <= 1.0)"
                  f"   3rd-step losses differ by {r['loss_diff']:.1e}")


if __name__ == "__main__":
    main()
