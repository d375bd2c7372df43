"""Checks for lesson 04 (vanishing and exploding gradients)."""

from __future__ import annotations

import functools
import math
from typing import Callable

import numpy as np

from ..blocks import INITS, BatchNorm1d, deep_mlp
from ..diagnostics import gradient_flow
from ..gradcheck import numerical_grad, rel_error
from ..layers import Linear, Sequential, Sigmoid
from . import (
    NOT_ATTEMPTED, Feedback, LearnerError, array, arrays, call, correct, describe,
    hard_coded, hard_coded_hint, hint, hints_on_error, name_of, non_finite,
    not_attempted, number, order_hint, run, show, batch_sum_mistakes,
)

__all__ = [
    "check_gradient_ratio",
    "check_tanh_init",
    "check_residual_backward",
    "check_batchnorm_backward",
    "batchnorm_case",
    "sigmoid_chain",
    "measure_tanh_init",
]

# (depth, w) points on which every anticipated mistake gives a different number;
# w > 0, as the exercise says (for w < 0 the ratio of norms is |w/4|^depth)
_RATIO_POINTS = [(10, 1.0), (10, 2.0), (3, 3.0), (1, 0.5), (5, 8.0)]


def _near(a: float, b: float) -> bool:
    """Equal to the digits a printout shows: a number copied from one is caught."""
    return math.isclose(a, b, rel_tol=1e-2)


def sigmoid_chain(depth: int, w: float) -> Sequential:
    """`depth` scalar layers h = sigmoid(w h_prev + b), every pre-activation 0 at x = 0.

    The first bias is 0 (x = 0); the others are -w/2, since sigmoid(0) = 1/2.
    """
    layers = []
    for l in range(depth):
        lin = Linear(1, 1, np.random.default_rng(0))
        lin.W.data[:] = w
        lin.b.data[:] = 0.0 if l == 0 else -w / 2
        layers += [lin, Sigmoid()]
    return Sequential(*layers)


@functools.lru_cache(maxsize=None)  # deterministic: measure each chain once
def _measured_ratio(depth: int, w: float) -> float:
    r = gradient_flow(sigmoid_chain(depth, w), np.zeros((1, 1)), dout=np.ones((1, 1)))
    return r.input_grad_norm / r[-1].grad_norm


_RATIO_MISTAKES: list[tuple[str, Callable[[int, float], float]]] = [
    ("the weight is missing: each layer multiplies the gradient by sigmoid'(z) * w, "
     "the local derivative of the activation times that of w h",
     lambda d, w: 0.25**d),
    ("the activation's derivative is missing: each layer multiplies the gradient by "
     "w * sigmoid'(z), and sigmoid'(0) = 1/4",
     lambda d, w: w**d),
    ("0.5 is sigmoid(0), the activation's value; the chain rule needs its slope, "
     "sigmoid'(0) = sigmoid(0) (1 - sigmoid(0)) = 1/4",
     lambda d, w: (0.5 * w) ** d),
    ("one factor short: a chain of `depth` layers has `depth` local derivatives "
     "between dL/dh_depth and dL/dh_0",
     lambda d, w: (0.25 * w) ** (d - 1)),
    ("upside down: you gave dL/dh_depth / dL/dh_0; the question asks how much of the "
     "last layer's gradient reaches the input",
     lambda d, w: (0.25 * w) ** -d),
    ("the chain rule multiplies the per-layer factors, it does not add them",
     lambda d, w: 0.25 * w * d),
    ("the sign is off: a ratio of two norms is positive, and with w > 0 every "
     "factor sigmoid'(0) * w is too",
     lambda d, w: -((0.25 * w) ** d)),
    ("one factor too many: a chain of `depth` layers has `depth` local derivatives, "
     "one per layer, between dL/dh_depth and dL/dh_0",
     lambda d, w: (0.25 * w) ** (d + 1)),
    ("the weight counts once per layer, not once in all: each layer's local "
     "derivative is sigmoid'(z) * w, so w appears `depth` times",
     lambda d, w: 0.25**d * w),
    ("the slope counts once per layer, not once in all: each layer's local "
     "derivative is sigmoid'(z) * w, so 1/4 appears `depth` times",
     lambda d, w: w**d / 4),
]


