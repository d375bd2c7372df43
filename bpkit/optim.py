"""Optimizers, learning-rate schedules, gradient clipping and a quiet training loop.

The optimizers follow PyTorch's documented algorithms (``torch.optim``) with
the same argument names, so what you learn here transfers: ``SGD``,
``Adagrad``, ``RMSprop``, ``Adam``, ``AdamW``. Each works on any list of
parameters exposing ``.data`` and ``.grad``: vectorised ``layers.Parameter``s
(numpy arrays, updated in place) and scalar ``engine.Value``s (Python floats,
which stay Python floats).

Every optimizer's rule sits in one method, ``_update(group, state, x, g)``:
given a parameter's value ``x`` and gradient ``g`` it returns the new value,
and reads like the pseudo-code in PyTorch's documentation.

A diverging run produces ``inf``/``nan`` quietly: ``step()`` silences numpy's
overflow warnings, and ``train`` stops at the first non-finite loss and says
"diverged at step k".
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "LinearWarmup",
    "clip_grad_norm_",
    "clip_grad_value_",
    "TrainResult",
    "train",
    "LRRangeResult",
    "lr_range_test",
]


# ------------------------------------------------------------------ parameters
def _as_param_list(params: Any, who: str) -> list:
    """A list of objects with `.data` and `.grad`, from one parameter or an iterable."""
    if hasattr(params, "data") and hasattr(params, "grad"):
        return [params]
    if isinstance(params, (str, bytes)) or not hasattr(params, "__iter__"):
        raise TypeError(
            f"{who} expected an iterable of parameters (objects with .data and "
            f".grad), got {type(params).__name__}"
        )
    params = list(params)
    for i, p in enumerate(params):
        if not (hasattr(p, "data") and hasattr(p, "grad")):
            raise TypeError(
                f"{who}: parameter {i} is a {type(p).__name__}, expected an object "
                "with .data and .grad (a layers.Parameter or an engine.Value)"
            )
    return params


class _Slot:
    """Where one update happens: a single array parameter, or all of a group's
    scalar parameters packed into one float64 vector (so a scalar MLP with
    hundreds of `Value`s is updated in one numpy expression, not hundreds)."""

    __slots__ = ("params", "is_array", "state")

    def __init__(self, params: list, is_array: bool) -> None:
        self.params = params
        self.is_array = is_array
        self.state: dict[str, Any] = {}

    def read(self) -> tuple[np.ndarray, np.ndarray | None]:
        if self.is_array:
            p = self.params[0]
            return p.data, (None if p.grad is None else np.asarray(p.grad))
        ps = self.params
        n = len(ps)
        x = np.fromiter((p.data for p in ps), np.float64, n)
        g = np.fromiter((p.grad for p in ps), np.float64, n)
        return x, g

    def write(self, new: np.ndarray) -> None:
        if self.is_array:
            self.params[0].data[...] = new  # in place: keeps the array's identity
        else:
            for p, v in zip(self.params, new.tolist()):  # .tolist(): Python floats
                p.data = v


def _make_slots(params: list) -> list[_Slot]:
    slots, scalars = [], []
    for p in params:
        if isinstance(p.data, np.ndarray):
            slots.append(_Slot([p], True))
        else:
            scalars.append(p)
    if scalars:
        slots.append(_Slot(scalars, False))
    return slots


def _check_number(name: str, value: Any, lo: float = 0.0, hi: float = math.inf,
                  hi_open: bool = False) -> None:
    ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(
        value, bool
    )
    if ok:
        v = float(value)
        ok = math.isfinite(v) and lo <= v and (v < hi if hi_open else v <= hi)
    if not ok:
        right = ")" if hi_open else "]"
        rng = f">= {lo:g}" if hi == math.inf else f"in [{lo:g}, {hi:g}{right}"
        raise ValueError(f"Invalid {name}: expected a number {rng}, got {value!r}")


# ------------------------------------------------------------------ optimizers
class Optimizer:
    """Base class: parameter groups, `step()`, `zero_grad()`.

    `params` is an iterable of parameters, or of dicts ``{"params": [...],
    "lr": ...}`` (parameter groups, as in PyTorch); a group's missing
    hyperparameters come from `defaults`. Schedulers change
    ``param_groups[i]["lr"]``, which `step()` reads afresh each time.
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self._slots: list[list[_Slot]] = []
        if hasattr(params, "data") and hasattr(params, "grad"):
            params = [params]
        if isinstance(params, dict):
            params = [params]
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters, with its own hyperparameters."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError("a parameter group is a dict with a 'params' entry")
        name = type(self).__name__
        params = _as_param_list(group["params"], name)
        if not params:
            raise ValueError(f"{name} got an empty parameter list")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: a parameter appears in more than one group")
        unknown = set(group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise TypeError(
                f"{name} got unknown hyperparameter(s) {sorted(unknown)}; "
                f"expected some of {sorted(self.defaults)}"
            )
        full = {**self.defaults, **group, "params": params}
        self._validate(full)
        self.param_groups.append(full)
        self._slots.append(_make_slots(params))

    def _validate(self, group: dict[str, Any]) -> None:
        _check_number("learning rate (lr)", group["lr"])

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (arrays in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                if isinstance(p.grad, np.ndarray):
                    p.grad.fill(0)
                else:
                    p.grad = 0.0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter once; returns `closure()`'s loss if given.

        Overflow in a diverging run gives inf/nan without numpy warnings:
        check the loss (as `train` does) to notice it.
        """
        loss = closure() if closure is not None else None
        with np.errstate(all="ignore"):
            for group, slots in zip(self.param_groups, self._slots):
                for slot in slots:
                    x, g = slot.read()
                    if g is None:
                        continue  # a parameter without a gradient is left alone
                    if g.shape != x.shape:
                        raise ValueError(
                            f"{type(self).__name__}: a parameter has shape {x.shape} "
                            f"but its grad has shape {g.shape}"
                        )
                    slot.write(self._update(group, slot.state, x, g))
        return loss

    def _update(self, group: dict, state: dict, x: np.ndarray,
                g: np.ndarray) -> np.ndarray:
        """The rule: parameter value `x`, gradient `g` -> new value (never in place)."""
        raise NotImplementedError

    def state_of(self, p: Any) -> dict[str, Any]:
        """The optimizer's state for parameter `p` (buffers, step count), copied.

        For a scalar `Value`, buffers are returned as Python floats.
        """
        for slots in self._slots:
            for slot in slots:
                for i, q in enumerate(slot.params):
                    if q is p:
                        if slot.is_array:
                            return copy.deepcopy(slot.state)
                        return {
                            k: (float(v[i]) if isinstance(v, np.ndarray) else v)
                            for k, v in slot.state.items()
                        }
        raise KeyError("parameter not found in this optimizer")

    @property
    def lr(self) -> float:
        """The first group's lr: a shortcut for ``param_groups[0]["lr"]``."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        _check_number("learning rate (lr)", value)
        for group in self.param_groups:
            group["lr"] = value

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        return "\n".join(lines + [")"])


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's rule).

    g <- g + weight_decay * x
    if momentum:  b <- g at the first step, else momentum * b + (1 - dampening) * g
                  g <- g + momentum * b  (nesterov)  or  g <- b
    x <- x - lr * g
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        nesterov=nesterov, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        _check_number("momentum", group["momentum"])
        _check_number("dampening", group["dampening"], 0.0, 1.0)
        _check_number("weight_decay", group["weight_decay"])
        if not isinstance(group["nesterov"], bool):
            raise ValueError(f"Invalid nesterov: expected True or False, got "
                             f"{group['nesterov']!r}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum > 0 and zero dampening, "
                f"got momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def _update(self, group, state, x, g):
        lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * x
        if mu:
            if "momentum_buffer" not in state:
                b = g.copy()  # the first step takes the gradient itself
            else:
                b = mu * state["momentum_buffer"] + (1 - tau) * g
            state["momentum_buffer"] = b
            g = g + mu * b if group["nesterov"] else b
        return x - lr * g


class Adagrad(Optimizer):
    """Adagrad: divide by the root of the running *sum* of squared gradients.

    clr <- lr / (1 + (t - 1) * lr_decay)
    g <- g + weight_decay * x
    s <- s + g^2                    (s starts at initial_accumulator_value)
    x <- x - clr * g / (sqrt(s) + eps)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        _check_number("lr_decay", group["lr_decay"])
        _check_number("weight_decay", group["weight_decay"])
        _check_number("initial_accumulator_value", group["initial_accumulator_value"])
        _check_number("epsilon (eps)", group["eps"])

    def _update(self, group, state, x, g):
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(x, group["initial_accumulator_value"])
        state["step"] += 1
        t = state["step"]
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        if group["weight_decay"]:
            g = g + group["weight_decay"] * x
        s = state["sum"] = state["sum"] + g * g
        return x - clr * g / (np.sqrt(s) + group["eps"])


class RMSprop(Optimizer):
    """RMSprop: divide by the root of a running *average* of squared gradients.

    g <- g + weight_decay * x
    v <- alpha * v + (1 - alpha) * g^2
    centered:  a <- alpha * a + (1 - alpha) * g;  v~ <- v - a^2   (else v~ = v)
    momentum:  b <- momentum * b + g / (sqrt(v~) + eps);  x <- x - lr * b
    otherwise: x <- x - lr * g / (sqrt(v~) + eps)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        _check_number("alpha", group["alpha"], 0.0, 1.0)
        _check_number("epsilon (eps)", group["eps"])
        _check_number("weight_decay", group["weight_decay"])
        _check_number("momentum", group["momentum"])
        if not isinstance(group["centered"], bool):
            raise ValueError(f"Invalid centered: expected True or False, got "
                             f"{group['centered']!r}")

    def _update(self, group, state, x, g):
        alpha, eps, mu = group["alpha"], group["eps"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(x)
            if mu > 0:
                state["momentum_buffer"] = np.zeros_like(x)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(x)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * x
        v = state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * g * g
        if group["centered"]:
            a = state["grad_avg"] = alpha * state["grad_avg"] + (1 - alpha) * g
            v = v - a * a
        denom = np.sqrt(v) + eps
        if mu > 0:
            b = state.get("momentum_buffer")
            b = state["momentum_buffer"] = (0 if b is None else mu * b) + g / denom
            return x - group["lr"] * b
        return x - group["lr"] * g / denom


def _check_betas(betas: Any) -> None:
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
        raise ValueError(
            f"Invalid betas: expected a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        _check_number(f"beta parameter at index {i} (betas[{i}])", b, 0.0, 1.0,
                      hi_open=True)


class Adam(Optimizer):
    """Adam: momentum on the gradient, divided by the root of a running mean of g^2.

    g <- g + weight_decay * x                 (L2 in the gradient; see AdamW)
    m <- beta1 * m + (1 - beta1) * g
    v <- beta2 * v + (1 - beta2) * g^2
    m^ <- m / (1 - beta1^t);  v^ <- v / (1 - beta2^t)     (bias correction)
    amsgrad: v_max <- max(v_max, v), and v^ <- v_max / (1 - beta2^t)
    x <- x - lr * m^ / (sqrt(v^) + eps)

    `bias_correction=False` (bpkit only, not in PyTorch) drops the two
    divisions, to show in lesson 06 what they are for.
    """

    _decoupled = False

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        bias_correction: bool = True,
    ) -> None:
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas,
                        eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        bias_correction=bias_correction)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        _check_betas(group["betas"])
        _check_number("epsilon (eps)", group["eps"])
        _check_number("weight_decay", group["weight_decay"])
        for flag in ("amsgrad", "bias_correction"):
            if not isinstance(group[flag], bool):
                raise ValueError(f"Invalid {flag}: expected True or False, got "
                                 f"{group[flag]!r}")

    def _update(self, group, state, x, g):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd = group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(x)
            state["exp_avg_sq"] = np.zeros_like(x)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(x)
        state["step"] += 1
        t = state["step"]
        if wd and self._decoupled:
            x = x * (1 - lr * wd)  # AdamW: shrink the weights, outside the gradient
        elif wd:
            g = g + wd * x  # Adam: L2, so the decay is divided by sqrt(v^) too
        m = state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
        if group["bias_correction"]:
            m = m / (1 - beta1**t)
            v = v / (1 - beta2**t)
        return x - lr * m / (np.sqrt(v) + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter).

    x <- x - lr * weight_decay * x, then the Adam step on the plain gradient.
    Unlike L2 in Adam, the decay is not divided by sqrt(v^): every weight
    shrinks by the same factor (1 - lr * weight_decay) per step.
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        bias_correction: bool = True,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad,
                         bias_correction=bias_correction)


# ------------------------------------------------------------------- schedules
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
        return np.array([self.lr_at(t)[0] for t in range(steps)])


class StepLR(LRScheduler):
    """lr = initial_lr * gamma ** (t // step_size): times `gamma` every `step_size`."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if isinstance(step_size, bool) or int(step_size) != step_size or step_size < 1:
            raise ValueError(f"Invalid step_size: expected an integer >= 1, got "
                             f"{step_size!r}")
        _check_number("gamma", gamma)
        self.step_size, self.gamma = int(step_size), gamma
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
        if isinstance(T_max, bool) or int(T_max) != T_max or T_max < 1:
            raise ValueError(f"Invalid T_max: expected an integer >= 1, got {T_max!r}")
        _check_number("eta_min", eta_min)
        self.T_max, self.eta_min = int(T_max), eta_min
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
        if isinstance(total_iters,
                      bool) or int(total_iters) != total_iters or total_iters < 1:
            raise ValueError(f"Invalid total_iters: expected an integer >= 1, got "
                             f"{total_iters!r}")
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = int(total_iters)
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


# -------------------------------------------------------------------- clipping
def _grads(params: Any, who: str) -> list:
    return [p for p in _as_param_list(params, who) if p.grad is not None]


def clip_grad_norm_(
    params: Any,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale all gradients together so their total norm is at most `max_norm`.

    PyTorch's semantics: the total norm is the norm of the vector of every
    gradient entry of every parameter; the gradients are multiplied by
    min(1, max_norm / (total_norm + 1e-6)), so they change only when the norm
    exceeds `max_norm`. Direction is kept, only the length shrinks.

    Returns: the total norm *before* clipping, a float.
    """
    ps = _grads(params, "clip_grad_norm_")
    _check_number("max_norm", max_norm)
    norm_type = float(norm_type)
    if not (norm_type > 0):
        raise ValueError(f"Invalid norm_type: expected a number > 0 or inf, got "
                         f"{norm_type!r}")
    if not ps:
        return 0.0
    with np.errstate(all="ignore"):
        if norm_type == math.inf:
            total = max(float(np.max(np.abs(p.grad))) for p in ps)
        else:
            per = [float(np.sum(np.abs(np.asarray(p.grad, np.float64)) ** norm_type))
                   for p in ps]
            total = float(sum(per) ** (1.0 / norm_type))
        if error_if_nonfinite and not math.isfinite(total):
            raise RuntimeError(
                f"The total norm of order {norm_type:g} of the gradients is "
                f"{total}, so they cannot be clipped (error_if_nonfinite=True)"
            )
        coef = min(max_norm / (total + 1e-6), 1.0)
        if coef < 1.0 or not math.isfinite(total):
            for p in ps:
                if isinstance(p.grad, np.ndarray):
                    p.grad *= coef
                else:
                    p.grad = float(p.grad * coef)
    return total


def clip_grad_value_(params: Any, clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], in place."""
    ps = _grads(params, "clip_grad_value_")
    _check_number("clip_value", clip_value)
    c = float(clip_value)
    for p in ps:
        if isinstance(p.grad, np.ndarray):
            np.clip(p.grad, -c, c, out=p.grad)
        else:
            p.grad = min(max(float(p.grad), -c), c)


# -------------------------------------------------------------- training loop
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
    loss = getattr(loss, "data", loss)  # an engine.Value
    return float(np.asarray(loss, dtype=np.float64))


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
    if isinstance(steps, bool) or int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
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


# ------------------------------------------------------------- lr range test
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
    if isinstance(steps, bool) or int(steps) != steps or steps < 2:
        raise ValueError(f"steps must be an integer >= 2, got {steps!r}")
    _check_number("smooth", smooth, 0.0, 1.0, hi_open=True)
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
    if restore:
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
