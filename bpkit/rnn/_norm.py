"""The Euclidean norm of a gradient that stays finite while its entries are finite."""

from __future__ import annotations

import math

import numpy as np


def grad_norm(g: np.ndarray) -> float:
    """||g||, without the overflow of squaring entries above ~1.3e154.

    The fast sqrt(g . g) is used whenever it is finite; only a gradient so large
    that its squares overflow is rescaled by its largest entry first.
    """
    s = float(np.vdot(g, g))
    if math.isfinite(s):
        return math.sqrt(s)
    m = float(np.max(np.abs(g)))
    if not math.isfinite(m) or m == 0:
        return m if m == m else float("nan")
    r = g / m
    return m * math.sqrt(float(np.vdot(r, r)))
