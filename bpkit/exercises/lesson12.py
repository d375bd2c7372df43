"""Checks for lesson 12, the capstone: every gradient of an MLP with BatchNorm by hand.

The network: h_pre = X @ W1 + b1, BatchNorm over the batch (mean, xc, var,
inv_std, xhat, bn), h = tanh(bn), logits = h @ W2 + b2, then softmax
cross-entropy written out piece by piece (logit_maxes, norm_logits, counts,
counts_sum, counts_sum_inv, probs, logprobs, loss).

The learner writes one function per tensor, ``dname(f, d)``: `f` holds every
tensor of the forward pass, `d` the gradients of every tensor *after* it (the
reference's, so an earlier mistake never spoils a later exercise). The checks
do not know the answers as formulas: they measure each gradient with the
complex-step derivative (perturb one entry by a tiny imaginary step, rerun the
forward pass, read the loss's imaginary part), a finite difference accurate to
rounding. A gradient along one path only is measured the same way with the
edge to the other path held at its unperturbed value.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from . import (
    NOT_ATTEMPTED, Feedback, LearnerError, array, arrays, call, correct,
    hard_coded, hard_coded_hint, hint, hints_on_error, name_of, non_finite,
    not_attempted, order_hint, run, show,
)

__all__ = ["EPS", "PARAMS", "BACKWARD_ORDER", "Tensors", "case", "inputs", "measure",
           "reference", "gradients_after", "check_full_backward", "ready_to_train"]

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


def measure(values: dict[str, Any], name: str, cut: tuple[str, ...] = ()) -> np.ndarray:
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
    x = np.asarray(base[name], dtype=complex)
    grad = np.zeros(x.shape)
    step = 1e-20
    for i in range(x.size):
        xi = x.copy()
        xi.flat[i] += 1j * step
        grad.flat[i] = _forward(base, {name: xi}, fixed)["loss"].imag / step
    return grad


@functools.lru_cache(maxsize=None)  # deterministic: each measurement once
def _measured(k: int, name: str, cut: tuple[str, ...] = ()) -> np.ndarray:
    return measure(_base(k), name, cut)


def reference(k: int, name: str, cut: tuple[str, ...] = ()) -> np.ndarray:
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
    return Tensors(**{n: reference(k, n) for n in _after(name) if n != "loss"},
                   loss=1.0)


def _sizes(k: int) -> dict[int, str]:
    _, n, d, h, c = _CASES[k]
    return {n: "N", d: "D", h: "H", c: "C", 1: "1"}


def _letters(shape: tuple[int, ...], k: int) -> str:
    s = _sizes(k)
    text = ", ".join(s.get(int(x), str(x)) for x in shape)
    return f"({text},)" if len(shape) == 1 else f"({text})"


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal to rounding, on the scale of the reference."""
    return a.shape == b.shape and bool(
        np.max(np.abs(a - b), initial=0.0) <= 1e-7 * np.max(np.abs(b), initial=0.0)
        + 1e-11)


# ------------------------------------------------------------ the mistakes
# each a function of (f, d, r, n): the forward tensors, the downstream gradients,
# r(name, cut) the measured gradient of that case with the edges in `cut` cut
# (see `_edge`), n the batch size
def _two_paths(t: str, first: str, second: str, how_first: str,
               how_second: str) -> list[tuple[str, Callable]]:
    """The slips of a tensor used by two others: each path alone."""
    return [
        (f"d{t} has only the path through {first}: {t} also {how_second}; add that "
         "path", lambda f, d, r, n: r(t, (second,))),
        (f"d{t} has only the path through {second}: {t} also {how_first}; add that "
         "path", lambda f, d, r, n: r(t, (first,))),
    ]


def _second_path_times(t: str, first: str, second: str,
                       k: Callable[[int], float]) -> Callable:
    """The slip: the path through `second` multiplied by k(N)."""
    return lambda f, d, r, n: r(t, (second,)) + k(n) * r(t, (first,))


