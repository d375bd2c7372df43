"""Losses that return the loss *and* its gradient with respect to their input.

Every loss is a function ``loss, dinput = f(input, target)`` (and a small class
of the PyTorch name whose call does the same), so a training step reads

    logits = net(x)
    loss, dlogits = softmax_cross_entropy(logits, y)
    net.backward(dlogits)

All losses average over the batch (``reduction="mean"``, as PyTorch does) or
add up (``"sum"``). Inputs are checked: shapes must match exactly, class
labels must be integers in range, and a NaN or inf input raises a ValueError
naming where it is, instead of turning every weight into NaN one step later.

Softmax cross-entropy and binary cross-entropy take *logits* and use the
log-sum-exp trick, so logits of +-1000 give finite losses and gradients,
without a warning. `logsumexp`, `softmax` and `log_softmax` are building
blocks, not losses: like the layers they do not scan for NaN (NaN in, NaN out;
the MLP playground draws a diverged network's probabilities with them).

Shape letters: N batch, C classes.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ._validate import labels as _labels
from .engine import Value

__all__ = [
    "logsumexp",
    "softmax",
    "log_softmax",
    "mse_loss",
    "softmax_cross_entropy",
    "binary_cross_entropy_with_logits",
    "MSELoss",
    "CrossEntropyLoss",
    "BCEWithLogitsLoss",
    "scalar_cross_entropy",
]

_REDUCTIONS = ("mean", "sum")


def _float_array(a: Any, name: str) -> np.ndarray:
    a = np.asarray(a)
    if np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_:
        a = a.astype(np.float64)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name} must be a float array, got dtype {a.dtype}")
    return a


def _check_finite(a: np.ndarray, name: str) -> None:
    finite = np.isfinite(a)
    if not finite.all():
        bad = np.argwhere(~finite)
        first = tuple(int(i) for i in bad[0])
        raise ValueError(
            f"{name} has {len(bad)} non-finite value(s) (NaN or inf), the first "
            f"at index {first}: {a[first]}"
        )


def _check_axis(z: np.ndarray, axis: Any, who: str) -> None:
    """axis must be an int (or a tuple of ints, or None) along which z has entries."""
    ints = axis if isinstance(axis, tuple) else (axis,)
    if axis is not None and not all(
        isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in ints
    ):
        raise TypeError(f"axis must be an integer or None, got {axis!r}")
    if axis is None:
        empty = z.size == 0
    else:
        # an axis out of range is left to numpy, whose AxisError names it
        empty = any(-z.ndim <= a < z.ndim and z.shape[a] == 0 for a in ints)
    if empty:
        raise ValueError(
            f"z has shape {z.shape}: {who} needs at least one entry along "
            f"axis {axis}"
        )


def _check_nonempty(a: np.ndarray, name: str, reduction: str) -> None:
    if a.size == 0 and reduction == "mean":
        raise ValueError(
            f"{name} is empty (shape {a.shape}): the mean over no entries is "
            "undefined (reduction='sum' gives 0)"
        )


def _reduce(per_example: np.ndarray, reduction: str) -> tuple[float, float]:
    """The reduced loss, and the factor every gradient is multiplied by."""
    if reduction == "mean":
        return float(per_example.mean()), 1.0 / per_example.size
    if reduction == "sum":
        return float(per_example.sum()), 1.0
    raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_logits(logits: Any, name: str = "logits") -> np.ndarray:
    z = _float_array(logits, name)
    if z.ndim != 2 or z.shape[1] < 1:
        raise ValueError(f"{name} has shape {z.shape}, expected (N, C)")
    _check_finite(z, name)
    return z


def _check_labels(y: Any, n: int, classes: int) -> np.ndarray:
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(
            f"y must hold integer class labels, got dtype {y.dtype} "
            "(for labels stored as floats, pass y.astype(int))"
        )
    if y.shape != (n,):
        raise ValueError(f"y has shape {y.shape}, expected ({n},), one label per row")
    bad = np.flatnonzero((y < 0) | (y >= classes))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"label {int(y[i])} at index {i} is out of range for {classes} classes "
            f"(expected 0..{classes - 1}); {bad.size} label(s) out of range"
        )
    return y


# ----------------------------------------------------------------- softmax
def logsumexp(z: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log(sum(exp(z))) along `axis`, never overflowing.

    Subtracting the maximum m first changes nothing, log sum exp(z) =
    m + log sum exp(z - m), but every exponent is then <= 0 so exp stays <= 1,
    and the largest term is exactly 1, so the log never sees 0.
    """
    z = _float_array(z, "z")
    _check_axis(z, axis, "logsumexp")
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # an all -inf row stays -inf, not NaN
    with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer there
        out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """z - logsumexp(z): the log-probabilities, finite even where exp(z) underflows."""
    z = _float_array(z, "z")
    _check_axis(z, axis, "log_softmax")
    return z - logsumexp(z, axis=axis, keepdims=True)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(z) / sum(exp(z)) along `axis`, computed as exp(z - max z): no overflow.

    Inputs: z of any shape. Returns: probabilities of the same shape, summing
    to 1 along `axis`.
    """
    z = _float_array(z, "z")
    _check_axis(z, axis, "softmax")
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ------------------------------------------------------------------ losses
def mse_loss(
    pred: np.ndarray, target: np.ndarray, reduction: str = "mean"
) -> tuple[float, np.ndarray]:
    """Mean squared error, averaged over *every* entry (as torch.nn.MSELoss).

    Inputs:
        pred:   any shape, e.g. (N, D)
        target: exactly pred's shape (no broadcasting: (N,) against (N, 1)
                would silently make an (N, N) matrix)
    Returns:
        loss (float), dpred = 2 (pred - target) / pred.size, pred's shape and dtype.
    """
    pred = _float_array(pred, "pred")
    target = _float_array(target, "target")
    if pred.shape != target.shape:
        raise ValueError(
            f"target has shape {target.shape}, expected {pred.shape} (pred's shape)"
        )
    _check_finite(pred, "pred")
    _check_finite(target, "target")
    _check_nonempty(pred, "pred", reduction)
    diff = pred - target.astype(pred.dtype, copy=False)
    loss, scale = _reduce(diff**2, reduction)
    return loss, (2 * scale) * diff


def softmax_cross_entropy(
    logits: np.ndarray, y: np.ndarray, reduction: str = "mean"
) -> tuple[float, np.ndarray]:
    """Softmax followed by cross-entropy, on raw scores (as torch.nn.CrossEntropyLoss).

    loss_n = -log softmax(z_n)[y_n] = logsumexp(z_n) - z_n[y_n]

    The gradient collapses to dlogits = (p - onehot(y)) / N, where p = softmax(z):
    the whole softmax Jacobian diag(p) - p p^T, times dL/dp = -onehot(y) / p,
    reduces to that one subtraction.

    Inputs:
        logits: (N, C) float scores
        y:      (N,) integer labels in 0..C-1
    Returns:
        loss (float), dlogits (N, C), logits' dtype.
    """
    z = _check_logits(logits)
    n, c = z.shape
    y = _check_labels(y, n, c)
    _check_nonempty(z, "logits", reduction)
    rows = np.arange(n)
    shifted = z - z.max(axis=1, keepdims=True)  # (N, C), every entry <= 0
    e = np.exp(shifted)  # (N, C), in [0, 1]: no overflow
    s = e.sum(axis=1, keepdims=True)  # (N, 1), >= 1: log(s) is safe
    per_example = np.log(s[:, 0]) - shifted[rows, y]  # (N,)
    loss, scale = _reduce(per_example, reduction)
    dlogits = e / s  # p
    dlogits[rows, y] -= 1  # p - onehot(y)
    dlogits *= scale  # / N
    return loss, dlogits


def binary_cross_entropy_with_logits(
    logits: np.ndarray, y: np.ndarray, reduction: str = "mean"
) -> tuple[float, np.ndarray]:
    """Sigmoid then binary cross-entropy, on raw scores (as torch's BCEWithLogitsLoss).

    loss_n = -[y log s(z) + (1 - y) log(1 - s(z))] = max(z, 0) - z y + log(1 + e^-|z|)

    The right-hand form never exponentiates a positive number, so z = +-1000
    is fine. Its gradient is dlogits = (sigmoid(z) - y) / N.

    Inputs:
        logits: (N,) or (N, 1) float scores
        y:      targets of exactly logits' shape, in [0, 1] (0/1 labels or
                probabilities)
    Returns:
        loss (float), dlogits of logits' shape and dtype.
    """
    z = _float_array(logits, "logits")
    if z.ndim not in (1, 2) or (z.ndim == 2 and z.shape[1] != 1):
        raise ValueError(f"logits has shape {z.shape}, expected (N,) or (N, 1)")
    _check_finite(z, "logits")
    t = _float_array(y, "y")
    if t.shape != z.shape:
        raise ValueError(f"y has shape {t.shape}, expected {z.shape} (logits' shape)")
    _check_finite(t, "y")
    if t.size and (t.min() < 0 or t.max() > 1):
        raise ValueError(
            f"y must lie in [0, 1], got values from {t.min():g} to {t.max():g}"
        )
    _check_nonempty(z, "logits", reduction)
    t = t.astype(z.dtype, copy=False)
    e = np.exp(-np.abs(z))  # in (0, 1]
    per_example = np.maximum(z, 0) - z * t + np.log1p(e)
    loss, scale = _reduce(per_example, reduction)
    s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))  # sigmoid(z), stable
    return loss, (scale * (s - t)).astype(z.dtype, copy=False)


# --------------------------------------------------------- class interface
class _Loss:
    """A loss as an object: ``loss, dinput = criterion(input, target)``."""

    _fn = staticmethod(mse_loss)

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"reduction must be one of {_REDUCTIONS}, got {reduction!r}"
            )
        self.reduction = reduction

    def __call__(
        self, input: np.ndarray, target: np.ndarray
    ) -> tuple[float, np.ndarray]:
        return type(self)._fn(input, target, reduction=self.reduction)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


class MSELoss(_Loss):
    """`mse_loss` as an object: ``loss, dpred = MSELoss()(pred, target)``."""

    _fn = staticmethod(mse_loss)


class CrossEntropyLoss(_Loss):
    """`softmax_cross_entropy` as an object: ``loss, dz = CrossEntropyLoss()(z, y)``."""

    _fn = staticmethod(softmax_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """`binary_cross_entropy_with_logits` as an object."""

    _fn = staticmethod(binary_cross_entropy_with_logits)


# ----------------------------------------------------- scalar engine version
def scalar_cross_entropy(logits: Sequence[Sequence[Any]], y: Sequence[int]) -> Any:
    """The same softmax cross-entropy built from scalar `Value`s (mean over rows).

    For comparing the scalar engine with the matrices: call `.backward()` on
    the result. Each row is shifted by its largest logit, a constant, which
    changes neither the loss nor any gradient.

    Inputs: logits, N rows of C `Value`s; y, N integer labels.
    Returns: a `Value`.
    """
    if isinstance(logits, (str, bytes)) or not hasattr(logits, "__len__"):
        raise TypeError(
            f"logits must be N rows of C Values, got {type(logits).__name__}"
        )
    y = _labels("y", y)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-d list of labels, got shape {y.shape}")
    if len(logits) != len(y) or not len(y):
        raise ValueError(f"{len(logits)} rows of logits but {len(y)} labels")
    for i, row in enumerate(logits):
        if isinstance(row, (str, bytes)) or not hasattr(row, "__iter__"):
            raise TypeError(
                f"logits[{i}] must be a row of Values, got {type(row).__name__}"
            )
        for j, v in enumerate(row):
            if not isinstance(v, Value):
                raise TypeError(
                    f"logits[{i}][{j}] must be a Value, got {type(v).__name__} "
                    "(wrap numbers as bpkit.Value(x))"
                )
    total = 0.0
    for row, k in zip(logits, y):
        if not 0 <= int(k) < len(row):
            raise ValueError(f"label {k} is out of range for {len(row)} classes")
        m = max(v.data for v in row)
        lse = sum((v - m).exp() for v in row).log() + m
        total = (lse - row[int(k)]) + total
    return total * (1.0 / len(y))
