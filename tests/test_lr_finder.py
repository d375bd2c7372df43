"""lr_range_test on a noisy loss: the smoothing, the two rules, the stop, the checks.

The closure here ignores the weights and returns a made-up loss curve of the
lr the test has set, plus noise: a curve whose answer is known. It falls
fastest at lr 0.1 (log10 lr = -1) and blows up beyond lr 1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bpkit.layers import Parameter
from bpkit.optim import SGD, LRRangeResult, lr_range_test

STEEPEST = 0.1  # where the clean curve falls fastest


def _curve(lr: float) -> float:
    x = math.log10(lr)
    return 2.3 - 1.5 / (1 + math.exp(-(x + 1) / 0.25)) + math.exp(4 * (x - 0.5))


def _noisy(seed: int, spike_at: float | None = None, spike: float = 0.0,
           sigma: float = 0.2, **kw):
    """A range test on the made-up curve; a lucky batch at `spike_at` scores `spike`."""
    rng = np.random.default_rng(seed)
    w = Parameter(np.zeros(1))
    opt = SGD([w], lr=0.1)
    kw = {"lr_min": 1e-4, "lr_max": 10.0, "steps": 200} | kw
    half_step = math.log(kw["lr_max"] / kw["lr_min"]) / (kw["steps"] - 1) / 2

    def closure():
        lr = opt.param_groups[0]["lr"]
        if spike_at is not None and abs(math.log(lr / spike_at)) < half_step:
            return spike
        return _curve(lr) + sigma * rng.standard_normal()

    return lr_range_test(closure, opt, **kw)


@pytest.mark.parametrize("spike_at", [1e-3, 0.03, 0.5])
@pytest.mark.parametrize("seed", range(5))
def test_a_lucky_batch_at_the_raw_minimum_does_not_move_the_suggestion(spike_at, seed):
    res = _noisy(seed, spike_at)
    lowest_single = res.lrs[np.argmin(res.losses)]
    assert lowest_single == pytest.approx(spike_at, rel=0.05)  # the spike: raw minimum
    assert STEEPEST / 2 < res.suggested_lr < 3 * STEEPEST   # the smoothed rule ignores it
    assert res.rule == "min/10" and res.suggested_lr == res.min_loss_lr / 10


def test_the_steepest_rule_can_be_won_by_a_lucky_batch_as_the_docstring_warns():
    res = _noisy(0, spike_at=0.03, rule="steepest")
    assert res.suggested_lr == res.steepest_lr == pytest.approx(0.03, rel=0.1)


def test_without_noise_the_steepest_rule_finds_the_steepest_fall():
    res = _noisy(0, sigma=0.0, smooth=0.0, rule="steepest")
    assert res.steepest_lr == pytest.approx(STEEPEST, rel=0.1)


def test_the_smoothed_loss_is_the_bias_corrected_moving_average():
    res = _noisy(1, smooth=0.9, steps=60)
    avg, want = 0.0, []
    for i, loss in enumerate(res.losses):
        avg = 0.9 * avg + 0.1 * loss
        want.append(avg / (1 - 0.9 ** (i + 1)))
    np.testing.assert_allclose(res.smoothed, want, rtol=1e-12)
    assert res.smoothed[0] == res.losses[0]  # no pull towards 0 at the start


def test_a_lucky_first_batch_neither_stops_the_test_nor_counts_as_the_best():
    # a loss of 0 first: counted as the best, 4 x 0 would stop the run at once
    res = _noisy(2, spike_at=1e-4, spike=0.0)
    assert res.losses[0] == 0.0 and len(res.lrs) > 150
    assert res.min_loss_lr > 1e-2


def test_the_run_stops_once_the_smoothed_loss_passes_stop_factor_times_its_best():
    res = _noisy(3, sigma=0.0, smooth=0.0, lr_max=100.0, steps=150)
    best = res.smoothed[res.skip_start:].min()
    assert res.stopped_early and res.smoothed[-1] > 4 * best
    assert np.all(res.smoothed[res.skip_start:-1] <= 4 * best)


def test_skip_start_defaults_to_a_tenth_of_the_steps_and_can_be_set():
    assert _noisy(0, steps=150).skip_start == 15
    assert _noisy(0, skip_start=0).skip_start == 0


def test_the_result_keeps_the_old_fields():
    res = _noisy(0)
    assert isinstance(res, LRRangeResult) and isinstance(res.stopped_early, bool)
    assert len(res.lrs) == len(res.losses) == len(res.smoothed)
    assert res.lrs[0] == pytest.approx(1e-4) and np.all(np.diff(res.lrs) > 0)


@pytest.mark.parametrize("kw, match", [
    ({"rule": "steep"}, r"rule must be one of \('min/10', 'steepest'\), got 'steep'"),
    ({"rule": None}, r"rule must be one of .*got None"),
    ({"skip_start": -1}, r"skip_start must be an integer in \[0, 197\], got -1"),
    ({"skip_start": 198}, r"skip_start must be an integer in \[0, 197\], got 198"),
    ({"skip_start": 2.5}, r"skip_start must be an integer .*got 2.5"),
    ({"skip_start": "10"}, r"skip_start must be an integer .*got '10'"),
    ({"steps": 2}, r"steps must be an integer >= 3, got 2"),
    ({"smooth": 1.0}, r"smooth.*\[0, 1\), got 1.0"),
])
def test_bad_arguments_are_named(kw, match):
    with pytest.raises(ValueError, match=match):
        _noisy(0, **kw)


def test_a_loss_that_blows_up_within_the_skipped_steps_asks_for_a_lower_lr_min():
    w = Parameter(np.ones(1))

    def closure():
        w.grad += 1e200 * w.data
        return float(1e200 * w.data[0] ** 2)

    with pytest.raises(ValueError, match="lower lr_min"):
        lr_range_test(closure, SGD([w], lr=0.1), lr_min=1.0, lr_max=10.0, steps=100)
    assert w.data[0] == 1.0  # and the weights are back
