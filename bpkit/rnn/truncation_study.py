"""Truncated BPTT with k steps against full BPTT: gradient, memory, time (lesson 07).

`TruncationModel` trains nothing: on one fixed batch of the leaky-sum task it
measures, for each k, how closely the truncated gradient follows the full one
(cosine, norm ratio), the peak memory of an update and its time.

The gradients of every k come from one forward pass and one backward sweep
that carries all the k at once (`truncated_grads`); the tests check them
against `tbptt` itself. Memory and time are measured by running `tbptt`.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .._validate import integer, number, positive_integer
from ..sequences import leaky_sum_task
from ._checks import _act_backward
from .gradient_over_time import _seed
from .layers import RNN
from .memory import peak_memory
from .sequence_model import SequenceModel
from .spectral import with_spectral_radius
from .truncated_bptt import tbptt

__all__ = ["TruncationModel", "truncated_grads"]


def truncated_grads(net: SequenceModel, x: np.ndarray, y: np.ndarray,
                    ks) -> np.ndarray:
    """The RNN layer's gradient from `tbptt(net, x, y, k1=k)` for every k, in one pass.

    One forward pass serves every k (truncation does not change the states);
    one backward sweep then carries K gradients side by side, and for each k
    stops the flow into the step before each window start (t = 0, k, 2k...).
    Equal to zeroing the grads and running `tbptt` per k, up to rounding.
    The net must be a vanilla `RNN` with an "mse" readout at every step.

    Inputs: x (N, T, D), y (N, T, O); ks: K positive integers.
    Returns: (K, P) gradients, each laid out as `grad_vector(net.cell.parameters())`.
    """
    cell, readout = net.cell, net.readout
    if not isinstance(cell, RNN) or net.loss_name != "mse" or net.many_to_one:
        raise ValueError("truncated_grads needs a vanilla RNN with an 'mse' readout "
                         "at every step")
    ks = np.array([positive_integer("k", k) for k in ks])  # (K,)
    N, T, D = x.shape
    h = cell.forward(x)  # (N, T, H)
    h_tm = cell._cache.h  # (T, N, H), time-major
    cell._cache = None
    out = readout.forward(h)
    # every window's loss weighs (its steps / T) x (its own mean): the mean over
    # the sequence, so every step's output gets the full sequence's dL/dout
    _, dout = net.loss_fn(out, y)
    e = (dout @ readout.W.data.T).transpose(1, 0, 2)  # (T, N, H): the loss's dL/dh_t
    fp = np.empty_like(h_tm)
    _act_backward(np.ones_like(h_tm), h_tm, cell.activation, out=fp)  # f'(a_t)
    WhT = np.ascontiguousarray(cell.Wh.data.T)
    K, H = len(ks), h_tm.shape[2]
    # keep[t, k] = 0 where a window begins at t: nothing crosses into step t - 1
    keep = (np.arange(T)[:, None] % ks != 0).astype(float)[..., None]  # (T, K, 1)
    # dL/da_t for every k, (T, N K, H): one step is one matrix product
    da = np.empty((T, N * K, H))
    dnext = np.zeros((N, K, H))  # what step t+1 sends back to h_t
    for t in range(T - 1, -1, -1):
        dnext += e[t][:, None]
        dnext *= fp[t][:, None]
        da[t] = dnext.reshape(N * K, H)
        dnext = (da[t] @ WhT).reshape(N, K, H)
        dnext *= keep[t]
    flat = da.reshape(T * N, K * H)
    xs = x.transpose(1, 0, 2).reshape(T * N, D)
    h_prev = np.concatenate([cell.initial_state(N)[None], h_tm[:-1]]).reshape(T * N, H)
    dWx = (xs.T @ flat).reshape(D, K, H).transpose(1, 0, 2)  # (K, D, H)
    dWh = (h_prev.T @ flat).reshape(H, K, H).transpose(1, 0, 2)  # (K, H, H)
    db = flat.sum(axis=0).reshape(K, H)
    return np.concatenate([dWx.reshape(K, -1), dWh.reshape(K, -1), db], axis=1)


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
        self._rows: dict[float, np.ndarray] = {}  # radius -> the ks' gradients
        self._measure_costs()
        self.set_radius(radius)
        self.set_k(20 if T >= 20 else T)

    def _grad(self, k: int) -> np.ndarray:
        """The k-truncated gradient at this radius (each k computed once)."""
        k = min(k, self.T)  # k >= T: no truncation
        if k not in self._grads:
            self._grads[k] = truncated_grads(self.net, self.x, self.y, [k])[0]
        return self._grads[k]

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
        # a k off the grid is measured once, when first asked for: memory and
        # time do not depend on the radius
        self._costs = {int(k): c for k, c in zip(self.ks, costs)}

    def set_radius(self, radius: float) -> None:
        """Rescale Wh to `radius`; recompute the full gradient and the k curves."""
        number("radius", radius, 0)
        self.radius = float(radius)
        self.net.cell.Wh.data[...] = with_spectral_radius(self._W0, radius)
        if self.radius not in self._rows:  # a radius seen before is not recomputed
            # ks end with T: the last row is the full gradient
            self._rows[self.radius] = truncated_grads(self.net, self.x, self.y, self.ks)
        self._grads = {int(k): g for k, g in zip(self.ks, self._rows[self.radius])}
        self.full = self._grads[self.T]
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
        if self.k not in self._costs:
            self._costs[self.k] = self.cost(self.k, repeats=1)
        self.peak, self.seconds_per_update = self._costs[self.k]

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
