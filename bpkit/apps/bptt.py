"""Lesson 07 apps: the gradient over time, and what truncating BPTT costs and saves.

- `GradientOverTimeModel` / `GradientOverTimeApp`: a random RNN whose Wh has
  the spectral radius you choose; the loss sits at the last step and the plot
  shows ||dL/dh_t|| against the number of steps back, on a log scale, beside a
  heatmap of every hidden unit's gradient.
- `TruncationModel` / `TruncationApp`: one batch of sequences, the full BPTT
  gradient, and truncated BPTT with k steps: cosine similarity and norm ratio
  against the full gradient, peak memory and time per update.

The models are pure numpy; the views own the widgets and the figure.
"""

from __future__ import annotations

import math
import time

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FixedLocator, NullLocator

from ..rnn import (
    ACTIVATIONS,
    RNN,
    SequenceModel,
    grad_vector,
    peak_memory,
    rnn_backward,
    rnn_forward,
    tbptt,
    with_spectral_radius,
)
from .base import AppView

__all__ = [
    "GradientOverTimeModel",
    "GradientOverTimeApp",
    "TruncationModel",
    "TruncationApp",
    "leaky_sum_task",
    "draw_unrolled_rnn",
]

_LOG_LIMIT = 20  # the norm plot spans 1e-20 .. 1e20; beyond is clipped for display


# ------------------------------------------------------------- the picture
def draw_unrolled_rnn(ax, T: int = 4, backward: bool = True) -> None:
    """Draw an RNN unrolled over T steps: inputs, states, per-step losses, and
    (with `backward`) the gradient's two paths into each state."""
    box = dict(boxstyle="round,pad=0.35", fc="white", ec="0.3")
    ax.set_xlim(-0.4, T + 0.4)
    ax.set_ylim(-0.6, 2.75)
    ax.axis("off")

    def node(x, y, text, fc="white"):
        ax.text(x, y, text, ha="center", va="center", fontsize=11,
                bbox={**box, "fc": fc})

    def arrow(a, b, color="0.25", ls="-", rad=0.0, text=None, dx=0.0, dy=0.0):
        ax.annotate("", xy=b, xytext=a, arrowprops=dict(
            arrowstyle="-|>", color=color, lw=1.4, ls=ls, shrinkA=14, shrinkB=14,
            connectionstyle=f"arc3,rad={rad}"))
        if text:
            mx, my = (a[0] + b[0]) / 2 + dx, (a[1] + b[1]) / 2 + dy
            ax.text(mx, my, text, ha="center", va="center", fontsize=9, color=color)

    node(0, 1, "$h_0$", "0.92")
    for t in range(1, T + 1):
        node(t, 0, f"$x_{t}$", "#e3f2fd")
        node(t, 1, f"$h_{t}$")
        node(t, 2, f"$L_{t}$", "#fff3e0")
        arrow((t, 0), (t, 1), text="$W_x$", dx=0.17)
        arrow((t - 1, 1), (t, 1), text="$W_h$", dy=0.12)
        arrow((t, 1), (t, 2))
        if backward:
            arrow((t, 2), (t, 1), color="tab:red", ls="--", rad=0.45)
            arrow((t, 1), (t - 1, 1), color="tab:red", ls="--", rad=0.45)
    ax.text(T / 2, 2.6, "forward: black, one step after another, the same $W_x$, "
            "$W_h$ at every step", ha="center", fontsize=9)
    if backward:
        ax.text(T / 2, -0.5, "backward (red): dL/dh_t = dL_t/dh_t + what step t+1 "
                "sends back", ha="center", fontsize=9, color="tab:red")


# ------------------------------------------------------- gradient over time
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
        rng = np.random.default_rng(seed)
        self.hidden, self.batch, self.max_T = hidden, batch, max_T
        self._W0 = rng.standard_normal((hidden, hidden))
        self._Wx = rng.standard_normal((4, hidden)) / 2
        self._noise = rng.standard_normal((batch, max_T, 4))
        g = rng.standard_normal((batch, hidden))
        self._dh_last = g / np.linalg.norm(g, axis=1, keepdims=True) / math.sqrt(batch)
        self.set(radius=radius, activation=activation, T=T, input_scale=input_scale)

    def set(self, **params) -> None:
        """Change any of radius, activation, T, input_scale, and recompute."""
        for name, value in params.items():
            if name not in ("radius", "activation", "T", "input_scale"):
                raise TypeError(f"unknown parameter {name!r}")
            setattr(self, name, value)
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {ACTIVATIONS}, got {self.activation!r}"
            )
        if not 1 <= int(self.T) <= self.max_T:
            raise ValueError(f"T must be in 1..{self.max_T}, got {self.T}")
        if self.radius <= 0 or self.input_scale < 0:
            raise ValueError("radius must be > 0 and input_scale >= 0")
        self.T = int(self.T)
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
            f"factor per step over 20 steps {self.factor_per_step():.3f} "
            f"(mean |h| = {self.mean_abs_h:.3g})"
        )


