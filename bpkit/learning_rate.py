"""Plain gradient descent on a surface at one learning rate, and what it does (lesson 05).

`LearningRateModel` runs `optim.SGD` on one surface from one start and names the
regime: exactly, from lr L, on a quadratic; read off the path (`classify_path`)
elsewhere, with L the largest curvature of the Hessian (`hessian`) at the
minimum nearest the path's end (nearest its start, if it diverged). A run that
does not overshoot but hardly moves is called crawling or stuck (`verdict`).
"""

from __future__ import annotations

import numpy as np

from ._validate import float_array, integer, number
from .optim import SGD
from .surfaces import (
    Beale,
    Himmelblau,
    Path,
    Quadratic1D,
    Quadratic2D,
    Rosenbrock,
    Saddle,
    Surface,
    descend,
    quadratic_regime,
)

__all__ = ["LearningRateModel", "classify_path", "hessian", "SURFACE_NAMES"]

SURFACE_NAMES = ("quadratic 1-D", "quadratic 2-D", "Rosenbrock", "Beale", "Himmelblau",
                 "saddle")
ANGLE = 30.0  # the 2-D bowl is tilted: its steep direction is not an axis
_BLOWUP = 1e6  # a loss this many times its start counts as diverged
# a run that does not overshoot is judged by its last step against the distance
# still to go: at that pace, more steps than the app's slider allows (300) is
# crawling, more than a million is stuck; within _THERE of the minimum it is there
_CRAWLING, _STUCK, _THERE = 1 / 300, 1e-6, 1e-9


