"""Toy and small real datasets. Every generator takes an `rng`; nothing is downloaded.

- Toy 2-D sets, generated from an `rng`: `make_moons`, `make_circles`,
  `make_spirals`, `make_xor`.
- One small real set, shipped inside the package: `load_digits`, the 1,797
  8x8 handwritten digits of the UCI optical digits data (CC BY 4.0; see
  bpkit/datasets/README.md).
- Helpers: `train_test_split` (optionally stratified), `one_hot`, `minibatches`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from ._validate import _shown, float_array, integer, number
from ._validate import rng as _check_rng

__all__ = [
    "make_moons",
    "make_circles",
    "make_spirals",
    "make_xor",
    "load_digits",
    "train_test_split",
    "one_hot",
    "minibatches",
    "grid",
]

_DATASETS = Path(__file__).resolve().parent / "datasets"


def _rows(name: str, v: object) -> np.ndarray:
    """`v` as an array of examples, one per row; a scalar or None is a TypeError."""
    arr = np.asarray(v)
    if arr.ndim == 0:
        raise TypeError(
            f"{name} must be an array with one example per row, got {_shown(v)}"
        )
    return arr


def _array(name: str, v: object) -> np.ndarray:
    """`v` itself if it is a numpy array (at least 1-d), else a TypeError."""
    if not isinstance(v, np.ndarray):
        raise TypeError(
            f"{name} must be a numpy array (e.g. np.asarray({name})), "
            f"got {type(v).__name__}"
        )
    if v.ndim == 0:
        raise TypeError(f"{name} must be an array with one example per row, got {v!r}")
    return v


def _check(n: int, rng: np.random.Generator, noise: float) -> int:
    """The checked `n` (as an int); `noise` must be a finite number >= 0."""
    _check_rng(rng)
    n = integer("n", n, 2)
    number("noise", noise)
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    return n


def make_moons(
    n: int, rng: np.random.Generator, noise: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles.

    Returns:
        X: (n, 2) float64 points; y: (n,) int64 labels in {0, 1}.
    """
    n = _check(n, rng, noise)
    n0 = n // 2
    t0 = np.linspace(0, np.pi, n0)
    t1 = np.linspace(0, np.pi, n - n0)
    X = np.concatenate(
        [
            np.stack([np.cos(t0), np.sin(t0)], axis=1),
            np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n - n0, np.int64)])
    X = X + noise * rng.standard_normal(X.shape)
    perm = rng.permutation(n)
    return X[perm], y[perm]


def make_circles(
    n: int, rng: np.random.Generator, noise: float = 0.05, factor: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (label 1) inside a large one (label 0).

    Returns:
        X: (n, 2); y: (n,) in {0, 1}.
    """
    n = _check(n, rng, noise)
    number("factor", factor)
    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor}")
    n0 = n // 2
    t = rng.uniform(0, 2 * np.pi, size=n)
    r = np.where(np.arange(n) < n0, 1.0, factor)
    X = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    y = (np.arange(n) >= n0).astype(np.int64)
    X = X + noise * rng.standard_normal(X.shape)
    perm = rng.permutation(n)
    return X[perm], y[perm]


def make_spirals(
    n: int, rng: np.random.Generator, classes: int = 3, noise: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """`classes` interleaved spiral arms (the CS231n toy set).

    Returns:
        X: (n, 2); y: (n,) in {0, ..., classes - 1}.
    """
    n = _check(n, rng, noise)
    classes = integer("classes", classes, 2)
    if classes > n:
        raise ValueError(
            f"classes must be at most n = {n} (a point per arm at least), got {classes}"
        )
    y = np.arange(n) % classes
    r = np.empty(n)
    t = np.empty(n)
    for k in range(classes):
        idx = np.flatnonzero(y == k)
        r[idx] = np.linspace(0.0, 1.0, idx.size)
        t[idx] = np.linspace(k * 4.0, (k + 1) * 4.0, idx.size)
    t = t + noise * rng.standard_normal(n)
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    perm = rng.permutation(n)
    return X[perm], y[perm].astype(np.int64)


def make_xor(
    n: int, rng: np.random.Generator, noise: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Four blobs at the corners of a square: label 1 where the signs differ.

    Returns:
        X: (n, 2); y: (n,) in {0, 1}.
    """
    n = _check(n, rng, noise)
    corners = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.float64)
    k = np.arange(n) % 4
    X = corners[k] + noise * rng.standard_normal((n, 2))
    y = np.array([0, 1, 1, 0], dtype=np.int64)[k]
    perm = rng.permutation(n)
    return X[perm], y[perm]


