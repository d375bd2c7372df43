"""The capstone's network and its measured gradients (lesson 12's checks use them).

Private: the checks' own oracle. While a learner's function runs inside a check,
`_capstone_guard.refusing_bpkit_gradients` makes these measurements refuse.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

EPS = 1e-5  # BatchNorm's epsilon
PARAMS = ("W1", "b1", "gamma", "beta", "W2", "b2")

# the forward pass, one tensor a line: name, the tensors it reads, the op (numpy,
# real or complex); X, y and the parameters come from `inputs`
_STEPS: list[tuple[str, tuple[str, ...], Callable[..., Any]]] = [
    ("h_pre", ("X", "W1", "b1"), lambda X, W1, b1: X @ W1 + b1),
    ("mean", ("h_pre",), lambda h_pre: h_pre.mean(axis=0)),
    ("xc", ("h_pre", "mean"), lambda h_pre, mean: h_pre - mean),
    ("var", ("xc",), lambda xc: (xc**2).mean(axis=0)),
    ("inv_std", ("var",), lambda var: (var + EPS) ** -0.5),
    ("xhat", ("xc", "inv_std"), lambda xc, inv_std: xc * inv_std),
    ("bn", ("gamma", "xhat", "beta"), lambda gamma, xhat, beta: gamma * xhat + beta),
    ("h", ("bn",), np.tanh),
    ("logits", ("h", "W2", "b2"), lambda h, W2, b2: h @ W2 + b2),
    # the row's largest entry, picked by the real part (so a complex step passes)
    ("logit_maxes", ("logits",), lambda z: np.take_along_axis(
        z, np.argmax(z.real, axis=1)[:, None], axis=1)),
    ("norm_logits", ("logits", "logit_maxes"), lambda z, m: z - m),
    ("counts", ("norm_logits",), np.exp),
    ("counts_sum", ("counts",), lambda c: c.sum(axis=1, keepdims=True)),
    ("counts_sum_inv", ("counts_sum",), lambda s: s**-1),
    ("probs", ("counts", "counts_sum_inv"), lambda c, s: c * s),
    ("logprobs", ("probs",), np.log),
    ("loss", ("logprobs", "y"), lambda lp, y: -lp[np.arange(len(y)), y].mean()),
]
TENSORS = [name for name, _, _ in _STEPS]
# the exercises, from the loss back to W1
BACKWARD_ORDER = ["logprobs", "probs", "counts_sum_inv", "counts_sum", "counts",
                  "norm_logits", "logit_maxes", "logits", "h", "W2", "b2", "bn",
                  "gamma", "beta", "xhat", "inv_std", "var", "xc", "mean", "h_pre",
                  "W1", "b1"]


class Tensors(SimpleNamespace):
    """Named tensors (f.probs, d.logits); printing one lists names and shapes."""

    def __repr__(self) -> str:
        items = [f"{k} {np.shape(v)}" if np.ndim(v) else f"{k}" for k, v in
                 vars(self).items()]
        return "Tensors(" + ", ".join(items) + ")"


# (seed, N, D, H, C): N, D, H, C all different, so a transposed or mixed-up
# gradient has another shape; two cases, so a hard-coded answer is caught
_CASES = [(0, 7, 5, 4, 3), (1, 5, 6, 3, 4)]


def inputs(seed: int, n: int, d: int, h: int, c: int) -> dict[str, np.ndarray]:
    """A random batch (X, y) and parameters for N, D, H, C = n, d, h, c."""
    rng = np.random.default_rng(seed)
    return {
        "X": rng.standard_normal((n, d)), "y": rng.integers(0, c, n),
        "W1": rng.standard_normal((d, h)) / np.sqrt(d), "b1": 0.1 * rng.standard_normal(h),
        "gamma": rng.uniform(0.5, 1.5, h), "beta": 0.1 * rng.standard_normal(h),
        "W2": rng.standard_normal((h, c)), "b2": 0.1 * rng.standard_normal(c),
    }


def _forward(values: dict[str, Any], set_: dict[str, Any],
             held: dict[tuple[str, str], Any] | None = None) -> dict[str, Any]:
    """Every tensor; a tensor named in `set_` takes that value instead, and for an
    edge (tensor, input) in `held` that tensor reads the input's value as given."""
    v = {**values, **{k: a for k, a in set_.items() if k in values}}
    held = held or {}
    for name, reads, op in _STEPS:
        if name in set_:
            v[name] = set_[name]
        else:
            v[name] = op(*(held.get((name, i), v[i]) for i in reads))
    return v


@functools.lru_cache(maxsize=None)
def _base(k: int) -> dict[str, Any]:
    return _forward(inputs(*_CASES[k]), {})


def case(k: int = 0) -> Tensors:
    """The forward tensors of check case k (a fresh copy, plus eps)."""
    v = _base(k)
    return Tensors(**{n: np.copy(a) for n, a in v.items()}, eps=EPS)