def hessian(surface: Surface, w: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """The Hessian at w by central differences of the analytic gradient: (D, D)."""
    if not isinstance(surface, Surface):
        raise TypeError(f"surface must be a bpkit.surfaces Surface such as "
                        f"Rosenbrock(), got {type(surface).__name__}")
    number("eps", eps, 0.0, lo_open=True)
    w = surface._check(w)  # float64, shape (..., D); complex and str refused
    if w.shape != (surface.dim,):
        raise ValueError(f"w must be one point of shape ({surface.dim},), got shape "
                         f"{w.shape}")
    cols = []
    for i in range(surface.dim):
        e = np.zeros_like(w)
        e[i] = eps
        cols.append((surface.grad(w + e) - surface.grad(w - e)) / (2 * eps))
    H = np.stack(cols, axis=1)
    return 0.5 * (H + H.T)


def classify_path(path: Path) -> str:
    """"converging", "oscillating" or "diverging", read off a path.

    diverging: it stopped on a blow-up, or ended above where it started;
    oscillating: most consecutive steps point in opposing directions;
    converging: otherwise.
    """
    if not isinstance(path, Path):
        raise TypeError(f"path must be a bpkit.surfaces Path (what descend returns), "
                        f"got {type(path).__name__}")
    if len(path.losses) == 0 or len(path.points) != len(path.losses):
        raise ValueError(f"path must hold one point per loss and at least one, got "
                         f"{len(path.points)} points and {len(path.losses)} losses")
    if path.diverged or path.losses[-1] > path.losses[0]:
        return "diverging"
    d = np.diff(path.points.reshape(len(path.points), -1), axis=0)
    if len(d) >= 2:
        dots = np.sum(d[1:] * d[:-1], axis=1)
        moving = np.abs(dots) > 1e-24
        if moving.any() and np.mean(dots[moving] < 0) > 0.5:
            return "oscillating"
    return "converging"


class LearningRateModel:
    """Plain gradient descent (`optim.SGD`) on one surface, from one start."""

    def __init__(self, surface: str = "quadratic 1-D", lr: float = 0.5,
                 condition: float = 10.0, start: tuple[float, ...] | None = None,
                 steps: int = 40) -> None:
        if surface not in SURFACE_NAMES:
            raise ValueError(f"surface must be one of {SURFACE_NAMES}, got {surface!r}")
        lr = number("lr", lr, 0.0, lo_open=True)
        steps = integer("steps", steps, 1)
        if surface == "quadratic 2-D":  # unused (and not checked) elsewhere
            number("condition", condition, 1.0)
        self.surface_name, self.lr, self.steps = surface, lr, steps
        self.condition = float(condition)
        self.surface = self._make_surface()
        s = self.surface
        start = s.start if start is None else start
        arr = float_array("start", start)
        # the app sends both sliders' (w1, w2) whatever the surface: a 1-D
        # surface takes the first; any other length is a mistake
        if arr.ndim != 1 or arr.shape[0] not in (s.dim, 2):
            raise ValueError(f"start has shape {arr.shape}, expected ({s.dim},)")
        self.start = np.array(arr, dtype=np.float64)[: s.dim]
        if not np.all(np.isfinite(self.start)):
            raise ValueError(f"start must hold finite numbers, got {arr.tolist()}")
        self.run()

    def _make_surface(self) -> Surface:
        name = self.surface_name
        if name == "quadratic 1-D":
            return Quadratic1D(1.0)
        if name == "quadratic 2-D":
            return Quadratic2D(condition=self.condition, angle=ANGLE)
        return {"Rosenbrock": Rosenbrock, "Beale": Beale, "Himmelblau": Himmelblau,
                "saddle": Saddle}[name]()

    @property
    def is_quadratic(self) -> bool:
        return hasattr(self.surface, "curvatures")

    def run(self) -> None:
        """Recompute the path; a blow-up stops it quietly."""
        s = self.surface
        gap0 = float(s.value(self.start)) - s.min_value
        self.max_loss = s.min_value + _BLOWUP * max(gap0, 1.0)
        self.path = descend(s, SGD, self.start, self.steps, max_loss=self.max_loss,
                            lr=self.lr)
        # the minimum the run is judged against: where it ended up, or, for a
        # run that blew up (its end says nothing), where it started
        anchor = self.start if self.path.diverged else self.path.points[-1]
        self.minimum = s.minima[np.argmin(np.linalg.norm(s.minima - anchor, axis=1))]
        if self.is_quadratic:
            self.curvature = float(np.max(s.curvatures))
        else:
            self.curvature = float(np.max(np.linalg.eigvalsh(hessian(s, self.minimum))))

    @property
    def critical_lr(self) -> float:
        """2 / L: above it, gradient descent diverges near `minimum`."""
        return 2.0 / self.curvature

    @property
    def regime(self) -> str:
        """The exact regime on a quadratic; read off the path elsewhere."""
        if self.is_quadratic:
            return quadratic_regime(self.lr, self.surface.curvatures)
        return classify_path(self.path)

    @property
    def last_step(self) -> float:
        """How far the last step moved."""
        pts = self.path.points
        return float(np.linalg.norm(pts[-1] - pts[-2])) if len(pts) > 1 else 0.0

    @property
    def distance(self) -> float:
        """How far the end of the path is from `minimum`."""
        return float(np.linalg.norm(self.path.points[-1] - self.minimum))

    @property
    def verdict(self) -> str:
        """The regime, unless a run that does not overshoot is not getting anywhere.

        "crawling": at the last step's pace the distance still to go takes more
        than 300 steps; "stuck": more than a million (a zero gradient away from
        the minimum, as at a saddle point); "at the minimum": it started there
        and stayed.
        """
        regime = self.regime
        if regime != "converging":
            return regime
        d = self.distance
        if d <= _THERE:
            moved = np.any(self.path.points != self.path.points[0])
            return "converging" if moved else "at the minimum"
        pace = self.last_step / d
        if pace < _STUCK:
            return "stuck"
        if pace < _CRAWLING:
            return "crawling"
        return "converging"

    def _where(self) -> str:
        """Which minimum L was taken at, for the surfaces that have several."""
        if self.is_quadratic:
            return ""
        m = ", ".join(f"{v:.3g}" for v in self.minimum)
        near = "start" if self.path.diverged else "end"
        return f" at the minimum ({m}) nearest the {near}"

    @property
    def message(self) -> str:
        p = self.path
        head = (f"lr = {self.lr:.4g}, 2/L = {self.critical_lr:.4g}{self._where()} "
                f"(lr L = {self.lr * self.curvature:.4g}): {self.verdict}")
        if p.diverged:
            return f"{head}; diverged at step {p.diverged_at}"
        gap = p.losses[-1] - self.surface.min_value
        tail = f"{head}; after {len(p.losses) - 1} steps loss - min = {gap:.3g}"
        if self.verdict in ("stuck", "crawling"):
            tail += (f": the last step moved {self.last_step:.2g}, the minimum is "
                     f"{self.distance:.2g} away")
        return tail
