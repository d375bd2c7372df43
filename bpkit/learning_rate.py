"""Plain gradient descent on a surface at one learning rate, and what it does (lesson 05).

`LearningRateModel` runs `optim.SGD` on one surface from one start and names the
regime: exactly, from lr L, on a quadratic; read off the path (`classify_path`)
elsewhere, with L the largest curvature of the Hessian (`hessian`) at the
nearest minimum.
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

    @property
    def curvature(self) -> float:
        """The largest curvature L: the bowl's, or the Hessian's at the nearest
        minimum."""
        s = self.surface
        if self.is_quadratic:
            return float(np.max(s.curvatures))
        m = s.minima[np.argmin(np.linalg.norm(s.minima - self.path.points[-1], axis=1))]
        return float(np.max(np.linalg.eigvalsh(hessian(s, m))))

    @property
    def critical_lr(self) -> float:
        """2 / L: above it, gradient descent diverges near the minimum."""
        return 2.0 / self.curvature

    @property
    def regime(self) -> str:
        """The exact regime on a quadratic; read off the path elsewhere."""
        if self.is_quadratic:
            return quadratic_regime(self.lr, self.surface.curvatures)
        return classify_path(self.path)

    @property
    def message(self) -> str:
        p = self.path
        head = (f"lr = {self.lr:.4g}, 2/L = {self.critical_lr:.4g} "
                f"(lr L = {self.lr * self.curvature:.3g}): {self.regime}")
        if p.diverged:
            return f"{head}; diverged at step {p.diverged_at}"
        gap = p.losses[-1] - self.surface.min_value
        return f"{head}; after {len(p.losses) - 1} steps loss - min = {gap:.3g}"
