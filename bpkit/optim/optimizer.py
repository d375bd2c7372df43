"""The Optimizer base class: parameter groups, `step()`, `zero_grad()`, state."""

from __future__ import annotations

import copy
import math
from typing import Any, Callable, Iterable

import numpy as np


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
                  hi_open: bool = False, lo_open: bool = False) -> None:
    ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(
        value, bool
    )
    if ok:
        v = float(value)
        ok = (math.isfinite(v) and (lo < v if lo_open else lo <= v)
              and (v < hi if hi_open else v <= hi))
    if not ok:
        left, right = ("(" if lo_open else "["), (")" if hi_open else "]")
        if hi == math.inf:
            rng = f"{'>' if lo_open else '>='} {lo:g}"
        else:
            rng = f"in {left}{lo:g}, {hi:g}{right}"
        raise ValueError(f"Invalid {name}: expected a number {rng}, got {value!r}")


# ------------------------------------------------------------------ base class
class Optimizer:
    """Base class: parameter groups, `step()`, `zero_grad()`.

    `params` is an iterable of parameters, or of dicts ``{"params": [...],
    "lr": ...}`` (parameter groups, as in PyTorch); a group's missing
    hyperparameters come from `defaults`. Schedulers change
    ``param_groups[i]["lr"]``, which `step()` reads afresh each time.
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if not isinstance(defaults, dict):
            raise TypeError(f"{name}: defaults must be a dict of hyperparameters "
                            f"such as {{'lr': 0.1}}, got {type(defaults).__name__}")
        if "lr" not in defaults:
            raise ValueError(f"{name}: defaults must hold a learning rate 'lr', got "
                             f"keys {sorted(defaults)}")
        if params is None or isinstance(params, (str, bytes)) or not (
                hasattr(params, "__iter__") or hasattr(params, "data")):
            raise TypeError(
                f"{name}: params must be an iterable of parameters (objects with "
                f".data and .grad) or of parameter groups, got "
                f"{type(params).__name__}")
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
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            i = next(j for j, k in enumerate(ids) if ids.index(k) != j)
            raise ValueError(
                f"{name}: parameter {i} is listed twice, so it would be updated twice "
                "per step; list each parameter once (Sequential.parameters() does)"
            )
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
                if p.grad is None:
                    continue  # no gradient yet (as step() skips it): leave it so
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
                    if slot.is_array and not getattr(slot.params[0], "requires_grad",
                                                     True):
                        continue  # frozen (requires_grad = False): never updated
                    x, g = slot.read()
                    if g is None:
                        continue  # a parameter without a gradient is left alone
                    if g.dtype.kind not in "fiub":
                        raise TypeError(
                            f"{type(self).__name__}: a parameter's grad has dtype "
                            f"{g.dtype}, expected a real float array")
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
