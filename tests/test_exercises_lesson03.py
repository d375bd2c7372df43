"""Lesson 03 checks accept the solution and name each anticipated mistake."""

from __future__ import annotations

import numpy as np
import pytest

from bpkit.exercises import lesson03 as ex


def unattempted(*args):
    raise NotImplementedError()


# ------------------------------------------------------------ linear backward
def solution_linear(x, W, b, dout):
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def test_linear_backward_accepts_the_shape_formulas():
    fb = ex.check_linear_backward(solution_linear)
    assert fb.ok and "dW = x.T @ dout" in fb.message


@pytest.mark.parametrize(
    "wrong, clues",
    [
        (lambda x, W, b, g: (g @ W.T, g.T @ x, g.sum(0)),
         ["dx, db right", "dW is transposed", "(D, H)"]),
        (lambda x, W, b, g: (g @ W.T, x.T @ g, g),
         ["dx, dW right", "db is missing the sum over the batch"]),
        (lambda x, W, b, g: (g @ W.T, x.T @ g, g.mean(0)), ["db averages"]),
        (lambda x, W, b, g: (g @ W.T, x.T @ g, g.sum(1)), ["db sums over the wrong axis"]),
        (lambda x, W, b, g: (g @ W.T, x.T @ g, g.sum()), ["db sums over everything"]),
        (lambda x, W, b, g: (g @ W.T, x.T @ g, g.sum(0, keepdims=True)),
         ["dx, dW right", "db keeps the summed axis", "(1, H)"]),
        (lambda x, W, b, g: (W @ g.T, x.T @ g, g.sum(0)), ["dx is transposed"]),
        (lambda x, W, b, g: (-(g @ W.T), x.T @ g, g.sum(0)), ["dx has the wrong sign"]),
        (lambda x, W, b, g: (g @ W.T / len(x), x.T @ g / len(x), g.sum(0)),
         ["db right", "dx is divided by N", "dW is divided by N"]),
        (lambda x, W, b, g: (g @ W.T, -(x.T @ g), g.sum(0)), ["dW has the wrong sign"]),
        (lambda x, W, b, g: (g @ W.T, x.T @ g * 2, g.sum(0)),
         ["dW has the right shape (3, 4) but wrong values"]),
        (lambda x, W, b, g: (g @ W.T, x.T @ g, g.sum(0)[:2]),
         ["db is not right", "you return shape (2,), expected (4,)"]),
    ],
)
def test_linear_backward_names_which_gradient_is_wrong_and_how(wrong, clues):
    fb = ex.check_linear_backward(wrong)
    assert not fb.ok
    for clue in clues:
        assert clue in fb.message


def test_linear_backward_right_shape_wrong_values_is_not_sent_to_the_shapes():
    fb = ex.check_linear_backward(lambda x, W, b, g: (g @ W.T, x.T @ g, g[0]))
    assert not fb.ok
    assert "db has the right shape (4,) but wrong values" in fb.message
    assert "expected (4,)" not in fb.message


def test_linear_backward_reports_a_shape_crash_with_the_shapes():
    fb = ex.check_linear_backward(lambda x, W, b, g: (g @ W, x.T @ g, g.sum(0)))
    assert not fb.ok and "raised ValueError" in fb.message and "dx must be (5, 3)" in (
        fb.message)


def test_linear_backward_wants_three_arrays():
    fb = ex.check_linear_backward(lambda x, W, b, g: x.T @ g)
    assert "(dx, dW, db)" in fb.message


# ------------------------------------------------------------------ logsumexp
def solution_lse(z):
    m = z.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]


def test_logsumexp_accepts_the_stable_solution():
    fb = ex.check_logsumexp(solution_lse)
    assert fb.ok and "1000.3133" in fb.message


def _inplace(z):
    z -= z.max(axis=1, keepdims=True)
    return solution_lse(z)


