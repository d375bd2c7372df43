"""Lesson 04 checks accept the solutions and answer each anticipated mistake with a hint."""

import numpy as np
import pytest

from bpkit.exercises.lesson04 import (
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
