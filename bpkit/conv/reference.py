"""The convolution and its gradients as plain loops: the maths, one position at a time.

Slow (Python loops over every output cell), and written to be read: each line
is one term of the sums in `conv2d.py`'s docstring. The tests check that the
vectorised `conv2d_forward` / `conv2d_backward` give the same numbers.
"""

from __future__ import annotations

import numpy as np

from ._shapes import as_images, as_weights, output_hw, padding_pair, window

__all__ = ["conv2d_forward_loop", "conv2d_backward_loop"]


def _setup(x, w, stride, padding, who):
    x = as_images(x, who)
    w = as_weights(w, x.dtype, who)
    if w.ndim != 4 or w.shape[1] != x.shape[1] or 0 in w.shape:
        raise ValueError(f"{who}: w has shape {w.shape}, expected "
                         f"(F, {x.shape[1]}, KH, KW), each >= 1, for x of shape {x.shape}")
    stride, padding = window("stride", stride), padding_pair(padding)
    out_hw = output_hw(x.shape, w.shape[2:], stride, padding, who)
    (ph, pw) = padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    return x, w, stride, padding, out_hw, xp


def conv2d_forward_loop(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None,
                        stride: int = 1, padding: int = 0) -> np.ndarray:
    """y[n, f, i, j] = b[f] + the dot product of filter f with the window at (i, j).

    Inputs:  x (N, C, H, W), w (F, C, KH, KW), b (F,) or None (no bias)
    Returns: y (N, F, OH, OW)
    """
    x, w, (sh, sw), _, (OH, OW), xp = _setup(x, w, stride, padding,
                                             "conv2d_forward_loop")
    F, C, KH, KW = w.shape
    if b is None:
        b = np.zeros(F, dtype=x.dtype)
    elif np.shape(b) != (F,):
        raise ValueError(f"conv2d_forward_loop: b has shape {np.shape(b)}, expected "
                         f"({F},), one per filter F")
    y = np.zeros((x.shape[0], F, OH, OW), dtype=x.dtype)
    for n in range(x.shape[0]):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    patch = xp[n, :, i * sh : i * sh + KH, j * sw : j * sw + KW]
                    y[n, f, i, j] = np.sum(patch * w[f]) + b[f]
    return y


def conv2d_backward_loop(dout: np.ndarray, x: np.ndarray, w: np.ndarray,
                         stride: int = 1, padding: int = 0
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dx, dw, db by following every output cell back to what made it.

    y[n, f, i, j] took w[f] times one window of xp, plus b[f]; so its gradient
    dout[n, f, i, j] adds dout * w[f] into that window of dxp, dout * window
    into dw[f], and dout into db[f]. A weight is used at every position: its
    gradient is the sum of all those shares.

    Inputs:  dout (N, F, OH, OW), x (N, C, H, W), w (F, C, KH, KW)
    Returns: dx (N, C, H, W), dw (F, C, KH, KW), db (F,)
    """
    x, w, (sh, sw), (ph, pw), (OH, OW), xp = _setup(x, w, stride, padding,
                                                    "conv2d_backward_loop")
    F, C, KH, KW = w.shape
    N, _, H, W = x.shape
    dout = np.asarray(dout, dtype=x.dtype)
    if dout.shape != (N, F, OH, OW):
        raise ValueError(f"conv2d_backward_loop: dout has shape {dout.shape}, "
                         f"expected {(N, F, OH, OW)}")
    dxp, dw, db = np.zeros_like(xp), np.zeros_like(w), np.zeros(F, dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    g = dout[n, f, i, j]
                    rows = slice(i * sh, i * sh + KH)
                    cols = slice(j * sw, j * sw + KW)
                    dxp[n, :, rows, cols] += g * w[f]
                    dw[f] += g * xp[n, :, rows, cols]
                    db[f] += g
    return dxp[:, :, ph : ph + H, pw : pw + W], dw, db
