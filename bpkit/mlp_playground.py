"""An MLP trained on spirals from a fixed seed: lesson 03's playground, no drawing.

`PlaygroundModel` trains a bpkit `mlp` by full-batch SGD with momentum on three
spiral arms and keeps the loss curve; `bpkit.viz.classification.boundary_image`
colours the plane by its predictions.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from ._validate import integer, labels, number
from .data import grid, make_spirals, train_test_split
from .layers import ACTIVATIONS, mlp
from .losses import softmax, softmax_cross_entropy
from .optim import SGD

__all__ = ["PlaygroundModel"]

# a loss this large means the run has left the useful range: call it diverged
_DIVERGED_LOSS = 1e4


class PlaygroundModel:
    """Full-batch SGD with momentum 0.9 on 3-class spirals, from a fixed seed.

    The data (300 training and 300 test points) depends only on `seed`, and the
    initial weights on `seed` and the architecture, so the same settings give
    the same run every time.
    """

    def __init__(
        self,
        width: int = 16,
        depth: int = 2,
        activation: str = "relu",
        lr: float = 0.1,
        steps: int = 500,
        n_points: int = 600,
        classes: int = 3,
        noise: float = 0.2,
        seed: int = 0,
        grid_steps: int = 60,
    ) -> None:
        n_points = integer("n_points", n_points, 2)
        classes = integer("classes", classes, 2)
        noise = number("noise", noise, 0.0)
        seed = integer("seed", seed, 0)
        grid_steps = integer("grid_steps", grid_steps, 2)
        X, y = make_spirals(n_points, np.random.default_rng(seed), classes, noise)
        self.X, self.X_test, self.y, self.y_test = train_test_split(
            X, y, np.random.default_rng(seed), test_fraction=0.5, stratify=True)
        self.classes, self.seed = classes, seed
        self.xx, self.yy, self.grid_points = grid(X, grid_steps, pad=0.3)
        self.width, self.depth, self.activation, self.lr, self.steps = (
            width, depth, activation, lr, steps)
        self.set()

    def set(self, **settings) -> None:
        """Change any of width, depth, activation, lr, steps, and start again."""
        unknown = set(settings) - {"width", "depth", "activation", "lr", "steps"}
        if unknown:
            raise TypeError(f"unknown setting(s) {sorted(unknown)}")
        names = ("width", "depth", "activation", "lr", "steps")
        new = {k: getattr(self, k) for k in names}
        new.update(settings)
        limits = (("width", 1, 1024), ("depth", 1, 16), ("steps", 1, 100_000))
        for name, lo, hi in limits:
            new[name] = integer(name, new[name], lo, hi)
        if new["activation"] not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {new['activation']!r}; "
                f"choose one of {list(ACTIVATIONS)}"
            )
        lr = new["lr"]
        lr_ok = isinstance(lr, Real) and not isinstance(lr, (bool, np.bool_))
        if not (lr_ok and math.isfinite(lr) and lr > 0):
            raise ValueError(f"lr must be a positive number, got {new['lr']!r}")
        for k, v in new.items():
            setattr(self, k, v)
        self.reset()

    def reset(self) -> None:
        """Fresh weights (from the seed), no steps taken."""
        sizes = [2] + [self.width] * self.depth + [self.classes]
        self.net = mlp(sizes, np.random.default_rng(self.seed + 1), self.activation)
        self.opt = SGD(self.net.parameters(), lr=self.lr, momentum=0.9)
        self.losses: list[float] = []
        self.diverged_at: int | None = None

    @property
    def steps_done(self) -> int:
        return len(self.losses)

    def step(self, k: int = 1) -> None:
        """k full-batch steps (none once diverged)."""
        k = integer("k", k, 0)
        for _ in range(k):
            if self.diverged_at is not None:
                return
            with np.errstate(all="ignore"):  # divergence is reported, not warned
                logits = self.net(self.X)
                if not np.isfinite(logits).all():
                    self.diverged_at = self.steps_done + 1
                    return
                loss, dlogits = softmax_cross_entropy(logits, self.y)
                if loss > _DIVERGED_LOSS:
                    self.diverged_at = self.steps_done + 1
                    return
                self.opt.zero_grad()
                self.net.backward(dlogits, input_grad=False)
                self.opt.step()
            self.losses.append(loss)

    def train(self) -> None:
        """Reset, then take `steps` steps."""
        self.reset()
        self.step(self.steps)

    def predict_proba(self, points: np.ndarray) -> np.ndarray:
        """(M, 2) points -> (M, C) class probabilities."""
        with np.errstate(all="ignore"):
            return softmax(self.net(points))

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        """The fraction of points of X (N, 2) whose predicted class is y (N,)."""
        y = labels("y", y)
        n = np.shape(X)[0] if np.ndim(X) else None
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"y has shape {y.shape}, expected ({n},): one label per "
                             f"row of X (shape {np.shape(X)})")
        return float((self.predict_proba(X).argmax(axis=1) == y).mean())

    @property
    def train_accuracy(self) -> float:
        return self.accuracy(self.X, self.y)

    @property
    def test_accuracy(self) -> float:
        return self.accuracy(self.X_test, self.y_test)

    @property
    def message(self) -> str:
        head = (f"{self.depth} x {self.width} {self.activation}, lr {self.lr:.3g}: "
                f"step {self.steps_done}")
        if self.diverged_at is not None:
            return (f"{head}, diverged at step {self.diverged_at}: "
                    "lower the learning rate")
        if not self.losses:
            return f"{head}, untrained"
        text = (f"{head}, loss {self.losses[-1]:.3f}, train accuracy "
                f"{100 * self.train_accuracy:.1f} %, test accuracy "
                f"{100 * self.test_accuracy:.1f} %")
        chance = math.log(self.classes)  # the loss of predicting 1/C everywhere
        if self.losses[-1] > chance + 0.01:
            text += (f" (worse than guessing, log {self.classes}: "
                     "lower the learning rate)")
        elif abs(self.losses[-1] - chance) <= 0.01 and self.steps_done >= 100:
            text += (f" (stuck at chance, log {self.classes}: units may have died; "
                     "lower the learning rate or change the activation)")
        return text
