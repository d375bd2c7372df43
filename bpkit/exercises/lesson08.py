"""Checks for lesson 08 (backprop in practice)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import (
    NOT_ATTEMPTED, Feedback, LearnerError, array, call, correct, describe, hard_coded,
    hard_coded_hint, hint, hints_on_error, name_of, non_finite, not_attempted, number,
    run,
)

__all__ = ["check_dropout", "check_l2_term", "check_loss_scale_update"]


def _close(a, b) -> bool:
    """Equal to float32 rounding: an answer cast to float32 is still right."""
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-6, atol=1e-12)


def _pair_close(a, b) -> bool:
    return all(_close(x, y) for x, y in zip(a, b))


# ------------------------------------------------------------------ dropout
_DROP_CASES = (  # (shape, p, seed, training)
    ((3, 5), 0.5, 0, True),
    ((4, 6), 0.2, 1, True),
    ((2, 7), 0.4, 2, False),
)


def _drop_inputs(shape, p, seed, training):
    data = np.random.default_rng(100 + seed)
    x, dout = data.standard_normal(shape), data.standard_normal(shape)
    return x, dout, p, np.random.default_rng(seed), training


def _drop_variants(shape, p, seed, training):
    """The right (out, dx), and each classic mistake's, for one case."""
    x, dout, _, _, _ = _drop_inputs(shape, p, seed, training)
    draws = np.random.default_rng(seed)
    r1, r2 = draws.random(shape), draws.random(shape)
    keep, keep2 = r1 >= p, r2 >= p
    mask, mask2 = keep / (1 - p), keep2 / (1 - p)
    if training:
        right = (x * mask, dout * mask)
    else:
        right = (x, dout)
    mistakes = [
        ("the kept units are not scaled by 1/(1-p): inverted dropout multiplies them by "
         "1/(1-p) in training, so the expected output equals x and eval needs no change "
         "(the backward uses the same scaled mask)",
         (x * keep, dout * keep) if training else right),
        ("the kept units are multiplied by (1-p); inverted dropout *divides* by (1-p), "
         "so that the expected output stays x",
         (x * keep * (1 - p), dout * keep * (1 - p)) if training else right),
        ("the backward pass draws a fresh mask: dL/dx must use the *same* mask as the "
         "forward pass (the units that were dropped), so keep the first mask and "
         "return dout * mask; do not call rng again",
         (x * mask, dout * mask2) if training else right),
        ("dL/dx ignores the mask: a dropped unit's output is 0 whatever x was, so its "
         "gradient is 0; return dout * mask",
         (x * mask, dout) if training else right),
        ("dL/dx is missing the 1/(1-p): the forward multiplied x by mask = keep/(1-p), "
         "so the backward multiplies dout by that same mask",
         (x * mask, dout * keep) if training else right),
        ("dL/dx uses the output instead of the mask: out = x * mask is linear in x, so "
         "its derivative is the mask itself, dout * mask",
         (x * mask, dout * x * mask) if training else right),
        ("units are kept with probability p instead of dropped with it: keep where "
         "rng.random(x.shape) >= p",
         (x * (r1 < p) / (1 - p), dout * (r1 < p) / (1 - p)) if training else right),
        ("p is the probability of dropping a unit, not of keeping it: keep = "
         "rng.random(x.shape) >= p (kept with probability 1 - p), scaled by 1/(1-p)",
         (x * (r1 < p) / p, dout * (r1 < p) / p) if training else right),
        ("p is the probability of dropping a unit, not of keeping it: keep = "
         "rng.random(x.shape) >= p (kept with probability 1 - p), scaled by 1/(1-p)",
         (x * (r1 >= 1 - p) / p, dout * (r1 >= 1 - p) / p) if training else right),
        ("out and dx are swapped: return (out, dx), the forward's output x * mask first, "
         "then dL/dx = dout * mask",
         (dout * mask, x * mask) if training else (dout, x)),
        ("in eval mode (training=False) dropout must do nothing: return x and dout "
         "unchanged. Applying a mask at test time makes predictions random; the "
         "1/(1-p) in training already keeps the scale",
         right if training else (x * mask, dout * mask)),
        ("in eval mode (training=False) return x and dout unchanged: scaling by (1-p) "
         "at test time is the *non*-inverted dropout; this one already divided by "
         "(1-p) in training",
         right if training else (x * (1 - p), dout * (1 - p))),
    ]
    return right, mistakes


def _same_arrays(a, b) -> bool:
    return all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b))


def _a_dropout_of(pair, args) -> bool:
    """True if `pair` is (x * m, dout * m) for *some* mask m of 0s and 1/(1-p)s."""
    x, dout, p = args[:3]
    out, dx = pair
    if out.shape != x.shape or dx.shape != x.shape:
        return False
    m = np.where(out == 0, 0.0, 1 / (1 - p))
    return bool(np.allclose(out, x * m) and np.allclose(dx, dout * m))


