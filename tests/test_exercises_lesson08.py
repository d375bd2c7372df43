"""Lesson 08 checks: each accepts the solution and names each anticipated mistake."""

import numpy as np
import pytest

from bpkit.exercises.lesson08 import check_dropout, check_l2_term, check_loss_scale_update
from bpkit.practice import DynamicLossScaler, Dropout


# ------------------------------------------------------------------ dropout
def dropout_solution(x, dout, p, rng, training):
    if not training:
        return x, dout
    mask = (rng.random(x.shape) >= p) / (1 - p)
    return x * mask, dout * mask


def _dropout(scale="inverse", backward="mask", eval_mode="identity", keep="ge"):
    """A learner's dropout with the chosen slips."""

    def fn(x, dout, p, rng, training):
        r = rng.random(x.shape)
        kept = r >= p if keep == "ge" else r < p
        factor = {"inverse": 1 / (1 - p), "none": 1.0, "times": 1 - p}[scale]
        mask = kept * factor
        if not training:
            return {"identity": (x, dout), "mask": (x * mask, dout * mask),
                    "scale": (x * (1 - p), dout * (1 - p))}[eval_mode]
        out = x * mask
        dx = {"mask": dout * mask, "fresh": dout * (rng.random(x.shape) >= p) / (1 - p),
              "none": dout, "unscaled": dout * kept, "output": dout * out}[backward]
        return out, dx

    return fn


def test_dropout_check_accepts_the_solution_and_the_package_layer():
    assert check_dropout(dropout_solution).ok

    def with_layer(x, dout, p, rng, training):
        layer = Dropout(p, rng).train(training)
        return layer(x), layer.backward(dout)

    assert check_dropout(with_layer).ok


@pytest.mark.parametrize("kwargs,words", [
    (dict(scale="none"), "not scaled by 1/(1-p)"),
    (dict(scale="times"), "*divides* by (1-p)"),
    (dict(backward="fresh"), "draws a fresh mask"),
    (dict(backward="none"), "ignores the mask"),
    (dict(backward="unscaled"), "dL/dx is missing the 1/(1-p)"),
    (dict(backward="output"), "uses the output instead of the mask"),
    (dict(keep="lt"), "kept with probability p"),
    (dict(eval_mode="mask"), "Applying a mask at test time"),
    (dict(eval_mode="scale"), "*non*-inverted dropout"),
])
def test_dropout_check_names_each_mistake(kwargs, words):
    fb = check_dropout(_dropout(**kwargs))
    assert not fb.ok and words in fb.message, fb.message


def _other_draw(how):
    """A valid inverted dropout whose mask is drawn another way than the check replays."""

    def fn(x, dout, p, rng, training):
        if not training:
            return x, dout
        kept = {"lt": lambda: rng.random(x.shape) < 1 - p,
                "binomial": lambda: rng.binomial(1, 1 - p, x.shape) == 1,
                "global": lambda: np.random.random(x.shape) >= p}[how]()
        mask = kept / (1 - p)
        return x * mask, dout * mask

    return fn


@pytest.mark.parametrize("how", ["lt", "binomial", "global"])
def test_dropout_check_says_a_valid_mask_drawn_another_way_is_valid(how):
    np.random.seed(0)
    fb = check_dropout(_other_draw(how))
    assert not fb.ok and "a valid inverted dropout" in fb.message, fb.message
    assert "out is wrong" not in fb.message and "rng.random(x.shape) >= p" in fb.message


def test_dropout_check_accepts_a_float32_answer():
    def f32(x, dout, p, rng, training):
        out, dx = dropout_solution(x, dout, p, rng, training)
        return out.astype(np.float32), dx.astype(np.float32)

    assert check_dropout(f32).ok


def test_dropout_check_names_a_non_finite_array_once():
    def nan_out(x, dout, p, rng, training):
        out, dx = dropout_solution(x, dout, p, rng, training)
        return out * np.nan, dx

    fb = check_dropout(nan_out)
    assert not fb.ok and fb.message.startswith("out holds nan"), fb.message
    fb = check_dropout(lambda x, dout, *a: (x * np.nan, dout * np.inf))
    assert "out, dx hold nan" in fb.message and "dx, dx" not in fb.message, fb.message


@pytest.mark.parametrize("keep", ["lt", "ge"])
def test_dropout_check_names_p_read_as_the_keep_probability(keep):
    def fn(x, dout, p, rng, training):
        if not training:
            return x, dout
        r = rng.random(x.shape)
        mask = ((r < p) if keep == "lt" else (r >= 1 - p)) / p
        return x * mask, dout * mask

    fb = check_dropout(fn)
    assert not fb.ok and "p is the probability of dropping" in fb.message, fb.message


def test_dropout_check_names_out_and_dx_swapped():
    def fn(x, dout, p, rng, training):
        out, dx = dropout_solution(x, dout, p, rng, training)
        return dx, out

    fb = check_dropout(fn)
    assert not fb.ok and "swapped" in fb.message, fb.message


def test_dropout_check_catches_hard_coded_and_two_mistakes_at_once():
    x, dout = np.ones((3, 5)), np.ones((3, 5))
    const = dropout_solution(np.random.default_rng(100).standard_normal((3, 5)), dout,
                             0.5, np.random.default_rng(0), True)
    fb = check_dropout(lambda *a: const)
    assert "does not depend on the inputs" in fb.message or "shape" in fb.message
    fb = check_dropout(_dropout(scale="none", eval_mode="mask"))
    assert not fb.ok and "out is wrong" in fb.message and "eval mode" in fb.message
    fb = check_dropout(_dropout(backward="output", eval_mode="mask"))
    assert not fb.ok and "dx is not" in fb.message
    del x