class GradientOverTimeApp(AppView):
    """Sliders: spectral radius, sequence length, input scale; activation menu."""

    def __init__(self, model: GradientOverTimeModel | None = None) -> None:
        super().__init__(figsize=(10, 3.6))
        self.model = m = model or GradientOverTimeModel()
        style = {"description_width": "110px"}
        self.radius_slider = widgets.FloatSlider(
            value=m.radius, min=0.1, max=3.0, step=0.05,
            description="spectral radius", style=style,
        )
        self.length_slider = widgets.IntSlider(
            value=m.T, min=5, max=m.max_T, step=5, description="sequence length T",
            style=style,
        )
        self.input_slider = widgets.FloatLogSlider(
            value=max(m.input_scale, 1e-3), base=10, min=-3, max=0.5, step=0.05,
            description="input scale", readout_format=".3f", style=style,
        )
        self.activation_dropdown = widgets.Dropdown(
            options=list(ACTIVATIONS), value=m.activation, description="activation",
            style=style,
        )
        for w in (self.radius_slider, self.length_slider, self.input_slider,
                  self.activation_dropdown):
            w.observe(self.handler(lambda change: self.set_params()), names="value")
        self._build_figure()
        self.widget = widgets.VBox([
            widgets.HBox([widgets.VBox([self.radius_slider, self.length_slider]),
                          widgets.VBox([self.input_slider, self.activation_dropdown])]),
            self.status, self.image, self.errors,
        ])
        self.redraw()

    def set_params(self) -> None:
        self.model.set(
            radius=self.radius_slider.value, T=self.length_slider.value,
            input_scale=self.input_slider.value,
            activation=self.activation_dropdown.value,
        )
        self.redraw()

    def _build_figure(self) -> None:
        self.ax_norm, self.ax_heat = self.fig.subplots(1, 2, width_ratios=[1.1, 1])
        ax = self.ax_norm
        (self.ref_line,) = ax.semilogy([], [], "--", color="0.5", lw=1,
                                       label="radius$^k$ (a linear RNN's rate)")
        (self.norm_line,) = ax.semilogy([], [], color="tab:blue", lw=2,
                                        label="||dL/dh|| k steps back")
        ax.set_ylim(10.0**-_LOG_LIMIT, 10.0**_LOG_LIMIT)
        ax.yaxis.set_major_locator(FixedLocator(10.0 ** np.arange(-20, 21, 5)))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.axhline(1.0, color="0.8", lw=0.8)
        ax.set_xlabel("steps back from the loss, k")
        ax.set_ylabel("gradient norm (log scale)")
        ax.set_title("the gradient going back in time")
        ax.legend(loc="upper left", fontsize=8)
        ax.grid(True, alpha=0.3)
        self.heat = self.ax_heat.imshow(
            np.zeros((self.model.hidden, 2)), aspect="auto", cmap="RdBu_r",
            vmin=-12, vmax=12, interpolation="nearest", origin="lower",
        )
        self.ax_heat.set_xlabel("steps back from the loss, k")
        self.ax_heat.set_ylabel("hidden unit")
        self.ax_heat.set_title("log10 |dL/dh_t| per unit (first sequence)")
        self.fig.colorbar(self.heat, ax=self.ax_heat, shrink=0.85)
        self.animate(self.ref_line, self.norm_line, self.heat)
        self._T = None

    def redraw(self) -> None:
        m = self.model
        lags = m.lags
        lo, hi = 10.0**-_LOG_LIMIT, 10.0**_LOG_LIMIT
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            self.norm_line.set_data(lags, np.clip(m.norms, lo, hi))
            ref = m.radius ** lags.astype(float)
            self.ref_line.set_data(lags, np.clip(ref, lo, hi))
            self.heat.set_data(np.clip(np.log10(m.unit_grads), -30, 30))
        self.heat.set_extent((-0.5, m.T - 0.5, -0.5, m.hidden - 0.5))
        span = next(s for s in (25, 50, 100, 200, 400, 10**9) if s >= m.T)
        if span != self._T:  # limits move in jumps: most updates skip a full redraw
            self._T = span
            for ax in (self.ax_norm, self.ax_heat):
                ax.set_xlim(-0.5, span - 0.5)
            self.invalidate()
        self.status.value = m.message
        self.render()


