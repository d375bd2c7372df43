"""Weight initialisers. Every one takes an `rng`; weights are laid out (fan_in, fan_out)."""

from __future__ import annotations

import numpy as np

__all__ = [
    "normal",
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "INITIALISERS",
    "get",
]


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"shape must be (fan_in, fan_out) with both >= 1, got {shape}")
    return shape[0], shape[1]


def _check_rng(rng: object) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy Generator, e.g. np.random.default_rng(0); "
            f"got {type(rng).__name__}"
        )


def normal(
    shape: tuple[int, int], rng: np.random.Generator, std: float = 0.01, dtype=np.float64
) -> np.ndarray:
    """N(0, std^2) entries: the "naive" init whose scale ignores the layer size."""
    _check_rng(rng)
    _fans(shape)
    if std < 0:
        raise ValueError(f"std must be >= 0, got {std}")
    return (std * rng.standard_normal(shape)).astype(dtype)


def xavier_uniform(
    shape: tuple[int, int], rng: np.random.Generator, gain: float = 1.0, dtype=np.float64
) -> np.ndarray:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    _check_rng(rng)
    fan_in, fan_out = _fans(shape)
    a = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape).astype(dtype)


def xavier_normal(
    shape: tuple[int, int], rng: np.random.Generator, gain: float = 1.0, dtype=np.float64
) -> np.ndarray:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _check_rng(rng)
    fan_in, fan_out = _fans(shape)
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    return (std * rng.standard_normal(shape)).astype(dtype)


def he_uniform(
    shape: tuple[int, int], rng: np.random.Generator, gain: float = np.sqrt(2.0), dtype=np.float64
) -> np.ndarray:
    """U(-a, a) with a = gain * sqrt(3 / fan_in) (He et al., 2015; ReLU gain sqrt 2)."""
    _check_rng(rng)
    fan_in, _ = _fans(shape)
    a = gain * np.sqrt(3.0 / fan_in)
    return rng.uniform(-a, a, size=shape).astype(dtype)


def he_normal(
    shape: tuple[int, int], rng: np.random.Generator, gain: float = np.sqrt(2.0), dtype=np.float64
) -> np.ndarray:
    """N(0, std^2) with std = gain / sqrt(fan_in)."""
    _check_rng(rng)
    fan_in, _ = _fans(shape)
    return (gain / np.sqrt(fan_in) * rng.standard_normal(shape)).astype(dtype)


INITIALISERS = {
    "normal": normal,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}


def get(name: str):
    """The initialiser called `name`, with a clear error for an unknown one."""
    try:
        return INITIALISERS[name]
    except KeyError:
        raise ValueError(
            f"unknown init {name!r}; choose one of {sorted(INITIALISERS)}"
        ) from None
