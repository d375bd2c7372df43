"""Checks for lesson 06 (optimizers)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import (
    NOT_ATTEMPTED, Feedback, LearnerError, arrays, call, correct, hard_coded,
    hard_coded_hint, hint, hints_on_error, name_of, not_attempted, order_hint, run,
    show,
)

__all__ = ["check_momentum_step", "check_adam_step", "check_adamw_step"]


def _outputs(fn: Callable, first, cases: list, names: tuple[str, ...]) -> list:
    """The learner's tuples on every case (`first` is its answer on cases[0]), each
    array with the weights' shape."""
    who = name_of(fn)
    outs = []
    for k, case in enumerate(cases):
        got = first if k == 0 else run(fn, *case)
        out = arrays(got, names, who, f"a tuple ({', '.join(names)})")
        for name, o in zip(names, out):
            if o.shape != np.shape(case[0]):
                raise LearnerError(f"{name} has shape {o.shape}, expected "
                                   f"{np.shape(case[0])}: the shape of w")
        outs.append(out)
    return outs


def _one(x, y) -> bool:
    return np.shape(x) == np.shape(y) and bool(
        np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True))


def _close(a, b) -> bool:
    return len(a) == len(b) and all(_one(x, y) for x, y in zip(a, b))


def _difference(outs: list, wants: list, names: tuple[str, ...], cases: list,
                describe_case: Callable) -> str:
    """'for <case> you give name=..., expected ...' for the first wrong array."""
    k = next(i for i, (o, w) in enumerate(zip(outs, wants)) if not _close(o, w))
    j = next(i for i, (o, w) in enumerate(zip(outs[k], wants[k])) if not _one(o, w))
    g, w = show(outs[k][j], np.asarray(wants[k][j]), ".4f")
    return f"for {describe_case(cases[k])} you give {names[j]} = {g}, expected {w}"


def _agrees(outs: list, rule: Callable, cases: list) -> bool:
    """The learner's outputs equal `rule`'s on every case (a mistake may overflow)."""
    with np.errstate(all="ignore"):
        return all(_close(o, rule(*c)) for o, c in zip(outs, cases))


def _is_hard_coded(outs: list, rule: Callable, cases: list) -> bool:
    return hard_coded(outs, [rule(*c) for c in cases], _close)


_R = np.random.default_rng(20240506)
_W = _R.uniform(-1, 1, 3)
_G = np.array([0.8, -1.5, 0.3])
_B = np.array([0.5, 0.2, -0.7])


# --------------------------------------------------------------- exercise 1
def _momentum_ref(w, g, b, lr, mu, tau):
    b = mu * b + (1 - tau) * g
    return w - lr * b, b


_MOMENTUM_MISTAKES = [
    ("the velocity is applied with the wrong sign: your step goes *up* the "
     "gradient; step against it, w <- w - lr * b",
     lambda w, g, b, lr, mu, tau: (w + lr * (mu * b + (1 - tau) * g),
                                   mu * b + (1 - tau) * g)),
    ("the dampening is missing: the new gradient enters the buffer scaled by "
     "(1 - dampening), b <- momentum * b + (1 - dampening) * g",
     lambda w, g, b, lr, mu, tau: (w - lr * (mu * b + g), mu * b + g)),
    ("the dampening scales the new gradient, not the old velocity: "
     "b <- momentum * b + (1 - dampening) * g",
     lambda w, g, b, lr, mu, tau: (w - lr * (mu * (1 - tau) * b + g),
                                   mu * (1 - tau) * b + g)),
    ("the update uses the old buffer: compute the new b first, then step with it",
     lambda w, g, b, lr, mu, tau: (w - lr * b, mu * b + (1 - tau) * g)),
    ("that is the CS231n convention, v <- mu v - lr g and w <- w + v, with the lr "
     "inside the velocity; PyTorch keeps it outside: b <- mu b + (1 - dampening) g, "
     "w <- w - lr b (the same path only while lr never changes)",
     lambda w, g, b, lr, mu, tau: (w + (mu * b - lr * g), mu * b - lr * g)),
    ("that is an exponential moving average, b <- momentum b + (1 - momentum) g; "
     "PyTorch scales the new gradient by (1 - dampening), not (1 - momentum): with "
     "dampening 0 (the default) it enters whole, b <- momentum b + g",
     lambda w, g, b, lr, mu, tau: (w - lr * (mu * b + (1 - mu) * g),
                                   mu * b + (1 - mu) * g)),
]


