"""The LR range test ("LR finder"): sweep the lr up exponentially, watch the loss."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .optimizer import Optimizer, _check_number
from .training import _check_loop, _evaluate


@dataclass
class LRRangeResult:
    """An LR range test's record.

    lrs, losses, smoothed: (k,) the lr of each step, the loss it was taken at,
    and its bias-corrected exponential moving average.
    suggested_lr: where the smoothed loss falls fastest against log(lr).
    min_loss_lr: where the smoothed loss was lowest (a common rule takes a tenth of it).
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggested_lr: float
    min_loss_lr: float
    stopped_early: bool


def _restore(optimizer: Optimizer, params: list, saved: list, saved_state: list,
             saved_lrs: list) -> None:
    for p, d in zip(params, saved):
        if isinstance(p.data, np.ndarray):
            p.data[...] = d
        else:
            p.data = d
    for slots, states in zip(optimizer._slots, saved_state):
        for slot, st in zip(slots, states):
            slot.state = st
    for g, lr in zip(optimizer.param_groups, saved_lrs):
        g["lr"] = lr
    optimizer.zero_grad()


def lr_range_test(
    closure: Callable[[], Any],
    optimizer: Optimizer,
    lr_min: float = 1e-6,
    lr_max: float = 10.0,
    steps: int = 100,
    smooth: float = 0.9,
    stop_factor: float = 4.0,
    restore: bool = True,
) -> LRRangeResult:
    """The "LR finder": raise the lr exponentially from lr_min to lr_max, one step each.

    The loss first barely moves (lr too small), then falls (useful lrs), then
    shoots up (too large). The run stops once the smoothed loss exceeds
    `stop_factor` times its best, or is not finite. With `restore`, parameters,
    optimizer state and lrs are put back afterwards, so the test costs no
    training.

    Inputs: `closure` as for `train` (returns the loss, adds into `.grad`).
    Returns: an `LRRangeResult`.
    """
    _check_number("lr_min", lr_min)
    _check_number("lr_max", lr_max)
    if not 0 < lr_min < lr_max:
        raise ValueError(f"need 0 < lr_min < lr_max, got lr_min={lr_min}, "
                         f"lr_max={lr_max}")
    _check_loop("lr_range_test", closure, optimizer, steps, 2)
    _check_number("smooth", smooth, 0.0, 1.0, hi_open=True)
    _check_number("stop_factor", stop_factor, 1.0, lo_open=True)
    params = [p for g in optimizer.param_groups for p in g["params"]]
    if restore:
        saved = [np.copy(p.data) if isinstance(p.data,
                                               np.ndarray) else p.data for p in params]
        saved_state = copy.deepcopy(
            [[s.state for s in slots] for slots in optimizer._slots])
        saved_lrs = [g["lr"] for g in optimizer.param_groups]
    grid = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
    lrs, losses, smoothed = [], [], []
    avg, best, stopped = 0.0, math.inf, False
    try:
        with np.errstate(all="ignore"):
            for i, lr in enumerate(grid):
                for g in optimizer.param_groups:
                    g["lr"] = float(lr)
                optimizer.zero_grad()
                loss = _evaluate(closure)
                if not math.isfinite(loss):
                    stopped = True
                    break
                avg = smooth * avg + (1 - smooth) * loss
                s = avg / (1 - smooth ** (i + 1))
                lrs.append(float(lr))
                losses.append(loss)
                smoothed.append(s)
                best = min(best, s)
                if s > stop_factor * best:
                    stopped = True
                    break
                optimizer.step()
    finally:  # restore even when the closure raises: the test must cost no training
        if restore:
            _restore(optimizer, params, saved, saved_state, saved_lrs)
    lrs_a, sm = np.array(lrs), np.array(smoothed)
    if len(sm) < 3:
        raise ValueError(
            "the loss blew up within the first steps: lower lr_min "
            f"(got lr_min={lr_min:g})"
        )
    i_min = int(np.argmin(sm))
    # steepest fall of the smoothed loss against log(lr), before its minimum
    slope = np.gradient(sm[: i_min + 1],
                        np.log(lrs_a[: i_min + 1])) if i_min >= 2 else None
    i_best = int(np.argmin(slope)) if slope is not None else i_min
    return LRRangeResult(lrs_a, np.array(losses), sm, float(lrs_a[i_best]),
                         float(lrs_a[i_min]), stopped)
