"""What notebook 05's sentences rest on in the package, held outside the notebook.

nbval replays the notebook's own asserts; these tests hold the same claims when
the package changes under it: the 2/L rule near the minima of the widget's
surfaces, exercise 4's premise, the geometry of the Ripples surface, and the
LR range test's suggestion on the digits at the training batch size.
"""

from __future__ import annotations

import numpy as np
import pytest

from bpkit.data import load_digits, train_test_split
from bpkit.layers import Linear, ReLU, Sequential
from bpkit.learning_rate import LearningRateModel, hessian
from bpkit.losses import softmax_cross_entropy
from bpkit.optim import SGD, lr_range_test, train
from bpkit.surfaces import Beale, Himmelblau, Ripples, Rosenbrock, Saddle, descend


# ------------------------------------------------------- 2/L near a minimum
@pytest.mark.parametrize("surface", [Rosenbrock(), Beale(), Himmelblau(), Saddle()],
                         ids=lambda s: s.name)
@pytest.mark.parametrize("offset", [(0.01, 0.01), (0.01, -0.01)])
def test_near_a_minimum_gradient_descent_settles_below_2_over_L_and_not_above(
        surface, offset):
    # both offsets have a part along the steepest direction, the one 2/L governs
    m = surface.minima[0]
    L = np.linalg.eigvalsh(hessian(surface, m)).max()
    start = m + np.array(offset)
    gap = {f: np.linalg.norm(descend(surface, SGD, start, steps=500, lr=f * 2 / L)
                             .points[-1] - m) for f in (0.98, 1.02)}
    assert gap[0.98] < np.linalg.norm(start - m) < gap[1.02] < 1.0


def test_exercise_4_rosenbrock_diverges_below_its_2_over_L_from_its_start():
    model = LearningRateModel("Rosenbrock", lr=0.0019)
    closest = np.linalg.norm(model.path.points - model.surface.minima[0], axis=1).min()
    assert model.lr < model.critical_lr < 0.002
    assert model.path.diverged and model.path.diverged_at <= 10 and closest > 1
    assert "2/L = 0.001997" in model.message and "diverged at step" in model.message


# ------------------------------------------------------------------ Ripples
def test_ripples_crests_are_the_maxima_between_neighbouring_minima():
    r = Ripples()
    minima, crests = r.minima_1d(), r.ridges_1d()
    assert len(crests) == len(minima) - 1
    assert np.all((minima[:-1] < crests) & (crests < minima[1:]))
    slope = r.bowl * crests + r.amplitude * r.frequency * np.sin(r.frequency * crests)
    curvature = r.bowl + r.amplitude * r.frequency**2 * np.cos(r.frequency * crests)
    np.testing.assert_allclose(slope, 0, atol=1e-12)
    assert np.all(curvature < 0)


def test_ripples_basins_are_equally_wide_and_the_global_one_is_the_deepest():
    centres, widths, depths = Ripples().basins_1d()
    assert centres[np.argmax(depths)] == 0.0
    assert np.ptp(widths) < 0.03 * widths.mean()
    assert np.all(np.diff(depths[: len(depths) // 2 + 1]) > 0)  # deeper inwards


def test_ripples_basins_of_a_single_minimum_profile_are_empty():
    centres, widths, depths = Ripples(bowl=5.0).basins_1d()
    assert centres.size == widths.size == depths.size == 0


# ------------------------------------------- the LR range test on the digits
@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    X_train, _, y_train, _ = train_test_split(X, y, np.random.default_rng(0))
    return X_train, y_train


def _net():
    r = np.random.default_rng(0)
    return Sequential(Linear(64, 32, r), ReLU(), Linear(32, 10, r))


def _closure(net, X, y, rng, batch=8):
    def closure():
        idx = rng.integers(0, len(X), batch)
        loss, dlogits = softmax_cross_entropy(net(X[idx]), y[idx])
        net.backward(dlogits)
        return loss
    return closure


@pytest.mark.parametrize("order", [0, 1, 2])
def test_the_range_test_at_batch_8_suggests_an_lr_that_trains_at_batch_8(digits, order):
    X, y = digits
    net = _net()
    res = lr_range_test(_closure(net, X, y, np.random.default_rng(order)),
                        SGD(net.parameters(), lr=0.1), lr_min=1e-3, lr_max=10.0,
                        steps=200)
    assert 0.03 < res.suggested_lr < 0.2
    net = _net()
    run = train(_closure(net, X, y, np.random.default_rng(3)),
                SGD(net.parameters(), lr=res.suggested_lr), 1000)
    loss, _ = softmax_cross_entropy(net(X), y)
    assert not run.diverged and loss < 0.2
