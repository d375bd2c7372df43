"""Notebook 06's facts about momentum and Nesterov, at more settings than it shows.

On a quadratic with curvatures L >= mu: gradient descent's best fixed lr is
2 / (L + mu) with factor (kappa - 1) / (kappa + 1); heavy ball, tuned, reaches
(sqrt kappa - 1) / (sqrt kappa + 1); it is stable for lr < 2 (1 + momentum) / L.
PyTorch's Nesterov (optim.SGD(nesterov=True)) is the textbook look-ahead method
written at the look-ahead point.
"""

import numpy as np
import pytest

from bpkit.optim import SGD, gd_best_step, heavy_ball_best, measured_rate
from bpkit.surfaces import Beale, Quadratic2D, Rosenbrock, descend


@pytest.mark.parametrize("condition,angle", [(10, 0), (50, 30), (200, 70)])
def test_gd_at_two_over_L_plus_mu_shrinks_by_kappa_minus_1_over_kappa_plus_1(condition,
                                                                             angle):
    bowl = Quadratic2D(condition, angle=angle, L=2.0)
    L, mu = bowl.curvatures
    lr, rate = gd_best_step(L, mu)
    assert lr == pytest.approx(2 / (L + mu)) and rate == pytest.approx(
        (condition - 1) / (condition + 1))
    # both eigen-coordinates are multiplied by +-rate: the distance shrinks exactly so
    path = descend(bowl, SGD, None, 60, lr=lr)
    assert measured_rate(path.points) == pytest.approx(rate, rel=1e-9)


@pytest.mark.parametrize("condition", [10, 50])
def test_no_fixed_lr_beats_two_over_L_plus_mu(condition):
    bowl = Quadratic2D(condition, angle=30)
    L, mu = bowl.curvatures
    best_lr, best_rate = gd_best_step(L, mu)
    lrs = best_lr * np.linspace(0.8, 1.1, 31)
    rates = [measured_rate(descend(bowl, SGD, None, 300, lr=lr).points) for lr in lrs]
    assert abs(lrs[int(np.argmin(rates))] - best_lr) <= 0.01 * best_lr
    assert min(rates) >= best_rate - 1e-4


@pytest.mark.parametrize("condition", [10, 50, 200])
def test_tuned_heavy_ball_reaches_sqrt_kappa_rate_and_beats_gd(condition):
    bowl = Quadratic2D(condition, angle=30)
    L, mu = bowl.curvatures
    lr, momentum, rate = heavy_ball_best(L, mu)
    k = np.sqrt(condition)
    assert rate == pytest.approx((k - 1) / (k + 1))
    assert momentum == pytest.approx(rate**2)
    path = descend(bowl, SGD, None, 400, lr=lr, momentum=momentum)
    measured = measured_rate(path.points)
    # a double root: the distance falls like t * rate^t, a little slower than rate^t
    assert rate <= measured < rate * 1.01
    assert measured < gd_best_step(L, mu)[1]
    # nearby settings are no faster
    for f, dm in [(0.95, 0.0), (1.0, 0.05), (1.0, -0.05), (0.95, 0.05)]:
        other = descend(bowl, SGD, None, 400, lr=lr * f, momentum=momentum + dm)
        assert measured_rate(other.points) > measured


@pytest.mark.parametrize("L", [0.5, 4.0])
@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_heavy_ball_is_stable_below_two_times_one_plus_momentum_over_L(L, momentum):
    bowl = Quadratic2D(1, L=L)  # a round bowl: every direction has curvature L
    edge = 2 * (1 + momentum) / L
    below = descend(bowl, SGD, None, 3000, lr=0.99 * edge, momentum=momentum)
    above = descend(bowl, SGD, None, 3000, max_loss=1e6, lr=1.01 * edge,
                    momentum=momentum)
    assert measured_rate(below.points) < 1 and above.diverged


def _textbook_nesterov(surface, lr, momentum, steps):
    """v <- momentum v - lr grad(w + momentum v); w <- w + v.

    Returns the iterates w and the look-ahead points w + momentum v."""
    w, v = surface.start.astype(float), np.zeros(2)
    ws, looks = [w.copy()], [w.copy()]
    for _ in range(steps):
        v = momentum * v - lr * surface.grad(w + momentum * v)
        w = w + v
        ws.append(w.copy())
        looks.append(w + momentum * v)
    return np.array(ws), np.array(looks)


@pytest.mark.parametrize("surface,lr,momentum", [
    (Rosenbrock(), 1e-3, 0.9), (Rosenbrock(), 5e-4, 0.5), (Beale(), 3e-3, 0.9),
    (Quadratic2D(50, angle=30), 0.5, 0.8)])
def test_pytorch_nesterov_iterates_are_the_textbook_look_ahead_points(surface, lr,
                                                                      momentum):
    torch_form = descend(surface, SGD, None, 100, lr=lr, momentum=momentum,
                         nesterov=True).points
    ws, looks = _textbook_nesterov(surface, lr, momentum, 100)
    np.testing.assert_allclose(torch_form, looks, rtol=1e-10, atol=1e-12)
    assert np.abs(torch_form - ws).max() > 1e-3  # not the textbook w itself


def test_measured_rate_refuses_paths_it_cannot_read():
    with pytest.raises(ValueError, match="at least 3"):
        measured_rate(np.ones((2, 2)))
    with pytest.raises(ValueError, match="no rate"):
        measured_rate(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="curvature mu"):
        gd_best_step(1.0, 2.0)
    with pytest.raises(ValueError, match="curvature L"):
        heavy_ball_best(-1.0, 0.1)
