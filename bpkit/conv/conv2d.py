"""The 2-d convolution, vectorised with im2col: the version the course runs.

A convolution slides a small kernel over the image and takes a dot product at
every position (deep learning's "convolution" is a cross-correlation: the
kernel is not flipped). With x (N, C, H, W), weights w (F, C, KH, KW), bias
b (F,), stride s and zero padding p:

    y[n, f, i, j] = b[f] + sum_{c, a, e} w[f, c, a, e] * xp[n, c, i*s + a, j*s + e]

where xp is x padded with p zeros on every side; y is (N, F, OH, OW) with
OH = (H + 2p - KH) // s + 1 (and the same for OW).

im2col copies every window into a row of a matrix `cols` (N*OH*OW, C*KH*KW);
the convolution is then one matrix product, and so are two of its gradients:

    y  = cols @ w_flat.T + b        (N*OH*OW, C*KH*KW) @ (C*KH*KW, F)
    dw = dy_flat.T @ cols           (F, N*OH*OW) @ (N*OH*OW, C*KH*KW)
    db = dy_flat.sum(0)             b was added at every position
    dcols = dy_flat @ w_flat        then col2im adds each row back into its window

`reference.py` has the same maths as plain loops (slow, to read), and
`as_convolutions.py` computes dx and dw as convolutions themselves.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from .. import init as _init
from .._validate import positive_integer
from ..layers import Layer, Parameter, _float_dtype
from ._shapes import as_images, as_weights, check_dout, output_hw, padding_pair, window

__all__ = ["conv2d_forward", "conv2d_backward", "ConvCache", "Conv2d", "im2col",
           "col2im"]


class ConvCache(NamedTuple):
    """What the forward keeps for backward: the windows matrix and the weights."""

    x_shape: tuple[int, int, int, int]  # (N, C, H, W)
    cols: np.ndarray  # (N*OH*OW, C*KH*KW)
    w: np.ndarray  # (F, C, KH, KW)
    stride: tuple[int, int]
    padding: tuple[int, int]


def _check_weights(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, who: str
                   ) -> None:
    if w.ndim == 4 and 0 in w.shape:
        raise ValueError(f"{who}: w has shape {w.shape}, expected (F, C, KH, KW) "
                         "with every axis >= 1 (at least one filter of one cell)")
    if w.ndim != 4:
        raise ValueError(f"{who}: w has shape {w.shape}, expected (F, C, KH, KW): "
                         "F filters of C channels and KH x KW cells")
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"{who}: x has C = {x.shape[1]} channels (shape {x.shape}) "
                         f"but w has shape {w.shape}, expected ({w.shape[0]}, "
                         f"{x.shape[1]}, KH, KW)")
    if b is not None and np.shape(b) != (w.shape[0],):
        raise ValueError(f"{who}: b has shape {np.shape(b)}, expected "
                         f"({w.shape[0]},), one per filter F")


def _pad(x: np.ndarray, ph: int, pw: int) -> np.ndarray:
    """x (N, C, H, W) with ph rows and pw columns of zeros on each side (np.pad, faster)."""
    if not (ph or pw):
        return x
    N, C, H, W = x.shape
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=x.dtype)
    xp[:, :, ph : ph + H, pw : pw + W] = x
    return xp


def im2col(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
           out_hw: tuple[int, int]) -> np.ndarray:
    """Every window of the padded xp as a row: (N*OH*OW, C*KH*KW), columns (c, a, e).

    Built from KH * KW strided slices of xp (one per kernel cell): KH * KW
    long copies rather than one copy of a 6-d window view with short rows.
    """
    N, C = xp.shape[:2]
    (KH, KW), (sh, sw), (OH, OW) = kernel, stride, out_hw
    cols = np.empty((N, OH, OW, C, KH, KW), dtype=xp.dtype)
    for a in range(KH):
        for e in range(KW):
            cols[:, :, :, :, a, e] = xp[:, :, a : a + sh * (OH - 1) + 1 : sh,
                                        e : e + sw * (OW - 1) + 1 : sw].transpose(0, 2, 3, 1)
    return cols.reshape(N * OH * OW, C * KH * KW)


def col2im(dwin: np.ndarray, padded_hw: tuple[int, int], stride: tuple[int, int]
           ) -> np.ndarray:
    """Add each window's gradient back where the window sat (the reverse of `im2col`).

    Inputs:  dwin (N, C, OH, OW, KH, KW), the gradient of every window
    Returns: (N, C, Hp, Wp), where overlapping windows' gradients add up
    """
    N, C, OH, OW, KH, KW = dwin.shape
    (sh, sw) = stride
    dx = np.zeros((N, C) + tuple(padded_hw), dtype=dwin.dtype)
    for a in range(KH):  # one strided slice per kernel cell: KH * KW adds
        for e in range(KW):
            dx[:, :, a : a + sh * (OH - 1) + 1 : sh,
               e : e + sw * (OW - 1) + 1 : sw] += dwin[:, :, :, :, a, e]
    return dx


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None,
                   stride: int | tuple[int, int] = 1,
                   padding: int | tuple[int, int] = 0
                   ) -> tuple[np.ndarray, ConvCache]:
    """y = conv2d(x, w) + b, by im2col and one matrix product.

    Inputs:  x (N, C, H, W), w (F, C, KH, KW), b (F,) or None
    Returns: y (N, F, OH, OW), and the cache for `conv2d_backward`
    """
    x = as_images(x, "conv2d")
    w = as_weights(w, x.dtype, "conv2d")
    _check_weights(x, w, b, "conv2d")
    stride, padding = window("stride", stride), padding_pair(padding)
    F, C, KH, KW = w.shape
    N = x.shape[0]
    OH, OW = output_hw(x.shape, (KH, KW), stride, padding, "conv2d")
    (ph, pw) = padding
    xp = _pad(x, ph, pw)
    cols = im2col(xp, (KH, KW), stride, (OH, OW))  # (N*OH*OW, C*KH*KW)
    y = cols @ w.reshape(F, -1).T  # (N*OH*OW, F)
    if b is not None:
        y += b
    y = np.ascontiguousarray(y.reshape(N, OH, OW, F).transpose(0, 3, 1, 2))
    return y, ConvCache(x.shape, cols, w, stride, padding)


def conv2d_backward(dout: np.ndarray, cache: ConvCache, input_grad: bool = True
                    ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """The three gradients of `conv2d_forward`.

    Inputs:  dout (N, F, OH, OW), dL/dy; the forward's cache
    Returns: dx (N, C, H, W) (None if not `input_grad`), dw (F, C, KH, KW), db (F,)
    """
    (N, C, H, W), cols, w = cache.x_shape, cache.cols, cache.w
    F, _, KH, KW = w.shape
    OH, OW = output_hw(cache.x_shape, (KH, KW), cache.stride, cache.padding,
                       "conv2d_backward")
    dout = check_dout(dout, (N, F, OH, OW), cols.dtype, "conv2d_backward")
    dflat = dout.transpose(0, 2, 3, 1).reshape(-1, F)  # (N*OH*OW, F)
    dw = (dflat.T @ cols).reshape(w.shape)  # every position adds its share
    db = dflat.sum(axis=0)
    if not input_grad:
        return None, dw, db
    dcols = dflat @ w.reshape(F, -1)  # (N*OH*OW, C*KH*KW)
    dwin = dcols.reshape(N, OH, OW, C, KH, KW).transpose(0, 3, 1, 2, 4, 5)
    (ph, pw) = cache.padding
    dxp = col2im(dwin, (H + 2 * ph, W + 2 * pw), cache.stride)
    return dxp[:, :, ph : ph + H, pw : pw + W], dw, db


class Conv2d(Layer):
    """A convolution layer: F filters of C channels, each KH x KW, with a bias each.

    Inputs:  x (N, C, H, W)
    Returns: y (N, F, OH, OW), OH = (H + 2 * padding - KH) // stride + 1
    Weights w (F, C, KH, KW) come from `init` with fan_in = C * KH * KW
    (default He-uniform); b (F,) starts at 0.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        rng: np.random.Generator,
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        init: str | Callable[..., np.ndarray] = "he_uniform",
        dtype: type = np.float64,
        bias: bool = True,
    ) -> None:
        C = positive_integer("in_channels", in_channels)
        F = positive_integer("out_channels", out_channels)
        KH, KW = window("kernel_size", kernel_size)
        self.stride, self.padding = window("stride", stride), padding_pair(padding)
        self.dtype = _float_dtype(dtype)
        fan_in = C * KH * KW
        w = np.asarray(_init.get(init)((fan_in, F), rng))  # (fan_in, fan_out)
        self.W = Parameter(w.T.reshape(F, C, KH, KW).astype(self.dtype), "W")
        self.b = Parameter(np.zeros(F, dtype=self.dtype), "b") if bias else None
        self.in_channels, self.out_channels, self.kernel_size = C, F, (KH, KW)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_images(x, "Conv2d", self.in_channels)
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        b = None if self.b is None else self.b.data
        y, cache = conv2d_forward(x, self.W.data, b, self.stride, self.padding)
        self._save(cache)
        return y

    def backward(self, dout: np.ndarray, input_grad: bool = True
                 ) -> np.ndarray | None:
        """Add dL/dW and dL/db into the grads; return dL/dx (None if not `input_grad`)."""
        dx, dw, db = conv2d_backward(dout, self._load(), input_grad)
        self.W.grad += dw
        if self.b is not None:
            self.b.grad += db
        return dx

    def parameters(self) -> list[Parameter]:
        return [self.W] if self.b is None else [self.W, self.b]

    def __repr__(self) -> str:
        KH, KW = self.kernel_size
        extra = "" if self.b is not None else ", bias=False"
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size="
                f"({KH}, {KW}), stride={self.stride}, padding={self.padding}{extra})")
