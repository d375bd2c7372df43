"""Sequence losses, and `SequenceModel`: a recurrent cell, a linear readout, a loss."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import losses as _losses
from .._validate import positive_integer
from .._validate import rng as _check_rng
from ..layers import Parameter
from ._checks import _real, _shape_error
from .layers import TemporalLinear, _Recurrent
from .truncated_bptt import tbptt

__all__ = ["sequence_mse", "sequence_cross_entropy", "SequenceModel"]


# ------------------------------------------------------------------- losses
def sequence_mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over every step and output: pred, target (N, T, O) or (N, O).

    Returns: loss (float), dpred (pred's shape).
    """
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape:
        raise _shape_error(
            "sequence_mse", "target", target.shape, f"{pred.shape} (pred's)"
        )
    if pred.size == 0:
        raise ValueError(
            f"sequence_mse: pred has shape {pred.shape}, expected at least one "
            "output to average over (it is empty)"
        )
    return _losses.mse_loss(pred, target)


def sequence_cross_entropy(
    scores: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray]:
    """Softmax cross-entropy averaged over every step.

    Inputs: scores (N, T, C) with y (N, T) integer labels; or (N, C) with y (N,).
    Returns: loss (float), dscores (scores' shape).
    """
    scores, y = _real("scores", scores), np.asarray(y)
    if scores.ndim == 0 or scores.shape[-1] == 0:
        raise _shape_error(
            "sequence_cross_entropy", "scores", scores.shape,
            "(N, T, C) or (N, C) with C >= 1 classes",
        )
    if y.shape != scores.shape[:-1]:
        raise _shape_error(
            "sequence_cross_entropy", "y", y.shape,
            f"{scores.shape[:-1]} (scores without C)",
        )
    C = scores.shape[-1]
    loss, d = _losses.softmax_cross_entropy(scores.reshape(-1, C), y.reshape(-1))
    return loss, d.reshape(scores.shape)


_LOSSES = {"mse": sequence_mse, "cross_entropy": sequence_cross_entropy}


class SequenceModel:
    """A recurrent cell, a linear readout and a loss.

    many_to_one=False: an output at every step, outputs (N, T, O), targets
    (N, T, O) for "mse" or (N, T) labels for "cross_entropy".
    many_to_one=True: one output after the last step, (N, O), targets (N, O)
    or (N,). The loss is the mean over every output.
    """

    def __init__(
        self,
        cell: _Recurrent,
        n_outputs: int,
        rng: np.random.Generator,
        loss: str = "mse",
        many_to_one: bool = False,
    ) -> None:
        if not isinstance(loss, str) or loss not in _LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(_LOSSES)}")
        if not isinstance(cell, _Recurrent):
            raise TypeError(
                "cell must be a recurrent layer (bpkit.rnn.RNN, LSTM or GRU), "
                f"got {type(cell).__name__}"
            )
        positive_integer("n_outputs", n_outputs)
        _check_rng(rng)
        self.cell = cell
        self.readout = TemporalLinear(
            cell.hidden_size, n_outputs, rng, init="xavier_uniform", dtype=cell.dtype
        )
        self.loss_name, self.loss_fn = loss, _LOSSES[loss]
        self.many_to_one = many_to_one

    def parameters(self) -> list[Parameter]:
        return self.cell.parameters() + self.readout.parameters()

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def forward(self, x: np.ndarray, state: Any = None) -> np.ndarray:
        """Outputs (N, T, O), or (N, O) for many-to-one; cell.state is the end state."""
        h = self.cell.forward(x, state)
        return self.readout.forward(h[:, -1] if self.many_to_one else h)

    __call__ = forward

    def loss(self, x: np.ndarray, y: np.ndarray, state: Any = None) -> float:
        """The loss, without gradients."""
        return self.loss_fn(self.forward(x, state), y)[0]

    def backprop(self, x: np.ndarray, y: np.ndarray, state: Any = None) -> float:
        """Full BPTT: the loss, with every parameter's gradient added to `.grad`."""
        shape = np.shape(x)  # tbptt names an x without a time axis
        return tbptt(self, x, y, k1=shape[1] if len(shape) > 1 else 1,
                     state=state).loss
