"""Max and average pooling: how each routes the gradient back.

Both slide a KH x KW window with a stride (by default the window's size, so
windows do not overlap; no padding; a last partial window is dropped, as in
PyTorch) and reduce it to one number per channel.

- Max pooling keeps the largest entry. Its gradient goes to that entry only
  (the argmax): the other entries did not change the output. On a tie the
  first maximum (in row-major order) takes it all, as in PyTorch.
- Average pooling takes the mean, so every entry of the window gets an equal
  share dout / (KH * KW).

Where windows overlap (stride < kernel), an entry collects the shares of
every window it is in.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..layers import Layer
from ._shapes import as_images, check_dout, output_hw, window

__all__ = ["maxpool_forward", "maxpool_backward", "avgpool_forward",
           "avgpool_backward", "PoolCache", "MaxPool2d", "AvgPool2d"]


class PoolCache(NamedTuple):
    """What a pooling backward needs: shapes, and for max pooling the argmax."""

    x_shape: tuple[int, int, int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    argmax: np.ndarray | None  # (N, C, OH, OW): index in the window, row-major
    dtype: np.dtype


def _setup(x, kernel_size, stride, who):
    x = as_images(x, who)
    kernel = window("kernel_size", kernel_size)
    stride = kernel if stride is None else window("stride", stride)
    out_hw = output_hw(x.shape, kernel, stride, (0, 0), who)
    return x, kernel, stride, out_hw


def _cells(x: np.ndarray, kernel, stride, out_hw):
    """For each kernel cell (a, e), in row-major order, the entries it covers in
    every window: a strided view (N, C, OH, OW). KH * KW of them, no copy."""
    (KH, KW), (sh, sw), (OH, OW) = kernel, stride, out_hw
    return [x[:, :, a : a + sh * (OH - 1) + 1 : sh, e : e + sw * (OW - 1) + 1 : sw]
            for a in range(KH) for e in range(KW)]


def maxpool_forward(x: np.ndarray, kernel_size: int | tuple[int, int] = 2,
                    stride: int | tuple[int, int] | None = None
                    ) -> tuple[np.ndarray, PoolCache]:
    """The largest entry of every window.

    Inputs:  x (N, C, H, W)
    Returns: y (N, C, OH, OW), and the cache (with the argmax) for backward
    """
    x, kernel, stride, out_hw = _setup(x, kernel_size, stride, "maxpool")
    cells = _cells(x, kernel, stride, out_hw)
    y = cells[0].copy()
    argmax = np.zeros(y.shape, dtype=np.intp)
    for k, cell in enumerate(cells[1:], start=1):
        # strictly larger: the first maximum keeps a tie; a NaN wins, as in np.argmax
        better = (cell > y) | (np.isnan(cell) & ~np.isnan(y))
        np.copyto(y, cell, where=better)
        np.copyto(argmax, k, where=better)
    return y, PoolCache(x.shape, kernel, stride, argmax, x.dtype)


def _check_cache(cache, want_max: bool, who: str) -> None:
    """The cache must come from the matching forward: max pooling keeps an argmax."""
    mine, other = ("maxpool_forward", "avgpool_forward") if want_max else (
        "avgpool_forward", "maxpool_forward")
    if not isinstance(cache, PoolCache):
        raise TypeError(f"{who}: cache must be the PoolCache {mine} returned, "
                        f"got {type(cache).__name__}")
    if (cache.argmax is not None) != want_max:
        raise ValueError(f"{who}: this cache came from {other}; pass the cache "
                         f"{mine} returned")


def maxpool_backward(dout: np.ndarray, cache: PoolCache) -> np.ndarray:
    """Route each dout cell to the argmax of its window; every other entry gets 0.

    Inputs:  dout (N, C, OH, OW)
    Returns: dx (N, C, H, W)
    """
    _check_cache(cache, True, "maxpool_backward")
    dout = check_dout(dout, cache.argmax.shape, cache.dtype, "maxpool_backward")
    dx = np.zeros(cache.x_shape, dtype=dout.dtype)
    for k, cell in enumerate(_cells(dx, cache.kernel, cache.stride, dout.shape[2:])):
        cell += np.where(cache.argmax == k, dout, 0)  # a view: adds into dx
    return dx


def avgpool_forward(x: np.ndarray, kernel_size: int | tuple[int, int] = 2,
                    stride: int | tuple[int, int] | None = None
                    ) -> tuple[np.ndarray, PoolCache]:
    """The mean of every window.

    Inputs:  x (N, C, H, W)
    Returns: y (N, C, OH, OW), and the cache for backward
    """
    x, kernel, stride, out_hw = _setup(x, kernel_size, stride, "avgpool")
    cells = _cells(x, kernel, stride, out_hw)
    y = cells[0].copy()
    for cell in cells[1:]:
        y += cell
    y /= len(cells)
    return y, PoolCache(x.shape, kernel, stride, None, x.dtype)


def avgpool_backward(dout: np.ndarray, cache: PoolCache) -> np.ndarray:
    """Spread each dout cell evenly over its window: dout / (KH * KW) to every entry.

    Inputs:  dout (N, C, OH, OW)
    Returns: dx (N, C, H, W)
    """
    _check_cache(cache, False, "avgpool_backward")
    (KH, KW) = cache.kernel
    OH, OW = output_hw(cache.x_shape, cache.kernel, cache.stride, (0, 0),
                       "avgpool_backward")
    N, C = cache.x_shape[:2]
    dout = check_dout(dout, (N, C, OH, OW), cache.dtype, "avgpool_backward")
    share = dout / (KH * KW)
    dx = np.zeros(cache.x_shape, dtype=dout.dtype)
    for cell in _cells(dx, cache.kernel, cache.stride, (OH, OW)):
        cell += share
    return dx


class _Pool(Layer):
    """A pooling layer: subclasses name their forward and backward functions."""

    _forward = _backward = None

    def __init__(self, kernel_size: int | tuple[int, int] = 2,
                 stride: int | tuple[int, int] | None = None) -> None:
        self.kernel_size = window("kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else window("stride", stride)

    def forward(self, x: np.ndarray) -> np.ndarray:
        y, cache = self._forward(x, self.kernel_size, self.stride)
        self._save(cache)
        return y

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self._backward(dout, self._load())

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(kernel_size={self.kernel_size}, "
                f"stride={self.stride})")


class MaxPool2d(_Pool):
    """Max pooling: (N, C, H, W) -> (N, C, OH, OW); backward routes to the argmax."""

    _forward = staticmethod(maxpool_forward)
    _backward = staticmethod(maxpool_backward)


class AvgPool2d(_Pool):
    """Average pooling: (N, C, H, W) -> (N, C, OH, OW); backward spreads evenly."""

    _forward = staticmethod(avgpool_forward)
    _backward = staticmethod(avgpool_backward)
