"""Lesson 01 checks accept the solution and name each anticipated mistake."""

import pytest

from bpkit.exercises import lesson01 as ex


def unattempted(*args):
    raise NotImplementedError()


def test_dL_dw_accepts_the_chain_rule():
    fb = ex.check_dL_dw(lambda x, w, y: -2 * x * (y - w * x))
    assert fb.ok and "-12" in fb.message


@pytest.mark.parametrize(
    "wrong,clue",
    [
        (lambda x, w, y: 2 * x * (y - w * x), "sign is flipped:"),
        (lambda x, w, y: -x * (y - w * x), "factor 2"),
        (lambda x, w, y: -2 * (y - w * x), "factor x is missing"),
        (lambda x, w, y: 2 * (y - w * x), "sign is flipped and"),
        (lambda x, w, y: 7.0, "expected -12"),
        (lambda x, w, y: "oops", "return a number"),
    ],
)
def test_dL_dw_names_each_mistake(wrong, clue):
    fb = ex.check_dL_dw(wrong)
    assert not fb.ok and clue in fb.message


def test_one_step_lr():
    assert ex.check_one_step_lr(lambda x: 1 / (2 * x * x)).ok
    assert "edge" in ex.check_one_step_lr(lambda x: 1 / (x * x)).message
    assert "squared" in ex.check_one_step_lr(lambda x: 1 / (2 * x)).message
    assert "four times" in ex.check_one_step_lr(lambda x: 2 / (x * x)).message
    assert not ex.check_one_step_lr(lambda x: 0.3).ok


def test_update():
    assert ex.check_update(lambda w, g, lr: w - lr * g).ok
    assert "*up*" in ex.check_update(lambda w, g, lr: w + lr * g).message
    assert "new weight" in ex.check_update(lambda w, g, lr: -lr * g).message


@pytest.mark.parametrize("check", [ex.check_dL_dw, ex.check_one_step_lr, ex.check_update])
def test_unattempted_stub_says_so_instead_of_failing(check):
    fb = check(unattempted)
    assert fb.status == "not attempted" and "not attempted yet" in repr(fb)


# mistakes a fresh reader tried that the checks now name
@pytest.mark.parametrize("check, wrong, clue", [
    ("check_dL_dw", lambda x, w, y: x * (y - w * x), "factor 2 is missing"),
    ("check_dL_dw", lambda x, w, y: (y - w * x) ** 2, "the loss itself"),
    ("check_dL_dw", lambda x, w, y: y - w * x, "the error e"),
    ("check_dL_dw", lambda x, w, y: -2 * w * (y - w * x), "that is dL/dx"),
    ("check_one_step_lr", lambda x: 1 / 2 * x ** 2, "Python reads 1/2*x**2"),
    ("check_one_step_lr", lambda x: 1 / (2 * x) ** 2, "squares the 2 as well"),
    ("check_one_step_lr", lambda x: 2 / x ** 2, "four times too big"),
    ("check_update", lambda w, g, lr: w - g, "learning rate is missing"),
    ("check_update", lambda w, g, lr: w - 0.5 * lr * g, "the step is halved"),
    ("check_update", lambda w, g, lr: w - 0.1 * g, "ignores its argument lr"),
    ("check_update", lambda w, g, lr: w - lr * -12.0, "ignores its argument grad"),
])
def test_named_mistakes_from_the_fresh_reader(check, wrong, clue):
    import bpkit.exercises.lesson01 as ex1
    fb = getattr(ex1, check)(wrong)
    assert not fb.ok and clue in fb.message
