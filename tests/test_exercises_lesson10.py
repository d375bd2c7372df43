"""Lesson 10 checks: each accepts the solution and names each anticipated mistake."""

import numpy as np
import pytest

from bpkit.exercises.lesson10 import (
    check_attention_backward,
    check_layer_norm_backward,
    check_softmax_backward,
)


# ------------------------------------------------------------ softmax rows
def softmax_rows_backward(dp, p):
    return p * (dp - (dp * p).sum(axis=1, keepdims=True))


SOFTMAX_MISTAKES = {
    "missing the subtraction of the row sum": lambda dp, p: p * dp,
    "transposed product dp @ p.T": lambda dp, p: p * (dp - dp @ p.T),
    "down the columns (axis=0)": lambda dp, p: p * (dp - (dp * p).sum(axis=0, keepdims=True)),
    "keepdims=True": lambda dp, p: p * (dp - (dp * p).sum(axis=1)),
    "over the whole matrix": lambda dp, p: p * (dp - (dp * p).sum()),
    "multiplication by p is missing": lambda dp, p: dp - (dp * p).sum(axis=1, keepdims=True),
    "only the Jacobian's diagonal": lambda dp, p: p * (1 - p) * dp,
    "wrong sign": lambda dp, p: -softmax_rows_backward(dp, p),
    "ds is transposed": lambda dp, p: softmax_rows_backward(dp, p).T,
    "plain mean of dp's row": lambda dp, p: p * (dp - dp.mean(axis=1, keepdims=True)),
    "leaves out the weights": lambda dp, p: p * (dp - dp.sum(axis=1, keepdims=True)),
}


def test_softmax_check_accepts_the_solution():
    fb = check_softmax_backward(softmax_rows_backward)
    assert fb.ok and "row Jacobian" in fb.message


@pytest.mark.parametrize("phrase", list(SOFTMAX_MISTAKES))
def test_softmax_check_names_each_mistake(phrase):
    fb = check_softmax_backward(SOFTMAX_MISTAKES[phrase])
    assert not fb.ok and phrase in fb.message, fb.message


def test_softmax_check_catches_a_hard_coded_answer_and_the_stub():
    from bpkit.exercises.lesson10 import _softmax_case
    first = softmax_rows_backward(*_softmax_case(0))
    fb = check_softmax_backward(lambda dp, p: first)
    assert not fb.ok and "does not depend on the inputs" in fb.message

    def stub(dp, p):
        raise NotImplementedError()

    assert "not attempted yet" in check_softmax_backward(stub).message


# ------------------------------------------------------------ attention
def attention_grads(dout, q, k, v, mask, scale=True, after=False, use_mask=True,
                    back_scale=True, swap_q=False, swap_k=False, swap_v=False,
                    no_rowsum=False, multiply=False, d_of=None, twice=False,
                    no_rowsum_dk=False):
    """The solution, or a learner's version with the chosen slips."""
    d = q.shape[1] if d_of is None else d_of(q, v)
    s = q @ k.T / (np.sqrt(d) if scale else 1)
    if mask is not None and use_mask and multiply:
        s = s * mask
    elif mask is not None and use_mask and not after:
        s = np.where(mask, s, -np.inf)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    if mask is not None and use_mask and after:
        p = p * mask
    dp = dout @ v.T
    ds = p * dp if no_rowsum else p * (dp - (dp * p).sum(axis=1, keepdims=True))
    if scale and back_scale:
        ds = ds / np.sqrt(d)
    if twice:
        ds = ds / np.sqrt(d)
    dq = ds.T @ k if swap_q else ds @ k
    dk = ds @ q if swap_k else ds.T @ q
    if no_rowsum_dk:
        dk = (p * dp).T @ q / np.sqrt(d)
    dv = p @ dout if swap_v else p.T @ dout
    return dq, dk, dv


def _with(**slips):
    return lambda dout, q, k, v, mask: attention_grads(dout, q, k, v, mask, **slips)