_MISTAKES: dict[str, list[tuple[str, Callable]]] = {
    "logprobs": [
        ("every class got -1/N: only the target class's log-prob enters the loss, "
         "so dlogprobs is 0 everywhere else", lambda f, d, r, n: np.full(
             f.logprobs.shape, -1.0 / n)),
        ("[:, y] sets whole columns: every row gets -1/N at each class that is some "
         "row's target; index each row's own target with [np.arange(N), y]",
         lambda f, d, r, n: np.isin(np.arange(f.logprobs.shape[1]), f.y)
         * np.full(f.logprobs.shape, -1.0 / n)),
    ],
    "probs": [
        ("d log(p)/dp = 1/p: divide by probs, do not multiply",
         lambda f, d, r, n: r("probs") * f.probs**2),
    ],
    "counts_sum_inv": [
        ("probs = counts * counts_sum_inv: the local derivative with respect to "
         "counts_sum_inv is the other factor, counts",
         lambda f, d, r, n: (d.probs * f.counts_sum_inv).sum(axis=1, keepdims=True)),
    ],
    "counts_sum": [
        ("d(1/s)/ds = -1/s^2: you used -1/s", lambda f, d, r, n: r("counts_sum")
         * f.counts_sum),
    ],
    "counts": _two_paths(
        "counts", "probs", "counts_sum",
        "enters probs directly (probs = counts * counts_sum_inv)",
        "adds to its row's counts_sum (whose gradient reaches every count in the "
        "row)"),
    "norm_logits": [
        ("the derivative of exp is exp itself: multiply by counts = exp(norm_logits), "
         "not by norm_logits",
         lambda f, d, r, n: r("norm_logits") / f.counts * f.norm_logits),
    ],
    "logits": [
        ("dlogits holds only the path through logit_maxes (almost zero): logits "
         "reach the loss through norm_logits = logits - logit_maxes; add that path",
         lambda f, d, r, n: r("logits", ("norm_logits",))),
        ("that is probs / N: at each row's target class subtract 1 / N (the one-hot "
         "part of the loss)", lambda f, d, r, n: f.probs / n),
    ],
    "bn": [
        ("tanh'(x) = 1 - tanh(x)^2: square h, the output, not bn, the input",
         lambda f, d, r, n: d.h * (1 - f.bn**2)),
        ("tanh'(x) = 1 - tanh(x)^2: h squared, not h",
         lambda f, d, r, n: d.h * (1 - f.h)),
    ],
    "gamma": [
        ("bn = gamma * xhat + beta: gamma multiplies xhat, so dgamma sums dbn times "
         "xhat, not times bn", lambda f, d, r, n: (d.bn * f.bn).sum(axis=0)),
    ],
    "xhat": [
        ("dxhat is missing gamma: bn = gamma * xhat + beta, so each xhat's gradient "
         "is dbn scaled by its feature's gamma", lambda f, d, r, n: r("xhat") / f.gamma),
    ],
    "inv_std": [
        ("xhat = xc * inv_std: inv_std's local derivative is xc, not xhat",
         lambda f, d, r, n: (d.xhat * f.xhat).sum(axis=0)),
    ],
    "var": [
        ("dvar is missing eps: inv_std = (var + eps)^(-1/2), so its derivative has "
         "(var + eps)^(-3/2), eps included",
         lambda f, d, r, n: r("var") * ((f.var + EPS) / f.var) ** 1.5),
        ("the power rule lowers the exponent by one: d/dv v^(-1/2) = -1/2 v^(-3/2)",
         lambda f, d, r, n: r("var") * (f.var + EPS)),
    ],
    "xc": _two_paths("xc", "xhat", "var", "enters xhat = xc * inv_std directly",
                     "feeds var = mean(xc^2)") + [
        ("the path through var is N times too large: var is a mean over the batch, "
         "so each xc gets 1/N of it", _second_path_times("xc", "xhat", "var", float)),
        ("the path through var is missing the 2 of d(xc^2)/dxc = 2 xc",
         _second_path_times("xc", "xhat", "var", lambda n: 0.5)),
        ("var is the biased batch variance, a mean over N: its path has 1/N, not "
         "1/(N-1)", _second_path_times("xc", "xhat", "var", lambda n: n / (n - 1))),
        ("the path through var has the wrong sign: the two paths add",
         _second_path_times("xc", "xhat", "var", lambda n: -1.0)),
    ],
    "h_pre": _two_paths("h_pre", "xc", "mean",
                        "enters xc = h_pre - mean directly",
                        "feeds the batch mean (dmean / N for every row)") + [
        ("the path through the mean is N times too large: mean = sum / N, so each "
         "row gets dmean / N", _second_path_times("h_pre", "xc", "mean", float)),
        ("dh_pre is missing both of BatchNorm's batch terms: the batch mean and the "
         "batch variance depend on every row too; add the paths through mean and var",
         lambda f, d, r, n: r("h_pre", ("mean", "var<-xc"))),
        ("dh_pre is missing the variance's term: the batch variance depends on "
         "every row too; add the path through var",
         lambda f, d, r, n: r("h_pre", ("var<-xc",))),
    ],
}

