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
from bpkit.exercises import _capstone_net, lesson12
from bpkit.exercises._capstone_net import _reference as reference
from bpkit.exercises.lesson12 import (
    BACKWARD_ORDER, PARAMS, case, check_full_backward, ready_to_train,
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
    "check_dlogits_fused", "check_dh_pre_fused",
]


def dlogits_fused(f, d):
    return (f.probs - np.eye(f.probs.shape[1])[f.y]) / _n(f)


def dh_pre_fused(f, d):
    g = d.bn * f.gamma
    return f.inv_std * (g - g.mean(axis=0) - f.xhat * (g * f.xhat).mean(axis=0))


KIND_SOLUTIONS = {f"check_d{t}": fn for t, fn in SOL.items()}
KIND_SOLUTIONS["check_full_backward"] = full_backward
KIND_SOLUTIONS["check_dlogits_fused"] = dlogits_fused
KIND_SOLUTIONS["check_dh_pre_fused"] = dh_pre_fused
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
        got = _capstone_net._measure(values, name)
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
        _capstone_net._measure(lesson12.inputs(0, 3, 2, 2, 2), "X")


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


def _bn_fused_bessel(f, d):
    """The fused formula with the unbiased variance's N/(N-1) on its variance term."""
    n = _n_(f)
    g = d.bn * f.gamma
    out = g - g.mean(axis=0) - n / (n - 1) * f.xhat * (g * f.xhat).mean(axis=0)
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
    # slips the first review found with only the generic hint
    ("bn", lambda f, d: d.h * (1 - np.tanh(f.h) ** 2), "do not apply tanh (or cosh)"),
    ("bn", lambda f, d: d.h / np.cosh(f.h) ** 2, "do not apply tanh (or cosh)"),
    ("var", lambda f, d: -d.inv_std * (f.var + f.eps) ** -1.5, "2 times too large"),
    ("h_pre", lambda f, d: d.xc - d.mean / _n_(f), "the mean has the wrong sign"),
    ("h_pre", lambda f, d: d.xc + d.mean * _n_(f), "N^2 times too large"),
    ("h_pre", lambda f, d: _bn_fused_bessel(f, d), "not 1/(N-1)"),
    ("xc", lambda f, d: d.xhat * f.inv_std + (d.var * 2 * f.xc / _n_(f)).sum(axis=0),
     "summed over the batch it adds up to zero"),
    ("counts_sum_inv", lambda f, d: f.counts.sum(axis=1, keepdims=True),
     "sums the local derivative, counts, alone: multiply it by the gradient that "
     "arrives, d.probs"),
    # right with the measured d, wrong with made-up gradients in d (third call)
    ("logits", lambda f, d: d.norm_logits + d.logit_maxes,
     "multiply it by the mask (f.logits == f.logit_maxes)"),
    ("logits", lambda f, d: d.norm_logits - d.logit_maxes * (f.logits == f.logit_maxes),
     "the path through logit_maxes has the wrong sign"),
    ("logits", lambda f, d: d.norm_logits, "dlogits has only the path through "
     "norm_logits: the path through logit_maxes is zero here only because"),
    ("logit_maxes", lambda f, d: d.norm_logits.sum(axis=1, keepdims=True),
     "dlogit_maxes carries a minus"),
    ("b1", lambda f, d: d.h_pre.mean(axis=0), "sum, not mean"),
    ("b1", lambda f, d: -d.h_pre.sum(axis=0), "b1 is added (h_pre = X @ W1 + b1)"),
    ("counts_sum_inv", lambda f, d: -f.counts.sum(axis=1, keepdims=True) / _n_(f),
     "dcounts_sum_inv does not change when d changes"),
    ("h_pre", _bn_fused, "build dh_pre from the gradients of the tensors that use "
     "h_pre directly, d.mean and d.xc"),
    # reading a gradient d does not hold
    ("h", lambda f, d: d.h @ f.W2, "d has no h: d holds only the gradients of the "
     "tensors after h"),
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
def test_the_fused_answers_pass_their_own_checks_and_are_named_as_the_notebook_names_them():
    assert lesson12.check_dlogits_fused(dlogits_fused).ok
    assert lesson12.check_dh_pre_fused(_bn_fused).ok
    fb = lesson12.check_dlogits_fused(not_yet)
    assert fb.message == "not attempted yet: dlogits_fused(f, d)", fb
    fb = lesson12.check_dh_pre_fused(not_yet)
    assert fb.message == "not attempted yet: dh_pre_fused(f, d)", fb


def test_a_fused_answer_reading_a_gradient_it_should_not_is_told_what_d_holds():
    fb = lesson12.check_dlogits_fused(SOL["logits"])
    assert "d has no norm_logits: dlogits_fused works from f alone" in fb.message, fb
    fb = lesson12.check_dh_pre_fused(SOL["h_pre"])
    assert "d has no xc: d holds only the gradients of bn and the tensors after it" \
        in fb.message, fb


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