def _edge(name: str, cut: str) -> tuple[str, str]:
    """'mean' cuts the edge name -> mean; 'var<-xc' cuts the edge xc -> var."""
    consumer, _, source = cut.partition("<-")
    return consumer, source or name


def _measure(values: dict[str, Any], name: str, cut: tuple[str, ...] = ()) -> np.ndarray:
    """dloss/d(name) by the complex step, for the inputs `values` (see `inputs`).

    Along each edge in `cut` the consumer reads its input's unperturbed value: the
    gradient that flows along the other paths only.

    Inputs:  values {"X": (N, D), "y": (N,), "W1": (D, H), ...}; name, a parameter
             or a tensor of the forward pass
    Returns: the gradient, of the tensor's shape
    """
    if name not in PARAMS and name not in TENSORS[:-1]:
        raise ValueError(f"name must be a parameter {PARAMS} or a tensor of the "
                         f"forward pass {tuple(TENSORS[:-1])}, got {name!r}")
    base = _forward(values, {})
    fixed = {e: base[e[1]] for e in (_edge(name, c) for c in cut)}
    return _complex_step(base[name], lambda xi: _forward(base, {name: xi}, fixed)["loss"])


def _complex_step(x: Any, scalar: Callable[[np.ndarray], Any]) -> np.ndarray:
    """d scalar / dx, entry by entry: push one entry by 1e-20 i, read Im / 1e-20."""
    x = np.asarray(x, dtype=complex)
    grad = np.zeros(x.shape)
    step = 1e-20
    for i in range(x.size):
        xi = x.copy()
        xi.flat[i] += 1j * step
        grad.flat[i] = np.imag(scalar(xi)) / step
    return grad


@functools.lru_cache(maxsize=None)  # deterministic: each measurement once
def _measured(k: int, name: str, cut: tuple[str, ...] = ()) -> np.ndarray:
    return _measure(_base(k), name, cut)


def _reference(k: int, name: str, cut: tuple[str, ...] = ()) -> np.ndarray:
    """The measured gradient (a copy), as the checks compare it; `cut` names the
    edges left out (see `_edge`)."""
    return _measured(k, name, tuple(sorted(cut))).copy()


def _after(name: str) -> list[str]:
    """The tensors computed after `name` is used: the gradients `d` holds."""
    if name in PARAMS:
        name = next(n for n, reads, _ in _STEPS if name in reads)
        return TENSORS[TENSORS.index(name):]
    return TENSORS[TENSORS.index(name) + 1:]


def gradients_after(k: int, name: str) -> Tensors:
    """What `d` holds in check case k for tensor `name`: the measured gradients of
    every tensor computed after it (and loss = 1)."""
    return _gradients(name)(**{n: _reference(k, n) for n in _after(name) if n != "loss"},
                           loss=1.0)


class _Gradients(Tensors):
    """`d`: reading a tensor it does not hold says which ones it holds."""

    holds = ""  # what d holds, in words

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"d has no {name}: {self.holds}")


@functools.lru_cache(maxsize=None)
def _gradients(name: str, holds: str = "") -> type:
    """The class of a `d` for tensor `name`; `holds` says what it holds."""
    return type("Tensors", (_Gradients,), {
        "holds": holds or f"d holds only the gradients of the tensors after {name}"})


def _consumers(name: str) -> list[str]:
    """The tensors computed directly from `name` (its lines of the forward pass)."""
    return [t for t, reads, _ in _STEPS if name in reads]


@functools.lru_cache(maxsize=None)
def _made_up(k: int, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check case k's forward tensors with a made-up `d` for tensor `name`: random
    gradients of every tensor after it (loss = 1), not the measured ones. An answer
    that ignores d, or a path whose measured gradient is zero, shows up here."""
    rng = np.random.default_rng([k, BACKWARD_ORDER.index(name), 12])
    base = _base(k)
    d = {n: rng.standard_normal(np.shape(base[n])) for n in _after(name) if n != "loss"}
    d["loss"] = 1.0
    return base, d


def _made_up_d(k: int, name: str) -> Tensors:
    return _gradients(name)(**{n: np.copy(a) for n, a in _made_up(k, name)[1].items()})


@functools.lru_cache(maxsize=None)
def _made_up_reference(k: int, name: str, cut: tuple[str, ...] = ()) -> np.ndarray:
    """d(name) for the made-up d of `_made_up`: the sum over the tensors that use
    `name` directly (all but those in `cut`) of their d times the local derivative,
    by the complex step on sum(d_c * c)."""
    base, d = _made_up(k, name)
    users = _consumers(name)
    if any(c not in users for c in cut):
        raise KeyError(f"{cut} are not all tensors computed from {name}")
    steps = [(c, reads, op) for c, reads, op in _STEPS if c in users and c not in cut]
    return _complex_step(base[name], lambda xi: sum(
        np.sum(d[c] * op(*(xi if r == name else base[r] for r in reads)))
        for c, reads, op in steps))