@hints_on_error(should="return a number")
def check_gradient_ratio(predicted_ratio: Callable[[int, float], float]) -> Feedback:
    """`predicted_ratio(depth, w)`: |dL/dh_0| / |dL/dh_depth| of `sigmoid_chain`.

    The exercise says w > 0: the check asks at positive weights only.
    """
    got = call(predicted_ratio, *_RATIO_POINTS[0])
    if got is NOT_ATTEMPTED:
        return not_attempted("predicted_ratio(depth, w)")
    who = name_of(predicted_ratio)
    vals = [number(got, who)] + [number(run(predicted_ratio, d, w), who)
                                 for d, w in _RATIO_POINTS[1:]]
    measured = [_measured_ratio(d, w) for d, w in _RATIO_POINTS]

    def close(a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=1e-6)

    def same(ref: Callable[[int, float], float]) -> bool:
        return all(close(v, ref(d, w)) for v, (d, w) in zip(vals, _RATIO_POINTS))

    if same(_measured_ratio):
        return correct(
            f"(w/4)^depth: at depth 10, w = 1 that is {measured[0]:.3e}, "
            "as gradient_flow measures on the chain; at w = 4 the two factors cancel"
        )
    if hard_coded(vals, measured, _near):  # also a printed, rounded number
        return hard_coded_hint("predicted_ratio", "depth and w")
    for message, mistake in _RATIO_MISTAKES:
        if same(mistake):
            return hint(message)
    if all(v == vals[0] for v in vals[1:]):
        return hint(f"predicted_ratio gives {vals[0]:.4g} at every depth and w; the "
                    "ratio changes with both: one factor sigmoid'(0) * w per layer")
    k = next(i for i, (v, m) in enumerate(zip(vals, measured)) if not close(v, m))
    d, w = _RATIO_POINTS[k]
    g, m = show(vals[k], measured[k], ".3g")
    return hint(
        f"at depth {d}, w = {w:g} you give {g}; gradient_flow measures {m}. "
        "Multiply one local derivative per layer: "
        "dh_l/dh_(l-1) = sigmoid'(z_l) * w with z_l = 0."
    )


@functools.lru_cache(maxsize=None)  # deterministic: measure each init once
def measure_tanh_init(init: str, depth: int = 50, width: int = 64) -> dict[str, float]:
    """Gradient ratio, saturation and last-layer spread of a deep tanh MLP with `init`.

    Returns: {"ratio": |dL/dh_1| / |dL/dh_depth|, "saturated": mean fraction,
    "last_std": std of the last hidden layer}.
    """
    rng = np.random.default_rng(0)
    net = deep_mlp(width, width, 10, depth, rng, "tanh", init)
    x = rng.standard_normal((64, width))
    g = rng.standard_normal((64, 10)) / 64
    tanh = gradient_flow(net, x, dout=g).select("Tanh")
    return {
        "ratio": tanh[0].grad_norm / tanh[-1].grad_norm,
        "saturated": float(np.mean([s.saturated for s in tanh])),
        "last_std": tanh[-1].std,
    }


@hints_on_error(should="return an init's name")
def check_tanh_init(pick_tanh_init: Callable[[], str]) -> Feedback:
    """`pick_tanh_init()` must name the init (a key of blocks.INITS) that suits tanh."""
    got = call(pick_tanh_init)
    if got is NOT_ATTEMPTED:
        return not_attempted("pick_tanh_init()")
    if not isinstance(got, str) or got not in INITS:
        return hint(f"return one of {list(INITS)}, got {describe(got)}")
    m = measure_tanh_init(got)
    seen = (f"at depth 50, width 64: first/last gradient {m['ratio']:.2e}, "
            f"{100 * m['saturated']:.0f}% saturated, last-layer std "
            f"{m['last_std']:.2e}")
    if got == "xavier":
        other = {name: measure_tanh_init(name)["ratio"]
                 for name in ("he", "normal_1", "normal_0.01")}
        # N(0, 1) saturates: its exact growth changes with rounding, its size does not
        big = other["normal_1"]
        big = "more than 1e12" if big > 1e12 else f"{big:.2g}"
        return correct(
            f"{seen}. Xavier keeps Var(W h) near Var(h) (n s^2 = 1) and tanh has slope 1 "
            "at 0, so of the four inits it changes the gradient least: He multiplies it "
            f"by {other['he']:.3g}, N(0, 1) by {big}, N(0, 0.01^2) by "
            f"{other['normal_0.01']:.2g}. Away from 0 tanh's slope is below 1, so the "
            "gradient still shrinks, slowly"
        )
    if got == "normal_1":
        return hint(f"{seen}: with 64 inputs each pre-activation has std ~8, deep in "
                    "tanh's flat tails. Scale the weights by the fan-in.")
    if got == "normal_0.01":
        return hint(f"{seen}: each layer multiplies the signal by ~0.01 * sqrt(64) "
                    "= 0.08 on the way forward, and the gradient by the same 0.08 on "
                    "the way back, through W^T (tanh's slope is ~1 at such small "
                    "values): both die out")
    return hint(f"{seen}: close, but He's factor sqrt(2) makes up for ReLU zeroing "
                "half its inputs; tanh zeroes none, so deep down the gradient grows. "
                "Which init keeps a gain of 1?")


