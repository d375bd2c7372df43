"""Spectral radius of the recurrent weights, and the Jacobian of one RNN step."""

from __future__ import annotations

import numpy as np

from ._checks import _act_backward, _check_activation

__all__ = ["spectral_radius", "with_spectral_radius", "step_jacobian"]


def spectral_radius(W: np.ndarray) -> float:
    """The largest |eigenvalue| of a square matrix."""
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W has shape {W.shape}, expected a square (H, H) matrix")
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def with_spectral_radius(W: np.ndarray, radius: float) -> np.ndarray:
    """W rescaled so that its spectral radius is `radius` (a new array)."""
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
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
    h_t = np.asarray(h_t)
    if h_t.ndim != 1 or Wh.shape != (h_t.shape[0], h_t.shape[0]):
        raise ValueError(
            f"step_jacobian: h_t has shape {h_t.shape} and Wh {Wh.shape}, "
            "expected (H,) and (H, H)"
        )
    d = np.ones_like(h_t)
    _act_backward(np.ones_like(h_t), h_t, activation, out=d)
    return d[:, None] * Wh.T
