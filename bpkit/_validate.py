"""Argument checks shared by the core: each names the argument, the expected, what came.

Every public function checks its arguments at the call, so a learner's mistake
stops there with a sentence, not three frames deep in numpy (or, worse, turns
into NaN data with no error at all).
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np

__all__ = ["integer", "positive_integer", "number", "rng", "float_array", "labels",
           "function"]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def integer(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """`value` as an int in [lo, hi]; integral floats (3.0) pass, bools and 2.5 not."""
    ok = isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))
    if not ok and isinstance(value, (float, np.floating)) and math.isfinite(value):
        ok = float(value).is_integer()
    if ok:
        value = int(value)
        if (lo is None or value >= lo) and (hi is None or value <= hi):
            return value
    where = ""
    if lo is not None:
        where = f" >= {lo}" if hi is None else f" in [{lo}, {hi}]"
    raise ValueError(f"{name} must be an integer{where}, got {_shown(value)}")


def positive_integer(name: str, value: Any) -> int:
    """`value` as an int >= 1, refused as "`name` must be a positive integer"."""
    try:
        return integer(name, value, 1)
    except ValueError:
        raise ValueError(
            f"{name} must be a positive integer, got {_shown(value)}") from None


def number(
    name: str,
    value: Any,
    lo: float = -math.inf,
    hi: float = math.inf,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """`value` as a finite float in the interval; NaN, inf, None, str, bool refused."""
    ok = isinstance(value, Real) and not isinstance(value, (bool, np.bool_))
    if ok:
        v = float(value)
        ok = (
            math.isfinite(v)
            and (v > lo if lo_open else v >= lo)
            and (v < hi if hi_open else v <= hi)
        )
        if ok:
            return v
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    if lo == -math.inf and hi == math.inf:
        where = "a finite number"
    elif hi == math.inf:
        where = f"a finite number {'>' if lo_open else '>='} {lo:g}"
    elif lo == -math.inf:
        where = f"a finite number {'<' if hi_open else '<='} {hi:g}"
    else:
        where = f"a number in {left}{lo:g}, {hi:g}{right}"
    raise ValueError(f"{name} must be {where}, got {_shown(value)}")


def rng(value: Any, name: str = "rng") -> np.random.Generator:
    """A numpy Generator, or a TypeError that shows how to make one."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy Generator, e.g. np.random.default_rng(0); "
            f"got {type(value).__name__}"
        )
    return value


def float_array(name: str, value: Any, ndim: int | None = None,
                allow_empty: bool = True) -> np.ndarray:
    """`value` as a real float array (ints and bools become float64).

    Complex, object and string data are refused rather than silently cast.
    """
    try:
        arr = np.asarray(value)
    except Exception:  # ragged lists and the like
        raise TypeError(
            f"{name} must be a numeric array, got {_shown(value)}") from None
    if arr.dtype.kind in "iub":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise TypeError(
            f"{name} must be a real numeric array, got dtype {arr.dtype}"
            + (" (complex numbers have no place here)" if arr.dtype.kind == "c" else "")
        )
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}): nothing to compute")
    return arr


def labels(name: str, value: Any, classes: int | None = None) -> np.ndarray:
    """Integer class labels, 0 <= y < classes; fractional floats and bools refused."""
    arr = np.asarray(value)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(
                f"{name} must hold integer class labels, got {_shown(value)}")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or (classes is not None and arr.max() >= classes)):
        bad = arr.min() if arr.min() < 0 else arr.max()
        upto = f"0 .. {classes - 1}" if classes is not None else "0 or more"
        raise ValueError(f"{name} holds label {bad}, expected labels {upto}")
    return arr


def function(name: str, value: Any) -> Any:
    """A callable, or a TypeError naming what came instead."""
    if not callable(value):
        raise TypeError(f"{name} must be a function, got {type(value).__name__}")
    return value