def test_dropout_check_says_not_attempted_for_the_stub():
    def stub(*a):
        raise NotImplementedError()

    assert check_dropout(stub).status == "not attempted"


# ------------------------------------------------------------------ L2
def l2_solution(Ws, lam):
    return 0.5 * lam * sum(float(np.sum(W**2)) for W in Ws), [lam * W for W in Ws]


@pytest.mark.parametrize("fn,words", [
    (lambda Ws, lam: (l2_solution(Ws, lam)[0], [2 * lam * W for W in Ws]),
     "no factor 2"),
    (lambda Ws, lam: (2 * l2_solution(Ws, lam)[0], l2_solution(Ws, lam)[1]),
     "left out the 1/2"),
    (lambda Ws, lam: (l2_solution(Ws, lam)[0], [-lam * W for W in Ws]), "wrong sign"),
    (lambda Ws, lam: (l2_solution(Ws, lam)[0], [lam * np.sign(W) for W in Ws]),
     "L1 penalty"),
    (lambda Ws, lam: (l2_solution(Ws, lam)[0], [lam * W**2 for W in Ws]),
     "not lam * W**2"),
    (lambda Ws, lam: (0.5 * lam * sum(float(np.sum(W)) ** 2 for W in Ws),
                      l2_solution(Ws, lam)[1]), "squares the whole sum"),
    (lambda Ws, lam: (0.5 * lam * float(np.sum(Ws[0] ** 2)), l2_solution(Ws, lam)[1]),
     "only the first weight matrix"),
    (lambda Ws, lam: (2 * l2_solution(Ws, lam)[0], [2 * lam * W for W in Ws]),
     "the lesson's convention is (lam/2)"),
    (lambda Ws, lam: (l2_solution(Ws, lam)[0], [lam * W.T for W in Ws]),
     "has shape"),
    (lambda Ws, lam: (l2_solution(Ws, lam)[0], lam * Ws[0]), "list of"),
    (lambda Ws, lam: (l2_solution(Ws, lam)[0] + 1, l2_solution(Ws, lam)[1]),
     "the gradients are right, the penalty is not"),
])
def test_l2_check_names_each_mistake(fn, words):
    fb = check_l2_term(fn)
    assert not fb.ok and words in fb.message, fb.message


def test_l2_check_says_the_penalty_must_be_one_number():
    fb = check_l2_term(lambda Ws, lam: ([0.5 * lam * np.sum(W**2) for W in Ws],
                                        [lam * W for W in Ws]))
    assert not fb.ok and "the penalty should be one number" in fb.message


def test_l2_check_accepts_the_solution_and_catches_hard_coding():
    assert check_l2_term(l2_solution).ok
    rng = np.random.default_rng(0)
    Ws = [rng.standard_normal((3, 4)), rng.standard_normal((4, 2))]
    const = l2_solution(Ws, 0.1)
    assert "does not depend on the inputs" in check_l2_term(lambda *a: const).message


# ------------------------------------------------------------------ loss scale
def scale_solution(scale, good, finite, interval):
    if not finite:
        return scale / 2, 0, False
    good += 1
    if good == interval:
        return scale * 2, 0, True
    return scale, good, True


def test_loss_scale_solution_matches_the_package_scaler():
    s = DynamicLossScaler(init_scale=8.0, growth_interval=3)
    scale, good = 8.0, 0
    for finite in [True, True, True, False, True, True, True, True]:
        took = s.update(finite)
        scale, good, take = scale_solution(scale, good, finite, 3)
        assert (scale, good, take) == (s.scale, s.good_steps, took)
    assert check_loss_scale_update(scale_solution).ok


def _late(scale, good, finite, interval):
    if not finite:
        return scale / 2, 0, False
    if good == interval:
        return scale * 2, 0, True
    return scale, good + 1, True


@pytest.mark.parametrize("fn,words", [
    (lambda s, g, f, i: scale_solution(s, g, f, i)[:2] + (True,), "must be skipped"),
    (lambda s, g, f, i: (s / 2, g, False) if not f else scale_solution(s, g, f, i),
     "goes back to 0"),
    (lambda s, g, f, i: (s * 2, 0, False) if not f else scale_solution(s, g, f, i),
     "must shrink"),
    (_late, "does not double on the step that completes"),
    (lambda s, g, f, i: (lambda r: (r[0], g + 1, r[2]) if f and r[1] == 0 else r)(
        scale_solution(s, g, f, i)), "after doubling, the count goes back to 0"),
    (lambda s, g, f, i: (s / 2, 0, False) if not f else (s, g + 1, True),
     "does not double on the step that completes"),
    (lambda s, g, f, i: (s / 2, 0, False) if not f else (s, g, True),
     "adds one to the count"),
    (lambda s, g, f, i: (s / 4, 0, False) if not f else scale_solution(s, g, f, i),
     "inf/nan gradients (new_scale wrong)"),
    (lambda s, g, f, i: scale_solution(s, g, f, i)[:2] + (1,), "True or False"),
    (lambda s, g, f, i: (scale_solution(s, g, f, i)[0], 0.5, True), "whole number"),
])
def test_loss_scale_check_names_each_mistake(fn, words):
    fb = check_loss_scale_update(fn)
    assert not fb.ok and words in fb.message, fb.message


def test_loss_scale_check_catches_hard_coding():
    const = scale_solution(65536.0, 5, True, 2000)
    assert "does not depend on the inputs" in check_loss_scale_update(
        lambda *a: const).message


KIND_SOLUTIONS = {
    "check_dropout": dropout_solution,
    "check_l2_term": l2_solution,
    "check_loss_scale_update": scale_solution,
}
KIND_RETURNS_NOTHING: set = set()
