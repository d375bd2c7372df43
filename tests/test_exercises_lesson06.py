"""Lesson 06 checks accept the solution and name each anticipated mistake."""

import re

import numpy as np
import pytest

from bpkit.exercises import lesson06 as ex
from bpkit.layers import Parameter
from bpkit.optim import SGD, Adam, AdamW


def unattempted(*args):
    raise NotImplementedError()


# ------------------------------------------------------------ momentum
def momentum_step(w, g, b, lr, momentum, dampening):
    b = momentum * b + (1 - dampening) * g
    return w - lr * b, b


def test_momentum_solution_is_accepted_and_matches_optim_sgd():
    assert ex.check_momentum_step(momentum_step).ok
    # the solution, seeded with b = g as PyTorch does, reproduces optim.SGD
    r = np.random.default_rng(0)
    p = Parameter(r.standard_normal(3))
    w = p.data.copy()
    opt = SGD([p], lr=0.1, momentum=0.9, dampening=0.2)
    b = None
    for _ in range(5):
        g = r.standard_normal(3)
        p.grad[...] = g
        opt.step()
        if b is None:
            b = g.copy()
            w = w - 0.1 * b
        else:
            w, b = momentum_step(w, g, b, 0.1, 0.9, 0.2)
    np.testing.assert_allclose(w, p.data)


MOMENTUM_WRONG = [
    (lambda w, g, b, lr, mu, t: (w + lr * (mu * b + (1 - t) * g), mu * b + (1 - t) * g),
     "wrong sign"),
    (lambda w, g, b, lr, mu, t: (w - lr * (mu * b + g), mu * b + g),
     "dampening is missing"),
    (lambda w, g, b, lr, mu, t: (w - lr * (mu * (1 - t) * b + g), mu * (1 - t) * b + g),
     "not the old velocity"),
    (lambda w, g, b, lr, mu, t: (w - lr * b, mu * b + (1 - t) * g), "old buffer"),
    (lambda w, g, b, lr, mu, t: (w - lr * (mu * b + (1 - t) * g), b),
     "weights are right"),
    (lambda w, g, b, lr, mu, t: (w + mu * b - lr * g, mu * b - lr * g), "CS231n"),
    (lambda w, g, b, lr, mu, t: (w - 0.1, mu * b + (1 - t) * g), "buffer is right"),
    (lambda w, g, b, lr, mu, t: (w, b), "expected w_new"),
    (lambda w, g, b, lr, mu, t: (w - lr * (mu * b + (1 - mu) * g),
                                 mu * b + (1 - mu) * g), "exponential moving average"),
    (lambda w, g, b, lr, mu, t: w, "return a tuple"),
    (lambda w, g, b, lr, mu, t: w.nope, "raised AttributeError"),
]


@pytest.mark.parametrize("wrong,clue", MOMENTUM_WRONG)
def test_momentum_mistakes_get_their_hint(wrong, clue):
    fb = ex.check_momentum_step(wrong)
    assert not fb.ok and clue in fb.message


def test_ema_buffer_hint_says_dampening_not_momentum_scales_the_gradient():
    def ema(w, g, b, lr, momentum, dampening):
        b = momentum * b + (1 - momentum) * g
        return w - lr * b, b

    fb = ex.check_momentum_step(ema)
    assert not fb.ok
    assert "(1 - dampening), not (1 - momentum)" in fb.message
    assert "dampening 0" in fb.message


def test_returning_the_old_buffer_is_named():
    def old_buffer(w, g, b, lr, momentum, dampening):
        return w - lr * (momentum * b + (1 - dampening) * g), b

    fb = ex.check_momentum_step(old_buffer)
    assert not fb.ok and "the weights are right, the buffer is not" in fb.message


def test_momentum_hint_names_only_the_wrong_array():
    # the buffer right on the lesson's numbers (dampening 0.25 pasted in), the weights
    # never updated: w_new alone is shown, b_new is not repeated as
    # "you give X, expected X"
    def half_done(w, g, b, lr, momentum, dampening):
        return w, momentum * b + 0.75 * g

    fb = ex.check_momentum_step(half_done)
    assert not fb.ok and "w_new=" in fb.message and "b_new=" not in fb.message


