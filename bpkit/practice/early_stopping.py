"""Early stopping: watch the validation loss, stop when it stops falling, go back.

`EarlyStopping.update(val_loss, params)` keeps a copy of the parameters at the
best validation loss so far and counts the epochs since; once `patience` of
them pass without an improvement larger than `min_delta`, it says stop, and
`restore(params)` puts the best weights back.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .._validate import integer, number

__all__ = ["EarlyStopping"]


class EarlyStopping:
    """Patience-based early stopping that restores the best weights."""

    def __init__(self, patience: int = 10, min_delta: float = 0.0) -> None:
        self.patience = integer("patience", patience, 1)
        self.min_delta = number("min_delta", min_delta, 0.0)
        self.best_loss = math.inf
        self.best_epoch = -1
        self.epoch = -1
        self.best_weights: list[np.ndarray] | None = None

    @property
    def waited(self) -> int:
        """Epochs since the best one."""
        return self.epoch - self.best_epoch

    def update(self, val_loss: float, params: Sequence) -> bool:
        """Record one epoch's validation loss; True when training should stop."""
        val_loss = float(val_loss)
        self.epoch += 1
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch = val_loss, self.epoch
            self.best_weights = [np.array(p.data, copy=True) for p in params]
        return self.waited >= self.patience

    def restore(self, params: Sequence) -> None:
        """Copy the best weights back into `params` (in place)."""
        if self.best_weights is None and self.epoch < 0:
            raise RuntimeError("restore called before any update: no best weights yet")
        if self.best_weights is None:
            raise RuntimeError(f"no validation loss so far was a finite improvement "
                               f"({self.epoch + 1} updates, none below inf; NaN losses?): "
                               "no best weights to restore")
        params = list(params)
        if len(params) != len(self.best_weights):
            raise ValueError(f"got {len(params)} parameters, expected "
                             f"{len(self.best_weights)} (the ones passed to update)")
        for p, w in zip(params, self.best_weights):
            p.data[...] = w
