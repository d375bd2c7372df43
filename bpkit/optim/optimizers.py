"""The update rules, as PyTorch documents them: SGD, Adagrad, RMSprop, Adam, AdamW."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, _check_number


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
        _check_number("epsilon (eps)", group["eps"], lo_open=True)

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
        _check_number("epsilon (eps)", group["eps"], lo_open=True)
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
        _check_number("epsilon (eps)", group["eps"], lo_open=True)
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