ATTENTION_MISTAKES = {
    "missing 1/sqrt(d) everywhere": (dict(scale=False), "1/sqrt(d) is missing"),
    "missing 1/sqrt(d) in the backward": (dict(back_scale=False), "dq is sqrt(d) times too large"),
    "mask after the softmax": (dict(after=True), "mask is applied after the softmax"),
    "mask ignored": (dict(use_mask=False), "mask is ignored"),
    "dq swapped": (dict(swap_q=True), "dq uses ds.T: the operands are swapped"),
    "dk swapped": (dict(swap_k=True), "dk uses ds, not ds.T: the operands are swapped"),
    "dv swapped": (dict(swap_v=True), "operands swapped"),
    "no row sum": (dict(no_rowsum=True), "dq is missing the softmax's row-sum subtraction"),
    "no row sum in dk only": (dict(no_rowsum_dk=True),
                              "dq, dv right; dk is missing the softmax's row-sum subtraction"),
    "mask multiplies the scores": (dict(multiply=True), "a score of 0 is not hidden"),
    "d from v": (dict(d_of=lambda q, v: v.shape[1]), "not use the values' size v.shape[1]"),
    "d from T": (dict(d_of=lambda q, v: q.shape[0]), "not the number of positions"),
    "divided by d": (dict(d_of=lambda q, v: q.shape[1] ** 2), "the scores are divided by d"),
    "ds scaled twice": (dict(twice=True), "dv right; dq is sqrt(d) times too small"),
}


def test_attention_check_accepts_the_solution():
    fb = check_attention_backward(attention_grads)
    assert fb.ok and "attention_backward" in fb.message


@pytest.mark.parametrize("name", list(ATTENTION_MISTAKES))
def test_attention_check_names_each_mistake(name):
    slips, phrase = ATTENTION_MISTAKES[name]
    fb = check_attention_backward(_with(**slips))
    assert not fb.ok and phrase in fb.message, fb.message


def test_attention_check_names_the_right_outputs_when_only_dv_is_swapped():
    fb = check_attention_backward(_with(swap_v=True))
    assert fb.message.startswith("dq, dk right;")


def test_attention_check_catches_the_wrong_order_sign_and_hard_coding():
    fb = check_attention_backward(lambda *a: attention_grads(*a)[::-1])
    assert "wrong order" in fb.message
    fb = check_attention_backward(lambda *a: tuple(-g for g in attention_grads(*a)))
    assert "wrong sign" in fb.message
    from bpkit.exercises.lesson10 import _attention_case
    first = attention_grads(*_attention_case(0))
    fb = check_attention_backward(lambda *a: first)
    assert "does not depend on the inputs" in fb.message


def test_attention_check_names_only_the_gradient_missing_its_scale():
    def fn(*a):
        dq, dk, dv = attention_grads(*a)
        return dq, dk * np.sqrt(a[1].shape[1]), dv

    fb = check_attention_backward(fn)
    assert fb.message.startswith("dq, dv right; dk is sqrt(d) times too large"), fb.message