def _read_pair(got, who: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise LearnerError(f"{who} should return a pair (out, dx), got {describe(got)}")
    return array(got[0], "out", "an array", verb="be"), array(got[1], "dx", "an array",
                                                               verb="be")


@hints_on_error(should="return (out, dx), each of x's shape")
def check_dropout(dropout: Callable) -> Feedback:
    """`dropout(x, dout, p, rng, training)` -> (out, dx): inverted dropout's output and dL/dx.

    Training: keep = rng.random(x.shape) >= p (one call), mask = keep / (1 - p),
    out = x * mask, dx = dout * mask. Eval (training False): out = x, dx = dout.
    """
    who = name_of(dropout)
    outs, wants, all_mistakes = [], [], []
    for k, case in enumerate(_DROP_CASES):
        args = _drop_inputs(*case)
        got = (call if k == 0 else run)(dropout, *args)
        if got is NOT_ATTEMPTED:
            return not_attempted("dropout(x, dout, p, rng, training)")
        right, mistakes = _drop_variants(*case)
        outs.append(_read_pair(got, who))
        wants.append(right)
        all_mistakes.append(mistakes)
    # the same pair for inputs of different shapes: computed once and pasted in
    # (maybe from an rng already used, so it need not match the first case)
    if hard_coded(outs, wants, _pair_close) or (
            all(_same_arrays(o, outs[0]) for o in outs[1:])
            and _a_dropout_of(outs[0], _drop_inputs(*_DROP_CASES[0]))):
        return hard_coded_hint(who, "x, dout, p, rng and training")
    for pair, right in zip(outs, wants):
        for name, g, w in zip(("out", "dx"), pair, right):
            if g.shape != w.shape:
                return hint(f"{name} has shape {g.shape}, expected {w.shape}, the shape "
                            "of x: dropout works entry by entry")
    odd = non_finite([np.concatenate([pair[j].ravel() for pair in outs]) for j in (0, 1)],
                     ["out", "dx"])
    if odd:
        return hint(odd)
    if all(_pair_close(o, w) for o, w in zip(outs, wants)):
        return correct("forward and backward match inverted dropout in training and "
                       "in eval mode")
    for i, (message, _) in enumerate(all_mistakes[0]):
        if all(_pair_close(o, m[i][1]) for o, m in zip(outs, all_mistakes)):
            return hint(message)
    train = [(o, w) for o, w, c in zip(outs, wants, _DROP_CASES) if c[3]]
    eval_ok = all(_pair_close(o, w) for o, w, c in zip(outs, wants, _DROP_CASES)
                  if not c[3])
    also = "" if eval_ok else "; and in eval mode (training=False) return x and dout unchanged"
    if all(_pair_close(o, w) for o, w in train):
        return hint("training mode is right, eval mode (training=False) is not: return "
                    "x and dout unchanged")
    if eval_ok and all(_a_dropout_of(o, _drop_inputs(*c))
                       for o, c in zip(outs, _DROP_CASES) if c[3]):
        return hint("a valid inverted dropout (out = x * mask, dx = dout * mask, mask 0 "
                    "or 1/(1-p)), but not the draw the check replays from your rng: draw "
                    "keep = rng.random(x.shape) >= p, one call on the rng passed in, so "
                    "the check can see the same mask")
    if all(_close(o[0], w[0]) for o, w in train):
        return hint("in training, out is right but dx is not: dx = dout * mask, with the "
                    f"mask of the forward pass (the same 0s and 1/(1-p)s){also}")
    return hint("in training, out is wrong: draw keep = rng.random(x.shape) >= p once, "
                f"mask = keep / (1 - p), out = x * mask{also}")


# ------------------------------------------------------------------ L2
def _l2_inputs(seed: int):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4, 2)]  # the same shapes: a hard-coded answer still fits
    return [rng.standard_normal(s) for s in shapes], (0.1 if seed == 0 else 0.03)


def _l2_right(Ws, lam):
    return 0.5 * lam * sum(float(np.sum(W**2)) for W in Ws), [lam * W for W in Ws]


