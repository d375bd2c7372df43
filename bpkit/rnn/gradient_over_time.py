"""How ||dL/dh_t|| grows or shrinks going back through a random RNN (lesson 07).

The loss sits at the last step; Wh has the spectral radius you choose, so the
gradient's norm k steps back reads as the factor the k Jacobians multiply it by.
"""

from __future__ import annotations

import math

import numpy as np

from .._validate import integer, number
from ._checks import ACTIVATIONS
from .spectral import with_spectral_radius
from .vanilla import rnn_backward, rnn_forward

__all__ = ["GradientOverTimeModel"]


def _seed(seed):
    """A seed for default_rng: None, a non-negative integer, or what numpy takes."""
    if seed is None or isinstance(
        seed, (list, tuple, np.ndarray, np.random.SeedSequence)
    ):
        return seed
    return integer("seed", seed, 0)


class GradientOverTimeModel:
    """||dL/dh_t|| of a random RNN when the loss sits at the last step.

    Wh is a fixed random Gaussian matrix rescaled to `radius`; inputs are fixed
    Gaussian noise times `input_scale`. dL/dh at the last step is a unit vector
    per sequence, so `norms[k]` reads directly as the factor by which the
    gradient has grown or shrunk after going k steps back.
    After `set`: `norms` (T,), `states` (N, T, H), `unit_grads` (H, T) and `Wh`.
    """

    def __init__(
        self,
        radius: float = 0.9,
        activation: str = "tanh",
        T: int = 100,
        input_scale: float = 0.1,
        hidden: int = 32,
        batch: int = 8,
        max_T: int = 400,
        seed: int = 0,
    ) -> None:
        hidden = integer("hidden", hidden, 1)
        batch = integer("batch", batch, 1)
        max_T = integer("max_T", max_T, 1)
        rng = np.random.default_rng(_seed(seed))
        self.hidden, self.batch, self.max_T = hidden, batch, max_T
        self._W0 = rng.standard_normal((hidden, hidden))
        self._Wx = rng.standard_normal((4, hidden)) / 2
        self._noise = rng.standard_normal((batch, max_T, 4))
        g = rng.standard_normal((batch, hidden))
        self._dh_last = g / np.linalg.norm(g, axis=1, keepdims=True) / math.sqrt(batch)
        self.set(radius=radius, activation=activation, T=T, input_scale=input_scale)

    def set(self, **params) -> None:
        """Change any of radius, activation, T, input_scale, and recompute."""
        for name in params:
            if name not in ("radius", "activation", "T", "input_scale"):
                raise TypeError(f"unknown parameter {name!r}")
        # checked before any is set: a refused value leaves the model as it was
        new = {n: params[n] if n in params else getattr(self, n)
               for n in ("radius", "activation", "T", "input_scale")}
        act = new["activation"]
        if not isinstance(act, str) or act not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {act!r}")
        try:
            T = integer("T", new["T"], 1, self.max_T)
        except ValueError:
            raise ValueError(
                f"T must be in 1..{self.max_T} (an integer), got {new['T']!r}"
            ) from None
        number("radius", new["radius"], 0, lo_open=True)
        number("input_scale", new["input_scale"], 0)
        for name, value in new.items():
            setattr(self, name, value)
        self.T = T
        self.compute()

    def compute(self) -> None:
        T, N, H = self.T, self.batch, self.hidden
        self.Wh = with_spectral_radius(self._W0, self.radius)
        x = self.input_scale * self._noise[:, :T]
        dh = np.zeros((N, T, H))
        dh[:, -1] = self._dh_last
        with np.errstate(over="ignore", invalid="ignore"):
            h, cache = rnn_forward(x, np.zeros((N, H)), self._Wx, self.Wh, np.zeros(H),
                                   self.activation)
            g = rnn_backward(dh, cache)
        self.states = h  # (N, T, H)
        # per unit, first sequence, k steps back: the heatmap
        self.unit_grads = np.abs(self._unit_grads(h[0], g)).T  # (H, T), lag 0 first
        self.norms = g.dh_norms[::-1].copy()  # (T,): norms[k] = k steps back
        self.mean_abs_h = float(np.mean(np.abs(h)))

    def _unit_grads(self, h0: np.ndarray, g) -> np.ndarray:
        """dL/dh_t of sequence 0 at every step, lag order: (T, H)."""
        out = np.empty((self.T, self.hidden))
        d = self._dh_last[0].copy()
        with np.errstate(over="ignore", invalid="ignore"):
            for k, t in enumerate(range(self.T - 1, -1, -1)):
                out[k] = d
                f = {"tanh": 1 - h0[t] ** 2, "relu": (h0[t] > 0) * 1.0,
                     "linear": np.ones(self.hidden)}[self.activation]
                d = (d * f) @ self.Wh.T
        return out

    @property
    def lags(self) -> np.ndarray:
        return np.arange(self.T)

    def factor_per_step(self, span: int = 20) -> float:
        """The geometric-mean factor per step over the last `span` steps back."""
        span = integer("span", span, 1)
        k = min(span, self.T - 1)
        if k < 1 or not (self.norms[0] > 0 and np.isfinite(self.norms[k])):
            return float("nan")
        if self.norms[k] == 0:
            return 0.0
        return float((self.norms[k] / self.norms[0]) ** (1 / k))

    @property
    def message(self) -> str:
        back = self.T - 1
        last = self.norms[-1]
        # a linear RNN far above radius 1 overflows float64: say so, not "inf"
        grown = (f"= {last:.1e} x its value at the loss" if np.isfinite(last)
                 else "overflows float64 (> 1.8e308 x its value at the loss)")
        return (
            f"{self.activation}, radius {self.radius:.2f}, T = {self.T}: "
            f"||dL/dh|| {back} steps back {grown}; "
            f"factor per step over the first {min(20, self.T - 1)} steps back "
            f"{self.factor_per_step():.3f} "
            f"(mean |h| = {self.mean_abs_h:.3g})"
        )