def test_attention_check_asks_for_mask_none_when_only_the_masked_case_works():
    def fn(dout, q, k, v, mask):
        s = np.where(mask, q @ k.T / 2.0, -np.inf)  # d = 4 hard-wired, mask assumed
        p = np.exp(s - s.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        dp = dout @ v.T
        ds = p * (dp - (dp * p).sum(axis=1, keepdims=True)) / 2.0
        return ds @ k, ds.T @ q, p.T @ dout

    fb = check_attention_backward(fn)
    assert not fb.ok and "mask=None" in fb.message


# ------------------------------------------------------------ layer norm
def layer_norm_grads(dout, x, gamma, eps, axis=1, ddof=0, use_gamma=True,
                     mean_term=True, var_term=True, dgamma_x=False):
    """The solution, or a learner's version with the chosen slips."""
    mu = x.mean(axis=axis, keepdims=True)
    std = np.sqrt(x.var(axis=axis, keepdims=True, ddof=ddof) + eps)
    xhat = (x - mu) / std
    g = dout * gamma if use_gamma else dout
    dx = g
    if mean_term:
        dx = dx - g.mean(axis=axis, keepdims=True)
    if var_term:
        dx = dx - xhat * (g * xhat).mean(axis=axis, keepdims=True)
    dgamma = (dout * (x if dgamma_x else xhat)).sum(axis=0)
    return dx / std, dgamma, dout.sum(axis=0)


def _ln(**slips):
    return lambda dout, x, gamma, eps: layer_norm_grads(dout, x, gamma, eps, **slips)


def _xhat(x, eps):
    return (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + eps)


LN_MISTAKES = {
    "batch norm's axis": (_ln(axis=0), "batch norm's means, over the batch (axis 0)"),
    "no mean terms": (_ln(mean_term=False, var_term=False), "missing both mean terms"),
    "no variance term": (_ln(var_term=False), "missing the variance's term"),
    "no mean term": (_ln(mean_term=False), "missing the mean's term"),
    "no gamma": (_ln(use_gamma=False), "dx misses gamma"),
    "unbiased": (_ln(ddof=1), "unbiased variance"),
    "no eps": (lambda d, x, g, e: layer_norm_grads(d, x, g, 0.0), "xhat leaves eps out"),
    "dgamma with x": (_ln(dgamma_x=True), "dgamma uses x where it needs xhat"),
    "dbeta not summed": (lambda d, x, g, e: (*layer_norm_grads(d, x, g, e)[:2], d),
                         "dbeta is missing the sum over the batch"),
    "dbeta mean": (lambda d, x, g, e: (*layer_norm_grads(d, x, g, e)[:2], d.mean(0)),
                   "dbeta averages over the batch"),
    "dgamma axis": (lambda d, x, g, e: (layer_norm_grads(d, x, g, e)[0],
                                         (d * _xhat(x, e)).sum(1), d.sum(0)),
                    "dgamma sums over the wrong axis"),
    "dx sign": (lambda d, x, g, e: (-layer_norm_grads(d, x, g, e)[0],
                                     *layer_norm_grads(d, x, g, e)[1:]), "dx has the wrong sign"),
}


def test_layer_norm_check_accepts_the_solution():
    fb = check_layer_norm_backward(layer_norm_grads)
    assert fb.ok and "layer_norm_backward" in fb.message


@pytest.mark.parametrize("name", list(LN_MISTAKES))
def test_layer_norm_check_names_each_mistake(name):
    fn, phrase = LN_MISTAKES[name]
    fb = check_layer_norm_backward(fn)
    assert not fb.ok and phrase in fb.message, fb.message


def test_layer_norm_check_says_which_outputs_are_right():
    fb = check_layer_norm_backward(_ln(var_term=False))
    assert "dgamma, dbeta right" in fb.message


def test_layer_norm_check_catches_order_and_hard_coding():
    fb = check_layer_norm_backward(lambda *a: layer_norm_grads(*a)[::-1])
    assert "wrong order" in fb.message
    from bpkit.exercises.lesson10 import _ln_case
    first = layer_norm_grads(*_ln_case(0))
    fb = check_layer_norm_backward(lambda *a: first)
    assert "does not depend on the inputs" in fb.message


KIND_SOLUTIONS = {
    "check_softmax_backward": softmax_rows_backward,
    "check_attention_backward": attention_grads,
    "check_layer_norm_backward": layer_norm_grads,
}
KIND_RETURNS_NOTHING: set = set()


def test_layer_norm_check_gives_one_hint_for_a_slip_that_spoils_dx_and_dgamma():
    """ddof=1 or a missing eps spoils xhat, so dx and dgamma: one message, both named."""
    from bpkit.exercises.lesson10 import _DDOF, _NO_EPS
    for slip, message in ((_ln(ddof=1), _DDOF),
                          (lambda d, x, g, e: layer_norm_grads(d, x, g, 0.0), _NO_EPS)):
        fb = check_layer_norm_backward(slip)
        assert not fb.ok and fb.message == "dbeta right; " + message, fb.message
