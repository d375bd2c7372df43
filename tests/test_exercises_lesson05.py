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
        (lambda lr, L: (1 - lr * L) ** 2, "the *loss* is multiplied"),
        (lambda lr, L: 1 - lr * L / 2, "not L/2 w"),
        (lambda lr, L: 1 - lr * L**2, "L enters once"),
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
        (lambda A: 2 / A[0, 0], "along the axes only"),
        (lambda A: 1 / np.linalg.eigvalsh(A)[0], "two slips"),
        (lambda A: 2 / np.linalg.det(A), "product of the two curvatures"),
        (lambda A: 2 / np.abs(A).sum(axis=1).max(), "row sum"),
        (lambda A: 2 / A.sum(axis=1).max(), "row sum"),
        (lambda A: 1.99 / np.linalg.eigvalsh(A)[-1], "0.995 times 2 / lambda_max"),
        (lambda A: 1.9 / np.linalg.eigvalsh(A)[-1], "a safety margin"),
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
        (lambda t, b, T, e: e + b * (1 + math.cos(math.pi * t / T)) / 2,
         "height of the cosine is base_lr - eta_min"),
        (lambda t, b, T, e: e + (b - e) * (1 + math.cos(math.pi * t / T)), "halve it"),
        (lambda t, b, T, e: _cos(t - 1, b, T, e), "for t - 1"),
        (lambda t, b, T, e: e + (b - e) * (1 + math.cos(math.pi * t / (T - 1))) / 2,
         "not T_max - 1"),
        (lambda t, T, b, e: _cos(t, b, T, e), "arguments as (t, T_max, base_lr"),
        (lambda t, T, e, b: _cos(t, b, T, e), "arguments as (t, T_max, eta_min"),
        (lambda t, e, T, b: _cos(t, b, T, e), "rises"),  # base_lr and eta_min swapped
        (lambda t, e, b, T: _cos(t, b, T, e), "ZeroDivisionError"),  # T_max got eta_min
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


# ------------------------------------------------ answers computed in float32
@pytest.mark.parametrize("check,solution", [
    (ex.check_error_factor, lambda lr, L: np.float32(1 - lr * L)),
    (ex.check_error_factor,  # every operation in float32
     lambda lr, L: np.float32(1) - np.float32(lr) * np.float32(L)),
    (ex.check_max_stable_lr,
     lambda A: 2 / np.linalg.eigvalsh(A.astype(np.float32))[-1]),
    (ex.check_cosine_lr, lambda t, b, T, e: np.float32(_cos(t, b, T, e))),
    (ex.check_cosine_lr,  # every operation in float32
     lambda t, b, T, e: np.float32(e) + (np.float32(b) - np.float32(e))
     * (1 + np.cos(np.float32(np.pi) * np.float32(t) / np.float32(T))) / 2),
])
def test_a_right_formula_in_float32_is_accepted_and_told_so(check, solution):
    fb = check(solution)
    assert fb.ok and "float32 precision" in fb.message


@pytest.mark.parametrize("check,solution", [
    (ex.check_error_factor, lambda lr, L: 1 - lr * L),
    (ex.check_max_stable_lr, lambda A: 2 / np.linalg.eigvalsh(A)[-1]),
    (ex.check_cosine_lr, _cos),
])
def test_a_float64_answer_gets_no_precision_note(check, solution):
    fb = check(solution)
    assert fb.ok and "float32" not in fb.message


def test_float32_tolerance_still_tells_a_safety_margin_from_the_limit():
    fb = ex.check_max_stable_lr(
        lambda A: np.float32(1.99) / np.linalg.eigvalsh(A.astype(np.float32))[-1])
    assert not fb.ok and "safety margin" in fb.message


def test_float16_is_too_coarse_and_says_it_is_close():
    fb = ex.check_cosine_lr(lambda t, b, T, e: np.float16(_cos(t, b, T, e)))
    assert not fb.ok and "close, but not within the tolerance" in fb.message
