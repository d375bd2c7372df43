"""SGD, momentum, Nesterov, Adagrad, RMSprop, Adam and AdamW raced on one surface (lesson 06).

`RaceModel` runs every enabled optimizer (a `Racer`, with its settings in an
`Entry`) for the same number of steps from one start, and keeps their paths;
`DEFAULT_LRS` holds a tuned learning rate per optimizer and surface. It also
keeps each run it made, so a new step count, or a racer switched back on,
cuts or continues a run instead of starting it again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from numbers import Real
from typing import Any, Callable

import numpy as np

from ._validate import float_array, integer, number
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
    Descent,
)

__all__ = ["RACERS", "RACE_SURFACES", "DEFAULT_LRS", "BETA_MIN", "Racer", "Entry", "RaceModel"]


@dataclass(frozen=True)
class Racer:
    """One optimizer in the race: how to build it, and what its second slider means."""

    name: str
    make: Callable[[list, float, float], Optimizer]  # (params, lr, beta) -> optimizer
    beta_name: str | None  # the second hyperparameter's name, None if it has none
    beta: float = 0.9
    fixed: str = ""  # the settings the race fixes, shown beside the sliders


RACERS: dict[str, Racer] = {r.name: r for r in [
    Racer("SGD", lambda p, lr, b: SGD(p, lr=lr), None, 0.0),
    Racer("momentum", lambda p, lr, b: SGD(p, lr=lr, momentum=b), "momentum", 0.9),
    Racer("Nesterov", lambda p, lr, b: SGD(p, lr=lr, momentum=b, nesterov=True),
          "momentum", 0.9, "nesterov=True"),
    Racer("Adagrad", lambda p, lr, b: Adagrad(p, lr=lr), None, 0.0),
    Racer("RMSprop", lambda p, lr, b: RMSprop(p, lr=lr, alpha=b), "alpha", 0.99,
          "eps 1e-8"),
    Racer("Adam", lambda p, lr, b: Adam(p, lr=lr, betas=(b, 0.999)), "beta1", 0.9,
          "beta2 0.999"),
    Racer("AdamW", lambda p, lr, b: AdamW(p, lr=lr, betas=(b, 0.999), weight_decay=0.1),
          "beta1", 0.9, "beta2 0.999, weight decay 0.1 (pulls w toward 0)"),
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
_RUNS_KEPT = 32  # runs kept for settings seen before: a few kB each


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
        steps = integer("steps", steps, 1)
        self.surface_name, self.steps = surface, steps
        self.surface = RACE_SURFACES[surface]()
        start = float_array("start", self.surface.start if start is None else start)
        self.start = np.array(start, dtype=np.float64)
        if self.start.shape != (2,):
            raise ValueError(f"start has shape {self.start.shape}, expected (2,)")
        if not np.all(np.isfinite(self.start)):
            raise ValueError(f"start must hold finite numbers, got "
                             f"{self.start.tolist()}")
        if entries is not None and not isinstance(entries, dict):
            raise TypeError(f"entries must be a dict {{optimizer name: Entry}}, got "
                            f"{type(entries).__name__}")
        self.entries = (self.default_entries(surface) if entries is None
                        else dict(entries))
        unknown = set(self.entries) - set(RACERS)
        if unknown:
            raise ValueError(f"unknown optimizer(s) {sorted(unknown)}; expected "
                             f"{list(RACERS)}")
        for name, e in self.entries.items():
            _check_entry(name, e)
        self.paths: dict[str, Path] = {}
        self._runs: dict[tuple, Descent] = {}  # (name, lr, beta) -> its run so far
        self._runs_on: tuple | None = None  # the (surface, start, max_loss) they ran on
        self.run()

    @staticmethod
    def default_entries(surface: str) -> dict[str, Entry]:
        lrs = DEFAULT_LRS[surface]
        on = {"SGD", "momentum", "RMSprop", "Adam"}
        return {n: Entry(n in on, lrs[n], r.beta) for n, r in RACERS.items()}

    def run(self) -> None:
        """Every enabled racer's path (a blow-up stops a path quietly).

        A run kept from before, with the same settings, surface object and
        start, is cut or continued to `steps`: the same numbers as running it
        afresh.
        """
        steps, s = integer("steps", self.steps, 1), self.surface
        gap0 = float(s.value(self.start)) - s.min_value
        max_loss = s.min_value + _BLOWUP * max(gap0, 1.0)
        on = (s, self.start.tobytes(), max_loss)
        if on != self._runs_on:  # the kept runs started elsewhere
            self._runs, self._runs_on = {}, on
        paths = {}  # built whole, then swapped in: a failure keeps the old race
        for name, e in self.entries.items():
            if not e.enabled:
                continue
            racer = RACERS[name]
            key = (name, e.lr, e.beta if racer.beta_name else None)
            run = self._runs.pop(key, None)
            if run is None:
                run = Descent(s, lambda ps, r=racer, e=e: r.make(ps, e.lr, e.beta),
                               self.start, max_loss)
            run.run_to(steps)  # an error drops the run: it may be half-stepped
            self._runs[key] = run  # the newest last: the oldest go first
            paths[name] = run.path(steps)
        while len(self._runs) > _RUNS_KEPT:
            self._runs.pop(next(iter(self._runs)))
        self.paths = paths

    def set_steps(self, steps: int) -> None:
        """Race for `steps` steps: each path is cut or continued, not run again."""
        steps, old = integer("steps", steps, 1), self.steps
        self.steps = steps
        try:
            self.run()
        except Exception:
            self.steps = old
            raise

    def set_entry(self, name: str, **changes) -> None:
        """Change one racer's enabled / lr / beta, and rerun."""
        self._known(name, self.entries)
        new = replace(self.entries[name], **changes)
        _check_entry(name, new)
        self.entries[name] = new
        self.run()

    def _known(self, name: Any, where: dict) -> None:
        if name not in where:
            raise ValueError(f"name must be one of {list(where)} (the racers "
                             f"{'in this race' if where is self.entries else 'running'}"
                             f"), got {name!r}")

    def position(self, name: str, frame: int) -> np.ndarray:
        """Where racer `name` is at step `frame` (its last point if it stopped)."""
        self._known(name, self.paths)
        frame = integer("frame", frame, 0)
        pts = self.paths[name].points
        return pts[min(frame, len(pts) - 1)]

    def steps_to(self, name: str, tol: float) -> int | None:
        """The first step at which loss - minimum < tol, or None."""
        self._known(name, self.paths)
        tol = number("tol", tol, 0.0, lo_open=True)
        gap = self.paths[name].losses - self.surface.min_value
        hit = np.flatnonzero(gap < tol)
        return int(hit[0]) if hit.size else None

    def leaderboard(self, frame: int | None = None) -> list[tuple[str, float]]:
        """(name, loss - minimum at `frame`) for every racer, best first."""
        frame = self.steps if frame is None else integer("frame", frame, 0)
        rows = []
        for name, p in self.paths.items():
            i = min(frame, len(p.losses) - 1)
            gap = math.inf if (p.diverged and frame >= p.diverged_at) else \
                float(p.losses[i] - self.surface.min_value)
            rows.append((name, gap))
        return sorted(rows, key=lambda r: r[1])


