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


# --- lesson 09: convolutions ------------------------------------------------
@st.composite
def conv_cases(draw, max_n: int = 2, max_c: int = 3, max_f: int = 3, max_hw: int = 7):
    """(x (N, C, H, W), w (F, C, KH, KW), b (F,), stride, padding), float64.

    Kernel sizes, strides (1-3, each axis its own) and paddings (0-2) are drawn
    so that the kernel fits in the padded input; H and W may be odd or even.
    """
    n, c, f = (draw(st.integers(1, m)) for m in (max_n, max_c, max_f))
    h, w = draw(st.integers(1, max_hw)), draw(st.integers(1, max_hw))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    kh = draw(st.integers(1, min(4, h + 2 * ph)))
    kw = draw(st.integers(1, min(4, w + 2 * pw)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return (rng.standard_normal((n, c, h, w)), rng.standard_normal((f, c, kh, kw)),
            rng.standard_normal(f), stride, (ph, pw))


@st.composite
def pool_cases(draw, max_n: int = 2, max_c: int = 3, max_hw: int = 7):
    """(x (N, C, H, W) float64 without ties, kernel (KH, KW), stride (SH, SW))."""
    n, c = draw(st.integers(1, max_n)), draw(st.integers(1, max_c))
    h, w = draw(st.integers(1, max_hw)), draw(st.integers(1, max_hw))
    kernel = (draw(st.integers(1, min(3, h))), draw(st.integers(1, min(3, w))))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # distinct values spaced 1e-3 apart: no ties, and a 1e-6 nudge keeps the argmax
    x = rng.permutation(n * c * h * w).reshape(n, c, h, w) * 1e-3
    return x + rng.uniform(-1, 1), kernel, stride
