"""Measures of a classifier's predictions."""

from __future__ import annotations

import numpy as np

from ._validate import integer, labels

__all__ = ["confusion_matrix"]


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    """Counts: entry [i, j] is how many examples of class i were predicted as j.

    Inputs: y_true, y_pred (N,) integer labels. Returns: (classes, classes) int64.
    """
    classes = integer("classes", classes, 1)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true has shape {y_true.shape} and y_pred {y_pred.shape}, "
            "expected (N,) both"
        )
    y_true = _class_labels("y_true", y_true, classes)
    y_pred = _class_labels("y_pred", y_pred, classes)
    cm = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def _class_labels(name: str, y: np.ndarray, classes: int) -> np.ndarray:
    """Integer labels in 0 .. classes - 1 (bools count as 0 and 1); floats refused."""
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    elif y.dtype.kind == "f":
        raise TypeError(
            f"{name} must hold integer class labels, got dtype {y.dtype} "
            "(round or cast predictions with .astype(int) first)"
        )
    return labels(name, y, classes)
