"""How gradients flow (or don't) through a deep MLP at initialisation (lesson 04).

`GradientFlowModel` builds a deep MLP from a few settings (depth, width,
activation, initialisation, batch norm, residual connections) on a fixed batch,
runs one forward and backward pass through `bpkit.diagnostics.gradient_flow`,
and keeps, per hidden layer, the gradient norms, the activations' spread and
their histograms; `message` and `verdict` sum it up for the app's status line.
Its plots are in `bpkit.viz.gradient_flow`.
"""

from __future__ import annotations

import numpy as np

from ._validate import integer, number
from .blocks import ACTIVATIONS, INITS, deep_mlp
from .diagnostics import FlowReport, gradient_flow

__all__ = ["GradientFlowModel", "SETTINGS", "SIGMOID_FACTOR", "RATIO_RANGE",
           "SATURATED_WARN"]

_HIDDEN_KINDS = ("Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Residual")
SETTINGS = ("depth", "width", "activation", "init", "batchnorm", "residual", "batch",
            "classes", "lr", "seed", "bins")
SIGMOID_FACTOR = 0.25  # max of sigmoid'(z) = s (1 - s), at z = 0
RATIO_RANGE = (1e-2, 1e2)  # first / last gradient outside it: vanishing or exploding
SATURATED_WARN = 0.1  # sigmoid or tanh outputs saturated at least this often: a warning


class GradientFlowModel:
    """A deep MLP at initialisation, measured by one forward and backward pass.

    The input batch x (N, width) and the gradient g (N, classes) sent back from
    the output are fixed by `seed`, as are the weights; so the same settings
    give the same picture, to the last digit on the same number of BLAS threads
    (the app measures on one: several threads may round a large product
    differently, which shows in an exploding net's digits). The default batch
    of 64 keeps each matmul of a width-64 net below the size where OpenBLAS
    starts threads, whose start-up costs more than the product itself (and far
    more on a busy machine).
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
        for name in ("depth", "width", "batch", "classes", "seed", "bins"):
            # whole numbers first (None, nan, 2.5, "3", True refused); ranges below
            setattr(self, name, integer(name, getattr(self, name)))
        if not 1 <= self.depth <= 200:
            raise ValueError(f"depth must be in 1..200, got {self.depth}")
        for name in ("width", "classes"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 1:
                raise ValueError(
                    f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if int(self.batch) != self.batch or self.batch < 2:
            raise ValueError(f"batch must be an integer >= 2, got {self.batch!r}")
        integer("seed", self.seed, 0)
        integer("bins", self.bins, 1)
        number("lr", self.lr, 0.0, lo_open=True)
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
        # the sigmoid's slope alone: at least 4x per layer. Not a bound on the
        # measured norm, which the weights' own (random, near 1) factor moves too
        steps = self.depth - self.layers  # layers between l and the last
        self.sigmoid_only = self.grad_h[-1] * SIGMOID_FACTOR**steps
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
    def dead_layer(self) -> int | None:
        """The layer nearest the output whose units are all off for every input.

        A ReLU layer like that passes no gradient at all: dL/dh is exactly 0 in
        every layer below it. None if there is none, or if the net is residual
        (the skip path carries the gradient past it) or not ReLU.
        """
        if self.residual or self.activation != "relu":
            return None
        dead = np.flatnonzero(self.dead == 1.0)
        return int(dead[-1]) + 1 if dead.size else None

    @property
    def verdict(self) -> str:
        """The status mark: "bad" (the gradient vanishes, explodes or stops),
        "warn" (it flows, but many sigmoid or tanh outputs are saturated), "good"."""
        lo, hi = RATIO_RANGE
        if self.dead_layer is not None or not lo <= self.ratio <= hi:
            return "bad"
        squashing = self.activation in ("sigmoid", "tanh") and not self.residual
        if squashing and np.mean(self.saturated) >= SATURATED_WARN:
            return "warn"
        return "good"

    @property
    def message(self) -> str:
        parts = [f"first / last layer gradient: {self.ratio:.2e}"]
        k = self.dead_layer
        if k is not None:
            below = " and every layer below" if k > 1 else ""
            parts.append(f"every unit of layer {k} dead: its weights{below} get a "
                         "gradient of exactly 0")
        if not self.residual:
            share = f"{100 * np.mean(self.saturated):.0f}% of activations"
            if self.activation in ("sigmoid", "tanh"):
                parts.append(f"{share} saturated")
            elif self.activation == "relu":
                parts.append(f"{share} zero")
            else:  # leaky ReLU: its negative side has slope 0.01, so no unit is dead
                parts.append(f"{share} negative (slope 0.01, never dead)")
            if self.activation != "leaky_relu":
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
