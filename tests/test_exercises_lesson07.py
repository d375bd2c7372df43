"""Lesson 07 checks: each accepts the solution and names each anticipated mistake."""

import numpy as np
import pytest

from bpkit.exercises.lesson07 import (
    check_rnn_step_backward,
    check_step_jacobian,
    check_tbptt_windows,
)


# ------------------------------------------------------------ rnn_step_backward
def _backward(da_rule="tanh", dWh="ok", dh_prev="ok", db_sum=True, dx="ok"):
    """A learner's step_backward with the chosen slips."""

    def fn(dh, x, h_prev, h, Wx, Wh):
        da = {
            "tanh": dh * (1 - h**2),
            "none": dh,
            "prev": dh * (1 - h_prev**2),
            "sigmoid": dh * h * (1 - h),
        }[da_rule]
        gWh = {"ok": h_prev.T @ da, "transposed": da.T @ h_prev, "h": h.T @ da,
               "other": 2 * h_prev.T @ da}[dWh]
        gh = {"ok": da @ Wh.T, "no_T": da @ Wh, "no_tanh": dh @ Wh.T,
              "other": -da @ Wh.T}[dh_prev]
        gWx = x.T @ da
        gx = {"ok": da @ Wx.T, "other": 3 * da @ Wx.T}[dx]
        return gx, gh, gWx, gWh, da.sum(axis=0) if db_sum else da

    return fn


def test_rnn_step_backward_accepts_the_solution():
    fb = check_rnn_step_backward(_backward())
    assert fb.ok and "all five gradients" in fb.message


@pytest.mark.parametrize(
    "kwargs,words",
    [
        (dict(da_rule="none"), "tanh derivative is missing"),
        (dict(da_rule="prev"), "not 1 - h_prev**2"),
        (dict(da_rule="sigmoid"), "sigmoid's derivative"),
        (dict(dWh="transposed"), "dWh is transposed"),
        (dict(dWh="h"), "not h.T @ da"),
        (dict(dWh="other"),
         "dWh is wrong (other gradients: dx, dh_prev, dWx, db correct)"),
        (dict(dh_prev="no_T"), "not da @ Wh"),
        (dict(dh_prev="no_tanh"), "dh_prev skips the tanh derivative"),
        (dict(dh_prev="other"), "dh_prev is wrong"),
        (dict(db_sum=False), "sum over axis 0"),
        (dict(dx="other"), "dx is wrong"),
    ],
)
def test_rnn_step_backward_names_each_mistake(kwargs, words):
    fb = check_rnn_step_backward(_backward(**kwargs))
    assert not fb.ok
    assert words in fb.message


def test_rnn_step_backward_names_a_global_sign_flip():
    sol = _backward()
    fb = check_rnn_step_backward(lambda *a: tuple(-g for g in sol(*a)))
    assert not fb.ok and "every gradient has the wrong sign" in fb.message


def test_rnn_step_backward_names_weight_gradients_divided_by_n():
    sol = _backward()

    def over_n(dh, x, *rest):
        gx, gh, gWx, gWh, gb = sol(dh, x, *rest)
        return gx, gh, gWx / len(x), gWh / len(x), gb / len(x)

    fb = check_rnn_step_backward(over_n)
    assert not fb.ok and "divided by N = 3" in fb.message


def test_rnn_step_backward_shape_and_not_attempted():
    def transposed_dWx(dh, x, h_prev, h, Wx, Wh):
        da = dh * (1 - h**2)
        return da @ Wx.T, da @ Wh.T, da.T @ x, h_prev.T @ da, da.sum(0)

    fb = check_rnn_step_backward(transposed_dWx)
    assert "dWx has shape (5, 4), expected (4, 5)" in fb.message

    def todo(*args):
        raise NotImplementedError()

    assert check_rnn_step_backward(todo).status == "not attempted"
    assert "five arrays" in check_rnn_step_backward(lambda *a: 0).message


# ---------------------------------------------------------------- step_jacobian
def test_step_jacobian_accepts_the_solution():
    fb = check_step_jacobian(lambda h, Wh: np.diag(1 - h**2) @ Wh.T)
    assert fb.ok and "spectral radius" in fb.message


@pytest.mark.parametrize(
    "fn,words",
    [
        (lambda h, Wh: Wh.T, "tanh derivative is missing"),
        (lambda h, Wh: Wh, "two slips"),
        (lambda h, Wh: np.diag(1 - h**2) @ Wh, "transposed"),
        (lambda h, Wh: Wh.T * (1 - h**2)[None, :], "scales the rows"),
        (lambda h, Wh: np.diag(1 - h) @ Wh.T, "h is squared"),
        (lambda h, Wh: np.diag(h) @ Wh.T, "not h itself"),
        (lambda h, Wh: np.zeros((4, 4)), "write h_t = tanh(a)"),
        (lambda h, Wh: np.zeros(4), "expected (4, 4)"),
    ],
)
def test_step_jacobian_names_each_mistake(fn, words):
    fb = check_step_jacobian(fn)
    assert not fb.ok and words in fb.message


def test_step_jacobian_not_attempted():
    def todo(h, Wh):
        raise NotImplementedError()

    assert check_step_jacobian(todo).status == "not attempted"


# ---------------------------------------------------------------- tbptt windows
def _solution(T, k1, k2):
    out = []
    for start in range(0, T, k1):
        out.append((max(start - (k2 - k1), 0), start, min(start + k1, T)))
    return out


def test_tbptt_windows_accepts_the_solution():
    assert check_tbptt_windows(_solution).ok


@pytest.mark.parametrize(
    "fn,words",
    [
        (lambda T, k1, k2: [w for w in _solution(T, k1, k2) if w[2] - w[1] == k1],
         "last, shorter chunk is missing"),
        (lambda T, k1, k2: [(s - (k2 - k1), s, e) for _, s, e in _solution(T, k1, k2)],
         "clip w0 at 0"),
        (lambda T, k1, k2: [(max(e - k2, 0), s, e) for _, s, e in _solution(T, k1, k2)],
         "counts k2 steps back from the end"),
        (lambda T, k1, k2: [(s, s, e) for _, s, e in _solution(T, k1, k2)],
         "starts w0 are off"),
        (lambda T, k1, k2: [(w, s, e + 1) for w, s, e in _solution(T, k1, k2)],
         "stop is exclusive"),
        (lambda T, k1, k2: [(0, 0, T)], "expected"),
        (lambda T, k1, k2: 5, "list of (w0, start, stop) triples"),
    ],
)
def test_tbptt_windows_names_each_mistake(fn, words):
    fb = check_tbptt_windows(fn)
    assert not fb.ok and words in fb.message


def test_tbptt_windows_match_what_tbptt_does():
    from bpkit.exercises.lesson07 import _windows
    from bpkit.rnn import RNN, SequenceModel, tbptt

    rng = np.random.default_rng(0)
    model = SequenceModel(RNN(1, 3, rng), 1, rng)
    seen = []
    original = model.cell.forward

    def spy(x, state=None):
        seen.append(x.shape[1])
        return original(x, state)

    model.cell.forward = spy
    tbptt(model, np.zeros((1, 9, 1)), np.zeros((1, 9, 1)), k1=2, k2=6)
    assert seen == [stop - w0 for w0, _, stop in _windows(9, 2, 6)]
