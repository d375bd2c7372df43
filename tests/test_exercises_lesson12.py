"""Lesson 12 checks: each accepts the hand-written gradient, names each classic slip,
and measures its reference without knowing the answer (complex step), which agrees
with bpkit's layers and losses and with torch."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpkit.blocks import BatchNorm1d
from bpkit.exercises import lesson12
from bpkit.exercises.lesson12 import (
    BACKWARD_ORDER, PARAMS, case, check_full_backward, ready_to_train, reference,
)
from bpkit.layers import Linear, Tanh
from bpkit.losses import softmax_cross_entropy


def not_yet(*args):
    raise NotImplementedError()


def _n(f):
    return f.X.shape[0]


def _dlogprobs(f, d):
    g = np.zeros_like(f.logprobs)
    g[np.arange(_n(f)), f.y] = -1 / _n(f)
    return g


# the solutions, as a learner writes them: one line a tensor
SOL = {
    "logprobs": _dlogprobs,
    "probs": lambda f, d: d.logprobs / f.probs,
    "counts_sum_inv": lambda f, d: (d.probs * f.counts).sum(axis=1, keepdims=True),
    "counts_sum": lambda f, d: -d.counts_sum_inv * f.counts_sum**-2,
    "counts": lambda f, d: d.probs * f.counts_sum_inv + d.counts_sum,
    "norm_logits": lambda f, d: d.counts * f.counts,
    "logit_maxes": lambda f, d: -d.norm_logits.sum(axis=1, keepdims=True),
    "logits": lambda f, d: d.norm_logits + d.logit_maxes * (f.logits == f.logit_maxes),
    "h": lambda f, d: d.logits @ f.W2.T,
    "W2": lambda f, d: f.h.T @ d.logits,
    "b2": lambda f, d: d.logits.sum(axis=0),
    "bn": lambda f, d: d.h * (1 - f.h**2),
    "gamma": lambda f, d: (d.bn * f.xhat).sum(axis=0),
    "beta": lambda f, d: d.bn.sum(axis=0),
    "xhat": lambda f, d: d.bn * f.gamma,
    "inv_std": lambda f, d: (d.xhat * f.xc).sum(axis=0),
    "var": lambda f, d: d.inv_std * -0.5 * (f.var + f.eps) ** -1.5,
    "xc": lambda f, d: d.xhat * f.inv_std + d.var * 2 * f.xc / _n(f),
    "mean": lambda f, d: -d.xc.sum(axis=0),
    "h_pre": lambda f, d: d.xc + d.mean / _n(f),
    "W1": lambda f, d: f.X.T @ d.h_pre,
    "b1": lambda f, d: d.h_pre.sum(axis=0),
}


def full_backward(f):
    """The whole backward pass, chaining the one-line solutions."""
    d = lesson12.Tensors(loss=1.0)
    grads = {}
    for t in BACKWARD_ORDER:
        grads[t] = SOL[t](f, d)
        if t not in PARAMS:
            setattr(d, t, grads[t])
    return tuple(grads[p] for p in PARAMS)


# the names as the notebook imports them (tests/test_student.py looks for each here)
CHECK_NAMES = [
    "check_dlogprobs", "check_dprobs", "check_dcounts_sum_inv", "check_dcounts_sum",
    "check_dcounts", "check_dnorm_logits", "check_dlogit_maxes", "check_dlogits",
    "check_dh", "check_dW2", "check_db2", "check_dbn", "check_dgamma", "check_dbeta",
    "check_dxhat", "check_dinv_std", "check_dvar", "check_dxc", "check_dmean",
    "check_dh_pre", "check_dW1", "check_db1", "check_full_backward",
]
KIND_SOLUTIONS = {f"check_d{t}": fn for t, fn in SOL.items()}
KIND_SOLUTIONS["check_full_backward"] = full_backward
KIND_RETURNS_NOTHING: set[str] = set()


def _check(t):
    return getattr(lesson12, f"check_d{t}")


# ------------------------------------------------------------ the reference
def test_every_tensor_has_a_check_and_a_solution():
    assert sorted(KIND_SOLUTIONS) == sorted(CHECK_NAMES)
    assert sorted(n for n in lesson12.__all__ if n.startswith("check_")) == sorted(CHECK_NAMES)
    assert sorted(SOL) == sorted(BACKWARD_ORDER)
    assert set(PARAMS) <= set(BACKWARD_ORDER)
    assert all(callable(_check(t)) for t in BACKWARD_ORDER)


def _layers_grads(f):
    """The loss and gradients bpkit's Linear, BatchNorm1d, Tanh and
    softmax_cross_entropy give on the tensors f."""
    lin1, lin2 = Linear(*f.W1.shape, np.random.default_rng(0)), Linear(
        *f.W2.shape, np.random.default_rng(0))
    lin1.W.data[:], lin1.b.data[:] = f.W1, f.b1
    lin2.W.data[:], lin2.b.data[:] = f.W2, f.b2
    bn = BatchNorm1d(f.W1.shape[1], eps=lesson12.EPS)
    bn.gamma.data[:], bn.beta.data[:] = f.gamma, f.beta
    tanh = Tanh()
    logits = lin2.forward(tanh.forward(bn.forward(lin1.forward(f.X))))
    loss, dlogits = softmax_cross_entropy(logits, f.y)
    dh = lin2.backward(dlogits)
    dbn = tanh.backward(dh)
    dh_pre = bn.backward(dbn)
    lin1.backward(dh_pre)
    return loss, {"logits": dlogits, "h": dh, "bn": dbn, "h_pre": dh_pre,
                  "W1": lin1.W.grad, "b1": lin1.b.grad, "gamma": bn.gamma.grad,
                  "beta": bn.beta.grad, "W2": lin2.W.grad, "b2": lin2.b.grad}


@pytest.mark.parametrize("k", [0, 1])
def test_measured_gradients_agree_with_bpkit_layers_and_losses(k):
    loss, grads = _layers_grads(case(k))
    assert loss == pytest.approx(float(case(k).loss), rel=1e-12)
    for name, want in grads.items():
        np.testing.assert_allclose(reference(k, name), want, rtol=1e-9, atol=1e-14,
                                   err_msg=name)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 6), d=st.integers(1, 4),
       h=st.integers(1, 4), c=st.integers(2, 4))
def test_the_complex_step_agrees_with_bpkit_layers_at_random_shapes(seed, n, d, h, c):
    values = lesson12.inputs(seed, n, d, h, c)
    f = SimpleNamespace(**values)
    _, grads = _layers_grads(f)
    for name, want in grads.items():
        got = lesson12.measure(values, name)
        scale = np.max(np.abs(want), initial=0.0)
        assert np.max(np.abs(got - want)) <= 1e-9 * scale + 1e-13, name


@pytest.mark.parametrize("k", [0, 1])
def test_measured_gradients_of_every_tensor_agree_with_torch(k):
    torch = pytest.importorskip("torch")
    f = case(k)
    t = {p: torch.tensor(getattr(f, p), requires_grad=True) for p in PARAMS}
    X, y = torch.tensor(f.X), torch.tensor(f.y)
    v = {}
    v["h_pre"] = X @ t["W1"] + t["b1"]
    v["mean"] = v["h_pre"].mean(0)
    v["xc"] = v["h_pre"] - v["mean"]
    v["var"] = (v["xc"] ** 2).mean(0)
    v["inv_std"] = (v["var"] + lesson12.EPS) ** -0.5
    v["xhat"] = v["xc"] * v["inv_std"]
    v["bn"] = t["gamma"] * v["xhat"] + t["beta"]
    v["h"] = torch.tanh(v["bn"])
    v["logits"] = v["h"] @ t["W2"] + t["b2"]
    v["logit_maxes"] = v["logits"].max(1, keepdim=True).values
    v["norm_logits"] = v["logits"] - v["logit_maxes"]
    v["counts"] = v["norm_logits"].exp()
    v["counts_sum"] = v["counts"].sum(1, keepdim=True)
    v["counts_sum_inv"] = v["counts_sum"] ** -1
    v["probs"] = v["counts"] * v["counts_sum_inv"]
    v["logprobs"] = v["probs"].log()
    loss = -v["logprobs"][torch.arange(len(y)), y].mean()
    for a in v.values():
        a.retain_grad()
    loss.backward()
    for name in BACKWARD_ORDER:
        want = (t[name] if name in PARAMS else v[name]).grad.numpy()
        np.testing.assert_allclose(reference(k, name), want, rtol=1e-9, atol=1e-14,
                                   err_msg=name)


def test_measuring_an_unknown_tensor_is_a_clear_error():
    with pytest.raises(ValueError, match="name must be a parameter .* got 'X'"):
        lesson12.measure(lesson12.inputs(0, 3, 2, 2, 2), "X")


def test_a_path_is_measured_with_the_other_consumers_input_held_fixed():
    f = case(0)
    via_probs = reference(0, "counts", ("counts_sum",))
    np.testing.assert_allclose(via_probs, reference(0, "probs") * f.counts_sum_inv,
                               rtol=1e-12)
    both = reference(0, "counts")
    np.testing.assert_allclose(both, via_probs + reference(0, "counts", ("probs",)),
                               rtol=1e-12, atol=1e-15)


def test_the_checks_do_not_write_the_answers_as_formulas():
    source = open(lesson12.__file__).read()
    for leak in ("1 - f.h**2)", "f.h.T @", "@ f.W2.T", "f.X.T @", "d.logprobs /",
                 "* f.counts_sum_inv +", "-d.xc.sum", "d.xc + d.mean"):
        assert leak not in source, leak


# ------------------------------------------------------------ every tensor
@pytest.mark.parametrize("t", BACKWARD_ORDER)
def test_the_solution_is_correct_and_the_stub_not_attempted(t):
    fb = _check(t)(SOL[t])
    assert fb.ok and "complex step" in fb.message, fb
    fb = _check(t)(not_yet)
    assert fb.status == "not attempted" and f"d{t}(f, d)" in fb.message, fb


@pytest.mark.parametrize("t", ["logit_maxes", "b1"])
def test_a_zero_gradient_is_named_with_its_measured_size(t):
    fb = _check(t)(SOL[t])
    assert "zero up to rounding" in fb.message and "e-1" in fb.message, fb
    assert np.max(np.abs(reference(0, t))) < 1e-15


def _n_(f):
    return f.X.shape[0]


def _columns(f, d):
    """The slip: [:, y] sets whole columns, not each row's target."""
    g = np.zeros_like(f.logprobs)
    g[:, f.y] = -1 / _n_(f)
    return g


