"""Losses: values, gradients against central differences, stability, every error named."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpkit.engine import Value
from bpkit.gradcheck import numerical_grad
from bpkit.losses import (
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    MSELoss,
    binary_cross_entropy_with_logits,
    log_softmax,
    logsumexp,
    mse_loss,
    scalar_cross_entropy,
    softmax,
    softmax_cross_entropy,
)
from strategies import arrays, logits_and_labels

FAST = settings(max_examples=40, deadline=None)


def assert_grad_close(numerical, analytic):
    np.testing.assert_allclose(analytic, numerical, rtol=1e-5, atol=1e-8)


# --------------------------------------------------------- softmax family
@FAST
@given(logits_and_labels(), st.sampled_from(["mean", "sum"]))
def test_softmax_cross_entropy_gradient_matches_central_differences(case, reduction):
    z, y = case
    loss, dz = softmax_cross_entropy(z, y, reduction=reduction)
    num = numerical_grad(lambda a: softmax_cross_entropy(a, y, reduction)[0], z.copy())
    assert_grad_close(num, dz)
    assert dz.shape == z.shape


@FAST
@given(logits_and_labels())
def test_softmax_cross_entropy_is_minus_log_probability_and_grad_is_p_minus_y(case):
    z, y = case
    n, c = z.shape
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)  # safe at |z| <= 3
    loss, dz = softmax_cross_entropy(z, y)
    np.testing.assert_allclose(loss, -np.log(p[np.arange(n), y]).mean(), rtol=1e-12)
    np.testing.assert_allclose(dz, (p - np.eye(c)[y]) / n, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dz.sum(axis=1), 0, atol=1e-15)  # each row sums to 0


def test_softmax_jacobian_times_dL_dp_collapses_to_p_minus_y():
    z = np.array([[2.0, -1.0, 0.5]])
    p = softmax(z)[0]
    onehot = np.array([0.0, 0.0, 1.0])
    jacobian = np.diag(p) - np.outer(p, p)  # dp_i / dz_j
    dL_dp = -onehot / p
    _, dz = softmax_cross_entropy(z, np.array([2]))
    np.testing.assert_allclose(jacobian.T @ dL_dp, p - onehot, rtol=1e-14)
    np.testing.assert_allclose(dz[0], p - onehot, rtol=1e-14)


def test_extreme_logits_give_finite_exact_losses_without_warnings():
    # pytest turns every RuntimeWarning (overflow, divide, invalid) into an error
    z = np.array([[1000.0, -1000.0, 0.0], [1000.0, 1000.0, -1000.0]])
    loss, dz = softmax_cross_entropy(z, np.array([1, 0]), reduction="sum")
    assert loss == pytest.approx(2000.0 + np.log(2))
    np.testing.assert_allclose(dz, [[1, -1, 0], [-0.5, 0.5, 0]], atol=1e-300)
    np.testing.assert_allclose(logsumexp(z), [1000.0, 1000.0 + np.log(2)])
    assert np.isfinite(log_softmax(z)).all()
    np.testing.assert_allclose(softmax(z).sum(axis=1), 1.0)


@pytest.mark.parametrize("scale", [1e3, 1e5, 1e300])
def test_logsumexp_and_softmax_stay_finite_and_silent_at_huge_scales(scale):
    z = scale * np.array([[1.0, -1.0, 0.5], [-1.0, -1.0, -1.0]])
    lse = logsumexp(z, axis=1)
    np.testing.assert_allclose(lse, [scale, -scale + np.log(3)], rtol=1e-12)
    p = softmax(z, axis=1)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p[1], 1 / 3)


def test_logsumexp_of_all_minus_inf_is_minus_inf_silently():
    assert logsumexp(np.array([-np.inf, -np.inf])) == -np.inf


@FAST
@given(st.tuples(st.integers(1, 4), st.integers(1, 5)).flatmap(lambda s: arrays(s)))
def test_logsumexp_matches_the_naive_formula_on_moderate_values(z):
    np.testing.assert_allclose(logsumexp(z, axis=1), np.log(np.exp(z).sum(axis=1)),
                               rtol=1e-13)
    assert logsumexp(z, axis=0, keepdims=True).shape == (1, z.shape[1])


# -------------------------------------------------------------------- MSE
@FAST
@given(st.tuples(st.integers(1, 4), st.integers(1, 4)).flatmap(
    lambda s: st.tuples(arrays(s), arrays(s))), st.sampled_from(["mean", "sum"]))
def test_mse_gradient_matches_central_differences(pair, reduction):
    pred, target = pair
    loss, dpred = mse_loss(pred, target, reduction)
    num = numerical_grad(lambda a: mse_loss(a, target, reduction)[0], pred.copy())
    assert_grad_close(num, dpred)
    expected = ((pred - target) ** 2).mean() if reduction == "mean" else (
        (pred - target) ** 2).sum()
    assert loss == pytest.approx(expected, rel=1e-12)


def test_mse_refuses_the_column_vs_row_broadcast():
    with pytest.raises(ValueError, match=r"target has shape \(4,\), expected \(4, 1\)"):
        mse_loss(np.zeros((4, 1)), np.zeros(4))


# -------------------------------------------------------------------- BCE
@FAST
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(
    arrays((n,), -4, 4), arrays((n,), 0, 1))), st.booleans())
def test_bce_gradient_matches_central_differences(pair, column):
    z, t = pair
    if column:
        z, t = z[:, None], t[:, None]
    loss, dz = binary_cross_entropy_with_logits(z, t)
    num = numerical_grad(lambda a: binary_cross_entropy_with_logits(a, t)[0], z.copy())
    assert_grad_close(num, dz)
    s = 1 / (1 + np.exp(-z))
    naive = -(t * np.log(s) + (1 - t) * np.log(1 - s)).mean()
    assert loss == pytest.approx(naive, rel=1e-10)


def test_bce_is_finite_and_exact_at_plus_minus_1000():
    loss, dz = binary_cross_entropy_with_logits(
        np.array([1000.0, -1000.0, 1000.0, -1000.0]), np.array([0.0, 1.0, 1.0, 0.0]),
        reduction="sum")
    assert loss == pytest.approx(2000.0)
    np.testing.assert_allclose(dz, [1.0, -1.0, 0.0, 0.0])


@pytest.mark.parametrize("bad, match", [
    (np.array([0.0, 1.5]), r"y must lie in \[0, 1\], got values from 0 to 1.5"),
    (np.array([[0.0, 1.0]]), r"y has shape \(1, 2\), expected \(2,\)"),
])
def test_bce_rejects_bad_targets(bad, match):
    with pytest.raises(ValueError, match=match):
        binary_cross_entropy_with_logits(np.zeros(2), bad)


def test_bce_rejects_multi_column_logits():
    with pytest.raises(ValueError, match=r"logits has shape \(3, 2\), expected \(N,\)"):
        binary_cross_entropy_with_logits(np.zeros((3, 2)), np.zeros((3, 2)))


# ---------------------------------------------------------- label errors
def test_a_label_out_of_range_is_named_with_its_index():
    with pytest.raises(ValueError, match=r"label 10 at index 2 is out of range for 10 "
                                         r"classes \(expected 0..9\)"):
        softmax_cross_entropy(np.zeros((4, 10)), np.array([0, 9, 10, 3]))
    with pytest.raises(ValueError, match="label -1 at index 0"):
        softmax_cross_entropy(np.zeros((1, 3)), np.array([-1]))


def test_float_labels_are_refused_with_a_fix():
    with pytest.raises(TypeError, match=r"integer class labels.*y.astype\(int\)"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))


@pytest.mark.parametrize("z, y, match", [
    (np.zeros((3, 4)), np.array([0, 1]), r"y has shape \(2,\), expected \(3,\)"),
    (np.zeros((3, 4)), np.zeros((3, 1), int), r"y has shape \(3, 1\), expected \(3,\)"),
    (np.zeros(4), np.array([0]), r"logits has shape \(4,\), expected \(N, C\)"),
])
def test_cross_entropy_shape_errors_name_expected_and_received(z, y, match):
    with pytest.raises(ValueError, match=match):
        softmax_cross_entropy(z, y)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_logits_are_a_clear_error_naming_where(value):
    z = np.zeros((3, 2))
    z[2, 1] = value
    with pytest.raises(ValueError, match=r"logits has 1 non-finite value.*index \(2, 1\)"):
        softmax_cross_entropy(z, np.array([0, 1, 0]))
    with pytest.raises(ValueError, match=r"pred has 1 non-finite"):
        mse_loss(z, np.zeros((3, 2)))


def test_unknown_reduction_is_refused():
    with pytest.raises(ValueError, match="reduction must be one of"):
        mse_loss(np.zeros(2), np.zeros(2), reduction="none")
    with pytest.raises(ValueError, match="reduction must be one of"):
        CrossEntropyLoss(reduction="avg")


# ------------------------------------------------------------------ dtype
def test_float32_inputs_give_float32_gradients():
    z = np.array([[1.0, 2.0], [0.5, -1.0]], dtype=np.float32)
    assert softmax_cross_entropy(z, np.array([0, 1]))[1].dtype == np.float32
    assert mse_loss(z, np.zeros((2, 2)))[1].dtype == np.float32  # float64 target
    assert binary_cross_entropy_with_logits(z[:, :1], np.ones((2, 1)))[1].dtype == (
        np.float32)


# ------------------------------------------------------------ class forms
def test_loss_objects_give_the_same_results_as_the_functions(rng):
    z, y = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    for obj, fn, args in [
        (CrossEntropyLoss(), softmax_cross_entropy, (z, y)),
        (MSELoss("sum"), lambda a, b: mse_loss(a, b, "sum"), (z, z + 1)),
        (BCEWithLogitsLoss(), binary_cross_entropy_with_logits, (z[:, 0], y / 2)),
    ]:
        (l1, g1), (l2, g2) = obj(*args), fn(*args)
        assert l1 == l2
        np.testing.assert_array_equal(g1, g2)
    assert repr(MSELoss()) == "MSELoss(reduction='mean')"


def test_scalar_cross_entropy_matches_the_matrix_version(rng):
    z, y = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    rows = [[Value(float(v)) for v in row] for row in z]
    loss = scalar_cross_entropy(rows, y)
    loss.backward()
    expected, dz = softmax_cross_entropy(z, y)
    assert loss.data == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose([[v.grad for v in r] for r in rows], dz, rtol=1e-12)


# ------------------------------------------------------------------ torch
@pytest.mark.torch
def test_all_three_losses_match_torch(rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    z, y = rng.standard_normal((6, 4)) * 5, rng.integers(0, 4, 6)
    t = rng.uniform(0, 1, 6)
    cases = [
        (softmax_cross_entropy, (z, y), lambda a: F.cross_entropy(a, torch.tensor(y))),
        (mse_loss, (z, z[::-1].copy()),
         lambda a: F.mse_loss(a, torch.tensor(z[::-1].copy()))),
        (binary_cross_entropy_with_logits, (z[:, 0].copy(), t),
         lambda a: F.binary_cross_entropy_with_logits(a, torch.tensor(t))),
    ]
    for fn, args, tfn in cases:
        loss, grad = fn(*args)
        ta = torch.tensor(args[0], requires_grad=True)
        tl = tfn(ta)
        tl.backward()
        assert loss == pytest.approx(tl.item(), rel=1e-12)
        np.testing.assert_allclose(grad, ta.grad.numpy(), rtol=1e-10, atol=1e-15)