@pytest.mark.parametrize(
    "wrong, clue",
    [
        (lambda z: np.log(np.exp(z).sum(axis=1)), "overflows to inf"),
        (lambda z: z.max() + np.log(np.exp(z - z.max()).sum(axis=1)),
         "one global maximum is not enough"),
        (lambda z: np.log(np.exp(z - z.max(1, keepdims=True)).sum(axis=1)),
         "did not add it back"),
        (lambda z: solution_lse(z)[:, None], "not (N, 1)"),
        (lambda z: solution_lse(z.T.copy().T)[:3], "shape (4,)"),
        (lambda z: np.log(np.exp(z).sum(axis=0)), "axis=1"),
        (lambda z: solution_lse(z) + 1, "expected 3.4076"),
        (_inplace, "changed z in place"),
        (lambda z: z.max(1) + np.log(np.exp(z - z.max(1)).sum(axis=1)),
         "The maximum lost its axis"),
        (lambda z: z.max(1) + np.log(np.exp(z - z.max(1)[:, None]).sum(1, keepdims=True)),
         "broadcast to (N, N)"),
    ],
)
def test_logsumexp_names_each_mistake(wrong, clue):
    fb = ex.check_logsumexp(wrong)
    assert not fb.ok and clue in fb.message


# -------------------------------------------------- softmax cross-entropy grad
def solution_ce(z, y):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


def _probs(z, axis=1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_softmax_ce_grad_accepts_the_solution():
    fb = ex.check_softmax_ce_grad(solution_ce)
    assert fb.ok and "(softmax(z) - onehot(y)) / N" in fb.message


@pytest.mark.parametrize(
    "wrong, clue",
    [
        (lambda z, y: _probs(z) - np.eye(z.shape[1])[y], "N times too large"),
        (lambda z, y: (np.eye(z.shape[1])[y] - _probs(z)) / len(y), "sign is flipped"),
        (lambda z, y: _probs(z) / len(y), "true class's 1 is missing"),
        (lambda z, y: (_probs(z) - np.eye(z.shape[1])[y]) / z.shape[1],
         "number of classes C"),
        (lambda z, y: (_probs(z, 0) - np.eye(z.shape[1])[y]) / len(y), "wrong axis"),
        (lambda z, y: (np.exp(z) / np.exp(z).sum(1, keepdims=True)
                       - np.eye(z.shape[1])[y]) / len(y), "logits of 1000 give NaN"),
        (lambda z, y: np.zeros(z.shape[1]), "shape (3, 4)"),
        (lambda z, y: 2 * solution_ce(z, y), "softmax, subtract 1 at the label"),
    ],
)
def test_softmax_ce_grad_names_each_mistake(wrong, clue):
    fb = ex.check_softmax_ce_grad(wrong)
    assert not fb.ok and clue in fb.message


@pytest.mark.parametrize(
    "check", [ex.check_linear_backward, ex.check_logsumexp, ex.check_softmax_ce_grad])
def test_unattempted_stub_says_so_instead_of_failing(check):
    fb = check(unattempted)
    assert fb.status == "not attempted" and "not attempted yet" in repr(fb)


# mistakes a fresh reader tried that the checks now name
def _ce(z, y, max_axis=1, col=False):
    m = z.max() if max_axis is None else z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    p = e / e.sum(axis=1, keepdims=True)
    if col:
        p[:, y] -= 1
    else:
        p[np.arange(len(y)), y] -= 1
    return p / len(y)


@pytest.mark.parametrize("check, wrong, clue", [
    ("check_softmax_ce_grad", lambda z, y: _ce(z, y, max_axis=None),
     "one global maximum is not enough"),
    ("check_softmax_ce_grad", lambda z, y: _ce(z, y, col=True), "p[:, y] -= 1"),
    ("check_linear_backward", lambda x, W, b, g: (g @ W.T, x.T @ g, -g.sum(0)),
     "db has the wrong sign"),
    ("check_linear_backward", lambda x, W, b, g: (g @ W.T, x.T @ g, undefined_db),  # noqa: F821
     "NameError"),
])
def test_named_mistakes_from_the_fresh_reader(check, wrong, clue):
    fb = getattr(ex, check)(wrong)
    assert not fb.ok and clue in fb.message
    if clue == "NameError":
        assert "Check the shapes" not in fb.message
