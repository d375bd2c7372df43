"""Measures of a classifier's predictions."""

from __future__ import annotations

import numpy as np

__all__ = ["confusion_matrix"]


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    """Counts: entry [i, j] is how many examples of class i were predicted as j.

    Inputs: y_true, y_pred (N,) integer labels. Returns: (classes, classes) int64.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true has shape {y_true.shape} and y_pred {y_pred.shape}, "
            "expected (N,) both"
        )
    cm = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm
