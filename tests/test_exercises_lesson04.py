"""Lesson 04 checks accept the solutions and answer each anticipated mistake with a hint."""

import numpy as np
import pytest

from bpkit.gradcheck import rel_error

from bpkit.exercises import lesson04
from bpkit.exercises.lesson04 import (
    batchnorm_case,
    check_batchnorm_backward,
    check_gradient_ratio,
    check_residual_backward,
    check_tanh_init,
    measure_tanh_init,
)


def not_yet(*args):
    raise NotImplementedError()


# ------------------------------------------------------------ gradient ratio
def test_gradient_ratio_accepts_a_quarter_w_to_the_depth():
    fb = check_gradient_ratio(lambda depth, w: (0.25 * w) ** depth)
    assert fb.ok, fb
    assert "9.537e-07" in fb.message  # 4^-10, measured by gradient_flow


@pytest.mark.parametrize(
    "wrong,words",
    [
        (lambda d, w: 0.25**d, "weight is missing"),
        (lambda d, w: w**d, "derivative is missing"),
        (lambda d, w: (0.5 * w) ** d, "sigmoid(0)"),
        (lambda d, w: (0.25 * w) ** (d - 1), "one factor short"),
        (lambda d, w: (4 / w) ** d, "upside down"),
        (lambda d, w: 0.25 * w * d, "not add"),
        (lambda d, w: -((0.25 * w) ** d), "sign is off"),
        (lambda d, w: (w / 4) ** (d + 1), "one factor too many"),
        (lambda d, w: 0.25**d * w, "weight counts once per layer"),
        (lambda d, w: w**d / 4, "slope counts once per layer"),
        (lambda d, w: 0.5 * (0.25 * w) ** d, "gradient_flow measures"),
    ],
)
def test_gradient_ratio_mistakes_get_their_hints(wrong, words):
    fb = check_gradient_ratio(wrong)
    assert fb.status == "hint" and words in fb.message, fb


@pytest.mark.parametrize("printed", [9.537e-07, 9.5367e-07, 0.25**10])
def test_gradient_ratio_a_number_copied_from_a_printout_is_called_hard_coded(printed):
    fb = check_gradient_ratio(lambda d, w: printed)
    assert fb.status == "hint" and "hard-coded" in fb.message, fb


def test_gradient_ratio_a_wrong_constant_is_told_the_ratio_depends_on_depth_and_w():
    fb = check_gradient_ratio(lambda d, w: 1e-6)
    assert fb.status == "hint" and "at every depth and w" in fb.message, fb
    assert "hard-coded" not in fb.message


def test_gradient_ratio_not_attempted_and_non_numbers():
    assert check_gradient_ratio(not_yet).status == "not attempted"
    fb = check_gradient_ratio(lambda d, w: "small")
    assert fb.status == "hint" and "return a number" in fb.message


# ------------------------------------------------------------ tanh init
def test_tanh_init_accepts_xavier_with_the_measured_numbers():
    fb = check_tanh_init(lambda: "xavier")
    assert fb.ok, fb
    m = measure_tanh_init("xavier")
    assert f"{m['ratio']:.2e}" in fb.message
    assert 0.1 < m["ratio"] < 1 and m["saturated"] < 0.01


@pytest.mark.parametrize(
    "choice,words",
    [("normal_1", "flat tails"), ("normal_0.01", "on the way back"), ("he", "sqrt(2)"),
     ("kaiming", "return one of")],
)
def test_tanh_init_wrong_choices_get_measured_hints(choice, words):
    fb = check_tanh_init(lambda: choice)
    assert fb.status == "hint" and words in fb.message, fb


def test_tanh_init_xavier_changes_the_gradient_least_of_the_four_inits():
    ratios = {name: measure_tanh_init(name)["ratio"]
              for name in ("xavier", "he", "normal_1", "normal_0.01")}
    assert min(ratios, key=lambda name: abs(np.log(ratios[name]))) == "xavier"
    fb = check_tanh_init(lambda: "xavier")
    assert "least" in fb.message and f"{ratios['he']:.3g}" in fb.message
    assert ratios["normal_1"] > 1e12 and "more than 1e12" in fb.message
    assert 0.1 < ratios["xavier"] < 1  # "still shrinks, slowly"


def test_tanh_init_hints_rest_on_measurements():
    assert measure_tanh_init("normal_1")["saturated"] > 0.5
    assert measure_tanh_init("normal_0.01")["last_std"] < 1e-40
    assert measure_tanh_init("he")["ratio"] > 5  # grows towards the input
    assert check_tanh_init(not_yet).status == "not attempted"


# ------------------------------------------------------------ residual backward
def test_residual_backward_accepts_dout_plus_inner():
    fb = check_residual_backward(lambda dout, inner: dout + inner(dout))
    assert fb.ok, fb


@pytest.mark.parametrize(
    "wrong,words",
    [
        (lambda dout, inner: inner(dout), "inner block's gradient alone"),
        (lambda dout, inner: dout, "skip path alone"),
        (lambda dout, inner: dout * inner(dout), "do not multiply"),
        (lambda dout, inner: 2 * dout, "twice"),
        (lambda dout, inner: dout - inner(dout), "a minus sign"),
        (lambda dout, inner: inner(dout) - dout, "a minus sign"),
        (lambda dout, inner: (dout, inner(dout)), "add them"),
        (lambda dout, inner: np.stack([inner(dout), dout]), "add them"),
        (lambda dout, inner: dout + 0.5 * inner(dout), "sum the gradient"),
        (lambda dout, inner: dout.sum(axis=0), "x's shape"),
    ],
)
def test_residual_backward_mistakes_get_their_hints(wrong, words):
    fb = check_residual_backward(wrong)
    assert fb.status == "hint" and words in fb.message, fb


@pytest.mark.parametrize("decimals", [4, 8, None])
def test_residual_backward_a_copied_or_rounded_array_is_called_hard_coded(decimals):
    printed = {}

    def first(dout, inner):  # the right answer for the first dout, kept
        printed.setdefault("a", dout + inner(dout))
        a = printed["a"]
        return a if decimals is None else np.round(a, decimals)

    fb = check_residual_backward(first)
    assert fb.status == "hint" and "hard-coded" in fb.message, fb


def test_residual_backward_not_attempted():
    assert check_residual_backward(not_yet).status == "not attempted"


# ------------------------------------------------------------ batch norm backward
def bn_solution(dout, xhat, inv_std, gamma):
    dxhat = dout * gamma
    n = dout.shape[0]
    dx = inv_std / n * (n * dxhat - dxhat.sum(axis=0)
                        - xhat * (dxhat * xhat).sum(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def _dx(dout, xhat, inv_std, gamma):
    return bn_solution(dout, xhat, inv_std, gamma)[0]


def _with(k, f):
    """The solution with its k-th output replaced by f(dout, xhat, inv_std, gamma)."""
    def answer(*a):
        out = list(bn_solution(*a))
        out[k] = f(*a)
        return tuple(out)

    return answer


def test_batchnorm_backward_accepts_the_compact_formula():
    fb = check_batchnorm_backward(bn_solution)
    assert fb.ok, fb
    assert "finite differences" in fb.message


def test_batchnorm_references_agree_bpkit_and_finite_differences():
    for k in range(2):
        x, gamma, beta, dout, xhat, inv_std = batchnorm_case(*lesson04._BN_CASES[k])
        ref, num = lesson04._bn_reference(k), lesson04._bn_numerical(k)
        for a, b, c in zip(ref, num, bn_solution(dout, xhat, inv_std, gamma)):
            assert rel_error(a, b) < 1e-5 and np.allclose(a, c, rtol=1e-10)


def _unbiased_term(d, xh, s, g):
    n = len(d)
    return s * (d * g - (d * g).mean(axis=0) - xh * (d * g * xh).sum(axis=0) / (n - 1))


@pytest.mark.parametrize(
    "wrong,words",
    [
        (_with(0, lambda d, xh, s, g: d * g * s), "missing both mean terms"),
        (_with(0, lambda d, xh, s, g: s * (d * g - (d * g).mean(axis=0))),
         "missing the variance's term"),
        (_with(0, lambda d, xh, s, g: s * (d * g - xh * (d * g * xh).mean(axis=0))),
         "missing the mean's term"),
        (_with(0, _unbiased_term), "unbiased variance"),
        (_with(0, lambda d, xh, s, g: _dx(d, xh, s, 1.0)), "missing gamma"),
        (_with(0, lambda d, xh, s, g: _dx(d, xh, s, g).T), "dx is transposed"),
        (_with(0, lambda d, xh, s, g: -_dx(d, xh, s, g)), "dx has the wrong sign"),
        (_with(1, lambda d, xh, s, g: d * xh),
         "dgamma is missing the sum over the batch"),
        (_with(1, lambda d, xh, s, g: (d * xh).mean(axis=0)), "dgamma averages"),
        (_with(1, lambda d, xh, s, g: (d * xh).sum(axis=0, keepdims=True)),
         "dgamma keeps the summed axis"),
        (_with(1, lambda d, xh, s, g: -(d * xh).sum(axis=0)),
         "dgamma has the wrong sign"),
        (_with(2, lambda d, xh, s, g: d), "dbeta is missing the sum over the batch"),
        (_with(2, lambda d, xh, s, g: d.sum(axis=1)), "dbeta sums over the wrong axis"),
        (_with(2, lambda d, xh, s, g: -d.sum(axis=0)), "dbeta has the wrong sign"),
        (lambda *a: bn_solution(*a)[::-1], "wrong order"),
        (_with(0, lambda d, xh, s, g: 1.5 * _dx(d, xh, s, g)),
         "dx has the right shape but dx["),
        (_with(0, lambda d, xh, s, g: d.T), "dx has shape"),
    ],
)
def test_batchnorm_backward_mistakes_get_their_hints(wrong, words):
    fb = check_batchnorm_backward(wrong)
    assert fb.status == "hint" and words in fb.message, fb
    assert "\n" not in fb.message


def test_batchnorm_backward_names_the_parts_that_are_right():
    fb = check_batchnorm_backward(_with(2, lambda d, xh, s, g: d))
    assert fb.message.startswith("dx, dgamma right; dbeta is missing the sum"), fb


def test_batchnorm_backward_a_hard_coded_answer_is_called_hard_coded():
    kept = {}

    def first(*a):  # the right answer for the first input, kept
        return kept.setdefault("out", bn_solution(*a))

    fb = check_batchnorm_backward(first)
    assert fb.status == "hint" and "hard-coded" in fb.message, fb


@pytest.mark.parametrize(
    "answer",
    [
        lambda *a: None,
        lambda *a: 1 / 0,
        lambda *a: np.zeros((5, 3)),
        lambda *a: a[0] @ a[1],  # a matmul of the wrong shapes
        "batchnorm_backward",
    ],
)
def test_batchnorm_backward_raising_or_odd_answers_get_a_hint(answer):
    fb = check_batchnorm_backward(answer)
    assert fb.status == "hint" and "\n" not in fb.message, fb
    assert "could not be checked" not in fb.message


def test_batchnorm_backward_not_attempted():
    assert check_batchnorm_backward(not_yet).status == "not attempted"
