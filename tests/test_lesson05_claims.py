"""What notebook 05's sentences rest on in the package, held outside the notebook.

nbval replays the notebook's own asserts; these tests hold the same claims when
the package changes under it: the 2/L rule near the minima of the widget's
surfaces, exercise 4's premise, the geometry of the Ripples surface and its
basins, the LR range test's suggestion on the digits at the training batch size,
what rescues a too-large peak lr, and that the notebook's cells can be re-run in
any order (no name means two things).
"""

from __future__ import annotations

import ast
import builtins
import json
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from bpkit.data import load_digits, train_test_split
from bpkit.layers import Linear, ReLU, Sequential
from bpkit.learning_rate import LearningRateModel, hessian
from bpkit.losses import softmax_cross_entropy
from bpkit.optim import SGD, CosineAnnealingLR, LinearWarmup, lr_range_test, train
from bpkit.surfaces import Beale, Himmelblau, Ripples, Rosenbrock, Saddle, descend

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "05_learning_rate.ipynb"


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


def test_ripples_basins_are_boxes_between_crests_numbered_from_the_centre():
    r = Ripples()
    m, crests = r.minima_1d(), r.ridges_1d()
    k = len(m) // 2                               # the index of the minimum at 0
    np.testing.assert_array_equal(r.basin(np.c_[m, m[::-1]]),
                                  np.c_[np.arange(len(m)) - k, k - np.arange(len(m))])
    just = 1e-9
    assert np.all(r.basin(np.c_[crests - just, crests - just])[:, 0]
                  == np.arange(len(crests)) - k)
    assert np.all(r.basin(np.c_[crests + just, crests + just])[:, 0]
                  == np.arange(len(crests)) - k + 1)


def test_ripples_crests_lie_beyond_halfway_so_nearest_minimum_misplaces_points():
    r = Ripples()
    m, crests = r.minima_1d(), r.ridges_1d()
    halfway = (m[1:] + m[:-1]) / 2
    assert np.all(np.abs(crests) > np.abs(halfway))
    between = np.c_[(halfway + crests) / 2, np.zeros(len(crests))]  # past halfway
    nearest = np.argmin(np.abs(between[:, :1] - m[None]), axis=1)
    assert np.all(nearest != r.basin(between)[:, 0] + len(m) // 2)


def test_plain_descent_below_one_over_l_never_steps_over_a_crest():
    # lr times the profile's largest curvature < 1: each coordinate's step is an
    # increasing map that keeps every crest in place, so no run changes basin
    r = Ripples()
    lr = 0.2
    assert lr * (r.bowl + r.amplitude * r.frequency**2) < 1
    crests = r.ridges_1d()
    rng = np.random.default_rng(0)
    near = crests[rng.integers(0, len(crests), (400, 2))]
    near = near + rng.normal(0, 0.05, near.shape)  # right next to a crest
    starts = np.vstack([rng.uniform(-9, 9, (400, 2)), near])
    path = descend(r, SGD, starts, steps=300, lr=lr)
    np.testing.assert_array_equal(r.basin(path.points[-1]), r.basin(starts))


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


# -------------------------------- a too-large peak lr: decay, not warm-up
def _schedule(name, opt, steps=1000):
    warm = steps // 10
    cosine = CosineAnnealingLR(opt, T_max=steps - (warm if "warm" in name else 0))
    if name == "cosine":
        return cosine
    if name == "warm-up + constant":
        return LinearWarmup(opt, warm, start_factor=0.01)
    return LinearWarmup(opt, warm, after=cosine, start_factor=0.01)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_at_peak_lr_1_the_decay_not_the_warm_up_rescues_a_batch_8_run(digits, seed):
    X, y = digits
    end = {}
    with threadpool_limits(1, user_api="blas"):  # small matrices: one thread is faster
        for name in ("cosine", "warm-up + constant"):
            net = _net()
            opt = SGD(net.parameters(), lr=1.0)
            train(_closure(net, X, y, np.random.default_rng(seed)), opt, 1000,
                  scheduler=_schedule(name, opt))
            end[name] = softmax_cross_entropy(net(X), y)[0]
    # seeds 3, 4, 5: cosine 0.58, 0.65, 0.21; warm-up alone 2.34, 2.24, 1.55
    assert end["cosine"] < 1.0 and end["warm-up + constant"] > 2 * end["cosine"]


# -------------------------------- cells re-run in any order: one meaning per name
_SCOPES = (ast.FunctionDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
           ast.GeneratorExp)


def _free(node: ast.AST) -> tuple[set[str], set[str]]:
    """(names bound in this scope, names read in it or in nested scopes but not
    bound there)."""
    stores, loads = set(), set()
    if isinstance(node, (ast.FunctionDef, ast.Lambda)):
        a = node.args
        stores.update(x.arg for x in a.posonlyargs + a.args + a.kwonlyargs)
        stores.update(x.arg for x in (a.vararg, a.kwarg) if x)
    body = node.body if isinstance(node, ast.FunctionDef) else [node]
    if isinstance(node, ast.Lambda):
        body = [node.body]
    todo = list(body) if not isinstance(node, (ast.Module,)) else list(node.body)
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        todo = list(ast.iter_child_nodes(node))
    while todo:
        n = todo.pop()
        if isinstance(n, _SCOPES) and n is not node:
            if isinstance(n, ast.FunctionDef):
                stores.add(n.name)
                todo.extend(n.decorator_list + n.args.defaults)
            inner_stores, inner_loads = _free(n)
            loads |= inner_loads - inner_stores
            continue
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            stores.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif isinstance(n, ast.Name):
            (stores if isinstance(n.ctx, (ast.Store, ast.Del)) else loads).add(n.id)
        todo.extend(ast.iter_child_nodes(n))
    return stores, loads


def _names(code: str) -> tuple[set[str], set[str]]:
    """(names the cell binds at its top level, names it reads from elsewhere)."""
    stores, loads = _free(ast.parse(code))
    return stores, loads - stores


def test_notebook_05_gives_every_name_read_across_cells_one_meaning():
    # a name a cell reads from another cell must be bound by one cell only:
    # otherwise re-running the reader after the other binder changes what it reads
    cells = [("".join(c["source"]), i)
             for i, c in enumerate(json.loads(NOTEBOOK.read_text())["cells"])
             if c["cell_type"] == "code"]
    bound: dict[str, list[int]] = {}
    reads: dict[int, set[str]] = {}
    for code, i in cells:
        stores, loads = _names(code)
        for name in stores:
            bound.setdefault(name, []).append(i)
        reads[i] = loads - stores - set(dir(builtins))
    for i, names in reads.items():
        for name in names:
            assert name in bound, f"cell {i} reads {name!r}, which no cell binds"
            assert len(bound[name]) == 1, (
                f"cell {i} reads {name!r}, which cells {bound[name]} all bind")
