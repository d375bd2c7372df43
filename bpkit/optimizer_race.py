"""SGD, momentum, Nesterov, Adagrad, RMSprop, Adam and AdamW raced on one surface (lesson 06).

`RaceModel` runs every enabled optimizer (a `Racer`, with its settings in an
`Entry`) for the same number of steps from one start, and keeps their paths;
`DEFAULT_LRS` holds a tuned learning rate per optimizer and surface.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from .optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from .surfaces import (
    Beale,
    Himmelblau,
    Path,
    Quadratic2D,
    Ripples,
    Rosenbrock,
    Saddle,
    Surface,
    descend,
)

__all__ = ["RACERS", "RACE_SURFACES", "DEFAULT_LRS", "Racer", "Entry", "RaceModel"]


@dataclass(frozen=True)
class Racer:
    """One optimizer in the race: how to build it, and what its second slider means."""

    name: str
    make: Callable[[list, float, float], Optimizer]  # (params, lr, beta) -> optimizer
    beta_name: str | None  # the second hyperparameter's name, None if it has none
    beta: float = 0.9


RACERS: dict[str, Racer] = {r.name: r for r in [
    Racer("SGD", lambda p, lr, b: SGD(p, lr=lr), None, 0.0),
    Racer("momentum", lambda p, lr, b: SGD(p, lr=lr, momentum=b), "momentum", 0.9),
    Racer("Nesterov", lambda p, lr, b: SGD(p, lr=lr, momentum=b, nesterov=True),
          "momentum", 0.9),
    Racer("Adagrad", lambda p, lr, b: Adagrad(p, lr=lr), None, 0.0),
    Racer("RMSprop", lambda p, lr, b: RMSprop(p, lr=lr, alpha=b), "alpha", 0.99),
    Racer("Adam", lambda p, lr, b: Adam(p, lr=lr, betas=(b, 0.999)), "beta1", 0.9),
    Racer("AdamW", lambda p, lr, b: AdamW(p, lr=lr, betas=(b, 0.999), weight_decay=0.1),
          "beta1", 0.9),
]}

RACE_SURFACES: dict[str, Callable[[], Surface]] = {
    "Rosenbrock": Rosenbrock,
    "Beale": Beale,
    "Himmelblau": Himmelblau,
    "saddle": Saddle,
    "bowl, axis-aligned (condition 50)": lambda: Quadratic2D(50, angle=0.0),
    "bowl, rotated 45 deg (condition 50)": lambda: Quadratic2D(50, angle=45.0),
    "ripples": Ripples,
}

# a learning rate per optimizer that makes a good race on each surface
DEFAULT_LRS: dict[str, dict[str, float]] = {
    "Rosenbrock": dict(SGD=2e-3, momentum=1e-3, Nesterov=1e-3, Adagrad=0.3,
                       RMSprop=0.01,
                       Adam=0.1, AdamW=0.1),
    "Beale": dict(SGD=0.03, momentum=0.003, Nesterov=0.003, Adagrad=1.0, RMSprop=0.1,
                  Adam=0.3, AdamW=0.3),
    "Himmelblau": dict(SGD=0.01, momentum=0.003, Nesterov=0.003, Adagrad=0.3,
                       RMSprop=0.03,
                       Adam=0.3, AdamW=0.3),
    "saddle": dict(SGD=0.1, momentum=0.03, Nesterov=0.03, Adagrad=0.3, RMSprop=0.03,
                   Adam=0.1, AdamW=0.1),
    "bowl, axis-aligned (condition 50)": dict(SGD=1.0, momentum=0.5, Nesterov=0.5,
                                              Adagrad=1.0, RMSprop=0.1, Adam=0.3,
                                              AdamW=0.3),
    "bowl, rotated 45 deg (condition 50)": dict(SGD=1.0, momentum=0.5, Nesterov=0.5,
                                                Adagrad=1.0, RMSprop=0.1, Adam=0.3,
                                                AdamW=0.3),
    "ripples": dict(SGD=0.3, momentum=0.3, Nesterov=0.3, Adagrad=1.0, RMSprop=0.3,
                    Adam=0.3, AdamW=0.3),
}

_BLOWUP = 1e6


@dataclass(frozen=True)
class Entry:
    """One racer's settings in a race."""

    enabled: bool
    lr: float
    beta: float


class RaceModel:
    """Every enabled optimizer run for `steps` steps from `start` on one surface."""

    def __init__(self, surface: str = "Rosenbrock",
                 start: tuple[float, float] | None = None,
                 steps: int = 300, entries: dict[str, Entry] | None = None) -> None:
        if surface not in RACE_SURFACES:
            raise ValueError(f"surface must be one of {list(RACE_SURFACES)}, got "
                             f"{surface!r}")
        if isinstance(steps, bool) or int(steps) != steps or steps < 1:
            raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
        self.surface_name, self.steps = surface, int(steps)
        self.surface = RACE_SURFACES[surface]()
        self.start = np.array(self.surface.start if start is None else start,
                              dtype=np.float64)
        if self.start.shape != (2,):
            raise ValueError(f"start has shape {self.start.shape}, expected (2,)")
        self.entries = (self.default_entries(surface) if entries is None
                        else dict(entries))
        unknown = set(self.entries) - set(RACERS)
        if unknown:
            raise ValueError(f"unknown optimizer(s) {sorted(unknown)}; expected "
                             f"{list(RACERS)}")
        for name, e in self.entries.items():
            if not (math.isfinite(e.lr) and e.lr > 0):
                raise ValueError(f"{name}: lr must be a positive number, got {e.lr!r}")
        self.paths: dict[str, Path] = {}
        self.run()

    @staticmethod
    def default_entries(surface: str) -> dict[str, Entry]:
        lrs = DEFAULT_LRS[surface]
        on = {"SGD", "momentum", "RMSprop", "Adam"}
        return {n: Entry(n in on, lrs[n], r.beta) for n, r in RACERS.items()}

    def run(self) -> None:
        """Recompute every enabled racer's path (a blow-up stops a path quietly)."""
        s = self.surface
        gap0 = float(s.value(self.start)) - s.min_value
        max_loss = s.min_value + _BLOWUP * max(gap0, 1.0)
        self.paths = {}
        for name, e in self.entries.items():
            if e.enabled:
                racer = RACERS[name]
                self.paths[name] = descend(
                    s, lambda ps, r=racer, e=e: r.make(ps, e.lr, e.beta), self.start,
                    self.steps, max_loss=max_loss)

    def set_entry(self, name: str, **changes) -> None:
        """Change one racer's enabled / lr / beta, and rerun."""
        self.entries[name] = replace(self.entries[name], **changes)
        self.run()

    def position(self, name: str, frame: int) -> np.ndarray:
        """Where racer `name` is at step `frame` (its last point if it stopped)."""
        pts = self.paths[name].points
        return pts[min(frame, len(pts) - 1)]

    def steps_to(self, name: str, tol: float) -> int | None:
        """The first step at which loss - minimum < tol, or None."""
        gap = self.paths[name].losses - self.surface.min_value
        hit = np.flatnonzero(gap < tol)
        return int(hit[0]) if hit.size else None

    def leaderboard(self, frame: int | None = None) -> list[tuple[str, float]]:
        """(name, loss - minimum at `frame`) for every racer, best first."""
        frame = self.steps if frame is None else frame
        rows = []
        for name, p in self.paths.items():
            i = min(frame, len(p.losses) - 1)
            gap = math.inf if (p.diverged and frame >= p.diverged_at) else \
                float(p.losses[i] - self.surface.min_value)
            rows.append((name, gap))
        return sorted(rows, key=lambda r: r[1])