@hints_on_error(should="return a tuple (w_new, b_new)")
def check_momentum_step(momentum_step: Callable) -> Feedback:
    """`momentum_step(w, g, b, lr, momentum, dampening) -> (w_new, b_new)`: one step
    of SGD with momentum, PyTorch's convention, from the buffer `b` of the last step."""
    args = (_W, _G, _B, 0.1, 0.9, 0.25)
    got = call(momentum_step, *args)
    if got is NOT_ATTEMPTED:
        return not_attempted("momentum_step(w, g, b, lr, momentum, dampening)")
    names = ("w_new", "b_new")
    cases = [args, (_W, -_G, _B, 0.05, 0.5, 0.0), (_W * 3, _G, -_B, 0.3, 0.99, 0.6)]
    outs = _outputs(momentum_step, got, cases, names)
    if _agrees(outs, _momentum_ref, cases):
        return correct("b <- momentum b + (1 - dampening) g, then w <- w - lr b: "
                       "optim.SGD's rule")
    if _is_hard_coded(outs, _momentum_ref, cases):
        return hard_coded_hint("momentum_step", "w, g, b, lr, momentum and dampening")
    wants = [_momentum_ref(*c) for c in cases]
    order = order_hint(outs, wants, names, _one)
    if order:
        return hint(order)
    for message, mistake in _MOMENTUM_MISTAKES:
        if _agrees(outs, mistake, cases):
            return hint(message)
    if all(_one(o[1], w[1]) for o, w in zip(outs, wants)):
        return hint("the buffer is right, the weights are not: w_new = w - lr * b_new")
    if all(_one(o[0], w[0]) for o, w in zip(outs, wants)):
        return hint("the weights are right, the buffer is not: return the new buffer "
                    "you stepped with, b_new = momentum * b + (1 - dampening) * g")
    mine = outs[0]
    if _close(mine, wants[0]):  # right on the lesson's numbers, wrong on others
        return hint(_difference(outs, wants, names, cases, lambda c: (
            f"lr={c[3]}, momentum={c[4]}, dampening={c[5]}")))
    # name only the arrays that are wrong: never "you give X, expected X"
    wrong = [(n, *show(o, w, ".4f")) for n, o, w in zip(names, mine, wants[0])
             if not _one(o, w)]
    given = ", ".join(f"{n}={g}" for n, g, _ in wrong)
    expected = ", ".join(f"{n}={w}" for n, _, w in wrong)
    return hint(f"with w={np.round(_W, 3)}, g={_G}, b={_B}, lr=0.1, momentum=0.9, "
                f"dampening=0.25 you give {given}; expected {expected}")


# --------------------------------------------------------------- exercise 2
def _adam_ref(w, g, m, v, t, lr, beta1, beta2, eps, correct_bias=True):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    mh, vh = (m / (1 - beta1**t), v / (1 - beta2**t)) if correct_bias else (m, v)
    return w - lr * mh / (np.sqrt(vh) + eps), m, v