_RESIDUAL_MISTAKES: list[tuple[str, Callable]] = [
    ("a minus sign: out = x + f(x), so the two paths' gradients add, "
     "dout + inner_backward(dout)",
     lambda dout, inner: dout - inner(dout)),
    ("a minus sign: out = x + f(x), so the two paths' gradients add, "
     "dout + inner_backward(dout)",
     lambda dout, inner: inner(dout) - dout),
    ("that is the inner block's gradient alone: the skip path x -> out also carries "
     "dL/dout straight back, and the two add",
     lambda dout, inner: inner(dout)),
    ("that is the skip path alone: x also reaches out through the inner block, whose "
     "backward adds its own term",
     lambda dout, inner: dout),
    ("out = x + f(x), so d(out)/dx = I + f'(x): the paths add, they do not multiply",
     lambda dout, inner: dout * inner(dout)),
    ("twice dL/dout ignores the inner block's own Jacobian: call inner_backward(dout)",
     lambda dout, inner: 2 * dout),
]


def _residual_case(seed: int, n: int) -> tuple[np.ndarray, Callable]:
    """dL/dout (n, 3) and an inner block's backward, d -> d @ M."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((3, 3))
    dout = rng.standard_normal((n, 3))

    def inner(d):
        return d @ M

    return dout, inner


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=1e-10))


def _near_array(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal to the digits a printed array shows (4 decimals, as numpy prints)."""
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-3, atol=1e-3))


@hints_on_error(should="return an array of dout's shape")
def check_residual_backward(residual_backward: Callable) -> Feedback:
    """`residual_backward(dout, inner_backward)`: dL/dx for out = x + inner(x)."""
    dout, inner = _residual_case(4, 5)
    got = call(residual_backward, dout, inner)
    if got is NOT_ATTEMPTED:
        return not_attempted("residual_backward(dout, inner_backward)")
    who, what = name_of(residual_backward), "an array, dL/dx"
    got = array(got, who, what)
    want = dout + inner(dout)
    paths = (dout, inner(dout))
    if got.shape == (2, *dout.shape) and any(
            _close(got[0], a) and _close(got[1], b) for a, b in (paths, paths[::-1])):
        return hint("you return the two paths' gradients side by side; dL/dx is one "
                    "array of x's shape: add them, dout + inner_backward(dout)")
    if got.shape != dout.shape:
        return hint(f"dL/dx has x's shape {dout.shape}; you returned shape {got.shape}")
    dout2, inner2 = _residual_case(5, 2)
    got2 = array(run(residual_backward, dout2, inner2), who, what)
    want2 = dout2 + inner2(dout2)
    if hard_coded([got, got2], [want, want2], _near_array):  # also a printed array
        return hard_coded_hint("residual_backward", "dout and inner_backward")
    if _close(got, want):
        if got2.shape != want2.shape:
            return hint(f"right for the first dout, but for a dout of shape "
                        f"{dout2.shape} you return shape {got2.shape}: dL/dx has "
                        "the shape of the dout it is given")
        if not _close(got2, want2):
            return hint(f"right for the first dout, but not for another of shape "
                        f"{dout2.shape}: return dout + inner_backward(dout) for the "
                        "dout and inner_backward you are given")
        return correct("dL/dx = dL/dout + inner_backward(dL/dout): even if the inner "
                       "gradient vanishes, dL/dout reaches x unchanged")
    odd = non_finite([got], ["dL/dx"])
    if odd:
        return hint(odd)
    for message, mistake in _RESIDUAL_MISTAKES:
        if _close(got, np.asarray(mistake(dout, inner), dtype=float)):
            return hint(message)
    k = int(np.argmax([not _close(g, w) for g, w in zip(got, want)]))
    g, w = show(got[k], want[k], ".4f")
    return hint(f"for row {k} of dout you give {g}, expected {w}. out = x + f(x): sum "
                "the gradient along the skip path (dout itself) and along the block "
                "(inner_backward(dout))")


# ------------------------------------------------------------ batch norm backward
# (seed, N, D): N != D, so a transposed dx has another shape; two cases, so a
# hard-coded answer is caught
_BN_CASES = [(0, 5, 3), (1, 4, 2)]