# the scalar slips: (factor, hint) for got = factor * reference
_BATCH_MEAN = "a 1/N too many: the 1/N of the loss's mean is already inside {up}"
_SUM_NOT_MEAN = ("d{t} averages over the batch: {t} is used by all N rows, so their N "
                 "gradients add up: sum, not mean")
_FACTORS: dict[str, dict[str, str]] = {
    "logprobs": {"N": "dlogprobs is missing the 1/N: the loss is the mean over the N "
                      "examples", "1/N": "dlogprobs divides by N twice"},
    "W2": {"1/N": _BATCH_MEAN.format(up="dlogits")},
    "h": {"1/N": _BATCH_MEAN.format(up="dlogits")},
    "W1": {"1/N": _BATCH_MEAN.format(up="dh_pre")},
    "mean": {"1/N": _SUM_NOT_MEAN.format(t="mean")},
}
for _t in ("b2", "gamma", "beta", "inv_std", "b1"):
    _FACTORS[_t] = {"1/N": _SUM_NOT_MEAN.format(t=_t)}
# gradients with one input: multiplying by it is the chain rule's step
_UPSTREAM = {"probs": "logprobs", "counts_sum": "counts_sum_inv",
             "norm_logits": "counts", "bn": "h", "var": "inv_std"}
_SIGN = {"mean": "mean is subtracted (xc = h_pre - mean), so dmean carries a minus",
         "counts_sum": "d(1/s)/ds = -1/s^2 is negative",
         "logprobs": "loss = -mean(the targets' logprobs), so each target entry gets "
                     "-1/N, a negative number",
         "bn": "tanh'(x) = 1 - tanh(x)^2 is positive: no minus",
         "var": "d/dv (v + eps)^(-1/2) = -1/2 (v + eps)^(-3/2) is negative"}
_NOTES = {
    "logit_maxes": "dlogit_maxes is zero up to rounding (largest |entry| {m:.0e}): "
                   "shifting a row's logits does not change its probabilities; the "
                   "shift is there so exp cannot overflow",
    "logits": "The path through logit_maxes adds only rounding (its gradient is at "
              "most {m2:.0e}), so dlogits is practically dnorm_logits",
    "b1": "db1 is zero up to rounding (largest |entry| {m:.0e}): BatchNorm subtracts "
          "the batch mean, so b1 cancels out",
}


def _shape_hint(t: str, got: tuple, want: tuple, k: int) -> str:
    g, w = _letters(got, k), _letters(want, k)
    s = _sizes(k)
    if not got:
        return f"d{t} is a single number; it has {t}'s shape {w}, one gradient per entry"
    if len(want) == 2 and got == want[::-1]:
        return f"d{t} is transposed: it has {t}'s shape {w}, you return {g}"
    if len(want) == 1 and len(got) == 2 and got[1] == want[0]:
        if got[0] == 1:
            return (f"d{t} keeps the summed axis: {g}, but {t} has shape {w}; drop "
                    "keepdims")
        return (f"d{t} is missing the sum over the batch: {t} is used by all N rows, "
                f"so its gradient adds up their N gradients (axis=0), shape {w}")
    if len(want) == 1 and len(got) == 1:
        per = {"H": "hidden unit", "C": "class", "D": "input"}.get(s[want[0]], "entry")
        return (f"d{t} sums over the wrong axis: sum over the batch, axis=0, for one "
                f"number per {per}, shape {w}")
    if want[1:] == (1,) and len(got) == 2 and got[0] == want[0]:
        return (f"d{t} is missing the sum over the row: {t} has one number per row, "
                f"shape {w}, shared by the {s.get(got[1], '')} entries of its row: sum "
                "them, axis=1, keepdims=True")
    if want[1:] == (1,) and got == want[:1]:
        return (f"d{t} has shape {g}, {t} has {w}: keep the summed axis, "
                "keepdims=True")
    if want[1:] == (1,) and len(got) in (1, 2) and got[-1] != 1:
        return (f"d{t} sums over the batch (axis 0): {t} holds one number per row, so "
                f"sum over the row, axis=1, keepdims=True, shape {w}")
    if len(want) == 2 and got == (want[0], 1):
        return (f"d{t} needs one gradient per entry, shape {w}: you return {g}; "
                "broadcast the row's gradient over the row")
    if len(want) == 2 and got in (want[1:], (1, want[1])):
        return (f"d{t} is summed over the batch: {t} has one row per example, shape "
                f"{w}; keep every row")
    return f"d{t} has shape {g}, expected {t}'s shape {w}"


