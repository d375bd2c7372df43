"""An MLP trained on spirals from a fixed seed: lesson 03's playground, no drawing.

`PlaygroundModel` trains a bpkit `mlp` by full-batch SGD with momentum on three
spiral arms and keeps the loss curve; `bpkit.viz.classification.boundary_image`
colours the plane by its predictions. It trains in one go (`train`) or a frame
at a time (`frame`), as the live app does: a few steps, then a picture.
"""

from __future__ import annotations

import math
import time
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
# the status gives a verdict (worse than guessing, stuck) only after this many
# steps: every run starts near or above chance before it learns anything
_VERDICT_AFTER = 100
# settings that change the network itself: changing one starts again from the seed
_ARCHITECTURE = ("width", "depth", "activation")


class PlaygroundModel:
    """Full-batch SGD with momentum 0.9 on 3-class spirals, from a fixed seed.

    The data (300 training and 300 test points) depends only on `seed`, and the
    initial weights on `seed` and the architecture, so the same settings give
    the same run every time.

    `frame()` takes `steps_per_frame` steps (fewer if a time budget runs out): a
    view calls it, then draws, to show the training live.
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
        steps_per_frame: int = 10,
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
        self.steps_per_frame = steps_per_frame
        self.net = None  # built by set()
        self.set()

    def set(self, **settings) -> None:
        """Change any of width, depth, activation, lr, steps, steps_per_frame.

        A new width, depth or activation builds a new network from the seed and
        starts again at step 0. A new lr takes effect at the next step and the
        run goes on; `steps` and `steps_per_frame` only change how far `train`
        and `frame` go. A run that has diverged starts again at any change.
        """
        names = ("width", "depth", "activation", "lr", "steps", "steps_per_frame")
        unknown = set(settings) - set(names)
        if unknown:
            raise TypeError(f"unknown setting(s) {sorted(unknown)}")
        new = {k: getattr(self, k) for k in names}
        new.update(settings)
        limits = (("width", 1, 1024), ("depth", 1, 16), ("steps", 1, 100_000),
                  ("steps_per_frame", 1, 10_000))
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
        rebuild = self.net is None or any(new[k] != getattr(self, k)
                                          for k in _ARCHITECTURE)
        for k, v in new.items():
            setattr(self, k, v)
        if rebuild or self.diverged_at is not None:
            self.reset()
        else:
            self.opt.lr = self.lr  # momentum and weights carry on

    def reset(self) -> None:
        """Fresh weights (from the seed), no steps taken."""
        sizes = [2] + [self.width] * self.depth + [self.classes]
        self.net = mlp(sizes, np.random.default_rng(self.seed + 1), self.activation)
        self.opt = SGD(self.net.parameters(), lr=self.lr, momentum=0.9)
        self.losses: list[float] = []
        self.diverged_at: int | None = None
        self.constant_output = False  # the last step's logits equal for every point

    @property
    def steps_done(self) -> int:
        return len(self.losses)

    def step(self, k: int = 1, budget: float | None = None) -> int:
        """Up to k full-batch steps; returns how many were taken.

        With `budget` (seconds), stop once it is spent, after one step at least,
        so a caller can bound the time a frame takes. A diverged run takes none.
        """
        k = integer("k", k, 0)
        if budget is not None:
            budget = number("budget", budget, 0.0)
        start, taken = time.perf_counter(), 0
        while taken < k and self.diverged_at is None:
            if taken and budget is not None and time.perf_counter() - start >= budget:
                break
            with np.errstate(all="ignore"):  # divergence is reported, not warned
                logits = self.net(self.X)  # (N, C)
                if not np.isfinite(logits).all():
                    self.diverged_at = self.steps_done + 1
                    break
                loss, dlogits = softmax_cross_entropy(logits, self.y)
                if loss > _DIVERGED_LOSS:
                    self.diverged_at = self.steps_done + 1
                    break
                self.opt.zero_grad()
                self.net.backward(dlogits, input_grad=False)
                self.opt.step()
            # every point gets the same logits: the units feeding the output died
            self.constant_output = bool(np.ptp(logits, axis=0).max() == 0)
            self.losses.append(loss)
            taken += 1
        return taken

    def frame(self, budget: float | None = None) -> int:
        """One frame of live training: `steps_per_frame` steps, fewer if time is short.

        With `budget` (seconds) it stops once the budget is spent, after one step
        at least. Returns the steps taken.
        """
        return self.step(self.steps_per_frame, budget)

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
    def verdict(self) -> str | None:
        """The verdict of the status: diverged, worse than guessing, stuck, or None.

        The last two only after 100 steps (a run starts near chance). Stuck means
        the loss sits at log C *and* every training point gets the same output,
        which dead units give; a slow start, as sigmoid's, is not stuck.
        """
        if self.diverged_at is not None:
            return "diverged"
        if self.steps_done < _VERDICT_AFTER:
            return None
        chance = math.log(self.classes)  # the loss of predicting 1/C everywhere
        if self.losses[-1] > chance + 0.01:
            return "worse than guessing"
        if abs(self.losses[-1] - chance) <= 0.01 and self.constant_output:
            return "stuck at chance"
        return None

    @property
    def message(self) -> str:
        head = (f"{self.depth} x {self.width} {self.activation}, lr {self.lr:.3g}: "
                f"step {self.steps_done}")
        verdict = self.verdict
        if verdict == "diverged":
            return (f"{head}, diverged at step {self.diverged_at}: "
                    "lower the learning rate")
        if not self.losses:
            return f"{head}, untrained"
        text = (f"{head}, loss {self.losses[-1]:.3f}, train accuracy "
                f"{100 * self.train_accuracy:.1f} %, test accuracy "
                f"{100 * self.test_accuracy:.1f} %")
        if verdict == "worse than guessing":
            text += (f" (worse than guessing, log {self.classes}: "
                     "lower the learning rate)")
        elif verdict == "stuck at chance":
            text += (f" (stuck at chance, log {self.classes}: units may have died; "
                     "lower the learning rate or change the activation)")
        return text