def batchnorm_case(seed: int = 0, n: int = 5, d: int = 3) -> tuple[np.ndarray, ...]:
    """A training-mode BatchNorm1d step: (x, gamma, beta, dout, xhat, inv_std).

    x (N, D) is off-centre and unevenly scaled, gamma (D,) is not all ones, dout
    (N, D) is random; xhat and inv_std are what `BatchNorm1d.forward` caches.
    """
    rng = np.random.default_rng(seed)
    x = 2.0 + rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, d)  # (N, D)
    gamma = rng.uniform(0.5, 2.0, d) * rng.choice([-1.0, 1.0], d)  # (D,)
    beta = rng.standard_normal(d)  # (D,)
    dout = rng.standard_normal((n, d))  # (N, D)
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + 1e-5)  # (D,) biased variance
    xhat = (x - x.mean(axis=0)) * inv_std  # (N, D)
    return x, gamma, beta, dout, xhat, inv_std


def _bn_layer(gamma: np.ndarray, beta: np.ndarray) -> BatchNorm1d:
    bn = BatchNorm1d(len(gamma))
    bn.gamma.data[:] = gamma
    bn.beta.data[:] = beta
    return bn


@functools.lru_cache(maxsize=None)  # deterministic: each case's reference once
def _bn_reference(k: int) -> tuple[np.ndarray, ...]:
    """bpkit's BatchNorm1d backward on case k: (dx, dgamma, dbeta)."""
    x, gamma, beta, dout, _, _ = batchnorm_case(*_BN_CASES[k])
    bn = _bn_layer(gamma, beta)
    bn.forward(x)
    dx = bn.backward(dout)
    return dx, bn.gamma.grad.copy(), bn.beta.grad.copy()


@functools.lru_cache(maxsize=None)
def _bn_numerical(k: int) -> tuple[np.ndarray, ...]:
    """Central differences of L = sum(y * dout) on case k: (dx, dgamma, dbeta)."""
    x, gamma, beta, dout, _, _ = batchnorm_case(*_BN_CASES[k])
    x, gamma, beta = x.copy(), gamma.copy(), beta.copy()

    def loss() -> float:
        return float(np.sum(_bn_layer(gamma, beta).forward(x) * dout))

    return tuple(numerical_grad(lambda _: loss(), a) for a in (x, gamma, beta))


def _bn_dxhat(dout, xhat, inv_std, gamma):
    return dout * gamma  # (N, D)


def _bn_dx(dout, xhat, inv_std, gamma):
    g = _bn_dxhat(dout, xhat, inv_std, gamma)
    return inv_std * (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0))


_UNBIASED = ("dx uses the unbiased variance, 1/(N-1): the forward normalises with "
             "the biased batch variance, var = mean((x - mean)^2), so dvar/dx_i = "
             "2 (x_i - mean) / N; the N - 1 is only for the running variance")

# name: (rule, [(hint, mistake)]), each a function of (dout, xhat, inv_std, gamma)
_BN_RULES: dict[str, tuple[Callable, list[tuple[str, Callable]]]] = {
    "dx": (
        _bn_dx,
        [
            ("dx is missing both mean terms: the batch mean and variance depend on "
             "every x_i too, so subtract mean(dxhat) and xhat * mean(dxhat * xhat), "
             "per feature (axis=0)",
             lambda d, xh, s, g: _bn_dxhat(d, xh, s, g) * s),
            ("dx is missing the variance's term: the batch variance depends on every "
             "x_i too, so also subtract xhat * mean(dxhat * xhat, axis=0)",
             lambda d, xh, s, g: s * (d * g - (d * g).mean(axis=0))),
            ("dx is missing the mean's term: the batch mean depends on every x_i "
             "too, so also subtract mean(dxhat, axis=0)",
             lambda d, xh, s, g: s * (d * g - xh * (d * g * xh).mean(axis=0))),
            (_UNBIASED,
             lambda d, xh, s, g: s * (d * g - (d * g).mean(axis=0)
                                      - xh * (d * g * xh).sum(axis=0) / (len(d) - 1))),
            (_UNBIASED,
             lambda d, xh, s, g: s / (len(d) - 1) * (
                 len(d) * d * g - (d * g).sum(axis=0) - xh * (d * g * xh).sum(axis=0))),
            ("dx is missing gamma: y = gamma * xhat + beta, so dxhat = dout * gamma "
             "before the normalisation's backward",
             lambda d, xh, s, g: s * (d - d.mean(axis=0) - xh * (d * xh).mean(axis=0))),
            ("dx is transposed: it has x's shape (N, D), one row per example",
             lambda d, xh, s, g: _bn_dx(d, xh, s, g).T),
            ("dx has the wrong sign: y grows with x along gamma * inv_std, so keep "
             "dx = +inv_std * (dxhat - ...), no minus in front",
             lambda d, xh, s, g: -_bn_dx(d, xh, s, g)),
        ],
    ),
    "dgamma": (
        lambda d, xh, s, g: (d * xh).sum(axis=0),
        batch_sum_mistakes("dgamma", "gamma", "scales", "(dout * xhat).sum(axis=0)",
                           "D", lambda d, xh, s, g: d * xh),
    ),
    "dbeta": (
        lambda d, xh, s, g: d.sum(axis=0),
        batch_sum_mistakes("dbeta", "beta", "is added to", "dout.sum(axis=0)", "D",
                           lambda d, xh, s, g: d),
    ),
}