def _factor_hint(t: str, got: np.ndarray, want: np.ndarray, n: int) -> str | None:
    texts = _FACTORS.get(t, {})
    default = {"N": f"d{t} is N times too large: a 1/N is missing",
               "1/N": f"d{t} is N times too small: an extra 1/N"}
    for c, key in ((n, "N"), (1 / n, "1/N")):
        for sign in (1, -1):
            if _close(got, sign * c * want):
                extra = "; and the sign is wrong too" if sign < 0 else ""
                return texts.get(key, default[key]) + extra
    if _close(got, -want):
        return f"d{t} has the wrong sign: " + _SIGN.get(
            t, "follow the chain rule's factors, each with its own sign")
    return None


def _diagnose(t: str, outs: list[np.ndarray], wants: list[np.ndarray]) -> str:
    """The hint for a wrong gradient of tensor `t` (answers on every case)."""
    for k, (got, want) in enumerate(zip(outs, wants)):
        if got.shape != want.shape:
            hint_ = _shape_hint(t, got.shape, want.shape, k)
            return hint_ if k == 0 else f"on another batch shape: {hint_}"
    odd = non_finite(outs, [f"d{t}"] * len(outs))
    if odd:
        return odd
    fd = [(case(k), gradients_after(k, t), functools.partial(reference, k), _CASES[k][1])
          for k in range(len(outs))]
    factor = _factor_hint(t, outs[0], wants[0], fd[0][3])
    if factor and all(_factor_hint(t, o, w, a[3]) == factor for o, w, a in
                      zip(outs, wants, fd)):
        return factor
    up = _UPSTREAM.get(t)
    if up and all(_close(o * getattr(a[1], up), w) for o, w, a in zip(outs, wants, fd)):
        return (f"d{t} is the local derivative alone: the chain rule multiplies it by "
                f"the gradient that arrives, d.{up}")
    for message, mistake in _MISTAKES.get(t, []):
        if all(_close(o, np.asarray(mistake(*a), dtype=float)) for o, a in
               zip(outs, fd)):
            return message
    got, want = outs[0], wants[0]
    i = np.unravel_index(int(np.argmax(np.abs(got - want))), want.shape)
    # a measured zero is off by rounding: show it as 0
    tiny = abs(want[i]) <= 1e-12 * np.max(np.abs(want), initial=0.0) + 1e-300
    g, w = show(got[i], 0.0 if tiny else want[i], ".4g")
    return (f"d{t}[{', '.join(str(int(j)) for j in i)}] gives {g}, expected {w}; "
            f"follow {t} to every tensor that uses it and multiply each one's "
            "gradient by the local derivative")


def _shapes_tip(e: LearnerError, t: str) -> LearnerError:
    words = ("shape", "broadcast", "dimension", "matmul", "aligned")
    if e.raised and any(w in str(e) for w in words):
        shape = _letters(np.shape(_base(0)[t]), 0)
        e = LearnerError(f"{e}. Check the shapes: d{t} has {t}'s shape {shape}; "
                         "print(f) and print(d) list every tensor's shape")
        e.raised = True
    return e