def _adam_variant(kind: str) -> Callable:
    def f(w, g, m, v, t, lr, b1, b2, eps):
        if kind == "swap":
            b1, b2 = b2, b1
        m2 = b1 * m + (1 - b1) * g
        v2 = b2 * v + (1 - b2) * (np.abs(g) if kind == "abs" else g * g)
        tt = t - 1 if kind == "t0" else t
        with np.errstate(all="ignore"):
            mh = m2 / (1 - b1**tt) if kind != "nobias" else m2
            vh = v2 / (1 - b2**tt) if kind != "nobias" else v2
            if kind == "nosqrt":
                den = vh + eps
            elif kind == "epsin":
                den = np.sqrt(vh + eps)
            else:
                den = np.sqrt(vh) + eps
            num = g if kind == "grad" else mh
            return w - lr * num / den, m2, v2
    return f


_ADAM_MISTAKES = [
    ("the bias correction is missing: m and v start at 0, so early on they are too "
     "small by (1 - beta^t); divide m by 1 - beta1^t and v by 1 - beta2^t",
     _adam_variant("nobias")),
    ("the step count t starts at 1 on the first step: bias-correct with "
     "1 - beta^t, not 1 - beta^(t - 1)", _adam_variant("t0")),
    ("divide by the *square root* of v^: v averages g^2, so sqrt(v^) has the "
     "gradient's units and the step has the lr's", _adam_variant("nosqrt")),
    ("eps goes outside the square root: sqrt(v^) + eps (PyTorch's choice)",
     _adam_variant("epsin")),
    ("beta1 and beta2 are swapped: beta1 (0.9) averages g into m, beta2 (0.999) "
     "averages g^2 into v", _adam_variant("swap")),
    ("the step should use the averaged gradient m^, not the raw g (that is RMSprop)",
     _adam_variant("grad")),
    ("v averages the *squared* gradient g^2, not |g|", _adam_variant("abs")),
]


def _hat_state(rule: Callable) -> list:
    """(hint, mistake) for `rule` (adam or adamw) returning bias-corrected moments as
    its state: both, only m^, only v^ (t, beta1 and beta2 are arguments 4, 6 and 7)."""
    def variant(which: str) -> Callable:
        def f(*c):
            w, m, v = rule(*c)
            t, b1, b2 = c[4], c[6], c[7]
            return (w, m / (1 - b1**t) if "m" in which else m,
                    v / (1 - b2**t) if "v" in which else v)
        return f
    names = {"mv": "m^ and v^", "m": "m^", "v": "v^"}
    return [(f"the update is right, but you return the bias-corrected {names[k]} as "
             "the state: return the raw m and v, and bias-correct a copy for the "
             "update only, afresh each step", variant(k)) for k in ("mv", "m", "v")]


def _adam_cases():
    m = np.array([0.1, -0.05, 0.02])
    v = np.array([0.01, 0.03, 0.002])
    return [(_W, _G, np.zeros(3), np.zeros(3), 1, 0.01, 0.9, 0.999, 1e-8),
            (_W, _G, m, v, 3, 0.01, 0.9, 0.999, 1e-8),
            (_W, -_G, m, v, 7, 0.1, 0.8, 0.99, 1e-3)]


@hints_on_error(should="return a tuple (w_new, m_new, v_new)")
def check_adam_step(adam_step: Callable) -> Feedback:
    """`adam_step(w, g, m, v, t, lr, beta1, beta2, eps) -> (w_new, m_new, v_new)`:
    one Adam step, t = 1 on the first step."""
    cases = _adam_cases()
    got = call(adam_step, *cases[0])
    if got is NOT_ATTEMPTED:
        return not_attempted("adam_step(w, g, m, v, t, lr, beta1, beta2, eps)")
    names = ("w_new", "m_new", "v_new")
    outs = _outputs(adam_step, got, cases, names)
    if _agrees(outs, _adam_ref, cases):
        step = np.abs(outs[0][0] - _W)
        return correct(f"the first step moves each weight by lr: {np.round(step, 6)}")
    if _is_hard_coded(outs, _adam_ref, cases):
        return hard_coded_hint("adam_step", "w, g, m, v, t and the hyperparameters")
    wants = [_adam_ref(*c) for c in cases]
    order = order_hint(outs, wants, names, _one)
    if order:
        return hint(order)
    for message, mistake in _ADAM_MISTAKES + _hat_state(_adam_ref):
        if _agrees(outs, mistake, cases):
            return hint(message)
    if all(_close(o[1:], w[1:]) for o, w in zip(outs, wants)):
        return hint("m and v are right; the update is not: "
                    "w <- w - lr * m^ / (sqrt(v^) + eps)")
    return hint(_difference(outs, wants, names, cases, _adam_case))


