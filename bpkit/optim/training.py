"""The quiet training loop: `train` stops at the first non-finite loss."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .._validate import integer, number
from .clipping import clip_grad_norm_
from .optimizer import Optimizer
from .schedules import LRScheduler


@dataclass
class TrainResult:
    """What `train` measured.

    losses: (k,) the loss before each update; lrs: (k,) the lr of each update.
    diverged_at: the step whose loss was not finite (losses has it last), else None.
    """

    losses: np.ndarray
    lrs: np.ndarray
    diverged_at: int | None = None
    grad_norms: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1]) if len(self.losses) else math.nan

    @property
    def message(self) -> str:
        if self.diverged:
            return f"diverged at step {self.diverged_at} (loss = {self.final_loss:.4g})"
        return f"ran {len(self.losses)} steps, final loss {self.final_loss:.4g}"

    def __str__(self) -> str:
        return self.message


def _loss_value(loss: Any) -> float:
    """The closure's loss as a float; a clear error for what is not a loss."""
    if loss is None:
        raise TypeError(
            "the closure returned None: it must return the loss "
            "(does it end with `return loss`?)")
    loss = getattr(loss, "data", loss)  # an engine.Value
    if isinstance(loss, (str, bytes)):
        raise TypeError(f"the closure returned a string {loss!r}, expected the loss")
    try:
        arr = np.asarray(loss, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"the closure returned a {type(loss).__name__}, expected the loss "
            "(a number)") from None
    if arr.size != 1:
        raise ValueError(
            f"the closure returned an array of shape {arr.shape}, expected the "
            "loss as one number (reduce it, e.g. with .mean())")
    return float(arr.reshape(()))


def _evaluate(closure: Callable[[], Any]) -> float:
    """closure()'s loss as a float; inf when the forward pass itself blew up."""
    try:
        return _loss_value(closure())
    except (OverflowError, FloatingPointError):
        return math.inf  # Python floats raise where numpy gives inf
    except ValueError as e:
        # bpkit.losses refuses non-finite logits: the network already diverged
        if "non-finite" in str(e):
            return math.nan
        raise


def _check_loop(who: str, closure: Any, optimizer: Any, steps: Any, least: int) -> None:
    if not callable(closure):
        raise TypeError(f"{who}: closure must be a function returning the loss, got "
                        f"{type(closure).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{who}: optimizer must be a bpkit.optim optimizer, got "
                        f"{type(optimizer).__name__}")
    integer(f"{who}: steps", steps, lo=least)


def train(
    closure: Callable[[], Any],
    optimizer: Optimizer,
    steps: int,
    scheduler: LRScheduler | None = None,
    max_grad_norm: float | None = None,
    max_loss: float | None = None,
    callback: Callable[[int, float], Any] | None = None,
) -> TrainResult:
    """Run `steps` optimizer steps; stop at the first loss that is not finite.

    Inputs:
        closure: computes the loss and *adds* its gradient into the parameters'
            `.grad` (the loop zeroes them first); returns the loss (a float or
            a `Value`).
        optimizer, scheduler: the scheduler steps after every optimizer step.
        max_grad_norm: clip the gradients' total norm first (`clip_grad_norm_`).
        max_loss: also count a loss above this as divergence.
        callback(step, loss): called after each finite loss.
    Returns:
        a `TrainResult`; ``result.message`` reads "diverged at step k" when
        it diverged. numpy warnings are silenced throughout: divergence is
        reported, not printed.
    """
    _check_loop("train", closure, optimizer, steps, 0)
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"train: scheduler must be a learning-rate scheduler (with a "
                        f".step() method) or None, got {type(scheduler).__name__}")
    if max_grad_norm is not None:
        number("max_grad_norm", max_grad_norm, 0.0)
    if max_loss is not None:
        number("max_loss", max_loss)
    if callback is not None and not callable(callback):
        raise TypeError(f"train: callback must be a function callback(step, loss) "
                        f"or None, got {type(callback).__name__}")
    losses, lrs, norms = [], [], []
    diverged_at = None
    with np.errstate(all="ignore"):
        for k in range(int(steps)):
            optimizer.zero_grad()
            loss = _evaluate(closure)
            losses.append(loss)
            if not math.isfinite(loss) or (max_loss is not None and loss > max_loss):
                diverged_at = k
                break
            if callback is not None:
                callback(k, loss)
            if max_grad_norm is not None:
                norms.append(clip_grad_norm_(
                    [p for g in optimizer.param_groups for p in g["params"]],
                    max_grad_norm))
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
    return TrainResult(np.array(losses), np.array(lrs), diverged_at, np.array(norms))
