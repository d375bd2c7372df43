"""Gradient descent on one weight, L(w) = (y - w x)^2: lesson 01's worked example.

Each step multiplies the error w - y/x by 1 - 2 lr x^2, so the learning rate
alone decides whether the steps converge, oscillate or diverge (`regime`).
"""

from __future__ import annotations

import math

import numpy as np

from ._validate import integer, number

__all__ = ["SingleWeightModel", "regime"]

# a loss this many times its start (or above 1e6) means the steps are running away
_DIVERGED_FACTOR = 1e6


def regime(lr: float, x: float) -> str:
    """Name what gradient descent does on (y - w x)^2 at this lr.

    Each step multiplies the error w - y/x by r = 1 - 2 lr x^2.
    """
    lr, x = number("lr", lr), number("x", x)
    r = 1.0 - 2.0 * lr * x * x
    if math.isclose(r, 0.0, abs_tol=1e-9):
        return "lands in one step"
    if math.isclose(abs(r), 1.0, abs_tol=1e-9):
        return "stuck" if r > 0 else "oscillates forever"
    if 0 < r < 1:
        return "converges"
    if -1 < r < 0:
        return "oscillates while converging"
    return "diverges"


class SingleWeightModel:
    """Gradient descent on L(w) = (target - w x)^2, one step at a time."""

    def __init__(
        self, x: float = 2.0, w0: float = 0.5, target: float = 4.0, lr: float = 0.1
    ) -> None:
        x, w0, target = number("x", x), number("w0", w0), number("target", target)
        if x == 0:
            raise ValueError("x must be non-zero: with x = 0 the loss does not depend on w")
        lr = number("lr", lr, 0.0)
        self.x, self.w0, self.target, self.lr = x, w0, target, lr
        self.reset()

    def loss(self, w: float | np.ndarray) -> float | np.ndarray:
        e = self.target - w * self.x
        return e * e

    def grad(self, w: float) -> float:
        """dL/dw = -2 x (y - w x): the chain rule, outer factor 2e times inner -x."""
        return -2.0 * self.x * (self.target - w * self.x)

    def reset(self) -> None:
        self.ws = [self.w0]
        self.losses = [self.loss(self.w0)]
        self.diverged_at: int | None = None

    @property
    def w(self) -> float:
        return self.ws[-1]

    @property
    def steps(self) -> int:
        return len(self.ws) - 1

    @property
    def divergence_threshold(self) -> float:
        return _DIVERGED_FACTOR * max(self.losses[0], 1.0)

    @property
    def regime(self) -> str:
        return regime(self.lr, self.x)

    def step(self) -> None:
        """One update w <- w - lr dL/dw; stops for good once the loss blows up."""
        if self.diverged_at is not None:
            return
        w = self.w - self.lr * self.grad(self.w)
        loss = self.loss(w)
        if not math.isfinite(loss) or loss > self.divergence_threshold:
            self.diverged_at = self.steps + 1
            return
        self.ws.append(w)
        self.losses.append(loss)

    def run(self, n: int) -> None:
        n = integer("n", n, 0)
        for _ in range(n):
            self.step()

    @property
    def message(self) -> str:
        if self.diverged_at is not None:
            return f"diverged at step {self.diverged_at}"
        return (
            f"step {self.steps}: w = {self.w:.4f}, loss = {self.losses[-1]:.4g} "
            f"({self.regime}: error x {1 - 2 * self.lr * self.x ** 2:+.3f} per step)"
        )
