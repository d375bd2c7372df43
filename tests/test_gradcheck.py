"""Finite differences and the relative error."""

import numpy as np
import pytest
from hypothesis import given, settings

from bpkit import numerical_grad, rel_error
from tests.strategies import arrays


def test_numerical_grad_of_a_float_function():
    assert numerical_grad(lambda x: x**3, 2.0) == pytest.approx(12.0, rel=1e-8)


@given(arrays((3, 4)))
@settings(max_examples=25, deadline=None)
def test_numerical_grad_of_an_array_function_and_restores_input(x):
    before = x.copy()
    g = numerical_grad(lambda a: float(np.sum(np.sin(a) * a)), x)
    assert np.allclose(g, np.cos(before) * before + np.sin(before), atol=1e-7)
    assert np.array_equal(x, before)


def test_numerical_grad_rejects_integer_arrays():
    with pytest.raises(TypeError, match="float"):
        numerical_grad(lambda a: float(a.sum()), np.arange(3))


def test_rel_error_is_zero_for_equal_one_for_opposite_and_checks_shapes():
    a = np.array([1.0, -2.0])
    assert rel_error(a, a) == 0.0
    assert rel_error(a, -a) == 1.0
    assert rel_error(1e-12, 2e-12) < 1e-3  # both ~0: the floor keeps them close
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(np.zeros(2), np.zeros(3))


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_a_low_precision_array_is_refused_with_the_reason(dtype):
    x = np.ones(3, dtype=dtype)
    with pytest.raises(TypeError, match=f"x is {np.dtype(dtype)}: numerical_grad needs float64"):
        numerical_grad(lambda v: float(np.sum(v * v)), x)


def test_float32_was_the_silent_failure_the_refusal_prevents():
    # the same computation done in float32: the difference quotient is mostly rounding
    x = np.full(3, 1.1, dtype=np.float32)
    eps = np.float32(1e-6)
    fp = np.sum((x + eps) ** 2, dtype=np.float32)
    fm = np.sum((x - eps) ** 2, dtype=np.float32)
    slope = float(fp - fm) / (2 * 1e-6)
    assert abs(slope - 3 * 2.2) > 0.1  # far from the true 6.6 (or exactly 0)


@pytest.mark.parametrize("eps", [0.0, -1e-6, float("nan"), float("inf")])
def test_a_bad_eps_is_named(eps):
    with pytest.raises(ValueError, match="eps must be a positive finite number"):
        numerical_grad(lambda v: float(np.sum(v)), np.ones(2), eps=eps)


def test_at_a_relu_kink_the_central_difference_is_the_mean_of_the_two_slopes():
    x = np.zeros(1)
    g = numerical_grad(lambda v: float(np.maximum(v, 0).sum()), x)
    assert g[0] == pytest.approx(0.5)