def test_full_backward_names_the_first_wrong_gradient_from_the_loss_end():
    fb = check_full_backward(_swap_w2)
    assert fb.status == "hint" and fb.message.startswith("dW1, db1, dgamma, dbeta, db2 "
                                                         "right"), fb
    assert "already inside dlogits" in fb.message

    def two_wrong(f):
        g = list(full_backward(f))
        g[0], g[2] = g[0].T, g[2] * 2
        return tuple(g)

    fb = check_full_backward(two_wrong)
    assert "dW1" not in fb.message.split(";")[1] and "1 more wrong" in fb.message, fb
    assert fb.message.startswith("db1, dbeta, dW2, db2 right; dgamma"), fb


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


# ------------------------------------------------------------ what the first review found
def _numbers(message):
    import re
    return re.findall(r"gives (\S+), expected (\S+?)[;.]? ", message + " ")


@pytest.mark.parametrize("t, wrong", [
    ("logprobs", lambda f, d: _dlogprobs(f, d) * _n(f) / 7),
    ("h_pre", lambda f, d: d.xc + d.mean / 7),
    ("xc", lambda f, d: d.xhat * f.inv_std + d.var * 2 * f.xc / 7),
    ("h", lambda f, d: SOL["h"](f, d) * (_n(f) == 7)),
])
def test_an_answer_right_only_at_the_first_batch_size_names_that_and_never_repeats_a_number(
        t, wrong):
    fb = _check(t)(wrong)
    assert "right on the first batch (N = 7) but not on another batch shape (N = 5)" \
        in fb.message and "N = len(f.y)" in fb.message, fb
    got, want = _numbers(fb.message)[0]
    assert got != want, fb


def test_a_nan_answer_names_the_gradient_once():
    fb = _check("h")(lambda f, d: SOL["h"](f, d) * np.nan)
    assert fb.message.startswith("dh holds nan or inf"), fb


def test_measure_and_reference_are_not_lesson12s_public_names():
    for name in ("measure", "reference", "_measure", "_reference"):
        assert name not in lesson12.__all__
        assert not hasattr(lesson12, name) or name.startswith("_")
    assert not hasattr(lesson12, "measure") and not hasattr(lesson12, "reference")


def _bn_layer_dh_pre(f, d):
    bn = BatchNorm1d(f.W1.shape[1], eps=f.eps)
    bn.gamma.data[:], bn.beta.data[:] = f.gamma, f.beta
    bn.forward(f.h_pre)
    return bn.backward(d.bn)


def _swallowing(f, d):
    try:  # catching the refusal does not help: the check saw the call
        return _capstone_net._measure(vars(f), "xc")
    except Exception:
        return SOL["xc"](f, d)


def _linear_dh(f, d):
    lin = Linear(*f.W2.shape, np.random.default_rng(0))
    lin.W.data[:], lin.b.data[:] = f.W2, f.b2
    lin.forward(f.h)
    return lin.backward(d.logits)


def _tanh_dbn(f, d):
    t = Tanh()
    t.forward(f.bn)
    return t.backward(d.h)


from bpkit.exercises import lesson04  # noqa: E402
from bpkit.losses import CrossEntropyLoss  # noqa: E402

COPIED = [
    ("xc", lambda f, d: _capstone_net._measure(vars(f), "xc"),
     "calls the check's own measurement"),
    ("xc", lambda f, d: reference(0, "xc"), "calls the check's own measurement"),
    ("xc", lambda f, d: lesson12.gradients_after(0, "h_pre").xc,
     "calls the check's own measurement"),
    ("xc", _swallowing, "_swallowing calls the check's own measurement"),
    ("h_pre", _bn_layer_dh_pre, "_bn_layer_dh_pre calls bpkit's BatchNorm1d.backward"),
    ("h_pre", lambda f, d: lesson04._bn_dx(d.bn, f.xhat, f.inv_std, f.gamma),
     "calls lesson 04's BatchNorm backward"),
    ("h", _linear_dh, "_linear_dh calls bpkit's Linear.backward"),
    ("bn", _tanh_dbn, "_tanh_dbn calls bpkit's Tanh.backward"),
    ("logits", lambda f, d: softmax_cross_entropy(f.logits, f.y)[1],
     "calls bpkit's softmax_cross_entropy"),
    ("logits", lambda f, d: CrossEntropyLoss()(f.logits, f.y)[1],
     "calls bpkit's CrossEntropyLoss"),
]


