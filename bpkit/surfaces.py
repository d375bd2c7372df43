"""Loss surfaces for optimizers to run on, each with its value, gradient and minima.

Every surface takes points ``w`` of shape ``(..., D)`` (one point, or a whole
grid or batch of points) and returns values ``(...)`` and gradients
``(..., D)``, computed analytically. `descend` runs any `bpkit.optim`
optimizer on a surface and records the path.

    Quadratic1D   L/2 w^2: the curvature L sets the 1/L and 2/L thresholds
    Quadratic2D   1/2 w^T A w, A with a chosen condition number and rotation
    Rosenbrock    a long curved valley
    Beale         flat plateaus and steep walls
    Himmelblau    four minima of equal depth
    Saddle        a saddle at the origin between two minima
    Ripples       a wide bowl with many small local minima
    NoisyGradient any surface with Gaussian noise added to its gradient,
                  as a mini-batch of size B would add it
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ._validate import float_array, function, integer, number
from .layers import Parameter

__all__ = [
    "Descent",
    "Surface",
    "Quadratic1D",
    "Quadratic2D",
    "Rosenbrock",
    "Beale",
    "Himmelblau",
    "Saddle",
    "Ripples",
    "NoisyGradient",
    "Path",
    "descend",
    "quadratic_regime",
    "SURFACES",
]


class Surface:
    """Base class: `value`, `grad` and `value_and_grad` on points of shape (..., D).

    Attributes:
        dim: D, the number of coordinates.
        minima: (K, D) the known global minima; min_value: the value there.
        bounds: ((lo, hi), ...) per coordinate, the region worth plotting.
        start: (D,) a start point that makes a good race.
        log_contours: whether contour levels should be spaced logarithmically.
    """

    name = "surface"
    dim = 2
    minima = np.zeros((1, 2))
    min_value = 0.0
    bounds: tuple = ((-3.0, 3.0), (-3.0, 3.0))
    start = np.array([-2.0, 2.0])
    log_contours = False

    def _check(self, w: Any, name: str = "w") -> np.ndarray:
        if not isinstance(w, np.ndarray) or w.dtype.kind not in "fiub":
            w = float_array(name, w)  # complex, str, object: refused, not cast
        w = np.asarray(w, dtype=np.float64)
        if w.ndim == 0 or w.shape[-1] != self.dim:
            raise ValueError(
                f"{self.name}: {name} has shape {w.shape}, expected (..., {self.dim})"
            )
        return w

    def value(self, w: np.ndarray) -> np.ndarray:
        """f(w). Inputs: w (..., D). Returns: (...)."""
        return self._value(self._check(w))

    def grad(self, w: np.ndarray) -> np.ndarray:
        """df/dw. Inputs: w (..., D). Returns: (..., D)."""
        return self._grad(self._check(w))

    def value_and_grad(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(f(w), df/dw), shapes (...) and (..., D)."""
        w = self._check(w)
        return self._value(w), self._grad(w)

    def __call__(self, w: np.ndarray) -> np.ndarray:
        return self.value(w)

    def grid(self, resolution: int = 150, bounds: tuple | None = None
             ) -> tuple[np.ndarray, ...]:
        """Values on a regular grid over `bounds`, for contour plots.

        Returns: for D = 2, xx, yy, zz each (resolution, resolution);
        for D = 1, xs, zs each (resolution,).
        """
        resolution = integer("resolution", resolution, 2)
        bounds = self.bounds if bounds is None else _check_bounds(bounds, self.dim)
        axes = [np.linspace(lo, hi, resolution) for lo, hi in bounds]
        if self.dim == 1:
            return axes[0], self._value(axes[0][:, None])
        xx, yy = np.meshgrid(*axes)
        with np.errstate(over="ignore"):
            zz = self._value(np.stack([xx, yy], axis=-1))
        return xx, yy, zz

    def _value(self, w: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _grad(self, w: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _pair(gx: Any, gy: Any) -> np.ndarray:
    """np.stack([gx, gy], axis=-1): a 2-D gradient, (..., 2).

    One point's is built directly: np.stack costs 15x as much on two numbers,
    a fifth of an optimizer step on a surface.
    """
    if getattr(gx, "ndim", 0) == 0 == getattr(gy, "ndim", 0):
        return np.array([gx, gy])
    return np.stack([gx, gy], axis=-1)


class Quadratic1D(Surface):
    """f(w) = L/2 * w^2, curvature L: gradient descent multiplies w by (1 - lr L)."""

    dim = 1
    minima = np.zeros((1, 1))
    start = np.array([1.0])

    def __init__(self, L: float = 1.0) -> None:
        self.L = number("curvature L", L, 0.0, lo_open=True)
        self.name = f"quadratic 1-D (L={self.L:g})"
        self.bounds = ((-1.5, 1.5),)

    @property
    def curvatures(self) -> np.ndarray:
        """Eigenvalues of the Hessian: here just (L,)."""
        return np.array([self.L])

    def _value(self, w):
        return 0.5 * self.L * w[..., 0] ** 2

    def _grad(self, w):
        return self.L * w

    def __repr__(self) -> str:
        return f"Quadratic1D(L={self.L:g})"


class Quadratic2D(Surface):
    """f(w) = 1/2 w^T A w with A's curvatures L (steep) and L / condition (flat).

    The steep direction points at `angle` degrees from the x axis; at angle 0
    the bowl is axis-aligned, the case per-coordinate methods (Adam) handle well.
    """

    log_contours = True

    def __init__(self, condition: float = 10.0, angle: float = 0.0,
                 L: float = 1.0) -> None:
        condition = number("condition", condition, 1.0)
        L = number("curvature L", L, 0.0, lo_open=True)
        angle = number("angle (degrees)", angle)
        self.condition, self.angle, self.L = condition, angle, L
        t = np.deg2rad(self.angle)
        R = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
        self.A = R @ np.diag([self.L, self.L / self.condition]) @ R.T  # (2, 2)
        self.A = 0.5 * (self.A + self.A.T)  # exactly symmetric
        self.name = f"quadratic 2-D (condition {self.condition:g}, {self.angle:g} deg)"
        self.bounds = ((-3.0, 3.0), (-3.0, 3.0))
        self.start = np.array([-2.5, 2.0])

    @property
    def curvatures(self) -> np.ndarray:
        """Eigenvalues of the Hessian A, largest first: (L, L / condition)."""
        return np.array([self.L, self.L / self.condition])

    def _value(self, w):
        return 0.5 * np.einsum("...i,ij,...j->...", w, self.A, w)

    def _grad(self, w):
        return w @ self.A  # A is symmetric

    def __repr__(self) -> str:
        return (f"Quadratic2D(condition={self.condition:g}, angle={self.angle:g}, "
                f"L={self.L:g})")


class Rosenbrock(Surface):
    """f(x, y) = (a - x)^2 + b (y - x^2)^2: a curved valley, minimum (a, a^2)."""

    name = "Rosenbrock"
    bounds = ((-2.0, 2.0), (-1.0, 3.0))
    log_contours = True

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a, self.b = number("a", a), number("b", b)
        self.minima = np.array([[self.a, self.a**2]])
        self.start = np.array([-1.5, 2.5])

    def _value(self, w):
        x, y = w[..., 0], w[..., 1]
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def _grad(self, w):
        x, y = w[..., 0], w[..., 1]
        r = y - x**2
        return _pair(-2 * (self.a - x) - 4 * self.b * x * r, 2 * self.b * r)


class Beale(Surface):
    """Beale's function: flat plateaus, steep walls, minimum 0 at (3, 0.5)."""

    name = "Beale"
    minima = np.array([[3.0, 0.5]])
    bounds = ((-4.5, 4.5), (-4.5, 4.5))
    start = np.array([1.0, 1.5])
    log_contours = True
    _c = (1.5, 2.25, 2.625)

    def _value(self, w):
        if w.ndim == 1 and w.dtype == np.float64:  # one point, as an optimizer steps
            x, powers = self._one_point(w)
            return np.float64(sum((c - x + x * yk) ** 2
                                  for c, yk in zip(self._c, powers[1:])))
        x, y = w[..., 0], w[..., 1]
        return sum((c - x + x * y ** (k + 1)) ** 2 for k, c in enumerate(self._c))

    def _grad(self, w):
        if w.ndim == 1 and w.dtype == np.float64:
            x, powers = self._one_point(w)
            gx = gy = 0.0
            for k, c in enumerate(self._c):
                r = c - x + x * powers[k + 1]  # residual k
                gx = gx + 2 * r * (powers[k + 1] - 1)
                gy = gy + 2 * r * (k + 1) * x * powers[k]
            return np.array([gx, gy])
        x, y = w[..., 0], w[..., 1]
        gx = np.zeros_like(x)
        gy = np.zeros_like(y)
        for k, c in enumerate(self._c):
            r = c - x + x * y ** (k + 1)  # residual k
            gx = gx + 2 * r * (y ** (k + 1) - 1)
            gy = gy + 2 * r * (k + 1) * x * y**k
        return _pair(gx, gy)

    @staticmethod
    def _one_point(w: np.ndarray) -> tuple[float, tuple[float, ...]]:
        """x and (1, y, y^2, y^3) of one point as floats, each rounded as numpy
        rounds it for an array (Python's y ** 3 differs in the last bit): 5x
        faster than numpy on two numbers, the same bits."""
        x, y = float(w[0]), float(w[1])
        return x, (1.0, y, y * y, float(w[..., 1] ** 3))


class Himmelblau(Surface):
    """(x^2 + y - 11)^2 + (x + y^2 - 7)^2: four minima, all of value 0."""

    name = "Himmelblau"
    minima = np.array([
        [3.0, 2.0],
        [-2.805118086952745, 3.131312518250573],
        [-3.779310253377747, -3.283185991286170],
        [3.584428340330492, -1.848126526964404],
    ])
    bounds = ((-5.0, 5.0), (-5.0, 5.0))
    start = np.array([-0.3, -0.6])
    log_contours = True

    def _value(self, w):
        x, y = w[..., 0], w[..., 1]
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2

    def _grad(self, w):
        x, y = w[..., 0], w[..., 1]
        a, b = x**2 + y - 11, x + y**2 - 7
        return _pair(4 * x * a + 2 * b, 2 * a + 4 * y * b)


class Saddle(Surface):
    """f(x, y) = x^2 / 2 - y^2 / 2 + y^4 / 4: a saddle at (0, 0), minima (0, +-1).

    Started on (or near) the line y = 0, plain gradient descent creeps along
    the ridge: the escape speed grows only like e^t from a tiny y.
    """

    name = "saddle"
    minima = np.array([[0.0, 1.0], [0.0, -1.0]])
    min_value = -0.25
    saddle_point = np.array([0.0, 0.0])
    bounds = ((-2.0, 2.0), (-1.6, 1.6))
    start = np.array([-1.8, 1e-3])

    def _value(self, w):
        x, y = w[..., 0], w[..., 1]
        return 0.5 * x**2 - 0.5 * y**2 + 0.25 * y**4

    def _grad(self, w):
        x, y = w[..., 0], w[..., 1]
        return _pair(x, y**3 - y)


class Ripples(Surface):
    """A wide bowl with ripples.

    f(w) = sum_i bowl/2 w_i^2 + amplitude (1 - cos(frequency w_i)).

    The global minimum is the origin; the ripples add local minima on a grid
    around it (`local_minima`), deeper the nearer the centre.
    """

    name = "ripples"
    minima = np.zeros((1, 2))
    log_contours = False

    def __init__(self, bowl: float = 0.1, amplitude: float = 0.5,
                 frequency: float = 2.0,
                 dim: int = 2) -> None:
        for k, v in (("bowl", bowl), ("amplitude", amplitude),
                     ("frequency", frequency)):
            number(k, v, 0.0, lo_open=True)
        dim = integer("dim", dim, 1, 2)
        self.bowl, self.amplitude = float(bowl), float(amplitude)
        self.frequency = float(frequency)
        self.dim = dim
        self.minima = np.zeros((1, dim))
        r = 6.0
        self.bounds = ((-r, r),) * dim
        self.start = np.full(dim, 4.5)

    def _value(self, w):
        a, k = self.amplitude, self.frequency
        return (0.5 * self.bowl * w**2 + a * (1 - np.cos(k * w))).sum(axis=-1)

    def _grad(self, w):
        a, k = self.amplitude, self.frequency
        return self.bowl * w + a * k * np.sin(k * w)

    def minima_1d(self) -> np.ndarray:
        """All minima of one coordinate's profile, sorted (Newton from a fine grid)."""
        b, a, k = self.bowl, self.amplitude, self.frequency
        reach = a * k / b  # beyond |u| = reach the slope b u beats the ripple
        u = np.linspace(-reach - 1, reach + 1, int(40 * reach * k) + 200)
        g = b * u + a * k * np.sin(k * u)
        starts = u[:-1][(g[:-1] < 0) & (g[1:] >= 0)]  # slope - to +: a minimum
        for _ in range(50):
            starts = starts - (b * starts + a * k * np.sin(k * starts)) / (
                b + a * k * k * np.cos(k * starts))
        return np.unique(np.round(starts, 10))

    def ridges_1d(self) -> np.ndarray:
        """The crests between neighbouring minima of one coordinate's profile, sorted.

        Basin i of `minima_1d` spans crests i-1 .. i; its depth is the lower
        crest's value minus the minimum's.
        """
        b, a, k = self.bowl, self.amplitude, self.frequency
        m = self.minima_1d()
        lo, hi = m[:-1], m[1:]  # the slope is + after a minimum, - before the next
        for _ in range(60):  # bisection: one crest per gap, found to float precision
            mid = (lo + hi) / 2
            rising = b * mid + a * k * np.sin(k * mid) > 0
            lo, hi = np.where(rising, mid, lo), np.where(rising, hi, mid)
        return (lo + hi) / 2

    def basins_1d(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The basins of one coordinate's profile that have a crest on each side.

        Returns: (centres, widths, depths), each (K,): the minimum, the distance
        between its two crests, and how far it lies below the lower crest.
        """
        b, a, k = self.bowl, self.amplitude, self.frequency

        def profile(u):
            return 0.5 * b * u**2 + a * (1 - np.cos(k * u))

        centres, crests = self.minima_1d()[1:-1], self.ridges_1d()
        lower = np.minimum(profile(crests[:-1]), profile(crests[1:]))
        return centres, np.diff(crests), lower - profile(centres)

    def basin(self, w: np.ndarray) -> np.ndarray:
        """Which basin each point lies in, counted per coordinate from the centre.

        The coordinates do not interact, so a basin is a box between the crests
        of `ridges_1d` in every coordinate. Inputs: w (..., D). Returns: (..., D)
        integers, 0 between the two crests around 0, +-1 in the neighbouring
        basins, and so on; all zeros is the global minimum's basin.
        """
        w = self._check(w)
        crests = self.ridges_1d()
        return np.searchsorted(crests, w) - len(crests) // 2

    def local_minima(self) -> np.ndarray:
        """(K, D) every minimum, global included, nearest the origin first."""
        m = self.minima_1d()
        pts = m[:, None] if self.dim == 1 else np.array([[x, y] for x in m for y in m])
        return pts[np.argsort(np.linalg.norm(pts, axis=1), kind="stable")]

    def __repr__(self) -> str:
        return (f"Ripples(bowl={self.bowl:g}, amplitude={self.amplitude:g}, "
                f"frequency={self.frequency:g}, dim={self.dim})")


class NoisyGradient(Surface):
    """`surface`'s value; its gradient plus N(0, (sigma^2 / batch_size) I) noise.

    A model of a mini-batch gradient: unbiased, with variance shrinking like
    1 / batch_size. Noise comes from `rng`, so runs are reproducible.
    """

    def __init__(self, surface: Surface, sigma: float, rng: np.random.Generator,
                 batch_size: int = 1) -> None:
        if not isinstance(surface, Surface):
            raise TypeError(f"surface must be a bpkit.surfaces Surface such as "
                            f"Rosenbrock(), got {type(surface).__name__}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                "rng must be a numpy Generator, e.g. np.random.default_rng(0); "
                f"got {type(rng).__name__}"
            )
        sigma = number("sigma", sigma, 0.0)
        batch_size = integer("batch_size", batch_size, 1)
        self.surface, self.sigma, self.rng = surface, sigma, rng
        self.batch_size = batch_size
        self.dim = surface.dim
        self.minima, self.min_value = surface.minima, surface.min_value
        self.bounds, self.start = surface.bounds, surface.start
        self.log_contours = surface.log_contours
        self.name = f"{surface.name} + gradient noise"

    @property
    def noise_std(self) -> float:
        """The standard deviation of each gradient entry's noise: sigma / sqrt(B)."""
        return self.sigma / np.sqrt(self.batch_size)

    def _value(self, w):
        return self.surface._value(w)

    def _grad(self, w):
        noise = self.noise_std * self.rng.standard_normal(w.shape)
        return self.surface._grad(w) + noise

    def __repr__(self) -> str:
        return (f"NoisyGradient({self.surface!r}, sigma={self.sigma:g}, "
                f"batch_size={self.batch_size})")


SURFACES: dict[str, Callable[[], Surface]] = {
    "quadratic 1-D": Quadratic1D,
    "quadratic 2-D": Quadratic2D,
    "Rosenbrock": Rosenbrock,
    "Beale": Beale,
    "Himmelblau": Himmelblau,
    "saddle": Saddle,
    "ripples": Ripples,
}


# ------------------------------------------------------------------ running
@dataclass
class Path:
    """An optimizer's path on a surface.

    points: (k + 1, *start.shape) every position, start first.
    losses: (k + 1,) the value at each (summed over a batch of starts).
    diverged_at: the step whose value was not finite (or above max_loss), else None.
    """

    points: np.ndarray
    losses: np.ndarray
    diverged_at: int | None = None

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def message(self) -> str:
        if self.diverged:
            return f"diverged at step {self.diverged_at}"
        return f"ran {len(self.losses) - 1} steps, final loss {self.losses[-1]:.4g}"


def _check_bounds(bounds: Any, dim: int) -> tuple:
    """((lo, hi), ...) one finite pair per coordinate, lo < hi."""
    try:
        arr = np.asarray(bounds, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.shape != (dim, 2):
        raise ValueError(f"bounds must be {dim} pair(s) ((lo, hi), ...), one per "
                         f"coordinate, got {bounds!r}")
    if not (np.all(np.isfinite(arr)) and np.all(arr[:, 0] < arr[:, 1])):
        raise ValueError(f"bounds must be finite pairs with lo < hi, got {bounds!r}")
    return bounds


def descend(
    surface: Surface,
    optimizer: Callable[..., Any],
    start: Any = None,
    steps: int = 100,
    max_loss: float | None = None,
    scheduler: Callable[[Any], Any] | None = None,
    **hyper: Any,
) -> Path:
    """Run `steps` steps of `optimizer(params, **hyper)` on `surface` from `start`.

    Inputs:
        optimizer: an optimizer class such as `optim.Adam`, or any callable
            taking a parameter list (and `hyper`) and returning an optimizer.
        start: (D,) one start, or (K, D) K independent starts run side by side
            (elementwise optimizers treat every coordinate on its own, so the
            K runs do not interact). Default: the surface's own start.
        max_loss: stop, as diverged, once the value exceeds this.
        scheduler: a callable taking the optimizer and returning an lr schedule
            (e.g. ``lambda opt: CosineAnnealingLR(opt, T_max=steps)``), stepped
            after every optimizer step.
    Returns:
        a `Path`; a diverging run stops quietly at the first non-finite value.
    """
    if not isinstance(surface, Surface):
        raise TypeError(f"surface must be a bpkit.surfaces Surface such as "
                        f"Rosenbrock(), got {type(surface).__name__}")
    function("optimizer", optimizer)
    if scheduler is not None:
        function("scheduler", scheduler)
    if max_loss is not None:
        number("max_loss", max_loss)
    start = surface.start if start is None else start
    start = surface._check(start, "start")
    if not np.all(np.isfinite(start)):  # a few numbers: cheap
        raise ValueError(f"start must hold finite numbers, got {start.tolist()}")
    steps_ok = isinstance(steps, (int, np.integer, float, np.floating))
    if (not steps_ok or isinstance(steps, bool) or not np.isfinite(steps)
            or int(steps) != steps or steps < 0):
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    run = Descent(surface, optimizer, start, max_loss, scheduler, **hyper)
    run.run_to(int(steps))
    return run.path(int(steps))


class Descent:
    """The run behind `descend`, kept so it can go on: `run_to(more)` continues
    from the last point (optimizer state and all), with the same numbers as a
    fresh run of that many steps."""

    def __init__(self, surface: Surface, optimizer: Callable[..., Any], start: Any,
                 max_loss: float | None = None,
                 scheduler: Callable[[Any], Any] | None = None, **hyper: Any) -> None:
        self.w = Parameter(np.array(start, dtype=np.float64))
        self.opt = optimizer([self.w], **hyper)
        self.sched = scheduler(self.opt) if scheduler is not None else None
        self.max_loss = max_loss
        self.points = np.empty((0, *self.w.data.shape))  # (room, *start.shape)
        self.losses = np.empty(0)  # (room,)
        self.n = 0  # points recorded so far
        self.diverged_at: int | None = None
        self._grad = None  # the gradient at the last point: the next step's
        plain = (type(surface).value_and_grad is Surface.value_and_grad
                 and type(surface)._check is Surface._check)
        # w.data stays a float64 array of the start's shape: no _check per step
        self._parts = (surface._value, surface._grad) if plain else None
        self._value_and_grad = surface.value_and_grad

    def run_to(self, steps: int) -> None:
        """Record every point up to step `steps`, or up to the step that diverged."""
        if steps >= len(self.losses):  # room for all of them, made once
            more = max(steps + 1, 2 * len(self.losses)) - len(self.losses)
            self.points = np.concatenate(
                [self.points, np.empty((more, *self.w.data.shape))])
            self.losses = np.concatenate([self.losses, np.empty(more)])
        # locals: this loop is the race's inner loop, 10 us a step
        w, opt, sched, points, losses = (self.w, self.opt, self.sched, self.points,
                                         self.losses)
        max_loss = math.inf if self.max_loss is None else self.max_loss
        k, grad = self.n, self._grad
        try:
            with np.errstate(all="ignore"):
                while k <= steps and self.diverged_at is None:
                    if k > 0:  # the step from point k - 1, with the gradient there
                        w.grad[...] = grad
                        opt.step()
                        if sched is not None:
                            sched.step()
                    x = w.data
                    if self._parts is None:
                        value, grad = self._value_and_grad(x)
                    else:
                        value, grad = self._parts[0](x), self._parts[1](x)
                    loss = (float(value) if type(value) is np.float64
                            else float(np.sum(value)))
                    points[k], losses[k] = x, loss
                    k += 1
                    if not math.isfinite(loss) or loss > max_loss:
                        self.diverged_at = k - 1
        finally:  # after an error the run is half a step on: its caller drops it
            self.n, self._grad = k, grad

    def path(self, steps: int) -> Path:
        """A copy of the first `steps` steps (after `run_to(steps)`) as a `Path`."""
        n = min(steps + 1, self.n)
        diverged = self.diverged_at is not None and self.diverged_at <= steps
        return Path(self.points[:n].copy(), self.losses[:n].copy(),
                    self.diverged_at if diverged else None)


def quadratic_regime(lr: float, curvatures: Any) -> str:
    """What gradient descent does on a quadratic with these Hessian eigenvalues.

    Each direction's error is multiplied by (1 - lr * L_i) per step:
    "converging"  every factor in [0, 1): monotone (lr <= 1 / L_max);
    "oscillating" some factor in (-1, 0): sign flips, shrinking (1/L < lr < 2/L);
    "neutral"     some factor exactly -1: bouncing forever (lr = 2 / L_max);
    "diverging"   some factor below -1: growing (lr > 2 / L_max).
    """
    lr = float_array("lr", lr)
    if not np.all(np.isfinite(lr) & (lr >= 0)):  # a few numbers: cheap
        raise ValueError(f"lr must hold finite numbers >= 0, got {lr.tolist()}")
    L = np.atleast_1d(float_array("curvatures", curvatures))
    if L.size == 0:
        raise ValueError("curvatures is empty: expected the Hessian's eigenvalues, "
                         "one or more numbers >= 0")
    if not np.all(np.isfinite(L) & (L >= 0)):
        raise ValueError(f"curvatures must hold finite numbers >= 0, got {L.tolist()}")
    L = np.asarray(L, dtype=np.float64)
    if lr.ndim == 0:
        lr = float(lr)  # a plain number, as before
    f = 1 - lr * L
    if np.any(f < -1):
        return "diverging"
    if np.any(np.isclose(f, -1, rtol=0, atol=1e-12)):
        return "neutral"
    if np.any(f < 0):
        return "oscillating"
    return "converging"