# ---------------------------------------------------------------- adam
def adam_step(w, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def test_adam_solution_is_accepted_and_matches_optim_adam():
    assert ex.check_adam_step(adam_step).ok
    r = np.random.default_rng(1)
    p = Parameter(r.standard_normal(4))
    w, m, v = p.data.copy(), np.zeros(4), np.zeros(4)
    opt = Adam([p], lr=0.01, betas=(0.8, 0.99))
    for t in range(1, 6):
        g = r.standard_normal(4)
        p.grad[...] = g
        opt.step()
        w, m, v = adam_step(w, g, m, v, t, 0.01, 0.8, 0.99, 1e-8)
    np.testing.assert_allclose(w, p.data, rtol=1e-12)


def _variant(**kw):
    def f(w, g, m, v, t, lr, b1, b2, eps):
        if kw.get("swap"):
            b1, b2 = b2, b1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * (np.abs(g) if kw.get("abs") else g**2)
        tt = t - 1 if kw.get("t0") else t
        with np.errstate(all="ignore"):
            mh = m if kw.get("nobias") else m / (1 - b1**tt)
            vh = v if kw.get("nobias") else v / (1 - b2**tt)
            den = (vh + eps if kw.get("nosqrt") else np.sqrt(vh + eps) if kw.get("epsin")
                   else np.sqrt(vh) + eps)
            return w - lr * (g if kw.get("grad") else mh) / den, m, v
    return f


ADAM_WRONG = [
    (_variant(nobias=True), "bias correction is missing"),
    (_variant(t0=True), "starts at 1"),
    (_variant(nosqrt=True), "square root"),
    (_variant(epsin=True), "eps goes outside"),
    (_variant(swap=True), "swapped"),
    (_variant(grad=True), "RMSprop"),
    (_variant(abs=True), "squared"),
    (lambda w, g, m, v, t, lr, b1, b2, eps: (w - lr * g, b1 * m + (1 - b1) * g,
                                             b2 * v + (1 - b2) * g * g),
     "m and v are right"),
    (lambda w, g, m, v, t, lr, b1, b2, eps: (w, m, v), "expected"),
]


@pytest.mark.parametrize("wrong,clue", ADAM_WRONG)
def test_adam_mistakes_get_their_hint(wrong, clue):
    fb = ex.check_adam_step(wrong)
    assert not fb.ok and clue in fb.message


def _hat_state(which):
    def f(w, g, m, v, t, lr, beta1, beta2, eps):
        w, m, v = adam_step(w, g, m, v, t, lr, beta1, beta2, eps)
        return (w, m / (1 - beta1**t) if "m" in which else m,
                v / (1 - beta2**t) if "v" in which else v)
    return f


@pytest.mark.parametrize("which,named", [("mv", "m^ and v^"), ("m", "m^"), ("v", "v^")])
def test_adam_storing_bias_corrected_moments_is_named(which, named):
    fb = ex.check_adam_step(_hat_state(which))
    assert not fb.ok
    assert f"bias-corrected {named} as the state" in fb.message
    assert "return the raw m and v" in fb.message


def test_adamw_storing_bias_corrected_moments_is_named():
    def f(w, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
        shrunk = w * (1 - lr * weight_decay)
        return _hat_state("mv")(shrunk, g, m, v, t, lr, beta1, beta2, eps)

    fb = ex.check_adamw_step(f)
    assert not fb.ok and "bias-corrected m^ and v^ as the state" in fb.message


# --------------------------------------------------------------- adamw
def adamw_step(w, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    return adam_step(w * (1 - lr * weight_decay), g, m, v, t, lr, beta1, beta2, eps)


def test_adamw_solution_is_accepted_and_matches_optim_adamw():
    assert ex.check_adamw_step(adamw_step).ok
    r = np.random.default_rng(2)
    p = Parameter(r.standard_normal(4))
    w, m, v = p.data.copy(), np.zeros(4), np.zeros(4)
    opt = AdamW([p], lr=0.01, weight_decay=0.3)
    for t in range(1, 6):
        g = r.standard_normal(4)
        p.grad[...] = g
        opt.step()
        w, m, v = adamw_step(w, g, m, v, t, 0.01, 0.9, 0.999, 1e-8, 0.3)
    np.testing.assert_allclose(w, p.data, rtol=1e-12)


ADAMW_WRONG = [
    (lambda w, g, m, v, t, lr, b1, b2, eps, wd: adam_step(w, g + wd * w, m, v, t, lr, b1,
                                                          b2, eps), "Adam with L2"),
    (lambda w, g, m, v, t, lr, b1, b2, eps, wd: adam_step(w * (1 - wd), g, m, v, t, lr, b1,
                                                          b2, eps), "scaled by the lr"),
    (lambda w, g, m, v, t, lr, b1, b2, eps, wd: adam_step(w * (1 + lr * wd), g, m, v, t,
                                                          lr, b1, b2, eps), "shrink"),
    (lambda w, g, m, v, t, lr, b1, b2, eps, wd: adam_step(w, g, m, v, t, lr, b1, b2, eps),
     "missing"),
    (lambda w, g, m, v, t, lr, b1, b2, eps, wd: (w, m, v), "expected"),
]


@pytest.mark.parametrize("wrong,clue", ADAMW_WRONG)
def test_adamw_mistakes_get_their_hint(wrong, clue):
    fb = ex.check_adamw_step(wrong)
    assert not fb.ok and clue in fb.message


@pytest.mark.parametrize("check", [ex.check_momentum_step, ex.check_adam_step,
                                   ex.check_adamw_step])
def test_unattempted_stub_says_so_instead_of_failing(check):
    fb = check(unattempted)
    assert fb.status == "not attempted" and "not attempted yet" in repr(fb)


# ------------------------------------------------- "you give X, expected X"
_VALUE = re.compile(r"\[[^\]]*\]|-?\d[\d.e+-]*")


def _shown_pairs(message):
    """The values after "you give" and after "expected", in order (empty if none)."""
    m = re.search(r"you give (.*?)[;,] expected (.*)", message)
    if not m:
        return [], []
    expected = m.group(2).split(";")[0]  # a hint may go on after a ";"
    return _VALUE.findall(m.group(1)), _VALUE.findall(expected)


def _near_miss(solution, scale):
    def f(*args):
        return tuple(o * scale for o in solution(*args))
    return f


ANSWERS = (
    [(ex.check_momentum_step, f) for f, _ in MOMENTUM_WRONG]
    + [(ex.check_adam_step, f) for f, _ in ADAM_WRONG]
    + [(ex.check_adamw_step, f) for f, _ in ADAMW_WRONG]
    + [(ex.check_momentum_step, lambda w, g, b, lr, mu, t: (w, mu * b + 0.75 * g)),
       (ex.check_momentum_step, _near_miss(momentum_step, 1 + 1e-7)),
       (ex.check_adam_step, _near_miss(adam_step, 1 + 1e-7)),
       (ex.check_adamw_step, _near_miss(adamw_step, 1 - 1e-7))]
)


@pytest.mark.parametrize("check,answer", ANSWERS)
def test_no_hint_shows_the_same_value_as_given_and_expected(check, answer):
    fb = check(answer)
    given, expected = _shown_pairs(fb.message)
    assert len(given) == len(expected)
    for g, w in zip(given, expected):
        assert g != w, fb.message