@pytest.mark.parametrize("t, copied, words", COPIED, ids=[w for _, _, w in COPIED])
def test_an_answer_copied_out_of_bpkit_is_refused_by_name(t, copied, words):
    fb = _check(t)(copied)
    assert fb.status == "hint" and words in fb.message, fb
    assert "the capstone is to write every gradient yourself" in fb.message, fb


def test_full_backward_built_from_bpkits_layers_is_refused():
    def layers_backward(f):
        return tuple(_layers_grads(f)[1][p] for p in PARAMS)

    fb = check_full_backward(layers_backward)
    assert fb.status == "hint" and "calls bpkit's" in fb.message, fb


def _originals():
    from bpkit import losses
    return [Linear.__dict__["backward"], Tanh.__dict__["backward"],
            BatchNorm1d.__dict__["backward"], losses.softmax_cross_entropy,
            CrossEntropyLoss.__dict__["_fn"], lesson04._bn_dx,
            _capstone_net._measure, _capstone_net._reference,
            _capstone_net.gradients_after, lesson12.gradients_after]


def test_the_guard_puts_everything_back_also_when_the_learner_raises():
    from bpkit.exercises._capstone_guard import refusing_bpkit_gradients
    before = _originals()
    space = {"sce": softmax_cross_entropy}
    with pytest.raises(ZeroDivisionError):
        with refusing_bpkit_gradients(space):
            assert space["sce"] is not softmax_cross_entropy
            1 / 0
    assert all(a is b for a, b in zip(_originals(), before))
    assert space["sce"] is softmax_cross_entropy
    # and after every kind of check: correct, hint, refused, raised
    for fn in (SOL["h_pre"], _bn_layer_dh_pre, lambda f, d: 1 / 0, not_yet):
        lesson12.check_dh_pre(fn)
    check_full_backward(lambda f: tuple(_layers_grads(f)[1][p] for p in PARAMS))
    assert all(a is b for a, b in zip(_originals(), before))


def test_bpkit_is_unchanged_outside_the_guard_and_on_other_threads():
    import threading

    from bpkit.exercises._capstone_guard import Refused, refusing_bpkit_gradients
    f = case(0)
    want = _layers_grads(f)
    seen = {}

    def other_thread():
        seen["grads"] = _layers_grads(f)

    from bpkit import losses
    with refusing_bpkit_gradients():
        with pytest.raises(Refused, match="calls bpkit's softmax_cross_entropy"):
            losses.softmax_cross_entropy(f.logits, f.y)
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
    assert seen["grads"][0] == want[0]
    for name, g in want[1].items():
        np.testing.assert_array_equal(seen["grads"][1][name], g)
    again = _layers_grads(f)  # after the block, on this thread
    for name, g in want[1].items():
        np.testing.assert_array_equal(again[1][name], g)
    assert _check("xc")(SOL["xc"]).ok  # the checks' own measurements still work


def _chain(sol):
    """A full_backward as the notebook writes it, over a YOUR_GRADIENTS of its own."""
    space = {"YOUR_GRADIENTS": sol, "Tensors": lesson12.Tensors}
    exec("def full_backward(f):\n"
         "    d = Tensors(loss=1.0)\n"
         "    for name, grad in YOUR_GRADIENTS.items():\n"
         "        setattr(d, name, grad(f, d))\n"
         "    return d.W1, d.b1, d.gamma, d.beta, d.W2, d.b2\n", space)
    return space["full_backward"]


def test_full_backward_names_the_inner_function_that_fails_its_own_check():
    def dxc(f, d):
        return d.xhat * f.inv_std

    fb = check_full_backward(_chain({**SOL, "xc": dxc}))
    assert fb.message.startswith("full_backward uses dxc, which fails its own check: "
                                 "dxc has only the path through xhat"), fb

    def dh(f, d):
        return f.W2 @ d.logits.T

    fb = check_full_backward(_chain({**SOL, "h": dh}))
    assert "full_backward uses dh" in fb.message and "transposed" in fb.message, fb


def test_full_backward_right_here_but_with_an_inner_slip_the_measurement_hides():
    for t, wrong, words in [("b1", lambda f, d: d.h_pre.mean(axis=0), "sum, not mean"),
                            ("logits", lambda f, d: d.norm_logits + d.logit_maxes,
                             "mask")]:
        fb = check_full_backward(_chain({**SOL, t: wrong}))
        assert fb.status == "hint" and f"uses d{t}, which fails its own check" in \
            fb.message and words in fb.message, fb


def test_an_error_inside_full_backward_names_the_function_it_came_from():
    def dh(f, d):
        return d.logits @ f.W2.T.T

    def full(f):  # dh raises; no dict of functions for the check to run
        d = lesson12.Tensors(loss=1.0, logits=np.zeros((len(f.y), f.W2.shape[1])))
        dh(f, d)

    fb = check_full_backward(full)
    assert fb.status == "hint" and "(inside dh)" in fb.message, fb
