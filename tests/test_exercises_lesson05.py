"""Lesson 05 checks accept the solution and name each anticipated mistake."""

import math

import numpy as np
import pytest

from bpkit.exercises import lesson05 as ex


def unattempted(*args):
    raise NotImplementedError()


def test_error_factor_accepts_the_solution():
    fb = ex.check_error_factor(lambda lr, L: 1 - lr * L)
    assert fb.ok and "1/L" in fb.message


@pytest.mark.parametrize(
    "wrong,clue",
    [
        (lambda lr, L: 1 + lr * L, "uphill"),
        (lambda lr, L: lr * L, "that is the step"),
        (lambda lr, L: abs(1 - lr * L), "absolute value"),
        (lambda lr, L: 1 - 2 * lr * L, "the 1/2 cancels"),
        (lambda lr, L: 1 - lr, "curvature L is missing"),
        (lambda lr, L: 1 - lr / L, "does not divide"),
        (lambda lr, L: -lr * L, "change of w"),
        (lambda lr, L: lr * L - 1, "wrong sign"),
        (lambda lr, L: 0.3, "expected 0.6"),
        (lambda lr, L: "x", "return a number"),
    ],
)
def test_error_factor_names_each_mistake(wrong, clue):
    fb = ex.check_error_factor(wrong)
    assert not fb.ok and clue in fb.message


def test_max_stable_lr_accepts_the_solution():
    assert ex.check_max_stable_lr(lambda A: 2 / np.linalg.eigvalsh(A)[-1]).ok


@pytest.mark.parametrize(
    "wrong,clue",
    [
        (lambda A: 2 / np.linalg.eigvalsh(A)[0], "smallest curvature"),
        (lambda A: 1 / np.linalg.eigvalsh(A)[-1], "oscillation starts"),
        (lambda A: 2 / np.max(np.diag(A)), "eigvalsh"),
        (lambda A: 2 / np.trace(A), "trace"),
        (lambda A: 2 / np.linalg.norm(A), "Frobenius"),
        (lambda A: np.linalg.eigvalsh(A)[-1], "that is L"),
        (lambda A: 2 * np.linalg.eigvalsh(A)[-1], "not 2 * L"),
        (lambda A: 0.1, "expected"),
        (lambda A: A["x"], "raised"),
    ],
)
def test_max_stable_lr_names_each_mistake(wrong, clue):
    fb = ex.check_max_stable_lr(wrong)
    assert not fb.ok and clue in fb.message


def _cos(t, b, T, e):
    return e + (b - e) * (1 + math.cos(math.pi * t / T)) / 2


def test_cosine_lr_accepts_the_solution():
    fb = ex.check_cosine_lr(_cos)
    assert fb.ok and "CosineAnnealingLR" in fb.message


@pytest.mark.parametrize(
    "wrong,clue",
    [
        (lambda t, b, T, e: e + (b - e) * math.cos(math.pi * t / T), "shifting and halving"),
        (lambda t, b, T, e: b * (1 + math.cos(math.pi * t / T)) / 2, "eta_min is the floor"),
        (lambda t, b, T, e: e + (b - e) * (1 + math.cos(180 * t / T)) / 2, "radians"),
        (lambda t, b, T, e: e + (b - e) * (1 + math.cos(2 * math.pi * t / T)) / 2,
         "half a period"),
        (lambda t, b, T, e: _cos(t + 1, b, T, e), "off by one"),
        (lambda t, b, T, e: e + (b - e) * (1 - math.cos(math.pi * t / T)) / 2, "rises"),
        (lambda t, b, T, e: e + (b - e) * (1 - t / T), "straight line"),
        (lambda t, b, T, e: b, "expected"),
    ],
)
def test_cosine_lr_names_each_mistake(wrong, clue):
    fb = ex.check_cosine_lr(wrong)
    assert not fb.ok and clue in fb.message


@pytest.mark.parametrize("check", [ex.check_error_factor, ex.check_max_stable_lr,
                                   ex.check_cosine_lr])
def test_unattempted_stub_says_so_instead_of_failing(check):
    fb = check(unattempted)
    assert fb.status == "not attempted" and "not attempted yet" in repr(fb)
