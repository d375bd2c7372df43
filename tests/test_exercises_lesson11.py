"""Lesson 11 checks: each accepts the solution and names each anticipated mistake."""

import math

import numpy as np
import pytest

from bpkit.cost import Dual, checkpoint_peak
from bpkit.exercises.lesson11 import (
    check_checkpoints, check_dual_mul, check_jacobian_passes,
)


# ------------------------------------------------------------ dual_mul
def dual_mul(x, y):
    return Dual(x.val * y.val, x.eps * y.val + x.val * y.eps)


def test_dual_mul_accepts_the_solution():
    fb = check_dual_mul(dual_mul)
    assert fb.ok and "product rule" in fb.message


@pytest.mark.parametrize("fn,words", [
    (lambda x, y: Dual(x.val * y.val, x.eps * y.eps), "that is the eps² term"),
    (lambda x, y: Dual(x.val * y.val, x.eps * y.val), "an epsilon term is dropped"),
    (lambda x, y: Dual(x.val * y.val, x.val * y.eps), "an epsilon term is dropped"),
    (lambda x, y: Dual(x.val * y.val, x.eps + y.eps), "the derivatives add"),
    (lambda x, y: Dual(x.val * y.val, x.eps * y.val + x.val * y.eps + x.eps * y.eps),
     "the eps * eps term is kept"),
    (lambda x, y: Dual(x.val + y.val, x.eps * y.val + x.val * y.eps),
     "the value part adds"),
    (lambda x, y: x.val * y.val, "returns only a number"),
    (lambda x, y: (x.val * y.val, x.eps * y.val + x.val * y.eps), "return a Dual"),
    (lambda x, y: Dual(-6.0, -0.5), "does not depend on the inputs"),
    (lambda x, y: Dual(x.val * y.val, float("nan")), "nan or inf"),
    (lambda x, y: 1 / 0, "raised ZeroDivisionError"),
    (lambda x, y: Dual(x.val * y.val, -(x.eps * y.val + x.val * y.eps)), "wrong sign"),
    (lambda x, y: x * y, "multiplies with Dual's own *"),
    (lambda x, y: Dual(x.val, x.eps) * Dual(y.val, y.eps), "multiplies with Dual's own *"),
    (lambda x, y: Dual(x.eps * y.val + x.val * y.eps, x.val * y.val),
     "the value and the derivative are swapped"),
])
def test_dual_mul_names_each_mistake(fn, words):
    fb = check_dual_mul(fn)
    assert not fb.ok and words in fb.message, fb.message


def test_dual_mul_that_changes_x_in_place_is_named():
    def overwrite(x, y):  # x.val is overwritten before the derivative reads it
        x.val = x.val * y.val
        x.eps = x.eps * y.val + x.val * y.eps
        return x

    fb = check_dual_mul(overwrite)
    assert not fb.ok and "changes its input x or y in place" in fb.message, fb.message


def test_dual_mul_check_puts_dual_multiplication_back():
    check_dual_mul(lambda x, y: x * y)
    assert (Dual(2.0, 1.0) * Dual(3.0, 0.5)).eps == 4.0 and (2 * Dual(1.0, 1.0)).eps == 2.0
    assert Dual.__mul__.__name__ == "__mul__"


def test_dual_mul_stub_is_not_attempted():
    def stub(x, y):
        raise NotImplementedError()

    assert check_dual_mul(stub).status == "not attempted"


# ------------------------------------------------------------ checkpoints
def choose_checkpoints(depth, budget):
    for k in range(depth, 0, -1):  # the longest equal segments that fit
        positions = list(range(0, depth, k))
        if checkpoint_peak([1] * depth, positions) <= budget:
            return positions
    return list(range(depth))


def test_checkpoints_accepts_the_solution_and_other_valid_choices():
    assert check_checkpoints(choose_checkpoints).ok

    def decreasing(depth, budget):  # segments budget, budget - 1, ...: as few
        pos, start = [], 0
        while start < depth:
            pos.append(start)
            start += budget - len(pos) + 1
        return pos

    assert check_checkpoints(decreasing).ok


@pytest.mark.parametrize("fn,words", [
    (lambda d, b: list(range(1, d, 4)), "position 0 is missing"),
    (lambda d, b: list(range(0, d + 1, 4)), "outside the network"),
    (lambda d, b: list(range(0, d, 4))[::-1], "increasing, without repeats"),
    (lambda d, b: 4, "returns one number"),
    (lambda d, b: [0], "a segment of 16 layers is redone while no checkpoint waits"),
    (lambda d, b: list(range(d)), "too many checkpoints; use longer segments"),
    (lambda d, b: list(range(0, d, 2)), "too many checkpoints; use longer segments"),
    (lambda d, b: [0, 7, 14], "does not depend on the inputs"),
    (lambda d, b: list(range(0, d, b)), "that segment is too long; use shorter"),
    # budget ignored: the smallest peak fits, but not with the fewest checkpoints
    (lambda d, b: list(range(0, d, round(math.sqrt(d)))), "4 checkpoints fit the budget"),
    (lambda d, b: list(range(0, d, max(1, b // 2))), "the longest segments that fit"),
    (lambda d, b: None, "should return a list of layer positions"),
    (lambda d, b: [0, 2.5], "whole layer positions"),
])
def test_checkpoints_names_each_mistake(fn, words):
    fb = check_checkpoints(fn)
    assert not fb.ok and words in fb.message, fb.message


# ------------------------------------------------------------ passes
def jacobian_passes(n, m):
    return n, m


def test_jacobian_passes_accepts_the_solution():
    fb = check_jacobian_passes(jacobian_passes)
    assert fb.ok and "m = 1" in fb.message


def test_jacobian_passes_accepts_an_array_of_two():
    assert check_jacobian_passes(lambda n, m: np.array([n, m])).ok


def test_jacobian_passes_hint_says_one_output_not_one_outputs():
    fb = check_jacobian_passes(lambda n, m: (n, 1))
    assert "m = 1 output" in fb.message or "m = 7 outputs" in fb.message
    assert "1 outputs" not in fb.message and "1 inputs" not in fb.message


@pytest.mark.parametrize("fn,words", [
    (lambda n, m: (m, n), "forward and reverse are swapped"),
    (lambda n, m: (2 * n, m), "central differences"),
    (lambda n, m: (n, 1), "needs m backward passes"),
    (lambda n, m: (1, 1), "both are wrong"),
    (lambda n, m: (1, m), "n inputs need n passes"),
    (lambda n, m: (n, m + 1), "count the passes that carry derivatives"),
    (lambda n, m: (n * m, n * m), "not n·m"),
    (lambda n, m: (n, 2 * m), "forward is right"),
    (lambda n, m: (n + 2, m), "reverse is right"),
    (lambda n, m: (5, 1), "does not depend on the inputs"),
    (lambda n, m: n, "should return two numbers"),
    (lambda n, m: ..., "got an ellipsis"),
    (lambda n, m: (n, "m"), "among them"),
])
def test_jacobian_passes_names_each_mistake(fn, words):
    fb = check_jacobian_passes(fn)
    assert not fb.ok and words in fb.message, fb.message


KIND_SOLUTIONS = {
    "check_dual_mul": dual_mul,
    "check_checkpoints": choose_checkpoints,
    "check_jacobian_passes": jacobian_passes,
}
KIND_RETURNS_NOTHING: set = set()
