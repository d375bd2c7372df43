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
