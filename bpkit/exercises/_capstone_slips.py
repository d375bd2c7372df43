"""The capstone's classic slips, by tensor: what lesson 12's checks recognise.

Each slip is a function of (f, d, r, n): the forward tensors, the gradients in d,
r(name, cut) the check's gradient of that case with the edges in `cut` left out
(see `_capstone_net._edge`), n the batch size; with its hint.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._capstone_net import EPS

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
        ("h is already tanh(bn): tanh'(bn) = 1 - tanh(bn)^2 = 1 - h^2; do not apply "
         "tanh (or cosh) to h again", lambda f, d, r, n: r("bn") * np.cosh(f.bn)**2
         / np.cosh(f.h)**2),
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
        ("dvar is 2 times too large: the power rule brings down the exponent, "
         "-1/2; the 1/2 is missing", lambda f, d, r, n: 2 * r("var")),
    ],
    "xc": [(m.replace("add that path", "add that path (if you did add it: it "
                      "keeps one entry per row; summed over the batch it adds up to "
                      "zero)") if "through xhat" in m else m, fn) for m, fn in
           _two_paths("xc", "xhat", "var", "enters xhat = xc * inv_std directly",
                      "feeds var = mean(xc^2)")] + [
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
        ("the path through the mean is N^2 times too large: mean = sum / N, so "
         "divide dmean by N, do not multiply",
         _second_path_times("h_pre", "xc", "mean", lambda n: n * n)),
        ("the path through the mean has the wrong sign: the minus of xc = h_pre - "
         "mean is already inside dmean; the two paths add",
         _second_path_times("h_pre", "xc", "mean", lambda n: -1.0)),
        ("var is the biased batch variance, a mean over N: the variance's term has "
         "1/N, not 1/(N-1)", lambda f, d, r, n: r("h_pre", ("var<-xc",))
         + n / (n - 1) * (r("h_pre") - r("h_pre", ("var<-xc",)))),
        ("dh_pre is missing both of BatchNorm's batch terms: the batch mean and the "
         "batch variance depend on every row too; add the paths through mean and var",
         lambda f, d, r, n: r("h_pre", ("mean", "var<-xc"))),
        ("dh_pre is missing the variance's term: the batch variance depends on "
         "every row too; add the path through var",
         lambda f, d, r, n: r("h_pre", ("var<-xc",))),
    ],
}

# slips checked before the scalar factors (which they would resemble here)
_FIRST: dict[str, list[tuple[str, Callable]]] = {
    "counts_sum_inv": [
        ("dcounts_sum_inv sums the local derivative, counts, alone: multiply it by "
         "the gradient that arrives, d.probs, then sum over the row",
         lambda f, d, r, n: f.counts.sum(axis=1, keepdims=True)),
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
_SIGN = {"logit_maxes": "norm_logits = logits - logit_maxes: dlogit_maxes carries "
                        "a minus",
         "logits": "logits enter norm_logits with a plus, and logit_maxes copies "
                   "each row's largest entry: both paths add, with a plus",
         "b1": "b1 is added (h_pre = X @ W1 + b1): no minus",
         "mean": "mean is subtracted (xc = h_pre - mean), so dmean carries a minus",
         "counts_sum": "d(1/s)/ds = -1/s^2 is negative",
         "logprobs": "loss = -mean(the targets' logprobs), so each target entry gets "
                     "-1/N, a negative number",
         "bn": "tanh'(x) = 1 - tanh(x)^2 is positive: no minus",
         "var": "d/dv (v + eps)^(-1/2) = -1/2 (v + eps)^(-3/2) is negative"}
_NOTES = {
    "logit_maxes": "dlogit_maxes is zero up to rounding (largest |entry| {m:.0e}): "
                   "shifting a row's logits does not change its probabilities; the "
                   "shift is there so exp cannot overflow",
    "logits": "The path through logit_maxes adds only rounding here (its measured "
              "gradient is at most {m2:.0e} in both cases), so dlogits is practically "
              "dnorm_logits",
    "b1": "db1 is zero up to rounding (largest |entry| {m:.0e}): BatchNorm subtracts "
          "the batch mean, so b1 cancels out",
}


# slips that only made-up gradients in d show (a measured zero hides them)
_MADE_UP: dict[str, list[tuple[str, Callable]]] = {
    "logits": [
        ("d.logit_maxes reaches only each row's largest logit, the one the max "
         "picked: multiply it by the mask (f.logits == f.logit_maxes) before adding",
         lambda f, d, r, n: r("logits", ("logit_maxes",)) + d.logit_maxes),
        ("dlogits has only the path through norm_logits: the path through "
         "logit_maxes is zero here only because shifting a row does not change this "
         "loss; add d.logit_maxes at each row's largest logit",
         lambda f, d, r, n: r("logits", ("logit_maxes",))),
        ("the path through logit_maxes has the wrong sign: " + _SIGN["logits"],
         lambda f, d, r, n: r("logits", ("logit_maxes",))
         - r("logits", ("norm_logits",))),
    ],
}
