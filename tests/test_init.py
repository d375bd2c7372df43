"""Initialisers: the scale each formula promises, drawn only from the rng given."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bpkit import init
from bpkit.layers import Linear

SHAPE = (300, 500)  # 150,000 draws: sample std within ~0.5 % of the true one


@pytest.mark.parametrize(
    "fn, kwargs, std",
    [
        (init.normal, dict(std=0.05), 0.05),
        (init.xavier_normal, {}, math.sqrt(2 / 800)),
        (init.xavier_uniform, {}, math.sqrt(2 / 800)),
        (init.he_normal, {}, math.sqrt(2 / 300)),
        (init.he_uniform, {}, math.sqrt(2 / 300)),
        (init.xavier_normal, dict(gain=5 / 3), 5 / 3 * math.sqrt(2 / 800)),
        (init.he_uniform, dict(gain=1.0), math.sqrt(1 / 300)),
    ],
)
def test_each_initialiser_has_the_standard_deviation_its_formula_promises(fn, kwargs, std):
    W = fn(SHAPE, np.random.default_rng(0), **kwargs)
    assert W.shape == SHAPE
    assert W.std() == pytest.approx(std, rel=0.01)
    assert abs(W.mean()) < 0.01 * std * 10


@pytest.mark.parametrize(
    "fn, bound",
    [(init.xavier_uniform, math.sqrt(6 / 800)), (init.he_uniform, math.sqrt(6 / 300))],
)
def test_uniform_initialisers_stay_inside_their_bound_and_reach_near_it(fn, bound):
    W = fn(SHAPE, np.random.default_rng(1))
    assert np.abs(W).max() <= bound
    assert np.abs(W).max() > 0.999 * bound


def test_he_keeps_the_variance_of_relu_activations_steady_through_depth():
    rng = np.random.default_rng(2)
    h = rng.standard_normal((2000, 256))
    x0 = (h**2).mean()
    for _ in range(10):
        h = np.maximum(h @ init.he_normal((256, 256), rng), 0)
    # second moment E[h^2] is preserved by He init (not shrunk 2x per layer)
    assert 0.5 < (h**2).mean() / x0 < 2.0


@pytest.mark.parametrize("name", sorted(init.INITIALISERS))
def test_same_seed_same_weights_different_seed_different_weights(name):
    fn = init.get(name)
    a = fn((4, 3), np.random.default_rng(7))
    b = fn((4, 3), np.random.default_rng(7))
    c = fn((4, 3), np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", sorted(init.INITIALISERS))
def test_dtype_is_respected(name):
    fn = init.get(name)
    assert fn((2, 2), np.random.default_rng(0)).dtype == np.float64
    assert fn((2, 2), np.random.default_rng(0), dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("name", sorted(init.INITIALISERS))
def test_bad_arguments_are_named(name):
    fn = init.get(name)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        fn((2, 2), 0)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        fn((2, 2), np.random.RandomState(0))
    with pytest.raises(ValueError, match=r"shape must be \(fan_in, fan_out\)"):
        fn((2, 2, 2), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"shape must be \(fan_in, fan_out\)"):
        fn((0, 2), np.random.default_rng(0))
    with pytest.raises(ValueError, match="float32 or float64"):
        fn((2, 2), np.random.default_rng(0), dtype=np.int64)


def test_negative_scales_are_refused():
    with pytest.raises(ValueError, match="std must be a finite number >= 0"):
        init.normal((2, 2), np.random.default_rng(0), std=-1.0)
    with pytest.raises(ValueError, match="gain must be a finite number >= 0"):
        init.he_normal((2, 2), np.random.default_rng(0), gain=float("nan"))


def test_get_by_name_or_callable_and_unknown_names():
    assert init.get("he_normal") is init.he_normal
    assert init.get(init.normal) is init.normal
    with pytest.raises(ValueError, match=r"unknown init 'kaiming'; choose one of"):
        init.get("kaiming")


def test_gain_values_match_pytorch_calculate_gain():
    assert init.gain("relu") == pytest.approx(math.sqrt(2))
    assert init.gain("tanh") == pytest.approx(5 / 3)
    assert init.gain("sigmoid") == 1.0 and init.gain("linear") == 1.0
    assert init.gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="unknown activation 'elu'"):
        init.gain("elu")


def test_linear_uses_the_named_init_with_its_rng():
    a = Linear(30, 20, np.random.default_rng(3), init="xavier_normal").W.data
    np.testing.assert_array_equal(a, init.xavier_normal((30, 20), np.random.default_rng(3)))


@pytest.mark.torch
def test_bounds_and_stds_match_torch_formulas():
    torch = pytest.importorskip("torch")
    t = torch.empty(500, 300)  # torch stores (fan_out, fan_in)
    torch.manual_seed(0)
    torch.nn.init.kaiming_uniform_(t, nonlinearity="relu")
    ours = init.he_uniform((300, 500), np.random.default_rng(0))
    assert np.abs(ours).max() == pytest.approx(t.abs().max().item(), rel=1e-3)
    torch.nn.init.xavier_normal_(t)
    ours = init.xavier_normal((300, 500), np.random.default_rng(0))
    assert ours.std() == pytest.approx(t.std().item(), rel=0.02)