# the smallest beta each racer accepts, where it is above 0
BETA_MIN = {"Nesterov": 0.01}


def _check_entry(name: str, e: Any) -> None:
    """An `Entry` with a positive finite lr and, where used, a beta in [0, 1)."""
    if not isinstance(e, Entry):
        raise TypeError(f"entries[{name!r}] must be an Entry(enabled, lr, beta), got "
                        f"{type(e).__name__}")
    if not isinstance(e.enabled, (bool, np.bool_)):
        raise TypeError(f"{name}: enabled must be True or False, got {e.enabled!r}")
    lr_ok = isinstance(e.lr, Real) and not isinstance(e.lr, (bool, np.bool_))
    if not (lr_ok and math.isfinite(e.lr) and e.lr > 0):
        raise ValueError(f"{name}: lr must be a positive number, got {e.lr!r}")
    beta_name = RACERS[name].beta_name
    if beta_name is not None:
        number(f"{name}: beta ({beta_name})", e.beta, 0.0, 1.0, hi_open=True)
        if e.beta < BETA_MIN.get(name, 0.0):
            raise ValueError(f"{name}: {beta_name} must be at least "
                             f"{BETA_MIN[name]:g} (Nesterov's look-ahead needs a "
                             f"momentum; with none it is plain SGD), got {e.beta!r}")
