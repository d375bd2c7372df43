"""The shared argument checks: each refusal names the argument, the expected and the received."""

import math

import numpy as np
import pytest

from bpkit import _validate as v


@pytest.mark.parametrize("bad", [2.5, math.nan, math.inf, None, "3", True, -1])
def test_integer_refuses_and_names(bad):
    with pytest.raises(ValueError, match=r"n must be an integer >= 0, got"):
        v.integer("n", bad, lo=0)


def test_integer_accepts_integral_values():
    assert v.integer("n", 3.0, lo=1) == 3 and v.integer("n", np.int64(4)) == 4


@pytest.mark.parametrize("bad", [math.nan, math.inf, None, "0.1", 1j, False, -0.5])
def test_number_refuses_and_names(bad):
    with pytest.raises(ValueError, match=r"lr must be a finite number > 0, got"):
        v.number("lr", bad, lo=0, lo_open=True)


def test_float_array_refuses_complex_object_and_strings():
    for bad in (np.ones(2, complex), np.array(["a"]), np.array([None, 1.0])):
        with pytest.raises(TypeError, match="x must be a real numeric array"):
            v.float_array("x", bad)
    assert v.float_array("x", [1, 2]).dtype == np.float64


def test_labels_refuse_bools_fractions_and_out_of_range():
    with pytest.raises(TypeError, match="integer class labels"):
        v.labels("y", np.array([True, False]))
    with pytest.raises(ValueError, match="integer class labels"):
        v.labels("y", np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"holds label -1, expected labels 0 .. 2"):
        v.labels("y", np.array([0, -1]), classes=3)
    assert v.labels("y", np.array([0.0, 2.0]), classes=3).dtype == np.int64


def test_rng_and_function():
    with pytest.raises(TypeError, match="default_rng"):
        v.rng(0)
    with pytest.raises(TypeError, match="closure must be a function, got int"):
        v.function("closure", 3)
