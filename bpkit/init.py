"""Weight initialisers. Every one takes an `rng`; weights are laid out (fan_in, fan_out).

Each initialiser is called as ``fn(shape, rng)`` (extra keyword arguments set
its scale and dtype), so any of them can be passed to `bpkit.layers.Linear`
as ``init=``, by name or as the function itself.

The scale is what matters. With fan_in inputs of unit variance, a weight of
variance v gives a pre-activation of variance fan_in * v:

- `normal`: a fixed std, blind to the layer's width (the "small random numbers"
  recipe; too small in deep nets, too large in wide ones).
- Xavier/Glorot: Var(W) = gain^2 * 2 / (fan_in + fan_out), keeping the variance
  of activations *and* of gradients roughly constant through tanh-like layers.
- He/Kaiming: Var(W) = gain^2 / fan_in with gain sqrt(2), making up for ReLU
  zeroing half of its inputs.

A uniform U(-a, a) has variance a^2 / 3, hence the sqrt(3) and sqrt(6) below.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ._validate import integer, number

__all__ = [
    "normal",
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "gain",
    "INITIALISERS",
    "get",
]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    msg = "shape must be (fan_in, fan_out) with both integers >= 1, got"
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{msg} {type(shape).__name__} {shape!r}") from None
    try:
        if len(shape) == 2:
            return integer("fan_in", shape[0], 1), integer("fan_out", shape[1], 1)
    except ValueError:
        pass
    raise ValueError(f"{msg} {shape!r}")


def _check(rng: object, dtype: object, **scales: float) -> np.dtype:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy Generator, e.g. np.random.default_rng(0); "
            f"got {type(rng).__name__}"
        )
    for name, v in scales.items():
        number(name, v, 0)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from None
    if dtype not in _FLOATS:
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


def normal(
    shape: tuple[int, int],
    rng: np.random.Generator,
    std: float = 0.01,
    dtype: type = np.float64,
) -> np.ndarray:
    """N(0, std^2) entries: the naive init whose scale ignores the layer size.

    Returns: an array of `shape`.
    """
    dtype = _check(rng, dtype, std=std)
    return (std * rng.standard_normal(_fans(shape))).astype(dtype)


def xavier_uniform(
    shape: tuple[int, int],
    rng: np.random.Generator,
    gain: float = 1.0,
    dtype: type = np.float64,
) -> np.ndarray:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    Returns: an array of `shape`, variance gain^2 * 2 / (fan_in + fan_out).
    """
    dtype = _check(rng, dtype, gain=gain)
    fan_in, fan_out = _fans(shape)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_in, fan_out)).astype(dtype)


def xavier_normal(
    shape: tuple[int, int],
    rng: np.random.Generator,
    gain: float = 1.0,
    dtype: type = np.float64,
) -> np.ndarray:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    Returns: an array of `shape`.
    """
    dtype = _check(rng, dtype, gain=gain)
    fan_in, fan_out = _fans(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return (std * rng.standard_normal((fan_in, fan_out))).astype(dtype)


def he_uniform(
    shape: tuple[int, int],
    rng: np.random.Generator,
    gain: float = math.sqrt(2.0),
    dtype: type = np.float64,
) -> np.ndarray:
    """U(-a, a) with a = gain * sqrt(3 / fan_in) (He et al., 2015; ReLU gain sqrt 2).

    Returns: an array of `shape`, variance gain^2 / fan_in.
    """
    dtype = _check(rng, dtype, gain=gain)
    fan_in, fan_out = _fans(shape)
    a = gain * math.sqrt(3.0 / fan_in)
    return rng.uniform(-a, a, size=(fan_in, fan_out)).astype(dtype)


def he_normal(
    shape: tuple[int, int],
    rng: np.random.Generator,
    gain: float = math.sqrt(2.0),
    dtype: type = np.float64,
) -> np.ndarray:
    """N(0, std^2) with std = gain / sqrt(fan_in).

    Returns: an array of `shape`.
    """
    dtype = _check(rng, dtype, gain=gain)
    fan_in, fan_out = _fans(shape)
    std = gain / math.sqrt(fan_in)
    return (std * rng.standard_normal((fan_in, fan_out))).astype(dtype)


def gain(activation: str, slope: float = 0.01) -> float:
    """The gain that keeps activations' variance steady through `activation`.

    The values PyTorch's `calculate_gain` uses: linear and sigmoid 1, tanh 5/3,
    relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2)).
    """
    if not isinstance(activation, str):
        raise TypeError(
            f"activation must be a name (str) such as 'relu', got {activation!r}"
        )
    number("slope", slope)
    gains = {
        "linear": 1.0,
        "sigmoid": 1.0,
        "tanh": 5.0 / 3.0,
        "relu": math.sqrt(2.0),
        "leaky_relu": math.sqrt(2.0 / (1.0 + slope**2)),
    }
    try:
        return gains[activation]
    except KeyError:
        raise ValueError(
            f"unknown activation {activation!r}; choose one of {sorted(gains)}"
        ) from None


INITIALISERS: dict[str, Callable[..., np.ndarray]] = {
    "normal": normal,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}


def get(name: str | Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """The initialiser called `name` (a callable is returned as it is)."""
    if callable(name):
        return name
    try:
        return INITIALISERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown init {name!r}; choose one of {sorted(INITIALISERS)}"
        ) from None