_L2_MISTAKES = [
    ("the gradient of (lam/2) W**2 is lam * W: the 2 of the square cancels the 1/2, "
     "so no factor 2 is left",
     lambda Ws, lam: (_l2_right(Ws, lam)[0], [2 * lam * W for W in Ws])),
    ("the penalty is (lam/2) * sum(W**2): you left out the 1/2 (with it, the gradient "
     "is exactly lam * W)",
     lambda Ws, lam: (2 * _l2_right(Ws, lam)[0], _l2_right(Ws, lam)[1])),
    ("lam * sum(W**2) with gradient 2 * lam * W is consistent, but the lesson's "
     "convention is (lam/2) * sum(W**2), whose gradient is exactly lam * W (what SGD's "
     "weight_decay=lam adds): halve both",
     lambda Ws, lam: (2 * _l2_right(Ws, lam)[0], [2 * lam * W for W in Ws])),
    ("the gradient has the wrong sign: the penalty grows with |W|, so its gradient "
     "lam * W points away from 0 (the update then subtracts it)",
     lambda Ws, lam: (_l2_right(Ws, lam)[0], [-lam * W for W in Ws])),
    ("that is the L1 penalty's gradient, lam * sign(W); L2's is lam * W",
     lambda Ws, lam: (_l2_right(Ws, lam)[0], [lam * np.sign(W) for W in Ws])),
    ("the gradient is lam * W, not lam * W**2: differentiate (lam/2) W**2",
     lambda Ws, lam: (_l2_right(Ws, lam)[0], [lam * W**2 for W in Ws])),
    ("the penalty squares the whole sum: it is (lam/2) * the sum of *squared* "
     "entries, sum(W**2) over every W",
     lambda Ws, lam: (0.5 * lam * sum(float(np.sum(W))**2 for W in Ws),
                      _l2_right(Ws, lam)[1])),
    ("the penalty takes only the first weight matrix: add (lam/2) * sum(W**2) over "
     "every W in Ws",
     lambda Ws, lam: (0.5 * lam * float(np.sum(Ws[0]**2)), _l2_right(Ws, lam)[1])),
]


def _read_l2(got, n: int, who: str):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise LearnerError(f"{who} should return a pair (penalty, grads), got "
                           f"{describe(got)}")
    try:
        penalty = number(got[0])
    except LearnerError:
        raise LearnerError(f"the penalty should be one number (a float), got "
                           f"{describe(got[0])}") from None
    grads = got[1]
    if not isinstance(grads, (list, tuple)) or len(grads) != n:
        raise LearnerError(f"grads should be a list of {n} arrays, one per weight in "
                           f"Ws, got {describe(grads)}")
    return penalty, [array(g, f"grads[{i}]", "an array", verb="be")
                     for i, g in enumerate(grads)]


def _l2_same(a, b) -> bool:
    return (np.isclose(a[0], b[0], rtol=1e-6, atol=1e-12) and len(a[1]) == len(b[1])
            and all(_close(x, y) for x, y in zip(a[1], b[1])))


@hints_on_error(should="return (penalty, grads)")
def check_l2_term(l2_term: Callable) -> Feedback:
    """`l2_term(Ws, lam)` -> (penalty, grads): (lam/2) sum ||W||^2 and [lam * W, ...]."""
    who = name_of(l2_term)
    outs, wants, cases = [], [], [_l2_inputs(0), _l2_inputs(1)]
    for k, (Ws, lam) in enumerate(cases):
        got = (call if k == 0 else run)(l2_term, [W.copy() for W in Ws], lam)
        if got is NOT_ATTEMPTED:
            return not_attempted("l2_term(Ws, lam)")
        penalty, grads = _read_l2(got, len(Ws), who)
        for i, (g, W) in enumerate(zip(grads, Ws)):
            if g.shape != W.shape:
                return hint(f"grads[{i}] has shape {g.shape}, expected {W.shape}, the "
                            "shape of the weight it is the gradient of")
        outs.append((penalty, grads))
        wants.append(_l2_right(Ws, lam))
    if hard_coded(outs, wants, _l2_same):
        return hard_coded_hint(who, "Ws and lam")
    if not all(np.isfinite(o[0]) and all(np.isfinite(g).all() for g in o[1])
               for o in outs):
        return hint("the penalty or a gradient holds nan or inf, expected finite numbers")
    if all(_l2_same(o, w) for o, w in zip(outs, wants)):
        return correct("the penalty and its gradient lam * W are right")
    for message, mistake in _L2_MISTAKES:
        if all(_l2_same(o, mistake(Ws, lam)) for o, (Ws, lam) in zip(outs, cases)):
            return hint(message)
    grads_ok = all(_l2_same((w[0], o[1]), w) for o, w in zip(outs, wants))
    if grads_ok:
        return hint("the gradients are right, the penalty is not: "
                    "(lam / 2) * the sum of W**2 over every entry of every W")
    return hint("the gradients are wrong: d/dW of (lam/2) * sum(W**2) is lam * W, "
                "one array per weight, each of its weight's shape")


# ------------------------------------------------------------------ loss scaling
_SCALE_CASES = (  # (scale, good, finite, interval)
    (65536.0, 5, True, 2000),
    (65536.0, 1999, True, 2000),
    (65536.0, 1500, False, 2000),
    (1024.0, 2, True, 3),
    (8.0, 0, False, 10),
    (8.0, 0, True, 1),
)


