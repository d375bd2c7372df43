"""Sequence datasets for lesson 07. Offline, and every random one takes an `rng`.

- `sine_next_step`: smooth waves; predict the next value (many-to-many).
- `leaky_sum_task`: a leaky running sum; the answer depends on ~1 / (1 - decay)
  past steps, so truncated BPTT shorter than that loses gradient.
- `adding_problem`, `delayed_recall`: memory tasks whose lag you choose: the
  answer depends on an input seen `lag` steps before the end (many-to-one).
- `load_text`, `CharVocab`, `char_batches`, `one_hot`: a small public-domain
  text (Genesis 1-11, King James Version) for a character-level model.

Shapes: x (N, T, D) float64, targets (N, T, 1), (N, 1) or (N,) class labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ._validate import integer, labels, number
from ._validate import rng as _check_rng

__all__ = [
    "sine_next_step",
    "leaky_sum_task",
    "adding_problem",
    "delayed_recall",
    "TEXTS",
    "load_text",
    "CharVocab",
    "one_hot",
    "char_batches",
]

_DATASETS = Path(__file__).parent / "datasets"
TEXTS = {"genesis": "genesis_kjv.txt"}


def _check_noise(noise: object) -> None:
    number("noise", noise)
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")


def sine_next_step(
    n: int,
    T: int,
    rng: np.random.Generator,
    freq: tuple[float, float] = (0.05, 0.25),
    noise: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Sine waves with random frequency (radians per step) and phase.

    x[:, t] is the wave at step t (plus optional Gaussian noise), y[:, t] the
    clean value at step t + 1: a next-step prediction task.
    Returns: x (n, T, 1), y (n, T, 1).
    """
    _check_rng(rng)
    n, T = integer("n", n, 1), integer("T", T, 1)
    try:
        lo, hi = freq
        number("freq", lo)
        number("freq", hi)
    except (TypeError, ValueError):
        raise ValueError(
            f"freq must be (lo, hi) with 0 < lo <= hi, both finite, got {freq!r}"
        ) from None
    if not 0 < lo <= hi:
        raise ValueError(f"freq must be (lo, hi) with 0 < lo <= hi, got {freq}")
    _check_noise(noise)
    w = rng.uniform(lo, hi, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    wave = np.sin(w * np.arange(T + 1) + phase)  # (n, T + 1)
    x = wave[:, :T] + noise * rng.standard_normal((n, T))
    return x[..., None], wave[:, 1:, None]


def adding_problem(
    n: int, T: int, rng: np.random.Generator, lag: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber, 1997).

    Channel 0 holds random numbers in [0, 1]; channel 1 marks two of them with
    a 1. The target, read after the last step, is the sum of the two marked
    numbers. With `lag`, the first marker sits exactly `lag` steps before the
    end (the second after it), so the model must carry it over `lag` steps;
    without, the markers fall one in each half, as in the original.
    A model that ignores the inputs can only answer 1 (mean squared error
    ~1/6); solving it means carrying the first number to the end.
    Returns: x (n, T, 2), y (n, 1).
    """
    _check_rng(rng)
    n, T = integer("n", n, 1), integer("T", T, 2)
    values = rng.uniform(0, 1, (n, T))
    rows = np.arange(n)
    if lag is None:
        first = rng.integers(0, T // 2, n)
        second = rng.integers(T // 2, T, n)
    else:
        lag = integer("lag", lag, 1)
        if lag > T - 1:
            raise ValueError(f"lag = {lag} needs T >= lag + 1, got T = {T}")
        first = np.full(n, T - 1 - lag)
        second = rng.integers(T - lag, T, n)
    marks = np.zeros((n, T))
    marks[rows, first] = 1
    marks[rows, second] = 1
    y = values[rows, first] + values[rows, second]
    return np.stack([values, marks], axis=2), y[:, None]


def delayed_recall(
    n: int,
    lag: int,
    rng: np.random.Generator,
    symbols: int = 4,
    distractors: int = 4,
    noise: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Copy after a delay: see a symbol, wait `lag` steps, say which it was.

    Step 0 shows one of `symbols` symbols (one-hot). Steps 1..lag-1 carry only
    Gaussian noise (std `noise`) on `distractors` other channels: the state has
    to hold the symbol while it is buffeted. Step lag shows the recall cue (the
    last channel). The target is the symbol of step 0; a model that does not
    carry it `lag` steps is at chance, 1/symbols (cross-entropy log(symbols)).
    Inputs: D = symbols + distractors + 1 channels, T = lag + 1 steps.
    Returns: x (n, lag + 1, D), y (n,) labels in 0..symbols-1.
    """
    _check_rng(rng)
    n, lag = integer("n", n, 1), integer("lag", lag, 1)
    symbols = integer("symbols", symbols, 2)
    distractors = integer("distractors", distractors, 0)
    _check_noise(noise)
    D = symbols + distractors + 1
    x = np.zeros((n, lag + 1, D))
    y = rng.integers(0, symbols, n)
    x[np.arange(n), 0, y] = 1
    if distractors and lag > 1:
        x[:, 1:lag, symbols : symbols + distractors] = noise * rng.standard_normal(
            (n, lag - 1, distractors)
        )
    x[:, lag, D - 1] = 1
    return x, y


# ----------------------------------------------------------------- text
def load_text(name: str = "genesis") -> str:
    """A text shipped in `bpkit/datasets` (see its README for the source).

    "genesis": Genesis chapters 1-11 of the King James Version (public domain),
    ~35 kB, 69 distinct characters.
    """
    if not isinstance(name, str) or name not in TEXTS:
        raise ValueError(f"unknown text {name!r}; choose one of {sorted(TEXTS)}")
    return (_DATASETS / TEXTS[name]).read_text(encoding="ascii")


class CharVocab:
    """Characters <-> integer ids, in sorted order."""

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if not text:
            raise ValueError("text is empty")
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    @property
    def size(self) -> int:
        return len(self.chars)

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """(len(text),) int64 ids; a character not in the vocabulary is a ValueError."""
        try:
            iter(text)
        except TypeError:
            raise TypeError(
                f"text must be a str (or a list of characters), "
                f"got {type(text).__name__}"
            ) from None
        try:
            return np.array([self.index[c] for c in text], dtype=np.int64)
        except KeyError as e:
            msg = f"character {e.args[0]!r} is not in the vocabulary"
            raise ValueError(msg) from None

    def decode(self, ids: Sequence[int]) -> str:
        """The text of a 1-d sequence of ids, each in 0 .. size - 1."""
        if np.ndim(ids) != 1:
            raise TypeError(
                "ids must be a 1-d sequence of integer ids, "
                f"got {type(ids).__name__} with {np.ndim(ids)} dimensions"
            )
        ids = labels("ids", ids, self.size)
        return "".join(self.chars[int(i)] for i in ids)

    def __repr__(self) -> str:
        return f"CharVocab({self.size} characters)"


def one_hot(ids: np.ndarray, size: int, dtype=np.float64) -> np.ndarray:
    """Integer ids of any shape S -> one-hot float array of shape S + (size,)."""
    integer("size", size, 0)
    ids = np.asarray(ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"ids must be integers, got {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= size):
        raise ValueError(f"ids must lie in 0..{size - 1}, got {ids.min()}..{ids.max()}")
    out = np.zeros(ids.shape + (size,), dtype)
    np.put_along_axis(out, ids[..., None], 1, axis=-1)
    return out


def char_batches(
    ids: np.ndarray, n: int, T: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """n random windows of T characters, and the characters that follow them.

    Returns: x (n, T) ids, y (n, T) ids with y[:, t] = the character after x[:, t].
    """
    _check_rng(rng)
    ids = np.asarray(ids)
    if ids.dtype.kind == "f":
        labels("ids", ids)  # whole numbers only (a float id is no character)
    elif ids.dtype.kind not in "iu":
        raise TypeError(f"ids must be integer character ids, got dtype {ids.dtype}")
    n, T = integer("n", n, 1), integer("T", T, 1)
    if ids.ndim != 1 or ids.size < T + 1:
        raise ValueError(
            f"ids has shape {ids.shape}, expected (L,) with L >= T + 1 = {T + 1}"
        )
    starts = rng.integers(0, ids.size - T, n)
    idx = starts[:, None] + np.arange(T + 1)  # (n, T + 1)
    windows = ids[idx]
    return windows[:, :-1], windows[:, 1:]


def leaky_sum_task(
    N: int, T: int, rng: np.random.Generator, decay: float = 0.95, scale: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs x (N, T, 2) ~ scale * N(0, 1); target y (N, T, 1) a leaky running sum
    of channel 0, y_t = decay * y_{t-1} + 0.3 x_t / scale: the answer depends on
    ~1 / (1 - decay) past steps, so truncating shorter than that loses gradient.

    decay in [0, 1); scale > 0. (A legacy np.random.RandomState also works as rng.)
    """
    if not isinstance(rng, (np.random.Generator, np.random.RandomState)):
        _check_rng(rng)
    N, T = integer("N", N, 1), integer("T", T, 1)
    number("decay", decay, 0, 1, hi_open=True)
    number("scale", scale, 0, lo_open=True)
    x = scale * rng.standard_normal((N, T, 2))
    y = np.zeros((N, T, 1))
    acc = np.zeros(N)
    for t in range(T):
        acc = decay * acc + 0.3 * x[:, t, 0] / scale
        y[:, t, 0] = acc
    return x, y
