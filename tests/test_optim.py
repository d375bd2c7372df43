"""bpkit.optim: update rules against hand computation and torch.optim, clipping,
the quiet training loop and the LR range test."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpkit.engine import Value
from bpkit.layers import Linear, Parameter, ReLU, Sequential
from bpkit.nn import MLP
from bpkit.optim import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    RMSprop,
    clip_grad_norm_,
    clip_grad_value_,
    lr_range_test,
    train,
)

# ------------------------------------------------------------------ references
# Straight from PyTorch's documented pseudo-code, one step at a time in
# float64, written independently of bpkit's code.


def ref_sgd(x, grads, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    x = x.copy()
    b = None
    for g in grads:
        g = g + weight_decay * x
        if momentum != 0:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        x = x - lr * g
    return x


def ref_adagrad(x, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                initial_accumulator_value=0.0, eps=1e-10):
    x = x.copy()
    s = np.full_like(x, initial_accumulator_value)
    for t, g in enumerate(grads, 1):
        clr = lr / (1 + (t - 1) * lr_decay)
        g = g + weight_decay * x
        s = s + g * g
        x = x - clr * g / (np.sqrt(s) + eps)
    return x


def ref_rmsprop(x, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                momentum=0.0, centered=False):
    x = x.copy()
    v = np.zeros_like(x)
    a = np.zeros_like(x)
    b = np.zeros_like(x)
    for g in grads:
        g = g + weight_decay * x
        v = alpha * v + (1 - alpha) * g**2
        vt = v
        if centered:
            a = alpha * a + (1 - alpha) * g
            vt = vt - a**2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(vt) + eps)
            x = x - lr * b
        else:
            x = x - lr * g / (np.sqrt(vt) + eps)
    return x


def ref_adam(x, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
             amsgrad=False, decoupled=False):
    x = x.copy()
    b1, b2 = betas
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    vmax = np.zeros_like(x)
    for t, g in enumerate(grads, 1):
        if decoupled:
            x = x - lr * weight_decay * x
        else:
            g = g + weight_decay * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        mhat = m / (1 - b1**t)
        if amsgrad:
            vmax = np.maximum(vmax, v)
            vhat = vmax / (1 - b2**t)
        else:
            vhat = v / (1 - b2**t)
        x = x - lr * mhat / (np.sqrt(vhat) + eps)
    return x


CASES = [
    (SGD, ref_sgd, dict(lr=0.1)),
    (SGD, ref_sgd, dict(lr=0.1, weight_decay=0.05)),
    (SGD, ref_sgd, dict(lr=0.05, momentum=0.9)),
    (SGD, ref_sgd, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    (SGD, ref_sgd, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.02)),
    (Adagrad, ref_adagrad, dict(lr=0.1)),
    (Adagrad, ref_adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1,
                                initial_accumulator_value=0.3)),
    (RMSprop, ref_rmsprop, dict(lr=0.01)),
    (RMSprop, ref_rmsprop, dict(lr=0.01, alpha=0.9, centered=True)),
    (RMSprop, ref_rmsprop, dict(lr=0.01, momentum=0.9, weight_decay=0.1)),
    (RMSprop, ref_rmsprop, dict(lr=0.01, momentum=0.5, centered=True, eps=1e-3)),
    (Adam, ref_adam, dict(lr=0.01)),
    (Adam, ref_adam, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    (Adam, ref_adam, dict(lr=0.01, amsgrad=True)),
    (AdamW, lambda x, gs, **kw: ref_adam(x, gs, decoupled=True, **kw),
     dict(lr=0.01, weight_decay=0.1)),
    (AdamW, lambda x, gs, **kw: ref_adam(x, gs, decoupled=True, **kw),
     dict(lr=0.01, weight_decay=0.3, amsgrad=True, betas=(0.5, 0.9))),
]
IDS = [f"{c.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for c, _, kw in CASES]


def run_bpkit(cls, x0, grads, **kw):
    p = Parameter(x0.copy())
    opt = cls([p], **kw)
    for g in grads:
        p.grad[...] = g
        opt.step()
    return p.data


# -------------------------------------------------------- against hand rules
@pytest.mark.parametrize("cls,ref,kw", CASES, ids=IDS)
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), steps=st.integers(1, 6))
def test_update_matches_documented_rule_in_float64(cls, ref, kw, seed, n, steps):
    r = np.random.default_rng(seed)
    x0 = r.uniform(-2, 2, n)
    grads = [r.uniform(-3, 3, n) for _ in range(steps)]
    np.testing.assert_allclose(run_bpkit(cls, x0, grads, **kw), ref(x0, grads, **kw),
                               rtol=1e-12, atol=1e-14)


def test_sgd_momentum_by_hand():
    # constant gradient 1, lr 0.1, momentum 0.9: buffers 1, 1.9, 2.71
    p = Parameter(np.array([0.0]))
    opt = SGD([p], lr=0.1, momentum=0.9)
    xs = []
    for _ in range(3):
        p.grad[...] = 1.0
        opt.step()
        xs.append(p.data[0])
    np.testing.assert_allclose(xs, [-0.1, -0.29, -0.561], rtol=1e-12)


def test_sgd_nesterov_by_hand():
    # g = 1: b1 = 1, step g + mu b = 1.9; b2 = 1.9, step 1 + 0.9 * 1.9 = 2.71
    p = Parameter(np.array([0.0]))
    opt = SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    for _ in range(2):
        p.grad[...] = 1.0
        opt.step()
    assert p.data[0] == pytest.approx(-0.1 * (1.9 + 2.71), rel=1e-12)


def test_sgd_dampening_skips_the_first_step_as_in_pytorch():
    p = Parameter(np.array([0.0]))
    opt = SGD([p], lr=1.0, momentum=0.5, dampening=0.5)
    p.grad[...] = 2.0
    opt.step()
    assert p.data[0] == pytest.approx(-2.0)  # b1 = g, not (1 - dampening) g
    opt.step()
    assert p.data[0] == pytest.approx(-2.0 - (0.5 * 2.0 + 0.5 * 2.0))


def test_adam_first_step_moves_each_weight_by_lr():
    # bias correction makes m^ = g, v^ = g^2: the first step is lr * g / |g|
    p = Parameter(np.array([1.0, 1.0, 1.0]))
    opt = Adam([p], lr=0.01)
    p.grad[...] = [1e-3, 5.0, -300.0]
    opt.step()
    np.testing.assert_allclose(p.data, [0.99, 0.99, 1.01], rtol=1e-6)


def test_adam_without_bias_correction_takes_oversized_first_step():
    p = Parameter(np.array([0.0]))
    opt = Adam([p], lr=0.01, bias_correction=False)
    p.grad[...] = 1.0
    opt.step()
    # m = 0.1, v = 0.001: step 0.1 / sqrt(0.001) = 3.16 lr
    assert p.data[0] == pytest.approx(-0.01 * 0.1 / math.sqrt(0.001), rel=1e-6)


def test_adamw_decays_weights_with_zero_gradient_geometrically():
    p = Parameter(np.array([2.0]))
    opt = AdamW([p], lr=0.1, weight_decay=0.5)
    for _ in range(3):
        p.grad[...] = 0.0
        opt.step()
    assert p.data[0] == pytest.approx(2.0 * 0.95**3, rel=1e-12)


def test_adagrad_step_shrinks_like_one_over_sqrt_t():
    p = Parameter(np.array([0.0]))
    opt = Adagrad([p], lr=1.0)
    steps = []
    for _ in range(4):
        before = p.data[0]
        p.grad[...] = 1.0
        opt.step()
        steps.append(before - p.data[0])
    np.testing.assert_allclose(steps, 1 / np.sqrt([1, 2, 3, 4]), rtol=1e-9)


# --------------------------------------------------------------- against torch
@pytest.mark.torch
@pytest.mark.parametrize("cls,ref,kw", CASES, ids=IDS)
def test_twenty_steps_match_torch_optim(cls, ref, kw):
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(7)
    shapes = [(3, 4), (4,), (2, 3, 2)]
    xs = [r.standard_normal(s) for s in shapes]
    grads = [[r.standard_normal(s) * 2 for s in shapes] for _ in range(20)]
    ours = [Parameter(x.copy()) for x in xs]
    theirs = [torch.nn.Parameter(torch.tensor(x.copy(), dtype=torch.float64)) for x in xs]
    opt = cls(ours, **kw)
    topt = getattr(torch.optim, cls.__name__)(theirs, **kw)
    for step_grads in grads:
        for p, t, g in zip(ours, theirs, step_grads):
            p.grad[...] = g
            t.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        topt.step()
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.torch
def test_param_groups_match_torch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(3)
    a, b = r.standard_normal(3), r.standard_normal(2)
    ours = [Parameter(a.copy()), Parameter(b.copy())]
    theirs = [torch.nn.Parameter(torch.tensor(v)) for v in (a, b)]
    opt = SGD([{"params": [ours[0]]}, {"params": [ours[1]], "lr": 0.5}], lr=0.1,
              momentum=0.9)
    topt = torch.optim.SGD([{"params": [theirs[0]]}, {"params": [theirs[1]], "lr": 0.5}],
                           lr=0.1, momentum=0.9)
    for _ in range(5):
        for p, t in zip(ours, theirs):
            g = r.standard_normal(p.shape)
            p.grad[...] = g
            t.grad = torch.tensor(g)
        opt.step()
        topt.step()
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-12)


# --------------------------------------------- scalars and arrays, one interface
@pytest.mark.parametrize("cls,ref,kw", CASES[::3], ids=IDS[::3])
def test_scalar_values_and_arrays_get_identical_updates(cls, ref, kw):
    r = np.random.default_rng(11)
    x0 = r.uniform(-1, 1, 5)
    grads = [r.uniform(-1, 1, 5) for _ in range(4)]
    vals = [Value(float(v)) for v in x0]
    opt = cls(vals, **kw)
    for g in grads:
        for v, gi in zip(vals, g):
            v.grad = float(gi)
        opt.step()
    assert all(type(v.data) is float for v in vals)
    np.testing.assert_allclose([v.data for v in vals], run_bpkit(cls, x0, grads, **kw),
                               rtol=1e-14)


def test_mixed_scalar_and_array_parameters_in_one_optimizer():
    a, v = Parameter(np.array([1.0, 2.0])), Value(3.0)
    opt = SGD([a, v], lr=0.5)
    a.grad[...] = [1.0, 1.0]
    v.grad = 2.0
    opt.step()
    np.testing.assert_allclose(a.data, [0.5, 1.5])
    assert v.data == 2.0 and type(v.data) is float


def test_arrays_are_updated_in_place_and_keep_dtype():
    p = Parameter(np.ones(3, dtype=np.float32))
    before = p.data
    opt = Adam([p], lr=0.1)
    p.grad[...] = 1.0
    opt.step()
    assert p.data is before
    assert p.data.dtype == np.float32
    assert opt.state_of(p)["exp_avg"].dtype == np.float32
    np.testing.assert_allclose(p.data, 0.9, rtol=1e-6)


def test_step_does_not_modify_the_gradient():
    p = Parameter(np.array([1.0, -1.0]))
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5, nesterov=True)
    p.grad[...] = [0.3, 0.4]
    opt.step()
    np.testing.assert_array_equal(p.grad, [0.3, 0.4])


def test_zero_grad_clears_arrays_in_place_and_scalars():
    a, v = Parameter(np.array([1.0])), Value(1.0)
    g = a.grad
    g[...] = 5.0
    v.grad = 5.0
    SGD([a, v], lr=0.1).zero_grad()
    assert a.grad is g and a.grad[0] == 0.0 and v.grad == 0.0


def test_state_of_reports_scalar_buffers_as_floats():
    vals = [Value(1.0), Value(2.0)]
    opt = SGD(vals, lr=0.1, momentum=0.9)
    vals[0].grad, vals[1].grad = 1.0, -3.0
    opt.step()
    assert opt.state_of(vals[1]) == {"momentum_buffer": -3.0}
    with pytest.raises(KeyError):
        opt.state_of(Value(0.0))


def test_lr_shortcut_sets_every_group():
    a, b = Parameter(np.zeros(1)), Parameter(np.zeros(1))
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert opt.lr == 0.1 and opt.param_groups[1]["lr"] == 0.5
    opt.lr = 0.2
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.2]


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "make,name",
    [
        (lambda p: SGD(p, lr=-0.1), "lr"),
        (lambda p: SGD(p, lr=float("nan")), "lr"),
        (lambda p: SGD(p, lr=0.1, momentum=-1), "momentum"),
        (lambda p: SGD(p, lr=0.1, weight_decay=-1e-3), "weight_decay"),
        (lambda p: SGD(p, lr=0.1, nesterov=True), "Nesterov"),
        (lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening"),
        (lambda p: Adagrad(p, lr_decay=-1), "lr_decay"),
        (lambda p: Adagrad(p, initial_accumulator_value=-1), "initial_accumulator_value"),
        (lambda p: Adagrad(p, eps=-1), "eps"),
        (lambda p: RMSprop(p, alpha=1.5), "alpha"),
        (lambda p: RMSprop(p, momentum=-0.5), "momentum"),
        (lambda p: Adam(p, betas=(1.0, 0.999)), r"betas\[0\]"),
        (lambda p: Adam(p, betas=(0.9, -0.1)), r"betas\[1\]"),
        (lambda p: Adam(p, betas=0.9), "betas"),
        (lambda p: Adam(p, eps=-1e-8), "eps"),
        (lambda p: AdamW(p, weight_decay=-0.01), "weight_decay"),
        (lambda p: Adam(p, lr=-1e-3), "lr"),
    ],
)
def test_invalid_hyperparameters_raise_naming_them(make, name):
    with pytest.raises(ValueError, match=name):
        make([Parameter(np.zeros(2))])


def test_empty_and_non_parameter_inputs_are_rejected():
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"\.data and \.grad"):
        SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(TypeError, match="unknown hyperparameter"):
        SGD([{"params": [Parameter(np.zeros(1))], "betas": (0.9, 0.9)}], lr=0.1)


def test_gradient_of_wrong_shape_is_reported():
    p = Parameter(np.zeros(3))
    p.grad = np.zeros(4)
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(4,\)"):
        SGD([p], lr=0.1).step()


# -------------------------------------------------------------------- clipping
def test_clip_grad_norm_scales_only_above_max_norm():
    a, b = Parameter(np.zeros(2)), Parameter(np.zeros(1))
    a.grad[...] = [3.0, 0.0]
    b.grad[...] = [4.0]
    total = clip_grad_norm_([a, b], max_norm=10.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_array_equal(a.grad, [3.0, 0.0])  # untouched
    total = clip_grad_norm_([a, b], max_norm=1.0)
    assert total == pytest.approx(5.0)  # the norm before clipping
    np.testing.assert_allclose(np.r_[a.grad, b.grad], [0.6, 0.0, 0.8], rtol=1e-5)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), max_norm=st.floats(0.01, 10.0))
def test_clip_grad_norm_keeps_direction_and_caps_length(seed, max_norm):
    r = np.random.default_rng(seed)
    ps = [Parameter(np.zeros(s)) for s in [(2, 3), (4,)]]
    for p in ps:
        p.grad[...] = r.standard_normal(p.shape) * r.uniform(0.01, 10)
    before = np.concatenate([p.grad.ravel() for p in ps])
    total = clip_grad_norm_(ps, max_norm)
    after = np.concatenate([p.grad.ravel() for p in ps])
    assert total == pytest.approx(np.linalg.norm(before))
    assert np.linalg.norm(after) <= max_norm * (1 + 1e-9)
    assert np.linalg.norm(after) == pytest.approx(min(total, max_norm), rel=1e-5)
    cos = after @ before / (np.linalg.norm(after) * np.linalg.norm(before))
    assert cos == pytest.approx(1.0)


def test_clip_grad_norm_inf_norm_and_scalar_values():
    vals = [Value(0.0), Value(0.0)]
    vals[0].grad, vals[1].grad = -6.0, 2.0
    total = clip_grad_norm_(vals, max_norm=3.0, norm_type=math.inf)
    assert total == 6.0
    assert vals[0].grad == pytest.approx(-3.0, rel=1e-6) and type(vals[0].grad) is float


def test_clip_grad_norm_nonfinite_raises_only_when_asked():
    p = Parameter(np.array([np.inf, 1.0]))
    p.grad[...] = [np.inf, 1.0]
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isinf(clip_grad_norm_([p], 1.0))


def test_clip_grad_value_clamps_each_entry():
    p, v = Parameter(np.zeros(3)), Value(0.0)
    p.grad[...] = [-5.0, 0.5, 7.0]
    v.grad = -2.0
    clip_grad_value_([p, v], 1.0)
    np.testing.assert_array_equal(p.grad, [-1.0, 0.5, 1.0])
    assert v.grad == -1.0


@pytest.mark.torch
def test_clipping_matches_torch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(5)
    gs = [r.standard_normal(s) * 3 for s in [(3, 2), (5,)]]
    for norm_type in (2.0, 1.0, math.inf):
        ours = [Parameter(np.zeros(g.shape)) for g in gs]
        for p, g in zip(ours, gs):
            p.grad[...] = g
        theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in gs]
        for t, g in zip(theirs, gs):
            t.grad = torch.tensor(g)
        total = clip_grad_norm_(ours, 2.0, norm_type=norm_type)
        ttotal = torch.nn.utils.clip_grad_norm_(theirs, 2.0, norm_type=norm_type)
        assert total == pytest.approx(float(ttotal), rel=1e-12)
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
    ours = [Parameter(np.zeros(g.shape)) for g in gs]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in gs]
    for p, t, g in zip(ours, theirs, gs):
        p.grad[...] = g
        t.grad = torch.tensor(g)
    clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())


# ------------------------------------------- one optimizer, two kinds of model
def _scalar_mlp_closure(model, X, y):
    def closure():
        loss = sum(((model(list(map(float, x))) - float(t)) ** 2 for x, t in zip(X, y)),
                   Value(0.0)) / len(X)
        loss.backward()
        return loss
    return closure


def _network_closure(net, X, y):
    def closure():
        out = net(X)  # (N, 1)
        d = out - y[:, None]
        net.backward(2 * d / len(X))
        return float(np.mean(d**2))
    return closure


@pytest.mark.parametrize("make", [lambda p: Adam(p, lr=0.02),
                                  lambda p: SGD(p, lr=0.05, momentum=0.9)])
def test_same_optimizer_trains_scalar_mlp_and_vectorised_network(make):
    r = np.random.default_rng(0)
    X = r.uniform(-1, 1, (16, 2))
    y = X[:, 0] * X[:, 1] + 0.5 * X[:, 0]
    mlp = MLP(2, [8, 1], rng=np.random.default_rng(1), activation="tanh")
    net = Sequential(Linear(2, 8, np.random.default_rng(1)), ReLU(),
                     Linear(8, 1, np.random.default_rng(2)))
    for model, closure in [(mlp, _scalar_mlp_closure(mlp, X, y)),
                           (net, _network_closure(net, X, y))]:
        res = train(closure, make(model.parameters()), 40)
        assert not res.diverged
        assert res.losses[-1] < 0.5 * res.losses[0]
    assert all(type(p.data) is float for p in mlp.parameters())


# ------------------------------------------------------ divergence, no warnings
def test_divergence_is_reported_without_numpy_warnings():
    w = Parameter(np.array([1.0, -1.0]))

    def closure():
        w.grad += 10.0 * w.data  # loss 5 |w|^2, curvature 10
        return 5.0 * float(np.sum(w.data**2))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = train(closure, SGD([w], lr=0.3), 10_000)  # lr > 2/L = 0.2
    assert res.diverged and res.message.startswith(f"diverged at step {res.diverged_at}")
    # |w| grows by |1 - 3| = 2 a step: 5 * 2 * 4**k overflows past 1.8e308 near k = 511
    assert 505 <= res.diverged_at <= 515
    assert len(res.losses) == res.diverged_at + 1 and not np.isfinite(res.losses[-1])


def test_divergent_network_is_reported_without_warnings():
    r = np.random.default_rng(0)
    X, y = r.standard_normal((32, 4)), r.standard_normal(32)
    net = Sequential(Linear(4, 16, r), ReLU(), Linear(16, 1, r))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = train(_network_closure(net, X, y), SGD(net.parameters(), lr=50.0), 500)
    assert res.diverged and "diverged at step" in str(res)


def test_divergent_scalar_engine_is_reported_not_raised():
    # Python floats raise OverflowError in ** where numpy gives inf
    w = Value(1.0)

    def closure():
        loss = (w * 3.0) ** 2
        loss.backward()
        return loss

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = train(closure, SGD([w], lr=1.0), 10_000)
    assert res.diverged and res.diverged_at < 400


def test_converging_run_reports_its_final_loss():
    w = Parameter(np.array([2.0]))

    def closure():
        w.grad += w.data
        return 0.5 * float(w.data[0] ** 2)

    res = train(closure, SGD([w], lr=0.5), 30)
    assert not res.diverged and len(res.losses) == 30 and len(res.lrs) == 30
    assert res.final_loss == pytest.approx(0.5 * 4 * 0.25**29)
    assert res.message == f"ran 30 steps, final loss {res.final_loss:.4g}"


def test_train_max_loss_counts_as_divergence_and_max_grad_norm_clips():
    w = Parameter(np.array([1.0]))

    def closure():
        w.grad += 100.0 * w.data
        return 50.0 * float(w.data[0] ** 2)

    res = train(closure, SGD([w], lr=0.1), 100, max_loss=1e6)
    assert res.diverged and res.losses[-1] > 1e6
    w.data[...] = 1.0
    res = train(closure, SGD([w], lr=0.1), 5, max_grad_norm=1.0)
    assert res.grad_norms[0] == pytest.approx(100.0)
    assert w.data[0] == pytest.approx(1.0 - 5 * 0.1, abs=1e-5)  # unit steps


def test_train_rejects_bad_steps():
    with pytest.raises(ValueError, match="steps"):
        train(lambda: 0.0, SGD([Parameter(np.zeros(1))], lr=0.1), -1)


# ------------------------------------------------------------- LR range test
def _quadratic_closure(w, L):
    def closure():
        w.grad += L * w.data
        return 0.5 * L * float(np.sum(w.data**2))
    return closure


def test_lr_range_test_suggests_a_stable_lr_and_restores_everything():
    w = Parameter(np.array([1.0, -0.5]))
    opt = SGD([w], lr=0.123, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = lr_range_test(_quadratic_closure(w, 4.0), opt, lr_min=1e-4, lr_max=10, steps=80)
    assert res.stopped_early  # the loss blew up past 2/L = 0.5
    assert res.lrs[-1] < 10
    assert 1e-3 < res.suggested_lr < 0.5  # below the 2/L edge
    assert res.min_loss_lr < 0.5 * 2
    np.testing.assert_array_equal(w.data, [1.0, -0.5])
    assert opt.lr == 0.123 and opt.state_of(w) == {}
    assert len(res.lrs) == len(res.losses) == len(res.smoothed)
    assert np.all(np.diff(np.log(res.lrs)) > 0)


def test_lr_range_test_rejects_bad_range():
    w = Parameter(np.zeros(1))
    with pytest.raises(ValueError, match="lr_min"):
        lr_range_test(_quadratic_closure(w, 1.0), SGD([w], lr=0.1), lr_min=1.0, lr_max=0.1)


def test_network_blowing_up_into_the_loss_check_counts_as_divergence():
    # bpkit.losses refuses non-finite logits with a ValueError: train reports it
    from bpkit.losses import softmax_cross_entropy

    r = np.random.default_rng(1)
    X, y = r.standard_normal((16, 3)) * 1e150, r.integers(0, 3, 16)
    net = Sequential(Linear(3, 8, r), ReLU(), Linear(8, 3, r))

    def closure():
        loss, d = softmax_cross_entropy(net(X), y)
        net.backward(d)
        return loss

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = train(closure, SGD(net.parameters(), lr=1e3), 50)
    assert res.diverged and res.message.startswith("diverged at step")


def test_other_value_errors_from_the_closure_are_not_swallowed():
    def closure():
        raise ValueError("x has shape (3,), expected (N, 4)")

    with pytest.raises(ValueError, match="expected"):
        train(closure, SGD([Parameter(np.zeros(1))], lr=0.1), 3)


# ------------------------------------------------- a learner's slips, named
def _quadratic(rng):
    from bpkit.layers import Parameter

    w = Parameter(rng.standard_normal(3))

    def closure():
        w.grad += 2 * w.data
        return float(np.sum(w.data**2))

    return w, closure


def test_a_closure_that_forgets_to_return_the_loss_is_named_not_called_divergence(rng):
    w, _ = _quadratic(rng)

    def forgot():
        w.grad += 2 * w.data  # ... and no `return loss`

    with pytest.raises(TypeError, match="returned None.*return loss"):
        train(forgot, SGD([w], lr=0.1), steps=5)


@pytest.mark.parametrize("bad, match", [
    (lambda: "0.5", "returned a string"),
    (lambda: np.ones(3), r"array of shape \(3,\), expected the loss as one number"),
    (lambda: {"loss": 1.0}, "returned a dict"),
])
def test_a_closure_returning_something_else_than_a_loss_is_named(rng, bad, match):
    w, _ = _quadratic(rng)
    with pytest.raises((TypeError, ValueError), match=match):
        train(bad, SGD([w], lr=0.1), steps=2)


def test_train_names_a_closure_or_optimizer_of_the_wrong_kind(rng):
    w, closure = _quadratic(rng)
    with pytest.raises(TypeError, match="closure must be a function"):
        train(1.0, SGD([w], lr=0.1), steps=2)
    with pytest.raises(TypeError, match="optimizer must be a bpkit.optim optimizer"):
        train(closure, [w], steps=2)
    with pytest.raises(ValueError, match="steps must be an integer >= 0, got 2.5"):
        train(closure, SGD([w], lr=0.1), steps=2.5)


def test_lr_range_test_restores_the_model_even_when_the_closure_raises(rng):
    w, closure = _quadratic(rng)
    opt = SGD([w], lr=0.01, momentum=0.9)
    before = w.data.copy()
    calls = {"n": 0}

    def breaks_later():
        calls["n"] += 1
        if calls["n"] == 10:
            raise RuntimeError("the data loader ran dry")
        return closure()

    with pytest.raises(RuntimeError, match="ran dry"):
        lr_range_test(breaks_later, opt, steps=50)
    np.testing.assert_array_equal(w.data, before)
    assert opt.param_groups[0]["lr"] == 0.01
    assert all(not s.state for slots in opt._slots for s in slots)
