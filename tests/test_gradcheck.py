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