def _bn_fused(f, d, mean_term=True, var_term=True):
    """BatchNorm's compact backward (lesson 04), optionally without a term."""
    g = d.bn * f.gamma
    out = g - mean_term * g.mean(axis=0) - var_term * f.xhat * (g * f.xhat).mean(axis=0)
    return f.inv_std * out


MISTAKES = [
    # cross-entropy
    ("logprobs", lambda f, d: -_n_(f) * _dlogprobs(f, d), "missing the 1/N"),
    ("logprobs", lambda f, d: -_dlogprobs(f, d), "wrong sign"),
    ("logprobs", lambda f, d: np.full(f.logprobs.shape, -1 / _n_(f)),
     "only the target class"),
    ("logprobs", _columns, "[np.arange(N), y]"),
    ("probs", lambda f, d: d.logprobs * f.probs, "divide by probs"),
    ("probs", lambda f, d: 1 / f.probs, "local derivative alone"),
    ("counts_sum_inv", lambda f, d: d.probs * f.counts, "sum over the row"),
    ("counts_sum_inv", lambda f, d: (d.probs * f.counts).sum(axis=1),
     "keepdims=True"),
    ("counts_sum_inv", lambda f, d: (d.probs * f.counts).sum(axis=0),
     "sums over the batch (axis 0)"),
    ("counts_sum_inv",
     lambda f, d: (d.probs * f.counts_sum_inv).sum(axis=1, keepdims=True),
     "the other factor, counts"),
    ("counts_sum", lambda f, d: d.counts_sum_inv * f.counts_sum**-2, "negative"),
    ("counts_sum", lambda f, d: -d.counts_sum_inv / f.counts_sum, "you used -1/s"),
    ("counts_sum", lambda f, d: -f.counts_sum**-2, "local derivative alone"),
    ("counts", lambda f, d: d.probs * f.counts_sum_inv, "only the path through probs"),
    ("counts", lambda f, d: d.counts_sum + 0 * f.counts,
     "only the path through counts_sum"),
    ("counts", lambda f, d: d.counts_sum, "one gradient per entry"),
    ("norm_logits", lambda f, d: d.counts * f.norm_logits, "exp itself"),
    ("norm_logits", lambda f, d: f.counts, "local derivative alone"),
    ("logit_maxes", lambda f, d: -d.norm_logits, "sum over the row"),
    ("logits", lambda f, d: d.logit_maxes * (f.logits == f.logit_maxes),
     "only the path through logit_maxes"),
    ("logits", lambda f, d: f.probs / _n_(f), "subtract 1 / N"),
    ("logits", lambda f, d: _n_(f) * d.norm_logits, "N times too large"),
    # the second layer
    ("h", lambda f, d: f.W2 @ d.logits.T, "transposed"),
    ("h", lambda f, d: d.logits @ f.W2, "Check the shapes"),
    ("h", lambda f, d: d.logits @ f.W2.T / _n_(f), "already inside dlogits"),
    ("W2", lambda f, d: d.logits.T @ f.h, "transposed"),
    ("W2", lambda f, d: f.h.T @ d.logits / _n_(f), "already inside dlogits"),
    ("W2", lambda f, d: f.h @ d.logits, "Check the shapes"),
    ("b2", lambda f, d: d.logits, "missing the sum over the batch"),
    ("b2", lambda f, d: d.logits.mean(axis=0), "sum, not mean"),
    ("b2", lambda f, d: d.logits.sum(axis=0, keepdims=True), "keepdims"),
    ("b2", lambda f, d: d.logits.sum(axis=1), "wrong axis"),
    # tanh and batch norm's scale and shift
    ("bn", lambda f, d: d.h * (1 - f.bn**2), "square h, the output"),
    ("bn", lambda f, d: d.h * (1 - f.h), "h squared, not h"),
    ("bn", lambda f, d: 1 - f.h**2, "local derivative alone"),
    ("bn", lambda f, d: -d.h * (1 - f.h**2), "wrong sign"),
    ("gamma", lambda f, d: d.bn * f.xhat, "missing the sum over the batch"),
    ("gamma", lambda f, d: (d.bn * f.xhat).mean(axis=0), "sum, not mean"),
    ("gamma", lambda f, d: (d.bn * f.bn).sum(axis=0), "not times bn"),
    ("beta", lambda f, d: d.bn, "missing the sum over the batch"),
    ("beta", lambda f, d: d.bn.mean(axis=0), "sum, not mean"),
    ("xhat", lambda f, d: d.bn, "missing gamma"),
    ("xhat", lambda f, d: (d.bn * f.gamma).sum(axis=0), "keep every row"),
    # the normalisation
    ("inv_std", lambda f, d: d.xhat * f.xc, "missing the sum over the batch"),
    ("inv_std", lambda f, d: (d.xhat * f.xhat).sum(axis=0), "not xhat"),
    ("var", lambda f, d: d.inv_std * -0.5 * f.var**-1.5, "missing eps"),
    ("var", lambda f, d: d.inv_std * -0.5 * (f.var + f.eps) ** -0.5,
     "lowers the exponent"),
    ("var", lambda f, d: d.inv_std * 0.5 * (f.var + f.eps) ** -1.5, "wrong sign"),
    ("var", lambda f, d: -0.5 * (f.var + f.eps) ** -1.5, "local derivative alone"),
    ("xc", lambda f, d: d.xhat * f.inv_std, "only the path through xhat"),
    ("xc", lambda f, d: d.var * 2 * f.xc / _n_(f), "only the path through var"),
    ("xc", lambda f, d: d.xhat * f.inv_std + d.var * 2 * f.xc,
     "N times too large"),
    ("xc", lambda f, d: d.xhat * f.inv_std + d.var * f.xc / _n_(f), "missing the 2"),
    ("xc", lambda f, d: d.xhat * f.inv_std + d.var * 2 * f.xc / (_n_(f) - 1), "1/(N-1)"),
    ("xc", lambda f, d: d.xhat * f.inv_std - d.var * 2 * f.xc / _n_(f),
     "the two paths add"),
    ("mean", lambda f, d: d.xc.sum(axis=0), "dmean carries a minus"),
    ("mean", lambda f, d: -d.xc, "missing the sum over the batch"),
    ("mean", lambda f, d: -d.xc.mean(axis=0), "sum, not mean"),
    ("h_pre", lambda f, d: d.xc, "only the path through xc"),
    ("h_pre", lambda f, d: d.mean / _n_(f) + 0 * d.xc,
     "only the path through mean"),
    ("h_pre", lambda f, d: d.xc + d.mean, "N times too large"),
    ("h_pre", lambda f, d: d.bn * f.gamma * f.inv_std, "both of BatchNorm's batch terms"),
    ("h_pre", lambda f, d: _bn_fused(f, d, mean_term=False), "also feeds the batch mean"),
    ("h_pre", lambda f, d: _bn_fused(f, d, var_term=False), "missing the variance's term"),
    # the first layer
    ("W1", lambda f, d: d.h_pre.T @ f.X, "transposed"),
    ("W1", lambda f, d: f.X.T @ d.h_pre / _n_(f), "already inside dh_pre"),
    ("b1", lambda f, d: d.h_pre, "missing the sum over the batch"),
]


