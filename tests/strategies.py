"""Shared hypothesis strategies. Add yours below; keep each one documented."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

# finite floats of a size where central differences at eps=1e-6 are accurate
moderate_floats = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False, allow_infinity=False)
small_dims = st.integers(min_value=1, max_value=5)


@st.composite
def arrays(draw, shape, lo: float = -3.0, hi: float = 3.0) -> np.ndarray:
    """A float64 array of `shape` with entries in [lo, hi], from a drawn seed."""
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


# --- lesson 03: vectorised layers and losses --------------------------------
@st.composite
def linear_cases(draw, max_dim: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(x (N, D), dout (N, H), seed for the layer's rng, H) with N, D, H in 1..max_dim."""
    n, d, h = (draw(st.integers(1, max_dim)) for _ in range(3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return rng.uniform(-2, 2, (n, d)), rng.uniform(-2, 2, (n, h)), seed, h


@st.composite
def logits_and_labels(draw, max_n: int = 6, max_c: int = 6, scale: float = 3.0):
    """(logits (N, C) float64 in [-scale, scale], labels (N,) int64 in 0..C-1)."""
    n = draw(st.integers(1, max_n))
    c = draw(st.integers(1, max_c))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.uniform(-scale, scale, (n, c)), rng.integers(0, c, n)