def _scale_right(scale, good, finite, interval):
    if not finite:
        return scale / 2, 0, False
    good += 1
    if good == interval:
        return scale * 2, 0, True
    return scale, good, True


def _no_reset_after_growth(scale, good, finite, interval):
    s, g, t = _scale_right(scale, good, finite, interval)
    return (s, good + 1, t) if finite and g == 0 else (s, g, t)


_SCALE_MISTAKES = [
    ("on inf/nan the step must be skipped (take_step False): an update with inf or nan "
     "gradients would destroy the weights",
     lambda s, g, f, i: (_scale_right(s, g, f, i)[:2] + (True,))),
    ("on inf/nan the count of good steps goes back to 0: growth needs `interval` "
     "finite steps *in a row*",
     lambda s, g, f, i: (s / 2, g, False) if not f else _scale_right(s, g, f, i)),
    ("on inf/nan the scale must shrink (halve it): it overflowed because it was too "
     "large", lambda s, g, f, i: (s * 2, 0, False) if not f
     else _scale_right(s, g, f, i)),
    ("after doubling, the count goes back to 0, so the next doubling needs another "
     "`interval` good steps", _no_reset_after_growth),
    ("the scale does not double on the step that completes `interval` good steps: "
     "count this step first (good + 1), and when that reaches interval, double the "
     "scale and reset the count to 0",
     lambda s, g, f, i: (s / 2, 0, False) if not f else (s, g + 1, True)),
    ("a finite step adds one to the count of good steps (it must not stay where it "
     "was or go back to 0)",
     lambda s, g, f, i: (s / 2, 0, False) if not f else (s, g, True)),
]


def _read_scale(got, who: str):
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise LearnerError(f"{who} should return (new_scale, new_good, take_step), got "
                           f"{describe(got)}")
    try:
        scale, good = number(got[0]), number(got[1])
    except LearnerError:
        raise LearnerError(f"new_scale and new_good should be numbers, got "
                           f"{describe(got[0])} and {describe(got[1])}") from None
    take = got[2]
    if not isinstance(take, (bool, np.bool_)):
        raise LearnerError(f"take_step should be True or False, got {describe(take)}")
    if good != int(good):
        raise LearnerError(f"new_good should be a whole number of steps, got {good:g}")
    return scale, int(good), bool(take)


def _triple_same(a, b) -> bool:
    return (isinstance(a, tuple) and len(a) == 3 and np.isclose(a[0], b[0], rtol=1e-12)
            and a[1] == b[1] and a[2] == b[2])


def _situation(scale, good, finite, interval) -> str:
    if not finite:
        return "a step with inf/nan gradients"
    if good + 1 == interval:
        return "the step that completes `interval` good steps"
    return "an ordinary finite step"


@hints_on_error(should="return (new_scale, new_good, take_step)")
def check_loss_scale_update(loss_scale_update: Callable) -> Feedback:
    """`loss_scale_update(scale, good, finite, interval)` -> (new_scale, new_good, take_step)."""
    who = name_of(loss_scale_update)
    outs = []
    for k, case in enumerate(_SCALE_CASES):
        got = (call if k == 0 else run)(loss_scale_update, *case)
        if got is NOT_ATTEMPTED:
            return not_attempted("loss_scale_update(scale, good, finite, interval)")
        outs.append(_read_scale(got, who))
    wants = [_scale_right(*c) for c in _SCALE_CASES]
    if hard_coded(outs, wants, _triple_same):
        return hard_coded_hint(who, "scale, good, finite and interval")
    if not all(np.isfinite(o[0]) for o in outs):
        return hint("new_scale is nan or inf, expected a finite number")
    if all(_triple_same(o, w) for o, w in zip(outs, wants)):
        return correct("the scale halves on overflow (step skipped) and doubles after "
                       "`interval` good steps, as PyTorch's GradScaler does")
    for message, mistake in _SCALE_MISTAKES:
        if all(_triple_same(o, mistake(*c)) for o, c in zip(outs, _SCALE_CASES)):
            return hint(message)
    for o, w, c in zip(outs, wants, _SCALE_CASES):
        if not _triple_same(o, w):
            parts = [n for n, a, b in zip(("new_scale", "new_good", "take_step"), o, w)
                     if a != b]
            return hint(f"on {_situation(*c)} ({', '.join(parts)} wrong): on inf/nan "
                        "halve the scale, reset the count, skip the step; otherwise "
                        "count the step, and double the scale (count back to 0) when "
                        "the count reaches interval")
    return hint("not yet right")  # unreachable: some case differs


