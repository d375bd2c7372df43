"""One training step of lesson 10's small transformer: bpkit (numpy) against PyTorch.

The notebook's model: vocabulary 69, D = 32, 4 heads, 2 pre-LN blocks (MLP 4D,
ReLU), context 16, batch 16, float64; one step = forward + cross-entropy +
backward + gradient clipping at 5 + an Adam update. Also a larger batch and
context (32 x 64). PyTorch, where installed, runs the same architecture
(nn.Embedding, nn.LayerNorm, nn.MultiheadAttention with a causal mask, nn.Linear)
in float64, timed in the same run, interleaved. Both on one thread (the notebook
runs on one BLAS thread).

Run: .venv/bin/python benchmarks/bench_attention.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

from bpkit.apps.threads import use_one_blas_thread
from bpkit.attention import TransformerLM
from bpkit.optim import Adam, clip_grad_norm_

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _interleaved import median_ms  # noqa: E402
from _summary import record  # noqa: E402

V, D, HEADS, LAYERS = 69, 32, 4, 2
SIZES = [(16, 16), (32, 64)]  # (batch, context)


def numpy_step(T: int):
    model = TransformerLM(V, D, HEADS, LAYERS, T, np.random.default_rng(0))
    opt = Adam(model.parameters(), lr=1e-2)

    def step(x, y):
        opt.zero_grad()
        model.backprop(x, y)
        clip_grad_norm_(model.parameters(), 5.0)
        opt.step()

    return step


def torch_step(T: int):
    try:
        import torch
    except ImportError:
        return None
    nn = torch.nn
    torch.manual_seed(0)
    torch.set_num_threads(1)
    dt = torch.float64

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(D, dtype=dt), nn.LayerNorm(D, dtype=dt)
            self.attn = nn.MultiheadAttention(D, HEADS, batch_first=True, dtype=dt)
            self.mlp = nn.Sequential(nn.Linear(D, 4 * D, dtype=dt), nn.ReLU(),
                                     nn.Linear(4 * D, D, dtype=dt))

        def forward(self, x, mask):
            h = self.ln1(x)
            x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
            return x + self.mlp(self.ln2(x))

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(V, D, dtype=dt)
            self.pos = nn.Parameter(0.1 * torch.randn(T, D, dtype=dt))
            self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
            self.ln = nn.LayerNorm(D, dtype=dt)
            self.out = nn.Linear(D, V, dtype=dt)

        def forward(self, ids):
            mask = torch.triu(torch.ones(ids.shape[1], ids.shape[1], dtype=torch.bool), 1)
            h = self.tok(ids) + self.pos[: ids.shape[1]]
            for b in self.blocks:
                h = b(h, mask)
            return self.out(self.ln(h))

    model = LM()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)

    def step(x, y):
        opt.zero_grad()
        logits = model(x)
        nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1)).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()

    return torch, step, sum(p.numel() for p in model.parameters())


def main(repeats: int) -> None:
    use_one_blas_thread()
    print(f"one training step of a causal transformer (V={V}, D={D}, {HEADS} heads, "
          f"{LAYERS} blocks), float64, one thread; median of {repeats}")
    for N, T in SIZES:
        rng = np.random.default_rng(1)
        x, y = rng.integers(0, V, (N, T)), rng.integers(0, V, (N, T))
        ours = numpy_step(T)
        contenders = {"bpkit": (ours, (x, y))}
        ts = torch_step(T)
        if ts is not None:
            torch, theirs, n_params = ts
            contenders["torch"] = (theirs, (torch.from_numpy(x), torch.from_numpy(y)))
        med = median_ms(contenders, repeats)
        print(f"  batch {N}, context {T}:")
        for name, ms in med.items():
            print(f"    {name:<8s} {ms:7.2f} ms/step")
        if "torch" in med:
            ratio = med["bpkit"] / med["torch"]
            print(f"    bpkit / torch {ratio:.2f}x  (torch model: {n_params:,} parameters)")
            record("attention", f"transformer step {N}x{T}, bpkit / torch",
                   f"{ratio:.2f}x")
        else:
            print("    torch not installed: no comparison")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=30)
    main(ap.parse_args().repeats)