def _bn_same(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=1e-10))


def _bn_same_all(out: tuple, want: tuple) -> bool:
    return all(_bn_same(o, w) for o, w in zip(out, want))


@hints_on_error(should="return (dx, dgamma, dbeta)")
def check_batchnorm_backward(batchnorm_backward: Callable[..., object]) -> Feedback:
    """`batchnorm_backward(dout, xhat, inv_std, gamma)`: (dx, dgamma, dbeta) of
    training-mode batch norm, y = gamma * xhat + beta, xhat = (x - mean) * inv_std.

    Compared with bpkit's `BatchNorm1d.backward` and with central finite
    differences, at two inputs of different shapes.
    """
    cases = [batchnorm_case(*c) for c in _BN_CASES]
    args = [(dout, xhat, inv_std, gamma) for _, gamma, _, dout, xhat, inv_std in cases]
    dout, xhat, inv_std, gamma = args[0]
    try:
        got = call(batchnorm_backward, *args[0])
    except LearnerError as e:  # a broadcasting error is the common one
        words = ("shape", "broadcast", "dimension")
        if not e.raised or not any(w in str(e) for w in words):
            raise
        n, d = dout.shape
        return hint(f"{e}. Check the shapes: dout and xhat are ({n}, {d}), inv_std "
                    f"and gamma ({d},); sum or average over axis=0 for a (D,) result")
    if got is NOT_ATTEMPTED:
        return not_attempted("batchnorm_backward(dout, xhat, inv_std, gamma)")
    names = ("dx", "dgamma", "dbeta")
    who = name_of(batchnorm_backward)
    what = "three arrays, in the order (dx, dgamma, dbeta)"
    outs = [arrays(got, names, who, what)] + [
        arrays(run(batchnorm_backward, *a), names, who, what) for a in args[1:]]
    wants = [_bn_reference(k) for k in range(len(cases))]
    if all(_bn_same_all(o, w) for o, w in zip(outs, wants)):
        err = max(rel_error(o, f) for k in range(len(cases))
                  for o, f in zip(outs[k], _bn_numerical(k)))
        if err > 1e-5:  # bpkit's backward agrees with the differences (tested)
            return hint(f"your answer matches BatchNorm1d.backward but differs from "
                        f"central finite differences by {err:.1e}")
        return correct(
            "dx = inv_std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) with "
            "dxhat = dout * gamma; as BatchNorm1d.backward gives, and central finite "
            f"differences agree to {err:.0e}"
        )
    if hard_coded(outs, wants, _bn_same_all):
        return hard_coded_hint("batchnorm_backward", "dout, xhat, inv_std and gamma")
    order = order_hint(outs, wants, names, _bn_same)
    if order:
        return hint(order)
    odd = non_finite(outs[0], names)
    if odd:
        return hint(odd)

    problems = []
    for k, name in enumerate(names):
        rule, mistakes = _BN_RULES[name]
        results = [(out[k], a) for out, a in zip(outs, args)]
        if all(_bn_same(v, w[k]) for (v, _), w in zip(results, wants)):
            continue
        for message, mistake in mistakes:
            if all(_bn_same(v, mistake(*a)) for v, a in results):
                problems.append(message)
                break
        else:
            want, mine = wants[0][k], outs[0][k]
            if mine.shape != want.shape:
                problems.append(f"{name} has shape {mine.shape}, expected {want.shape} "
                                f"for dout of shape {dout.shape}")
            else:
                i = np.unravel_index(int(np.argmax(np.abs(mine - want))), want.shape)
                g, w = show(mine[i], want[i], ".4g")
                where = ", ".join(str(int(j)) for j in i)
                problems.append(f"{name} has the right shape but {name}[{where}] gives "
                                f"{g}, expected {w}")
    ok = [n for n in names if not any(p.startswith(n + " ") for p in problems)]
    prefix = f"{', '.join(ok)} right; " if ok else ""
    return hint(prefix + "; ".join(problems))
