"""Truncated BPTT with k steps against full BPTT: gradient, memory, time (lesson 07).

`TruncationModel` trains nothing: on one fixed batch of the leaky-sum task it
measures, for each k, how closely the truncated gradient follows the full one
(cosine, norm ratio), the peak memory of an update and its time.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .._validate import integer, number, positive_integer
from ..sequences import leaky_sum_task
from .gradient_over_time import _seed
from .layers import RNN
from .memory import peak_memory
from .sequence_model import SequenceModel
from .spectral import with_spectral_radius
from .truncated_bptt import grad_vector, tbptt

__all__ = ["TruncationModel"]


class TruncationModel:
    """Truncated BPTT with k1 = k2 = k against full BPTT, on one fixed batch.

    The comparison uses the recurrent layer's gradient (Wx, Wh, b): the
    readout's gradient is local to each step, so truncation leaves it exact.
    """

    KS = (1, 2, 5, 10, 20, 50, 100, 200)

    def __init__(
        self, T: int = 200, radius: float = 1.0, hidden: int = 32, batch: int = 16,
        seed: int = 0,
    ) -> None:
        T = integer("T", T, 1)
        number("radius", radius, 0)
        hidden, batch = integer("hidden", hidden, 1), integer("batch", batch, 1)
        rng = np.random.default_rng(_seed(seed))
        self.T, self.hidden, self.batch = T, hidden, batch
        self.x, self.y = leaky_sum_task(batch, T, rng)
        self.net = SequenceModel(RNN(2, hidden, rng, radius=radius), 1, rng)
        self._W0 = self.net.cell.Wh.data.copy()
        self.ks = np.array([k for k in self.KS if k < T] + [T])
        self._measure_costs()
        self.set_radius(radius)
        self.set_k(20 if T >= 20 else T)

    def _grad(self, k: int) -> np.ndarray:
        self.net.zero_grad()
        tbptt(self.net, self.x, self.y, k1=k)
        return grad_vector(self.net.cell.parameters())

    def compare(self, k: int) -> tuple[float, float, float]:
        """(cosine similarity, norm ratio, relative error) of the k-truncated grad."""
        k = positive_integer("k", k)
        g = self._grad(k)
        nf, ng = np.linalg.norm(self.full), np.linalg.norm(g)
        cos = float(g @ self.full / (ng * nf)) if ng > 0 else 0.0
        return cos, float(ng / nf), float(np.linalg.norm(g - self.full) / nf)

    def cost(self, k: int, repeats: int = 2) -> tuple[int, float]:
        """(peak bytes, seconds per update) of truncated BPTT: the largest peak and the
        best time of `repeats` runs."""
        k = positive_integer("k", k)
        _, peak = peak_memory(lambda: tbptt(self.net, self.x, self.y, k1=k), repeats)
        best = math.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            res = tbptt(self.net, self.x, self.y, k1=k)
            best = min(best, time.perf_counter() - t0)
        return peak, best / res.updates

    def _measure_costs(self) -> None:
        costs = [self.cost(int(k)) for k in self.ks]
        self.peaks = np.array([c[0] for c in costs])
        self.seconds = np.array([c[1] for c in costs])

    def set_radius(self, radius: float) -> None:
        """Rescale Wh to `radius`; recompute the full gradient and the k curves."""
        number("radius", radius, 0)
        self.radius = float(radius)
        self.net.cell.Wh.data[...] = with_spectral_radius(self._W0, radius)
        self.full = self._grad(self.T)
        curves = np.array([self.compare(int(k)) for k in self.ks])
        self.cos_curve, self.ratio_curve, self.error_curve = curves.T
        if hasattr(self, "k"):
            self.set_k(self.k)

    def set_k(self, k: int) -> None:
        try:
            self.k = integer("k", k, 1, self.T)
        except ValueError:
            raise ValueError(
                f"k must be an integer in 1..{self.T}, got {k!r}"
            ) from None
        self.cos, self.ratio, self.error = self.compare(self.k)
        i = np.flatnonzero(self.ks == self.k)
        if i.size:
            self.peak, self.seconds_per_update = self.peaks[i[0]], self.seconds[i[0]]
        else:
            self.peak, self.seconds_per_update = self.cost(self.k, repeats=1)

    @property
    def updates(self) -> int:
        return math.ceil(self.T / self.k)

    @property
    def message(self) -> str:
        return (
            f"k = {self.k} ({self.updates} updates per sequence of {self.T}): "
            f"cosine {self.cos:.3f}, norm ratio {self.ratio:.3f}, relative error "
            f"{self.error:.3f}; peak memory {self.peak / 1e3:.0f} kB (full BPTT "
            f"{self.peaks[-1] / 1e3:.0f} kB), {1e3 * self.seconds_per_update:.2f} ms "
            f"per update (full {1e3 * self.seconds[-1]:.2f} ms)"
        )
