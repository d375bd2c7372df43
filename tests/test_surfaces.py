"""bpkit.surfaces: analytic gradients against finite differences, minima, descend."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpkit.gradcheck import numerical_grad, rel_error
from bpkit.optim import SGD, Adam
from bpkit.surfaces import (
    SURFACES,
    Beale,
    Himmelblau,
    NoisyGradient,
    Quadratic1D,
    Quadratic2D,
    Ripples,
    Rosenbrock,
    Saddle,
    descend,
    quadratic_regime,
)

ALL = [
    Quadratic1D(3.0),
    Quadratic2D(condition=20, angle=30),
    Rosenbrock(),
    Rosenbrock(a=0.5, b=10),
    Beale(),
    Himmelblau(),
    Saddle(),
    Ripples(),
    Ripples(bowl=0.3, amplitude=1.0, frequency=3.0, dim=1),
]


@pytest.mark.parametrize("s", ALL, ids=repr)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_gradient_matches_central_differences(s, seed):
    r = np.random.default_rng(seed)
    lo, hi = np.array(s.bounds).T
    w = r.uniform(lo, hi) * 0.9
    num = numerical_grad(lambda v: s.value(v), w.copy(), eps=1e-6)
    ana = s.grad(w)
    assert rel_error(ana, num, floor=1e-5) < 1e-5


@pytest.mark.parametrize("s", ALL, ids=repr)
def test_known_minima_are_stationary_and_lowest_nearby(s):
    r = np.random.default_rng(0)
    for m in s.minima:
        assert s.value(m) == pytest.approx(s.min_value, abs=1e-12)
        np.testing.assert_allclose(s.grad(m), 0.0, atol=1e-9)
        around = m + 1e-3 * r.standard_normal((50, s.dim))
        assert np.all(s.value(around) > s.min_value)


@pytest.mark.parametrize("s", ALL, ids=repr)
def test_batches_of_points_broadcast(s):
    w = np.zeros((4, 3, s.dim)) + 0.3
    v, g = s.value_and_grad(w)
    assert v.shape == (4, 3) and g.shape == (4, 3, s.dim)
    np.testing.assert_allclose(v[2, 1], s.value(w[2, 1]))


def test_wrong_shape_is_named():
    with pytest.raises(ValueError, match=r"\(3,\), expected \(\.\.\., 2\)"):
        Rosenbrock().value(np.zeros(3))


def test_quadratic2d_has_the_requested_condition_number_and_steep_direction():
    s = Quadratic2D(condition=50, angle=30, L=2.0)
    ev, vecs = np.linalg.eigh(s.A)
    np.testing.assert_allclose(ev, [2.0 / 50, 2.0])
    np.testing.assert_allclose(ev[1] / ev[0], 50)
    steep = vecs[:, 1] * np.sign(vecs[0, 1])
    np.testing.assert_allclose(steep, [np.cos(np.pi / 6), np.sin(np.pi / 6)], atol=1e-12)
    np.testing.assert_allclose(s.curvatures, [2.0, 0.04])


@pytest.mark.parametrize("bad", [dict(condition=0.5), dict(L=-1), dict(angle=np.nan)])
def test_quadratic2d_rejects_bad_arguments(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        Quadratic2D(**bad)


def test_himmelblau_has_four_minima_of_value_zero():
    s = Himmelblau()
    assert len(s.minima) == 4
    np.testing.assert_allclose(s.value(s.minima), 0.0, atol=1e-20)


def test_saddle_point_is_stationary_but_not_a_minimum():
    s = Saddle()
    np.testing.assert_allclose(s.grad(s.saddle_point), 0.0)
    assert s.value([0.0, 0.1]) < s.value(s.saddle_point) < s.value([0.1, 0.0])


def test_ripples_local_minima_are_minima_and_the_origin_is_lowest():
    s = Ripples()
    m = s.local_minima()
    assert len(m) >= 9
    np.testing.assert_allclose(m[0], 0.0)
    np.testing.assert_allclose(s.grad(m), 0.0, atol=1e-9)
    for p in m[:5]:
        for d in np.eye(2):
            assert s.value(p + 1e-3 * d) > s.value(p) < s.value(p - 1e-3 * d)
    assert np.all(s.value(m[1:]) > s.value(m[0]))


def test_noisy_gradient_is_unbiased_with_variance_sigma2_over_batch():
    base = Quadratic2D(condition=4)
    w = np.tile([1.0, -2.0], (20000, 1))
    for batch in (1, 16):
        s = NoisyGradient(base, sigma=2.0, rng=np.random.default_rng(0), batch_size=batch)
        g = s.grad(w)
        se = 2.0 / np.sqrt(batch * len(w))  # standard error of the mean
        np.testing.assert_allclose(g.mean(axis=0), base.grad(w[0]), atol=5 * se)
        np.testing.assert_allclose(g.std(axis=0), 2.0 / np.sqrt(batch), rtol=0.03)
        np.testing.assert_array_equal(s.value(w[:3]), base.value(w[:3]))


def test_noisy_gradient_rejects_bad_arguments():
    with pytest.raises(TypeError, match="Generator"):
        NoisyGradient(Saddle(), 1.0, rng=0)
    with pytest.raises(ValueError, match="batch_size"):
        NoisyGradient(Saddle(), 1.0, np.random.default_rng(0), batch_size=0)
    with pytest.raises(ValueError, match="sigma"):
        NoisyGradient(Saddle(), -1.0, np.random.default_rng(0))


def test_descend_multiplies_error_by_one_minus_lr_l():
    s = Quadratic1D(L=4.0)
    for lr in (0.1, 0.375, 0.45):
        p = descend(s, SGD, start=[1.0], steps=10, lr=lr)
        np.testing.assert_allclose(p.points[1:, 0] / p.points[:-1, 0], 1 - lr * 4.0)
        assert p.points.shape == (11, 1) and p.losses.shape == (11,)


def test_descend_reaches_rosenbrock_minimum_with_adam():
    s = Rosenbrock()
    p = descend(s, Adam, steps=3000, lr=0.02)
    np.testing.assert_allclose(p.points[-1], s.minima[0], atol=1e-2)


def test_descend_runs_independent_starts_side_by_side():
    s = Saddle()
    starts = np.array([[1.0, 0.5], [-1.0, -0.5], [0.5, 0.0]])
    together = descend(s, Adam, starts, steps=20, lr=0.1)
    for i, st_ in enumerate(starts):
        alone = descend(s, Adam, st_, steps=20, lr=0.1)
        np.testing.assert_allclose(together.points[:, i], alone.points, rtol=1e-12)


def test_descend_stops_quietly_when_it_diverges():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = descend(Himmelblau(), SGD, steps=500, lr=0.1)
    assert p.diverged and p.message == f"diverged at step {p.diverged_at}"
    assert len(p.points) == p.diverged_at + 1
    q = descend(Quadratic1D(1.0), SGD, steps=500, lr=2.5, max_loss=1e6)
    assert q.diverged and q.losses[-1] > 1e6 and q.diverged_at < 30


@pytest.mark.parametrize(
    "lr,regime",
    [(0.1, "converging"), (0.25, "converging"), (0.3, "oscillating"),
     (0.5, "neutral"), (0.51, "diverging")],
)
def test_quadratic_regime_thresholds_at_one_and_two_over_l(lr, regime):
    assert quadratic_regime(lr, 4.0) == regime


def test_quadratic_regime_is_set_by_the_largest_curvature():
    assert quadratic_regime(0.5, [3.0, 0.1]) == "oscillating"
    assert quadratic_regime(0.7, [3.0, 0.1]) == "diverging"


def test_registry_builds_every_surface():
    for name, make in SURFACES.items():
        s = make()
        v, g = s.value_and_grad(s.start)
        assert np.isfinite(v) and g.shape == (s.dim,), name


def test_descend_steps_a_scheduler_after_each_update():
    from bpkit.optim import StepLR

    p = descend(Quadratic1D(1.0), SGD, start=[1.0], steps=4, lr=0.5,
                scheduler=lambda opt: StepLR(opt, step_size=2, gamma=0.0))
    # lr 0.5, 0.5, then 0: w = 1, 0.5, 0.25, 0.25, 0.25
    np.testing.assert_allclose(p.points[:, 0], [1, 0.5, 0.25, 0.25, 0.25])
