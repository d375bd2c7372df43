"""The LR range test ("LR finder"): sweep the lr up exponentially, watch the loss."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .._validate import integer
from .optimizer import Optimizer, _check_number
from .training import _check_loop, _evaluate

RULES = ("min/10", "steepest")


@dataclass
class LRRangeResult:
    """An LR range test's record.

    lrs, losses, smoothed: (k,) the lr of each step, the loss it was taken at,
    and its bias-corrected exponential moving average.
    min_loss_lr: where the smoothed loss was lowest (after the first `skip_start`
    steps). steepest_lr: where it fell fastest against log(lr), before that.
    suggested_lr: min_loss_lr / 10 or steepest_lr, as `rule` says.
    stopped_early: the loss blew up before lr_max; skip_start: the steps left out.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggested_lr: float
    min_loss_lr: float
    stopped_early: bool
    steepest_lr: float
    rule: str
    skip_start: int


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


def _check_rule(rule: Any) -> str:
    if not isinstance(rule, str) or rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    return rule


def lr_range_test(
    closure: Callable[[], Any],
    optimizer: Optimizer,
    lr_min: float = 1e-6,
    lr_max: float = 10.0,
    steps: int = 100,
    smooth: float = 0.98,
    stop_factor: float = 4.0,
    restore: bool = True,
    skip_start: int | None = None,
    rule: str = "min/10",
) -> LRRangeResult:
    """The "LR finder": raise the lr exponentially from lr_min to lr_max, one step each.

    The loss first barely moves (lr too small), then falls (useful lrs), then
    shoots up (too large). Each loss comes from one step, so on mini-batches it
    is noisy: the test follows its bias-corrected exponential moving average
    (weight `smooth` on the past, as fastai and Lightning do with 0.98). The
    first `skip_start` averages (default steps // 10) hold too few losses to
    trust: they neither suggest an lr nor count as the best loss. The run stops
    once the smoothed loss exceeds `stop_factor` times its best, or a loss is
    not finite. The suggestion is a tenth of the lr at the smoothed minimum
    (`rule="min/10"`: one batch's lucky loss moves the average by only
    (1 - smooth) of its dip) or the steepest fall of the smoothed loss against
    log(lr) before that minimum (`rule="steepest"`: a derivative, so a lucky
    batch can win it). With `restore`, parameters, optimizer state and lrs are
    put back afterwards, so the test costs no training.

    Run it at the batch size you will train with: the noise of small batches
    lowers the lr they tolerate.

    Inputs: `closure` as for `train` (returns the loss, adds into `.grad`).
    Returns: an `LRRangeResult`.
    """
    _check_number("lr_min", lr_min)
    _check_number("lr_max", lr_max)
    if not 0 < lr_min < lr_max:
        raise ValueError(f"need 0 < lr_min < lr_max, got lr_min={lr_min}, "
                         f"lr_max={lr_max}")
    _check_loop("lr_range_test", closure, optimizer, steps, 3)
    _check_number("smooth", smooth, 0.0, 1.0, hi_open=True)
    _check_number("stop_factor", stop_factor, 1.0, lo_open=True)
    skip = steps // 10 if skip_start is None else integer(
        "lr_range_test: skip_start", skip_start, 0, steps - 3)
    _check_rule(rule)
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
                s = avg / (1 - smooth ** (i + 1))  # bias correction: avg starts at 0
                lrs.append(float(lr))
                losses.append(loss)
                smoothed.append(s)
                if i >= skip:
                    best = min(best, s)
                    if s > stop_factor * best:
                        stopped = True
                        break
                optimizer.step()
    finally:  # restore even when the closure raises: the test must cost no training
        if restore:
            _restore(optimizer, params, saved, saved_state, saved_lrs)
    lrs_a, sm = np.array(lrs), np.array(smoothed)
    if len(sm) < skip + 3:
        raise ValueError(
            f"the loss blew up after {len(sm)} steps, too soon to read anything past "
            f"the {skip} skipped ones: lower lr_min (got lr_min={lr_min:g})"
        )
    i_min = skip + int(np.argmin(sm[skip:]))
    i_steep = i_min
    if i_min - skip >= 2:  # steepest fall against log(lr), before the minimum
        slope = np.gradient(sm[skip: i_min + 1], np.log(lrs_a[skip: i_min + 1]))
        i_steep = skip + int(np.argmin(slope))
    min_lr, steep_lr = float(lrs_a[i_min]), float(lrs_a[i_steep])
    return LRRangeResult(
        lrs_a, np.array(losses), sm,
        suggested_lr=min_lr / 10 if rule == "min/10" else steep_lr,
        min_loss_lr=min_lr, stopped_early=stopped, steepest_lr=steep_lr,
        rule=rule, skip_start=skip)
