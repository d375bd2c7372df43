"""The backward of a convolution is a convolution: dx and dw computed by `conv2d_forward`.

For stride 1 and no padding, y = x * w (cross-correlation) gives

    dx = dy correlated with w flipped in both spatial axes, over dy padded by
         K - 1 zeros on every side: a "full" convolution of dy with w;
         the filter and channel axes swap (dx has C channels, dy has F);
    dw = x correlated with dy: dy plays the kernel, x the image, summed over N;
    db = dy summed over N, OH and OW.

A stride s spreads dy out first (s - 1 zeros between its cells: the positions
the kernel skipped); padding p is cut off dx at the end. These functions do
exactly that with `conv2d_forward`, and the tests check them against
`conv2d_backward`.
"""

from __future__ import annotations

import numpy as np

from ._shapes import as_images, as_weights, output_hw, padding_pair, window
from .conv2d import conv2d_forward

__all__ = ["dilate", "input_grad_by_full_convolution",
           "weight_grad_by_correlation", "flip"]


def _four_d(a, name: str, want: str, who: str) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 4:
        raise ValueError(f"{who}: {name} has shape {a.shape}, expected {want}")
    return a


def flip(w: np.ndarray) -> np.ndarray:
    """w (F, C, KH, KW) turned by 180 degrees, filters and channels swapped: (C, F, KH, KW)."""
    w = _four_d(w, "w", "(F, C, KH, KW)", "flip")
    return np.ascontiguousarray(w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])


def dilate(dy: np.ndarray, stride: int | tuple[int, int]) -> np.ndarray:
    """dy (N, F, OH, OW) with s - 1 zeros between cells: (N, F, s(OH-1)+1, s(OW-1)+1)."""
    sh, sw = window("stride", stride)
    dy = _four_d(dy, "dy", "(N, F, OH, OW)", "dilate")
    N, F, OH, OW = dy.shape
    out = np.zeros((N, F, sh * (OH - 1) + 1, sw * (OW - 1) + 1), dtype=dy.dtype)
    out[:, :, ::sh, ::sw] = dy
    return out


def _check_dy(dy: np.ndarray, want: tuple[int, int, int, int], who: str) -> None:
    """dy must be the forward output's shape (N, F, OH, OW): no silent padding or cut."""
    if dy.shape != want:
        raise ValueError(f"{who}: dy has shape {dy.shape}, expected {want}, the shape "
                         "of the forward output (N, F, OH, OW) for this x, kernel, "
                         "stride and padding")


def input_grad_by_full_convolution(
    dy: np.ndarray, w: np.ndarray, x_shape: tuple[int, int, int, int],
    stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """dL/dx as a full convolution of (dilated) dy with the flipped kernel.

    Inputs:  dy (N, F, OH, OW), w (F, C, KH, KW), x_shape (N, C, H, W)
    Returns: dx (N, C, H, W)
    """
    who = "input_grad_by_full_convolution"
    dy = as_images(dy, who)
    w = as_weights(w, dy.dtype, who)
    w = _four_d(w, "w", "(F, C, KH, KW)", who)
    x_shape = tuple(np.ravel(x_shape).tolist()) if np.ndim(x_shape) == 1 else (x_shape,)
    if len(x_shape) != 4 or not all(isinstance(v, int) and v >= 1 for v in x_shape):
        raise ValueError(f"{who}: x_shape is {x_shape}, expected (N, C, H, W), each >= 1")
    F, C, KH, KW = w.shape
    N, Cx, H, W = x_shape
    if Cx != C:
        raise ValueError(f"{who}: x_shape {x_shape} has C = {Cx} channels but w has "
                         f"shape {w.shape}, expected ({F}, {Cx}, KH, KW)")
    stride, padding = window("stride", stride), padding_pair(padding)
    OH, OW = output_hw(x_shape, (KH, KW), stride, padding, who)
    _check_dy(dy, (N, F, OH, OW), who)
    (ph, pw) = padding
    d = dilate(dy, stride)
    full = np.pad(d, ((0, 0), (0, 0), (KH - 1, KH - 1), (KW - 1, KW - 1)))
    dxp, _ = conv2d_forward(full, flip(w))  # (N, C, s(OH-1) + KH, s(OW-1) + KW)
    # rows and columns the last window never reached (the floor in OH) get 0
    Hp, Wp = H + 2 * ph, W + 2 * pw
    dxp = np.pad(dxp, ((0, 0), (0, 0), (0, Hp - dxp.shape[2]), (0, Wp - dxp.shape[3])))
    return dxp[:, :, ph : ph + H, pw : pw + W]


def weight_grad_by_correlation(
    x: np.ndarray, dy: np.ndarray, kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
) -> np.ndarray:
    """dL/dw as the correlation of the (padded) input with the (dilated) dy.

    Inputs:  x (N, C, H, W), dy (N, F, OH, OW)
    Returns: dw (F, C, KH, KW)
    """
    who = "weight_grad_by_correlation"
    x = as_images(x, who)
    KH, KW = window("kernel_size", kernel_size)
    stride, padding = window("stride", stride), padding_pair(padding)
    OH, OW = output_hw(x.shape, (KH, KW), stride, padding, who)
    dy = np.asarray(dy)
    if dy.ndim != 4:
        raise ValueError(f"{who}: dy has shape {dy.shape}, expected (N, F, OH, OW)")
    _check_dy(dy, (x.shape[0], dy.shape[1], OH, OW), who)
    dy = as_images(dy, who)
    (ph, pw) = padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    d = dilate(dy, stride)
    # the batch axis becomes the channel axis of the sum: x as (C, N, ...) images,
    # dy as (F, N, ...) kernels; the result is (C, F, ...), cut to the kernel's size
    g, _ = conv2d_forward(xp.transpose(1, 0, 2, 3), d.transpose(1, 0, 2, 3))
    return np.ascontiguousarray(g[:, :, :KH, :KW].transpose(1, 0, 2, 3))
