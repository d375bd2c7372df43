"""Sampling symbols from a character-level `SequenceModel`."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .._validate import integer, labels, number
from .._validate import rng as _check_rng
from .sequence_model import SequenceModel

__all__ = ["generate"]


def generate(
    model: SequenceModel,
    prime: Sequence[int],
    length: int,
    rng: np.random.Generator,
    temperature: float = 1.0,
) -> list[int]:
    """Sample `length` symbols from a model whose inputs are one-hot symbols.

    The model reads `prime` (symbol ids), then feeds each sampled symbol back
    in. Lower temperature sharpens the distribution (more likely, more
    repetitive text). Returns the sampled ids.
    """
    if not isinstance(model, SequenceModel):
        raise TypeError(
            f"model must be a bpkit.rnn.SequenceModel, got {type(model).__name__}"
        )
    V = model.readout.out_features
    D = model.cell.parameters()[0].shape[0]
    if D != V or model.many_to_one:
        raise ValueError(
            f"generate needs a many-to-many model with as many inputs as outputs; "
            f"got {D} inputs and {V} outputs"
        )
    number("temperature", temperature, 0, lo_open=True)
    length = integer("length", length, 0)
    _check_rng(rng)
    if isinstance(prime, str):
        raise TypeError(f"prime must be a list of symbol ids, got str {prime!r}")
    prime = labels("prime", prime, V)
    if prime.ndim != 1 or prime.size < 1 or prime.min() < 0 or prime.max() >= V:
        raise ValueError(f"prime must be a non-empty list of ids in 0..{V - 1}")
    dt = model.cell.dtype
    x = np.zeros((1, prime.size, V), dt)
    x[0, np.arange(prime.size), prime] = 1
    state, out = None, []
    for _ in range(length):
        scores = model.forward(x, state)[0, -1] / temperature  # (V,)
        state = model.cell.state
        p = np.exp(scores - scores.max())
        nxt = int(rng.choice(V, p=p / p.sum()))
        out.append(nxt)
        x = np.zeros((1, 1, V), dt)
        x[0, 0, nxt] = 1
    model.cell._cache = None
    return out
