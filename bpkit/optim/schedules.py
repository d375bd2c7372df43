"""Learning-rate schedules: LRScheduler and its closed-form subclasses."""

from __future__ import annotations

import math

import numpy as np

from .._validate import integer
from .optimizer import Optimizer, _check_number


class LRScheduler:
    """Base class: sets each group's lr from a closed form in the step count.

    As in PyTorch, constructing a scheduler records each group's
    ``initial_lr`` and sets the lr for step 0; call `step()` once after each
    ``optimizer.step()``. `last_epoch` counts the calls.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"expected a bpkit Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch != -1:
            raise ValueError("only last_epoch=-1 (a fresh schedule) is supported")
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()

    def lr_at(self, t: int) -> list[float]:
        """Each group's learning rate after `t` calls of `step()`."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one step and write the new lr into every group."""
        self.last_epoch += 1
        self._set(self.lr_at(self.last_epoch))

    def _set(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = list(lrs)

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last `step()`, one per group."""
        return list(self._last_lr)

    def sequence(self, steps: int) -> np.ndarray:
        """The first lrs of the first group this schedule gives, without changing it.

        Returns: (steps,) the lr used by optimizer steps 0 .. steps - 1.
        """
        steps = integer("steps", steps, 0)
        return np.array([self.lr_at(t)[0] for t in range(steps)])


class StepLR(LRScheduler):
    """lr = initial_lr * gamma ** (t // step_size): times `gamma` every `step_size`."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        step_size = integer("step_size", step_size, 1)
        _check_number("gamma", gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> list[float]:
        return [b * self.gamma ** (t // self.step_size) for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = initial_lr * gamma ** t."""

    def __init__(self, optimizer: Optimizer, gamma: float,
                 last_epoch: int = -1) -> None:
        _check_number("gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> list[float]:
        return [b * self.gamma**t for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2.

    Reaches eta_min at t = T_max; beyond it the cosine climbs again, as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        T_max = integer("T_max", T_max, 1)
        _check_number("eta_min", eta_min)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> list[float]:
        c = (1 + math.cos(math.pi * t / self.T_max)) / 2
        return [self.eta_min + (b - self.eta_min) * c for b in self.base_lrs]


class LinearLR(LRScheduler):
    """lr = initial_lr * factor, factor going linearly from start_factor to
    end_factor over `total_iters` steps, then held."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        _check_number("start_factor", start_factor, 0.0, 1.0)
        if start_factor == 0:
            raise ValueError("Invalid start_factor: expected a number in (0, 1], got 0")
        _check_number("end_factor", end_factor, 0.0, 1.0)
        total_iters = integer("total_iters", total_iters, 1)
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> list[float]:
        frac = min(t, self.total_iters) / self.total_iters
        f = self.start_factor + (self.end_factor - self.start_factor) * frac
        return [b * f for b in self.base_lrs]


class LinearWarmup(LRScheduler):
    """Warm up linearly for `warmup_steps`, then follow `after` (or hold the lr).

    Same lrs as PyTorch's ``SequentialLR(opt, [LinearLR(opt, start_factor, 1.0,
    warmup_steps), after], milestones=[warmup_steps])``: lr(t) = initial_lr *
    (start_factor + (1 - start_factor) * t / warmup_steps) for t < warmup_steps,
    then `after`'s schedule restarted at its own step 0.
    """

    def __init__(self, optimizer: Optimizer, warmup_steps: int,
                 after: LRScheduler | None = None, start_factor: float = 1.0 / 3,
                 last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a bpkit Optimizer, got "
                            f"{type(optimizer).__name__}")
        try:
            warmup_steps = integer("warmup_steps", warmup_steps, 1)
        except ValueError as e:  # also name it as LinearLR does: total_iters
            raise ValueError(f"{e} (the warmup's total_iters)") from None
        if after is not None and not isinstance(after, LRScheduler):
            raise TypeError(f"after must be an LRScheduler (or None), got "
                            f"{type(after).__name__}")
        if after is not None and after.optimizer is not optimizer:
            raise ValueError("`after` must schedule the same optimizer")
        self.warmup = LinearLR(optimizer, start_factor, 1.0, warmup_steps)
        self.after = after
        self.warmup_steps = self.warmup.total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> list[float]:
        if t < self.warmup_steps or self.after is None:
            return self.warmup.lr_at(t)
        return self.after.lr_at(t - self.warmup_steps)

    def step(self) -> None:
        super().step()
        # keep the wrapped schedules' counters in line, for anyone reading them
        if self.after is not None and self.last_epoch >= self.warmup_steps:
            self.after.last_epoch = self.last_epoch - self.warmup_steps
            self.after._last_lr = self.get_last_lr()
        self.warmup.last_epoch = min(self.last_epoch, self.warmup_steps)
