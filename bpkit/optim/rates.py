"""Convergence rates on a quadratic: the textbook best settings, and a measured rate.

On f(w) = 1/2 w^T A w with curvatures mu (smallest) and L (largest), kappa = L / mu:

- gradient descent multiplies each eigen-coordinate by (1 - lr * lambda) per step.
  The fixed lr that makes the worst factor smallest is 2 / (L + mu): there the
  steep and the flat factor are equal and opposite, +-(kappa - 1) / (kappa + 1);
- heavy-ball momentum (``SGD`` with momentum and a constant lr) reaches
  (sqrt(kappa) - 1) / (sqrt(kappa) + 1) at lr = 4 / (sqrt(L) + sqrt(mu))^2 and
  momentum = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2 (Polyak, 1964).

`measured_rate` reads the rate off a path, so a notebook can check both.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validate import float_array, number


def _curvatures(L: float, mu: float) -> tuple[float, float]:
    L = number("curvature L", L, 0.0, lo_open=True)
    mu = number("curvature mu", mu, 0.0, L, lo_open=True)
    return L, mu


def gd_best_step(L: float, mu: float) -> tuple[float, float]:
    """Gradient descent's best fixed lr on a quadratic, and its per-step factor.

    Inputs:  L >= mu > 0, the largest and smallest curvature.
    Returns: (2 / (L + mu), (L - mu) / (L + mu)); the factor is (kappa-1)/(kappa+1).
    """
    L, mu = _curvatures(L, mu)
    return 2.0 / (L + mu), (L - mu) / (L + mu)


def heavy_ball_best(L: float, mu: float) -> tuple[float, float, float]:
    """Heavy-ball momentum's best (lr, momentum) on a quadratic, and its factor.

    Inputs:  L >= mu > 0, the largest and smallest curvature.
    Returns: (4 / (sqrt L + sqrt mu)^2, rate^2, rate) with
             rate = (sqrt kappa - 1) / (sqrt kappa + 1).
    """
    L, mu = _curvatures(L, mu)
    rate = (math.sqrt(L) - math.sqrt(mu)) / (math.sqrt(L) + math.sqrt(mu))
    return 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2, rate**2, rate


def measured_rate(points: Any, minimum: Any = 0.0) -> float:
    """The per-step factor by which a path's distance to `minimum` shrinks.

    Measured over the path's second half, (d_k / d_{k/2})^(1 / (k - k/2)), so
    the first steps' transient does not count. Above 1 means the path grows.

    Inputs:  points (k + 1, D), k >= 2; minimum (D,) or a scalar.
    Returns: a float.
    """
    pts = float_array("points", points, ndim=2)
    if len(pts) < 3:
        raise ValueError(f"points has {len(pts)} rows, expected at least 3 "
                         "(a start and two steps)")
    d = np.linalg.norm(pts - float_array("minimum", minimum), axis=1)
    k, h = len(d) - 1, (len(d) - 1) // 2
    if not (np.isfinite(d[k]) and d[h] > 0):
        raise ValueError(f"the distance to the minimum is {d[h]:g} at step {h} and "
                         f"{d[k]:g} at step {k}: no rate can be read off")
    return float((d[k] / d[h]) ** (1.0 / (k - h)))