def load_digits(
    scale: bool = True, dtype: type = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits: 1,797 images of the digits 0-9, read from disk.

    Each pixel counts the "on" pixels of a 4x4 block of a 32x32 scan: an integer
    0..16. With `scale`, pixels are divided by 16 into [0, 1] (what a network
    wants); without, they come back as those integers (as `dtype`).
    `X[i].reshape(8, 8)` is the image. The data is the test set of the UCI
    optical recognition of handwritten digits data (Alpaydin & Kaynak, 1998),
    CC BY 4.0, shipped with bpkit.

    Returns:
        X: (1797, 64) pixels; y: (1797,) int64 labels in 0..9.
    """
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"dtype must be a float dtype such as np.float64, got {dtype!r}"
        ) from None
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(f"dtype must be a float dtype, got {dtype}")
    path = _DATASETS / "digits.npz"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: reinstall bpkit (the digits ship inside the package)"
        )
    with np.load(path) as f:
        X, y = f["X"], f["y"]
    X = X.astype(dtype)
    if scale:
        X /= 16
    return X, y.astype(np.int64)


def train_test_split(
    X: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    test_fraction: float = 0.25,
    stratify: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A shuffled split, the same for the same `rng` state.

    With `stratify`, every class is split on its own, so each class keeps
    (to within one example) the same share of the test set as of the data.

    Returns:
        X_train, X_test, y_train, y_test.
    """
    _check_rng(rng)
    X, y = _rows("X", X), _rows("y", y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    number("test_fraction", test_fraction)
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    n = len(X)
    if n < 2:
        raise ValueError(f"need at least 2 examples to split, got {n}")
    if stratify:
        test_parts = []
        for k in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == k))
            test_parts.append(idx[: int(round(idx.size * test_fraction))])
        test = np.sort(np.concatenate(test_parts))
        if test.size == 0 or test.size == n:
            raise ValueError(
                f"test_fraction {test_fraction} leaves an empty train or test set"
            )
        is_test = np.zeros(n, dtype=bool)
        is_test[test] = True
        test = rng.permutation(test)
        train = rng.permutation(np.flatnonzero(~is_test))
    else:
        n_test = min(n - 1, max(1, int(round(n * test_fraction))))
        perm = rng.permutation(n)
        test, train = perm[:n_test], perm[n_test:]
    return X[train], X[test], y[train], y[test]


def one_hot(y: np.ndarray, classes: int, dtype: type = np.float64) -> np.ndarray:
    """Integer labels as rows of a (N, C) matrix with a single 1 per row.

    Inputs: y (N,) integers in 0..classes-1. Returns: (N, classes).
    """
    integer("classes", classes, 0)
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer) or y.ndim != 1:
        raise ValueError(
            f"y must be a 1-D integer array, got {y.dtype} of shape {y.shape}"
        )
    if y.size and (y.min() < 0 or y.max() >= classes):
        raise ValueError(
            f"labels must be in 0..{classes - 1}, got values from {y.min()} to {y.max()}"
        )
    out = np.zeros((y.size, classes), dtype=dtype)
    out[np.arange(y.size), y] = 1
    return out


def minibatches(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    rng: np.random.Generator | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of (X_batch, y_batch) pairs, shuffled by `rng` (in order if None).

    The last batch is smaller when batch_size does not divide len(X).
    The arguments are checked at the call; the order is drawn on the first batch.
    """
    _array("X", X)
    _array("y", y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    try:
        integer("batch_size", batch_size, 1)
    except ValueError:
        raise ValueError(
            f"batch_size must be a positive integer, got {batch_size!r}"
        ) from None
    if rng is not None:
        _check_rng(rng)
    return _batches(X, y, batch_size, rng)


def _batches(
    X: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator | None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    order = np.arange(len(X)) if rng is None else rng.permutation(len(X))
    for start in range(0, len(X), int(batch_size)):
        idx = order[start : start + int(batch_size)]
        yield X[idx], y[idx]


def grid(
    X: np.ndarray, steps: int = 120, pad: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A (steps x steps) grid covering X's bounding box plus `pad`.

    Returns:
        xx, yy: (steps, steps) coordinates; points: (steps * steps, 2).
    """
    X = float_array("X", _array("X", X))
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X has shape {X.shape}, expected (N, 2)")
    if X.shape[0] == 0:
        raise ValueError(f"X is empty (shape {X.shape}): no points to cover")
    steps = integer("steps", steps, 2)
    number("pad", pad, 0)
    lo = X.min(axis=0) - pad
    hi = X.max(axis=0) + pad
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        raise ValueError(
            "X holds nan or inf: the grid needs finite bounds, got corners "
            f"{X.min(axis=0)} and {X.max(axis=0)}"
        )
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], steps),
                         np.linspace(lo[1], hi[1], steps))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])
