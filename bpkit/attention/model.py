"""A small causal transformer language model: embeddings, blocks, layer norm, readout.

    ids (N, T) -> Embedding -> TransformerBlock x L -> LayerNorm -> Linear -> scores (N, T, V)

Trained like lesson 07's character RNN (`bpkit.rnn.sequence_cross_entropy` on
the next character), but it sees a window of `context` characters at once and
carries no state between windows.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .._validate import integer, labels, number, positive_integer
from .._validate import rng as _check_rng
from ..layers import Parameter
from ..rnn import TemporalLinear, sequence_cross_entropy
from .block import TransformerBlock
from .embedding import Embedding
from .layer_norm import LayerNorm

__all__ = ["TransformerLM"]


class TransformerLM:
    """A causal transformer over `vocab` symbols with width D, `layers` blocks of `heads` heads.

    forward(ids (N, T)) -> scores (N, T, V); backprop(ids, targets) -> loss, with
    every parameter's gradient added to `.grad`; generate(...) samples.
    """

    def __init__(
        self, vocab: int, features: int, heads: int, layers: int, context: int,
        rng: np.random.Generator, hidden: int | None = None, dtype: Any = np.float64,
    ) -> None:
        _check_rng(rng)
        L = positive_integer("layers", layers)
        self.embed = Embedding(vocab, features, context, rng, dtype=dtype)
        self.blocks = [TransformerBlock(features, heads, rng, hidden, causal=True,
                                        dtype=dtype) for _ in range(L)]
        self.ln = LayerNorm(features, dtype=dtype)
        self.readout = TemporalLinear(features, vocab, rng, init="xavier_uniform",
                                      dtype=dtype)
        self.vocab, self.context = self.embed.vocab, self.embed.context

    def parameters(self) -> list[Parameter]:
        ps = self.embed.parameters()
        for b in self.blocks:
            ps += b.parameters()
        return ps + self.ln.parameters() + self.readout.parameters()

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """Scores (N, T, V) for the next symbol after each position."""
        h = self.embed.forward(ids)  # (N, T, D)
        for b in self.blocks:
            h = b.forward(h)
        return self.readout.forward(self.ln.forward(h))

    __call__ = forward

    def backprop(self, ids: np.ndarray, targets: np.ndarray) -> float:
        """Mean cross-entropy of the next symbol; gradients added to `.grad`."""
        loss, d = sequence_cross_entropy(self.forward(ids), targets)
        d = self.ln.backward(self.readout.backward(d))
        for b in reversed(self.blocks):
            d = b.backward(d)
        self.embed.backward(d)
        return loss

    def generate(self, prime: Sequence[int], length: int, rng: np.random.Generator,
                 temperature: float = 1.0) -> list[int]:
        """Sample `length` symbols after `prime`, each seeing the last `context` ones."""
        _check_rng(rng)
        length = integer("length", length, 0)
        number("temperature", temperature, 0, lo_open=True)
        if isinstance(prime, str):
            raise TypeError(f"prime must be a list of symbol ids, got str {prime!r}")
        seq = list(labels("prime", prime, self.vocab))
        if not seq:
            raise ValueError("prime must hold at least one symbol id")
        out = []
        for _ in range(length):
            window = np.array(seq[-self.context:])[None]  # (1, T)
            s = self.forward(window)[0, -1] / temperature  # (V,)
            p = np.exp(s - s.max())
            nxt = int(rng.choice(self.vocab, p=p / p.sum()))
            seq.append(nxt)
            out.append(nxt)
        return out
