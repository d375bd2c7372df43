"""Shape, dtype and activation checks, and in-place activations, for the cells."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import float_array

ACTIVATIONS = ("tanh", "relu", "linear")


# ------------------------------------------------------------------ checks
def _real(name: str, a: Any) -> np.ndarray:
    """`a` as an array of real numbers, its dtype kept (ints stay ints).

    Complex, string and object data (None included) and ragged lists are
    refused with a TypeError naming `name`. O(1) for an ndarray.
    """
    if isinstance(a, np.ndarray) and a.dtype.kind in "iubf":
        return a
    float_array(name, a)  # raises for what is not real numbers
    return np.asarray(a)


def _weights_array(who: str, name: str, a: Any) -> None:
    """The sequence forwards take their dtype from the weights: arrays only."""
    if not isinstance(a, np.ndarray):
        raise TypeError(
            f"{who}: {name} must be a float32 or float64 numpy array, "
            f"got {type(a).__name__}"
        )


def _float_result(who: str, *arrays: np.ndarray) -> None:
    """A step whose inputs are all integers would compute in integers: refuse."""
    if np.result_type(*arrays).kind != "f":
        raise TypeError(
            f"{who}: x, the state and the weights are all integer (or bool) "
            "arrays; pass float arrays, e.g. np.asarray(x, float)"
        )


def _check_cache(who: str, cache: Any, size: int, made_by: str) -> None:
    if not isinstance(cache, tuple) or len(cache) != size:
        got = type(cache).__name__
        if isinstance(cache, tuple):
            got += f" of {len(cache)} items"
        raise TypeError(
            f"{who}: cache must be the cache {made_by} returned "
            f"(a tuple of {size} items), got {got}"
        )


def _shape_error(who: str, name: str, got: tuple, expected: str) -> ValueError:
    return ValueError(f"{who}: {name} has shape {got}, expected {expected}")


def _float_dtype(*arrays: np.ndarray) -> np.dtype:
    dt = np.result_type(*arrays)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"weights must be float32 or float64 arrays, got {dt}")
    return dt


def _as(a: Any, dtype: np.dtype) -> np.ndarray:
    a = np.asarray(a)
    return a if a.dtype == dtype else a.astype(dtype)


def _check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; choose one of {ACTIVATIONS}"
        )


def _check_weights(who: str, Wx, Wh, b, gates: int) -> tuple[int, int]:
    """D and H from Wx (D, G*H), Wh (H, G*H), b (G*H,); G = gates per step."""
    Wx, Wh, b = np.asarray(Wx), np.asarray(Wh), np.asarray(b)
    G = "" if gates == 1 else f"{gates}*"
    if Wh.ndim != 2 or Wh.shape[1] != gates * Wh.shape[0]:
        raise _shape_error(who, "Wh", Wh.shape, f"(H, {G}H)")
    H = Wh.shape[0]
    if Wx.ndim != 2 or Wx.shape[1] != gates * H:
        raise _shape_error(
            who, "Wx", Wx.shape, f"(D, {gates * H}) = (D, {G}H), H = {H}"
        )
    if b.shape != (gates * H,):
        raise _shape_error(who, "b", b.shape, f"({gates * H},) = ({G}H,), H = {H}")
    return Wx.shape[0], H


def _check_x(who: str, x: np.ndarray, D: int) -> tuple[int, int]:
    if x.ndim != 3 or x.shape[2] != D:
        raise _shape_error(who, "x", x.shape, f"(N, T, {D}) = (N, T, D), D from Wx")
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise _shape_error(who, "x", x.shape, "(N, T, D) with N >= 1 and T >= 1")
    return x.shape[0], x.shape[1]


def _check_state(who: str, name: str, s: np.ndarray, N: int, H: int) -> None:
    if s.shape != (N, H):
        raise _shape_error(who, name, s.shape, f"({N}, {H}) = (N, H)")


def _check_dh(who: str, dh: np.ndarray, N: int, T: int, H: int) -> None:
    if dh.shape != (N, T, H):
        raise _shape_error(who, "dh", dh.shape, f"({N}, {T}, {H}) = (N, T, H)")


# ------------------------------------------------------- activations, in place
def _activate_(a: np.ndarray, activation: str) -> None:
    """a <- f(a), in place."""
    if activation == "tanh":
        np.tanh(a, out=a)
    elif activation == "relu":
        np.maximum(a, 0, out=a)


def _sigmoid_(a: np.ndarray) -> None:
    """a <- sigmoid(a) in place, as (1 + tanh(a/2)) / 2: no exp, so no overflow."""
    a *= 0.5
    np.tanh(a, out=a)
    a += 1
    a *= 0.5


def _act_backward(
    g: np.ndarray, h: np.ndarray, activation: str, out: np.ndarray
) -> None:
    """out <- g * f'(a), with f' written through the output h = f(a)."""
    if activation == "tanh":
        np.multiply(h, h, out=out)  # tanh' = 1 - h^2
        np.subtract(1, out, out=out)
        out *= g
    elif activation == "relu":
        np.multiply(g, h > 0, out=out)  # relu' = 1 where h > 0
    else:
        out[...] = g
