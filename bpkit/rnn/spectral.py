"""Spectral radius of the recurrent weights, and the Jacobian of one RNN step."""

from __future__ import annotations

import numpy as np

from .._validate import float_array, number
from ._checks import _act_backward, _check_activation

__all__ = ["spectral_radius", "with_spectral_radius", "step_jacobian"]


def _square(W) -> np.ndarray:
    """W as a square, finite, non-empty matrix (complex allowed, dtype kept)."""
    if not np.iscomplexobj(W):
        float_array("W", W)  # refuses strings, objects, ragged lists
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W has shape {W.shape}, expected a square (H, H) matrix")
    if W.size == 0:
        raise ValueError(f"W has shape {W.shape}, expected H >= 1: it is empty")
    bad = W.size - np.count_nonzero(np.isfinite(W))  # an (H, H) scan: O(H^2) < eig
    if bad:
        raise ValueError(f"W must be finite, got {bad} NaN or inf entries")
    return W


def spectral_radius(W: np.ndarray) -> float:
    """The largest |eigenvalue| of a square matrix."""
    W = _square(W)
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def with_spectral_radius(W: np.ndarray, radius: float) -> np.ndarray:
    """W rescaled so that its spectral radius is `radius` (a new array).

    An integer W comes back as float64 (rescaling it to integers would round).
    """
    number("radius", radius, 0)
    W = _square(W)
    if W.dtype.kind in "iub":
        W = W.astype(np.float64)
    rho = spectral_radius(W)
    if rho == 0:
        raise ValueError("W has spectral radius 0 (nilpotent): it cannot be rescaled")
    return (W * (radius / rho)).astype(W.dtype)


def step_jacobian(
    h_t: np.ndarray, Wh: np.ndarray, activation: str = "tanh"
) -> np.ndarray:
    """The Jacobian dh_t/dh_{t-1} of one RNN step, for one example.

    Inputs: h_t (H,) the step's output; Wh (H, H).
    Returns: J (H, H) with J[i, j] = dh_t[i] / dh_{t-1}[j] = f'(a_t)[i] Wh[j, i],
    that is diag(f'(a_t)) @ Wh.T. (With column vectors, h = f(Wh' h + ...), it is
    the diag(1 - h**2) Wh of the textbooks.) Backprop multiplies by it from the
    left: dL/dh_{t-1} = dL/dh_t @ J.
    """
    _check_activation(activation)
    h_t, Wh = float_array("h_t", h_t), float_array("Wh", Wh)
    if h_t.ndim != 1 or Wh.shape != (h_t.shape[0], h_t.shape[0]):
        raise ValueError(
            f"step_jacobian: h_t has shape {h_t.shape} and Wh {Wh.shape}, "
            "expected (H,) and (H, H)"
        )
    if not np.all(np.isfinite(h_t)):  # (H,): one example's state, cheap
        raise ValueError(f"h_t must be finite, got {h_t}")
    d = np.ones_like(h_t)
    _act_backward(np.ones_like(h_t), h_t, activation, out=d)
    return d[:, None] * Wh.T