@pytest.mark.parametrize("t, wrong, words", MISTAKES,
                         ids=[f"{t}-{w}" for t, _, w in MISTAKES])
def test_each_classic_mistake_gets_its_hint(t, wrong, words):
    fb = _check(t)(wrong)
    assert fb.status == "hint" and words in fb.message, fb


@pytest.mark.parametrize("t", ["probs", "W2", "gamma", "xc"])
def test_a_hard_coded_gradient_is_caught(t):
    const = SOL[t](case(0), lesson12.gradients_after(0, t))
    fb = _check(t)(lambda f, d: const)
    assert fb.status == "hint" and "does not depend on the inputs" in fb.message, fb


def test_a_wrong_value_names_the_entry_and_never_repeats_itself():
    fb = _check("h")(lambda f, d: d.logits @ f.W2.T + 0.5)
    assert fb.status == "hint" and "dh[" in fb.message and "expected" in fb.message, fb


def test_a_measured_zero_is_shown_as_0():
    fb = _check("logprobs")(lambda f, d: _dlogprobs(f, d) + 0.25)
    assert "expected 0;" in fb.message and "-0" not in fb.message, fb


def test_a_learner_reading_an_earlier_answer_gets_the_reference():
    # d holds the measured gradients of the later tensors, never the learner's
    d = lesson12.gradients_after(0, "counts")
    np.testing.assert_array_equal(d.probs, reference(0, "probs"))
    assert not hasattr(d, "counts") and not hasattr(d, "h")


