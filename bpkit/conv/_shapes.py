"""Shape checks shared by the convolution and pooling code: errors name N, C, H, W."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import integer

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def as_images(x: Any, who: str, channels: int | None = None) -> np.ndarray:
    """x as a float (N, C, H, W) array, or a ValueError that names the four axes."""
    if not isinstance(x, np.ndarray):
        x = np.asarray(x)
    if x.dtype.kind in "iub":
        x = x.astype(np.float64)
    elif x.dtype not in _FLOATS:
        raise TypeError(f"{who}: x must be a float array, got dtype {x.dtype}")
    want = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
    if x.ndim != 4:
        extra = ""
        if x.ndim == 3:
            extra = " (one image still needs a batch axis: x[None])"
        elif x.ndim == 2:
            extra = (" (a batch of flat rows? reshape to (N, C, H, W), e.g. "
                     "x.reshape(-1, 1, 8, 8) for the 8x8 digits)")
        raise ValueError(f"{who}: x has shape {x.shape}, expected {want}: "
                         f"N images, C channels, H rows, W columns{extra}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{who}: x has shape {x.shape}, expected {want}: "
                         f"C = {x.shape[1]} channels, the layer takes {channels}")
    return x


def as_weights(w, dtype: np.dtype, who: str) -> np.ndarray:
    """w as a real array of x's dtype; complex or non-numeric weights refused."""
    w = np.asarray(w)
    if w.dtype.kind not in "iubf":
        raise TypeError(f"{who}: w must be a real float array, got dtype {w.dtype}")
    return w.astype(dtype, copy=False)


def window(name: str, value: Any) -> tuple[int, int]:
    """A kernel size or stride: an int k (meaning (k, k)) or a pair, each >= 1."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (rows, columns), "
                             f"got {value!r}")
        return integer(f"{name}[0]", value[0], 1), integer(f"{name}[1]", value[1], 1)
    k = integer(name, value, 1)
    return k, k


def padding_pair(value: Any) -> tuple[int, int]:
    """Zero padding: an int p (meaning (p, p)) or a pair, each >= 0."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"padding must be an int or a pair (rows, columns), "
                             f"got {value!r}")
        return integer("padding[0]", value[0], 0), integer("padding[1]", value[1], 0)
    p = integer("padding", value, 0)
    return p, p


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """How many positions a kernel takes along one axis: (size + 2p - k) // s + 1.

    Raises a ValueError if the kernel does not fit in the padded input.
    """
    size, kernel = integer("size", size, 1), integer("kernel", kernel, 1)
    stride, padding = integer("stride", stride, 1), integer("padding", padding, 0)
    if kernel > size + 2 * padding:
        raise ValueError(f"a kernel of {kernel} does not fit in {size} + 2 * "
                         f"{padding} padding = {size + 2 * padding} cells")
    return (size + 2 * padding - kernel) // stride + 1


def output_hw(x_shape: tuple[int, ...], kernel: tuple[int, int],
              stride: tuple[int, int], padding: tuple[int, int], who: str
              ) -> tuple[int, int]:
    """(OH, OW) of a window sliding over x (N, C, H, W), with an error naming H or W."""
    H, W = x_shape[2], x_shape[3]
    out = []
    for axis, size, k, s, p in (("H", H, kernel[0], stride[0], padding[0]),
                                ("W", W, kernel[1], stride[1], padding[1])):
        if k > size + 2 * p:
            raise ValueError(
                f"{who}: x has shape {tuple(x_shape)}, and its {axis} = {size} "
                f"(+ 2 * padding {p}) is smaller than the kernel's {k}")
        out.append((size + 2 * p - k) // s + 1)
    return out[0], out[1]


def check_dout(dout: Any, shape: tuple[int, ...], dtype: np.dtype, who: str
               ) -> np.ndarray:
    """dout as an array of the forward output's shape (N, F, OH, OW), cast to dtype."""
    if not isinstance(dout, np.ndarray):
        dout = np.asarray(dout)
    if dout.dtype.kind not in "iubf":
        raise TypeError(f"{who}: dout must be a float array, got dtype {dout.dtype}")
    if dout.shape != tuple(shape):
        raise ValueError(f"{who}: dout has shape {dout.shape}, expected "
                         f"{tuple(shape)}, the shape of the forward output "
                         "(N, C, OH, OW)")
    return dout if dout.dtype == dtype else dout.astype(dtype)