# --------------------------------------------------------------- truncation
def leaky_sum_task(
    N: int, T: int, rng: np.random.Generator, decay: float = 0.95, scale: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs x (N, T, 2) ~ scale * N(0, 1); target y (N, T, 1) a leaky running sum
    of channel 0, y_t = decay * y_{t-1} + 0.3 x_t / scale: the answer depends on
    ~1 / (1 - decay) past steps, so truncating shorter than that loses gradient."""
    x = scale * rng.standard_normal((N, T, 2))
    y = np.zeros((N, T, 1))
    acc = np.zeros(N)
    for t in range(T):
        acc = decay * acc + 0.3 * x[:, t, 0] / scale
        y[:, t, 0] = acc
    return x, y


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
        rng = np.random.default_rng(seed)
        self.T, self.hidden = T, hidden
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
        g = self._grad(k)
        nf, ng = np.linalg.norm(self.full), np.linalg.norm(g)
        cos = float(g @ self.full / (ng * nf)) if ng > 0 else 0.0
        return cos, float(ng / nf), float(np.linalg.norm(g - self.full) / nf)

    def cost(self, k: int, repeats: int = 2) -> tuple[int, float]:
        """(peak bytes, seconds per update) of truncated BPTT, best of `repeats` runs."""
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
        self.radius = float(radius)
        self.net.cell.Wh.data[...] = with_spectral_radius(self._W0, radius)
        self.full = self._grad(self.T)
        curves = np.array([self.compare(int(k)) for k in self.ks])
        self.cos_curve, self.ratio_curve, self.error_curve = curves.T
        if hasattr(self, "k"):
            self.set_k(self.k)

    def set_k(self, k: int) -> None:
        if int(k) != k or not 1 <= k <= self.T:
            raise ValueError(f"k must be an integer in 1..{self.T}, got {k!r}")
        self.k = int(k)
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


class TruncationApp(AppView):
    """A slider for k (and the spectral radius); similarity, memory, time against k."""

    def __init__(self, model: TruncationModel | None = None) -> None:
        super().__init__(figsize=(10, 3.6))
        self.model = m = model or TruncationModel()
        style = {"description_width": "110px"}
        self.k_slider = widgets.IntSlider(
            value=m.k, min=1, max=m.T, description="truncation k", style=style,
            continuous_update=False,
        )
        self.radius_slider = widgets.FloatSlider(
            value=m.radius, min=0.5, max=1.5, step=0.05, description="spectral radius",
            style=style, continuous_update=False,
        )
        self.k_slider.observe(self.handler(lambda c: self.update(m.set_k, c["new"])),
                              names="value")
        self.radius_slider.observe(
            self.handler(lambda c: self.update(m.set_radius, c["new"])), names="value"
        )
        self._build_figure()
        self.widget = widgets.VBox([
            widgets.HBox([self.k_slider, self.radius_slider]),
            self.status, self.image, self.errors,
        ])
        self.redraw()

    def update(self, action, *args) -> None:
        action(*args)
        self.redraw()

    def _build_figure(self) -> None:
        m = self.model
        self.ax_sim, self.ax_cost = self.fig.subplots(1, 2)
        ax = self.ax_sim
        (self.cos_line,) = ax.semilogx([], [], "o-", ms=3, color="tab:blue",
                                       label="cosine similarity")
        (self.ratio_line,) = ax.semilogx([], [], "s-", ms=3, color="tab:orange",
                                         label="norm ratio |g_k| / |g|")
        (self.sim_marker,) = ax.plot([], [], "o", ms=9, mfc="none", mec="k", mew=1.5)
        self.k_line = ax.axvline(m.k, color="k", lw=1, ls=":")
        ax.set_xlim(0.8, m.T * 1.25)
        ax.set_xlabel("truncation k (steps backpropagated)")
        ax.set_title("truncated gradient against the full one")
        ax.legend(loc="lower right", fontsize=8)
        ax.grid(True, alpha=0.3)
        ax2 = self.ax_cost
        (self.mem_line,) = ax2.semilogx(m.ks, m.peaks / 1e3, "o-", ms=3,
                                        color="tab:green", label="peak memory (kB)")
        ax2.set_ylim(0, 1.1 * m.peaks.max() / 1e3)
        ax2.set_xlim(0.8, m.T * 1.25)
        ax2.set_xlabel("truncation k")
        ax2.set_ylabel("peak memory (kB)", color="tab:green")
        ax3 = self.ax_time = ax2.twinx()
        (self.time_line,) = ax3.semilogx(m.ks, 1e3 * m.seconds, "s-", ms=3,
                                         color="tab:purple", label="time per update")
        ax3.set_ylim(0, 1.15 * 1e3 * m.seconds.max())
        ax3.set_ylabel("ms per update", color="tab:purple")
        (self.cost_marker,) = ax2.plot([], [], "o", ms=9, mfc="none", mec="k", mew=1.5)
        self.k_line2 = ax2.axvline(m.k, color="k", lw=1, ls=":")
        ax2.set_title("what truncation saves (one sequence batch)")
        ax2.grid(True, alpha=0.3)
        self._radius = None
        self.animate(self.sim_marker, self.k_line, self.cost_marker, self.k_line2)

    def redraw(self) -> None:
        m = self.model
        if m.radius != self._radius:  # new curves: redraw everything
            self._radius = m.radius
            self.cos_line.set_data(m.ks, m.cos_curve)
            self.ratio_line.set_data(m.ks, m.ratio_curve)
            top = max(1.05, 1.05 * float(np.max(m.ratio_curve)))
            low = min(0.0, float(np.min(m.cos_curve)) - 0.05)
            self.ax_sim.set_ylim(low, top)
            self.invalidate()
        self.sim_marker.set_data([m.k, m.k], [m.cos, m.ratio])
        self.k_line.set_xdata([m.k, m.k])
        self.k_line2.set_xdata([m.k, m.k])
        self.cost_marker.set_data([m.k], [m.peak / 1e3])
        self.status.value = m.message
        self.render()