def _check_tensor(t: str, fn: Callable) -> Feedback:
    try:
        got = call(fn, case(0), gradients_after(0, t))
    except LearnerError as e:
        raise _shapes_tip(e, t) from None
    if got is NOT_ATTEMPTED:
        return not_attempted(f"d{t}(f, d)")
    who, what = name_of(fn), f"an array, dL/d{t}"
    outs = [array(got, who, what)]
    try:
        outs.append(array(run(fn, case(1), gradients_after(1, t)), who, what))
    except LearnerError as e:
        raise _shapes_tip(e, t) from None
    wants = [reference(k, t) for k in range(2)]
    if all(_close(o, w) for o, w in zip(outs, wants)):
        note = _NOTES.get(t, "")
        sizes = {"m": float(np.max(np.abs(wants[0]))),
                 "m2": float(np.max(np.abs(reference(0, "logit_maxes"))))}
        extra = ". " + note.format(**sizes) if note else ""
        return correct(f"d{t} matches the measured gradient (complex step) at two "
                       f"batch shapes{extra}")
    if hard_coded(outs, wants, _close):
        return hard_coded_hint(who, "the tensors in f and d")
    return hint(_diagnose(t, outs, wants))


def _make_check(t: str) -> Callable[[Callable], Feedback]:
    def check(fn: Callable) -> Feedback:
        return _check_tensor(t, fn)

    check.__name__ = check.__qualname__ = f"check_d{t}"
    check.__doc__ = (f"`d{t}(f, d)`: dL/d{t}, from the forward tensors f and the "
                     f"gradients d of every tensor after {t}.")
    return hints_on_error(should=f"return an array of {t}'s shape")(check)


for _t in BACKWARD_ORDER:
    globals()[f"check_d{_t}"] = _make_check(_t)
    __all__.append(f"check_d{_t}")


# ------------------------------------------------------------ the whole backward pass
def _stub_inside(fn: Callable, *args: Any) -> str | None:
    """The name of the function, called by `fn`, whose NotImplementedError stopped
    it (None if `fn` itself raised it, or did not)."""
    try:
        fn(*args)
    except NotImplementedError as e:
        tb, last = e.__traceback__, None
        while tb is not None:
            last, tb = tb.tb_frame.f_code.co_name, tb.tb_next
        own = getattr(getattr(fn, "__code__", None), "co_name", None)
        return last if last not in (own, None, "<module>") else None
    except Exception:  # any other error is call's to report
        return None
    return None


@hints_on_error(should="return (dW1, db1, dgamma, dbeta, dW2, db2)")
def check_full_backward(full_backward: Callable) -> Feedback:
    """`full_backward(f)`: (dW1, db1, dgamma, dbeta, dW2, db2) from the forward tensors f.

    Compared with the measured gradients at two batch shapes.
    """
    names = tuple(f"d{p}" for p in PARAMS)
    got = call(full_backward, case(0))
    if got is NOT_ATTEMPTED:
        inner = _stub_inside(full_backward, case(0))
        if inner:
            return hint(f"full_backward calls {inner}, which is still the stub (it "
                        f"raises NotImplementedError): write {inner} above first")
        return not_attempted("full_backward(f)")
    who = name_of(full_backward)
    what = "six arrays, (dW1, db1, dgamma, dbeta, dW2, db2)"
    outs = [arrays(got, names, who, what),
            arrays(run(full_backward, case(1)), names, who, what)]
    wants = [tuple(reference(k, p) for p in PARAMS) for k in range(2)]

    def same(a: tuple, b: tuple) -> bool:
        return all(_close(x, y) for x, y in zip(a, b))

    if all(same(o, w) for o, w in zip(outs, wants)):
        return correct("all six parameter gradients match the measured ones at two "
                       "batch shapes")
    if hard_coded(outs, wants, same):
        return hard_coded_hint(who, "the tensors in f")
    order = order_hint(outs, wants, names, _close)
    if order:
        return hint(order)
    bad = [j for j, p in enumerate(PARAMS)
           if not all(_close(o[j], w[j]) for o, w in zip(outs, wants))]
    ok = [names[j] for j in range(len(PARAMS)) if j not in bad]
    j = bad[0]
    problem = _diagnose(PARAMS[j], [o[j] for o in outs], [w[j] for w in wants])
    prefix = f"{', '.join(ok)} right; " if ok else ""
    more = f" ({len(bad) - 1} more wrong after it)" if len(bad) > 1 else ""
    return hint(f"{prefix}{problem}{more}")


def ready_to_train(full_backward: Callable) -> bool:
    """True if `full_backward` passes its check; else print what is missing."""
    fb = check_full_backward(full_backward)
    if fb.status == "not attempted":
        print("write full_backward above first: training needs it")
    elif not fb.ok:
        print("full_backward is not right yet (its check above says why): training "
              "waits for it")
    return fb.ok
