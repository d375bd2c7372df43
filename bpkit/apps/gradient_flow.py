"""Lesson 04 app: how gradients flow (or don't) through a deep MLP at initialisation.

Pick the depth, width, activation, initialisation, batch norm and residual
connections; every change rebuilds the network on a fixed batch, runs one
forward and backward pass through `bpkit.diagnostics.gradient_flow`, and
plots, per hidden layer, the gradient norms on a log scale (with the sigmoid's
0.25-per-layer factor drawn over them), the activations' spread and their
histograms.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from ..blocks import ACTIVATIONS, INITS, deep_mlp
from ..diagnostics import FlowReport, gradient_flow
from .base import AppView

__all__ = ["GradientFlowModel", "GradientFlowApp", "plot_gradient_norms"]

ACTIVATION_LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU",
                     "leaky_relu": "leaky ReLU"}
INIT_LABELS = {"normal_1": "N(0, 1)", "normal_0.01": "N(0, 0.01²)", "xavier": "Xavier",
               "he": "He"}
_HIDDEN_KINDS = ("Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Residual")
SETTINGS = ("depth", "width", "activation", "init", "batchnorm", "residual", "batch",
            "classes", "lr", "seed", "bins")
SIGMOID_FACTOR = 0.25  # max of sigmoid'(z) = s (1 - s), at z = 0


class GradientFlowModel:
    """A deep MLP at initialisation, measured by one forward and backward pass.

    The input batch x (N, width) and the gradient g (N, classes) sent back from
    the output are fixed by `seed`, as are the weights; so the same settings
    always give the same picture. The default batch of 64 keeps each matmul of a
    width-64 net below the size where OpenBLAS starts threads, whose start-up
    costs more than the product itself (and far more on a busy machine).
    After `update()`, arrays indexed by hidden layer l = 1..depth hold what
    the plots show.
    """

    def __init__(
        self,
        depth: int = 20,
        width: int = 64,
        activation: str = "sigmoid",
        init: str = "xavier",
        batchnorm: bool = False,
        residual: bool = False,
        batch: int = 64,
        classes: int = 10,
        lr: float = 0.01,
        seed: int = 0,
        bins: int = 41,
    ) -> None:
        self.depth, self.width = depth, width
        self.activation, self.init = activation, init
        self.batchnorm, self.residual = batchnorm, residual
        self.batch, self.classes, self.lr = batch, classes, lr
        self.seed, self.bins = seed, bins
        self.update()

    def configure(self, **settings) -> None:
        """Change any of the constructor's settings, then re-measure."""
        for name in settings:
            if name not in SETTINGS:
                raise ValueError(f"unknown setting {name!r}; choose from {SETTINGS}")
        before = {name: getattr(self, name) for name in settings}
        for name, value in settings.items():
            setattr(self, name, value)
        try:
            self.update()
        except Exception:
            # a rejected setting leaves the model as it was, not half-changed
            for name, value in before.items():
                setattr(self, name, value)
            raise

    def update(self) -> None:
        """Rebuild the network from the settings and run the measured pass."""
        if not 1 <= self.depth <= 200:
            raise ValueError(f"depth must be in 1..200, got {self.depth}")
        for name in ("width", "classes"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 1:
                raise ValueError(
                    f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if int(self.batch) != self.batch or self.batch < 2:
            raise ValueError(f"batch must be an integer >= 2, got {self.batch!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}")
        if self.init not in INITS:
            raise ValueError(f"unknown init {self.init!r}")
        data_rng = np.random.default_rng([self.seed, self.width, 1])
        x = data_rng.standard_normal((self.batch, self.width))  # (N, H)
        g = data_rng.standard_normal((self.batch, self.classes)) / self.batch  # (N, C)
        self.net = deep_mlp(
            self.width, self.width, self.classes, self.depth,
            np.random.default_rng([self.seed, 0]), self.activation, self.init,
            self.batchnorm, self.residual,
        )
        self.report: FlowReport = gradient_flow(self.net, x, dout=g, lr=self.lr)
        self._collect()

    def _collect(self) -> None:
        r = self.report
        hidden = [s for s in r if s.kind in _HIDDEN_KINDS]
        weighted = r.weighted()[: self.depth]  # the readout is last; drop it
        self.layers = np.arange(1, self.depth + 1)
        self.grad_h = np.array([s.grad_norm for s in hidden])  # ||dL/dh_l||
        self.grad_w = np.array([s.weight_grad_norm for s in weighted])  # ||dL/dW_l||
        self.update_ratio = np.array([s.update_ratio for s in weighted])
        self.act_mean = np.array([s.mean for s in hidden])
        self.act_std = np.array([s.std for s in hidden])
        self.saturated = np.array([s.saturated for s in hidden])
        self.dead = np.array([s.dead for s in hidden])
        # the sigmoid's derivative alone shrinks a gradient by >= 4x per layer
        self.bound = self.grad_h[-1] * SIGMOID_FACTOR ** (self.depth - self.layers)
        outs = [r.outputs[s.index] for s in hidden]
        rms = np.sqrt(self.act_mean**2 + self.act_std**2) if self.normalised else None
        self.hist, self.edges = _histograms(outs, rms, self.value_range, self.bins)

    @property
    def normalised(self) -> bool:
        """Histograms of h / rms(h) per layer (unbounded h), else of h itself."""
        return self.residual or self.activation not in ("sigmoid", "tanh")

    @property
    def value_range(self) -> tuple[float, float]:
        if self.normalised:
            return (-3.0, 3.0)
        return (0.0, 1.0) if self.activation == "sigmoid" else (-1.0, 1.0)

    @property
    def ratio(self) -> float:
        """||dL/dh_1|| / ||dL/dh_depth||: below 1 vanishing, above 1 exploding."""
        return float(self.grad_h[0] / self.grad_h[-1])

    @property
    def message(self) -> str:
        parts = [f"first / last layer gradient: {self.ratio:.2e}"]
        if not self.residual:
            flat = "saturated" if self.activation in ("sigmoid", "tanh") else "zero"
            parts.append(f"{100 * np.mean(self.saturated):.0f}% of activations {flat}")
            parts.append(f"{100 * np.mean(self.dead):.0f}% of units dead")
        parts.append(
            f"update / weight at lr {self.lr:g}: "
            f"{np.nanmin(self.update_ratio):.1e} .. {np.nanmax(self.update_ratio):.1e}"
        )
        return " · ".join(parts)


def _histograms(
    outs: list[np.ndarray], rms: np.ndarray | None,
    value_range: tuple[float, float], bins: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-layer histograms (depth, bins), each scaled to a peak of 1, and the edges.

    With `rms`, layer l's values are divided by rms[l] first (shape, not scale).
    One bincount for all layers; values beyond the range land in the edge bins.
    """
    lo, hi = value_range
    edges = np.linspace(lo, hi, bins + 1)
    h = np.stack([o.reshape(-1) for o in outs])  # (depth, N * H)
    if rms is not None:
        h = h / np.where(rms > 0, rms, 1.0)[:, None]
    idx = np.clip(np.floor((h - lo) * (bins / (hi - lo))), 0, bins - 1).astype(np.int64)
    idx += bins * np.arange(len(outs))[:, None]
    counts = np.bincount(idx.ravel(), minlength=bins * len(outs)).reshape(len(outs), bins)
    return counts / counts.max(axis=1, keepdims=True), edges


def _decade_limits(values: np.ndarray) -> tuple[float, float]:
    """Log-axis limits on whole decades with a half-decade margin, at least 2 apart.

    Wide spans snap to multiples of 4 decades, so the limits move rarely.
    """
    v = values[np.isfinite(values) & (values > 0)]
    if v.size == 0:
        return 1e-1, 1e1
    lo = math.floor(math.log10(v.min()) - 0.5)
    hi = math.ceil(math.log10(v.max()) + 0.5)
    if hi - lo > 8:
        lo, hi = 4 * math.floor(lo / 4), 4 * math.ceil(hi / 4)
    if hi - lo < 2:
        lo, hi = lo - 1, hi + 1
    return 10.0**lo, 10.0**hi


def plot_gradient_norms(ax, model: GradientFlowModel, label: str, bound: bool = False,
                        relative: bool = False, **kwargs):
    """Draw ||dL/dh_l|| against layer l on a log axis (for static figures).

    With `relative`, divide by the last hidden layer's norm (every curve ends at 1).
    With `bound`, also draw the 0.25^(L - l) sigmoid factor anchored at the last layer.
    Returns the measured line.
    """
    scale = model.grad_h[-1] if relative else 1.0
    (line,) = ax.semilogy(model.layers, model.grad_h / scale, label=label, **kwargs)
    if bound:
        ax.semilogy(model.layers, model.bound / scale, "k--", lw=1,
                    label="0.25^(L-l): sigmoid' ≤ 1/4 alone")
    return line


class GradientFlowApp(AppView):
    """Controls for depth, width, activation, init, batch norm and residual; three plots.

    Every control rebuilds the model's network and redraws: gradient norms per
    layer (log), activation std per layer (log), activation histograms per layer.
    """

    def __init__(self, model: GradientFlowModel | None = None) -> None:
        super().__init__(figsize=(11.5, 3.6))
        self.model = model or GradientFlowModel()
        m = self.model
        style = {"description_width": "80px"}
        self.depth_slider = widgets.IntSlider(
            value=m.depth, min=1, max=50, description="depth", style=style)
        self.width_slider = widgets.IntSlider(
            value=m.width, min=4, max=256, step=4, description="width", style=style)
        self.activation_dropdown = widgets.Dropdown(
            options=[(v, k) for k, v in ACTIVATION_LABELS.items()], value=m.activation,
            description="activation", style=style)
        self.init_dropdown = widgets.Dropdown(
            options=[(v, k) for k, v in INIT_LABELS.items()], value=m.init,
            description="init", style=style)
        self.batchnorm_checkbox = widgets.Checkbox(value=m.batchnorm,
                                                   description="batch norm")
        self.residual_checkbox = widgets.Checkbox(value=m.residual,
                                                  description="residual")
        self.resample_button = widgets.Button(description="new weights", icon="refresh")

        for w in (self.depth_slider, self.width_slider, self.activation_dropdown,
                  self.init_dropdown, self.batchnorm_checkbox, self.residual_checkbox):
            w.observe(self.handler(lambda change: self.set_params()), names="value")
        self.resample_button.on_click(self.handler(lambda _: self.resample()))

        self._build_figure()
        self.widget = widgets.VBox([
            widgets.HBox([
                widgets.VBox([self.depth_slider, self.width_slider]),
                widgets.VBox([self.activation_dropdown, self.init_dropdown]),
                widgets.VBox([self.batchnorm_checkbox, self.residual_checkbox]),
                self.resample_button,
            ]),
            self.status,
            self.image,
            self.errors,
        ])
        self.redraw()

    # -------------------------------------------------------------- handlers
    def set_params(self) -> None:
        self.model.configure(
            depth=self.depth_slider.value, width=self.width_slider.value,
            activation=self.activation_dropdown.value, init=self.init_dropdown.value,
            batchnorm=self.batchnorm_checkbox.value,
            residual=self.residual_checkbox.value,
        )
        self.redraw()

    def resample(self) -> None:
        self.model.configure(seed=self.model.seed + 1)
        self.redraw()

    # -------------------------------------------------------------- drawing
    def _build_figure(self) -> None:
        self.ax_grad, self.ax_std, self.ax_hist = self.fig.subplots(
            1, 3, gridspec_kw={"width_ratios": [1.25, 1, 1]})
        ax = self.ax_grad
        (self.grad_h_line,) = ax.semilogy([1], [1], "o-", ms=3, lw=1.5, color="tab:blue",
                                          label="‖dL/dh‖ activations")
        (self.grad_w_line,) = ax.semilogy([1], [1], "s-", ms=2.5, lw=1,
                                          color="tab:orange", label="‖dL/dW‖ weights")
        (self.bound_line,) = ax.semilogy([1], [1], "k--", lw=1,
                                         label="0.25^(L-l) × last: sigmoid' ≤ 1/4")
        ax.set_xlabel("hidden layer l (input side → output side)")
        ax.set_title("gradient norm per layer")
        ax.grid(True, alpha=0.3)

        ax = self.ax_std
        (self.std_line,) = ax.semilogy([1], [1], "o-", ms=3, color="tab:green")
        ax.set_xlabel("hidden layer l")
        ax.set_title("activation std per layer")
        ax.grid(True, alpha=0.3)

        ax = self.ax_hist
        self.hist_image = ax.imshow(np.zeros((1, 2)), aspect="auto", origin="lower",
                                    cmap="magma", interpolation="nearest",
                                    norm=PowerNorm(0.5, vmin=0, vmax=1))
        ax.set_ylabel("hidden layer l")
        ax.set_title("activation histogram per layer")
        for a in (self.ax_grad, self.ax_std):
            a.yaxis.set_minor_locator(NullLocator())
            # plain "1e-8" labels: mathtext exponents cost most of a full redraw
            a.yaxis.set_major_formatter(
                FuncFormatter(lambda v, _: f"1e{math.log10(v):.0f}"))
            a.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        self.ax_hist.xaxis.set_major_locator(MaxNLocator(5))
        self.ax_hist.yaxis.set_major_locator(MaxNLocator(6, integer=True))
        self.animate(self.grad_h_line, self.grad_w_line, self.bound_line, self.std_line,
                     self.hist_image)
        self._frame: dict = {}  # what the cached background was drawn for

    def _frame_for(self, key: str, values: np.ndarray) -> tuple[float, float]:
        """Log-axis limits that move only when the data leave them or shrink a lot."""
        lo, hi = self._frame.get(key, (None, None))
        v = values[np.isfinite(values) & (values > 0)]
        if lo is not None and v.size:
            margin = 10**0.2  # keep data off the frame's edges
            inside = v.min() >= lo * margin and v.max() <= hi / margin
            span = math.log10(max(v.max(), v.min() * 10)) - math.log10(v.min())
            if inside and span >= 0.35 * math.log10(hi / lo):
                return lo, hi
        return _decade_limits(values)

    def redraw(self) -> None:
        m = self.model
        sigmoid = m.activation == "sigmoid"
        self.grad_h_line.set_data(m.layers, m.grad_h)
        self.grad_w_line.set_data(m.layers, m.grad_w)
        self.bound_line.set_data(m.layers, m.bound)
        self.bound_line.set_visible(sigmoid)
        self.std_line.set_data(m.layers, m.act_std)
        self.hist_image.set_data(m.hist)
        self.hist_image.set_extent((m.edges[0], m.edges[-1], 0.5, m.depth + 0.5))

        # the bound sets the scale only for a plain sigmoid chain; with batch norm or
        # a skip path the measured curve escapes it, and the bound dives off the axes
        plain = sigmoid and not (m.batchnorm or m.residual)
        shown = np.concatenate([m.grad_h, m.grad_w] + ([m.bound] if plain else []))
        frame = {
            "grad": self._frame_for("grad", shown),
            "std": self._frame_for("std", m.act_std),
            # layer axes in brackets, so dragging the depth slider rarely moves them
            "layers": next(b for b in (5, 10, 20, 30, 40, 50, 10**9) if b >= m.depth),
            "values": (m.value_range, m.normalised),
            "sigmoid": sigmoid,
        }
        if frame != self._frame:
            self._frame = frame
            self._set_axes(frame)
            self.invalidate()
        colour = "#b00020" if not 1e-2 <= m.ratio <= 1e2 else "#1b5e20"
        self.status.value = f"<b style='color:{colour}'>{m.message}</b>"
        self.render()

    def _set_axes(self, frame: dict) -> None:
        top = frame["layers"] + 0.5
        for ax, key in ((self.ax_grad, "grad"), (self.ax_std, "std")):
            lo, hi = frame[key]
            ax.set_ylim(lo, hi)
            k_lo, k_hi = round(math.log10(lo)), round(math.log10(hi))
            every = max(1, math.ceil((k_hi - k_lo) / 6))
            ax.yaxis.set_major_locator(
                FixedLocator(10.0 ** np.arange(k_lo, k_hi + 1, every)))
            ax.set_xlim(0.5, top)
        self.ax_hist.set_ylim(0.5, top)
        (lo, hi), normalised = frame["values"]
        self.ax_hist.set_xlim(lo, hi)
        self.ax_hist.set_xlabel(
            "h / rms(h) of the layer" if normalised else "activation h")
        handles = [self.grad_h_line, self.grad_w_line]
        handles += [self.bound_line] if frame["sigmoid"] else []
        self.ax_grad.legend(handles=handles, loc="best", fontsize=7, framealpha=0.7)