def _adam_case(c: tuple) -> str:
    return f"t={c[4]}, lr={c[5]}, beta1={c[6]}, beta2={c[7]}, eps={c[8]:g}"


# --------------------------------------------------------------- exercise 3
def _adamw_ref(w, g, m, v, t, lr, b1, b2, eps, wd):
    return _adam_ref(w * (1 - lr * wd), g, m, v, t, lr, b1, b2, eps)


_ADAMW_MISTAKES = [
    ("that is Adam with L2: weight_decay * w went into the gradient, where Adam's "
     "normalisation divides it by sqrt(v^). AdamW shrinks the weights directly: "
     "w <- w - lr * weight_decay * w, then the Adam step on the plain gradient",
     lambda w, g, m, v, t, lr, b1, b2, eps, wd: _adam_ref(w, g + wd * w, m, v, t, lr,
                                                          b1, b2, eps)),
    ("the decay is scaled by the lr too: w <- w - lr * weight_decay * w "
     "(PyTorch's AdamW), not w - weight_decay * w",
     lambda w, g, m, v, t, lr, b1, b2, eps, wd: _adam_ref(w * (1 - wd), g, m, v, t, lr,
                                                          b1, b2, eps)),
    ("the decay should shrink the weights: w <- w - lr * weight_decay * w",
     lambda w, g, m, v, t, lr, b1, b2, eps, wd: _adam_ref(w * (1 + lr * wd), g, m, v, t,
                                                          lr, b1, b2, eps)),
    ("the weight decay is missing", lambda w, g, m, v, t, lr, b1, b2, eps, wd:
     _adam_ref(w, g, m, v, t, lr, b1, b2, eps)),
]


@hints_on_error(should="return a tuple (w_new, m_new, v_new)")
def check_adamw_step(adamw_step: Callable) -> Feedback:
    """`adamw_step(w, g, m, v, t, lr, beta1, beta2, eps, weight_decay)
    -> (w_new, m_new, v_new)`: one AdamW step (decoupled weight decay)."""
    cases = [c + (wd,) for c, wd in zip(_adam_cases(), (0.1, 0.5, 2.0))]
    got = call(adamw_step, *cases[0])
    if got is NOT_ATTEMPTED:
        return not_attempted("adamw_step(w, g, m, v, t, lr, beta1, beta2, eps, "
                             "weight_decay)")
    names = ("w_new", "m_new", "v_new")
    outs = _outputs(adamw_step, got, cases, names)
    if _agrees(outs, _adamw_ref, cases):
        return correct("decay first, w * (1 - lr * weight_decay), then Adam on the "
                       "plain gradient: optim.AdamW's rule")
    if _is_hard_coded(outs, _adamw_ref, cases):
        return hard_coded_hint("adamw_step", "w, g, m, v, t and the hyperparameters")
    wants = [_adamw_ref(*c) for c in cases]
    order = order_hint(outs, wants, names, _one)
    if order:
        return hint(order)
    for message, mistake in _ADAMW_MISTAKES + _hat_state(_adamw_ref):
        if _agrees(outs, mistake, cases):
            return hint(message)
    diff = _difference(outs, wants, names, cases, lambda c: (
        f"{_adam_case(c)}, weight_decay={c[9]}"))
    return hint(f"{diff}; shrink w by (1 - lr * weight_decay), then take the Adam step")