def test_printing_f_lists_every_tensor_and_its_shape():
    text = repr(case(0))
    assert "probs (7, 3)" in text and "W1 (5, 4)" in text and "eps" in text


# ------------------------------------------------------------ the whole backward pass
def test_the_fused_batchnorm_backward_passes_the_dh_pre_check():
    assert lesson12.check_dh_pre(_bn_fused).ok


def test_full_backward_accepts_the_chained_solutions():
    assert check_full_backward(full_backward).ok
    assert check_full_backward(not_yet).status == "not attempted"


def test_full_backward_calling_a_stub_names_the_stub():
    def dW2(f, d):
        raise NotImplementedError()

    def mine(f):
        d = lesson12.Tensors(loss=1.0)
        return dW2(f, d)

    fb = check_full_backward(mine)
    assert fb.status == "hint" and "calls dW2, which is still the stub" in fb.message, fb


def _swap_w2(f):
    g = list(full_backward(f))
    g[4] = g[4] / _n(f)
    return tuple(g)


def test_full_backward_names_the_first_wrong_gradient_and_its_slip():
    fb = check_full_backward(_swap_w2)
    assert fb.status == "hint" and fb.message.startswith("dW1, db1, dgamma, dbeta, db2 "
                                                         "right"), fb
    assert "already inside dlogits" in fb.message

    def two_wrong(f):
        g = list(full_backward(f))
        g[0], g[2] = g[0].T, g[2] * 2
        return tuple(g)

    fb = check_full_backward(two_wrong)
    assert "dW1 is transposed" in fb.message and "1 more wrong" in fb.message, fb


def test_full_backward_in_the_wrong_order_is_told_so():
    fb = check_full_backward(lambda f: full_backward(f)[::-1])
    assert fb.status == "hint" and "wrong order" in fb.message, fb


def test_ready_to_train_says_what_is_missing(capsys):
    assert ready_to_train(full_backward) is True
    assert capsys.readouterr().out == ""
    assert ready_to_train(not_yet) is False
    assert "write full_backward above first" in capsys.readouterr().out
    assert ready_to_train(_swap_w2) is False
    assert "not right yet" in capsys.readouterr().out
