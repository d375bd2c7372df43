"""Toy and small real datasets. Every generator takes an `rng`; nothing is downloaded."""

from __future__ import annotations

import numpy as np

__all__ = [
    "make_moons",
    "make_circles",
    "make_spirals",
    "make_xor",
    "train_test_split",
]


def _check(n: int, rng: np.random.Generator, noise: float) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy Generator, e.g. np.random.default_rng(0); "
            f"got {type(rng).__name__}"
        )
    if int(n) != n or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")


def make_moons(
    n: int, rng: np.random.Generator, noise: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles.

    Returns:
        X: (n, 2) float64 points; y: (n,) int64 labels in {0, 1}.
    """
    _check(n, rng, noise)
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
    _check(n, rng, noise)
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
    _check(n, rng, noise)
    if int(classes) != classes or classes < 2:
        raise ValueError(f"classes must be an integer >= 2, got {classes!r}")
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
    _check(n, rng, noise)
    corners = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.float64)
    k = np.arange(n) % 4
    X = corners[k] + noise * rng.standard_normal((n, 2))
    y = np.array([0, 1, 1, 0], dtype=np.int64)[k]
    perm = rng.permutation(n)
    return X[perm], y[perm]


def train_test_split(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator, test_fraction: float = 0.25
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A shuffled split, the same for the same `rng` state.

    Returns:
        X_train, X_test, y_train, y_test.
    """
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    n = len(X)
    n_test = max(1, int(round(n * test_fraction)))
    perm = rng.permutation(n)
    test, train = perm[:n_test], perm[n_test:]
    return X[train], X[test], y[train], y[test]
