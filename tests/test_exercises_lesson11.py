"""Lesson 11 checks: each accepts the solution and names each anticipated mistake."""

import math

import pytest

from bpkit.cost import Dual
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
])
def test_dual_mul_names_each_mistake(fn, words):
    fb = check_dual_mul(fn)
    assert not fb.ok and words in fb.message, fb.message


def test_dual_mul_stub_is_not_attempted():
    def stub(x, y):
        raise NotImplementedError()

    assert check_dual_mul(stub).status == "not attempted"


# ------------------------------------------------------------ checkpoints
def choose_checkpoints(depth, budget):
    for k in range(1, depth + 1):  # the first equal segment length that fits
        if math.ceil(depth / k) - 1 + k <= budget:
            return list(range(0, depth, k))
    return list(range(depth))


def test_checkpoints_accepts_the_solution_and_other_valid_choices():
    assert check_checkpoints(choose_checkpoints).ok

    def sqrt_rule(depth, budget):  # sqrt(depth) fits every budget of the check
        return list(range(0, depth, max(1, round(math.sqrt(depth)))))

    assert check_checkpoints(sqrt_rule).ok


@pytest.mark.parametrize("fn,words", [
    (lambda d, b: list(range(1, d, 4)), "position 0 is missing"),
    (lambda d, b: list(range(0, d + 1, 4)), "outside the network"),
    (lambda d, b: list(range(0, d, 4))[::-1], "increasing, without repeats"),
    (lambda d, b: 4, "returns one number"),
    (lambda d, b: [0], "a segment of 16 layers is redone"),
    (lambda d, b: list(range(d)), "checkpoints are too many"),
    (lambda d, b: [0, 4, 8, 12], "does not depend on the inputs"),
    (lambda d, b: list(range(0, d, b)), "over the budget"),
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


@pytest.mark.parametrize("fn,words", [
    (lambda n, m: (m, n), "forward and reverse are swapped"),
    (lambda n, m: (2 * n, m), "central differences"),
    (lambda n, m: (n, 1), "needs m backward passes"),
    (lambda n, m: (1, m), "n inputs need n passes"),
    (lambda n, m: (n, m + 1), "count the passes that carry derivatives"),
    (lambda n, m: (n * m, n * m), "not n·m"),
    (lambda n, m: (n, 2 * m), "forward is right"),
    (lambda n, m: (n + 2, m), "reverse is right"),
    (lambda n, m: (5, 1), "does not depend on the inputs"),
    (lambda n, m: n, "should return two numbers"),
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
