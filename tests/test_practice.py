"""bpkit.practice: dropout, L2, early stopping, freezing, accumulation, float16."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpkit.blocks import BatchNorm1d
from bpkit.gradcheck import numerical_grad, rel_error
from bpkit.layers import Linear, ReLU, Sequential, mlp
from bpkit.losses import softmax_cross_entropy
from bpkit.optim import SGD, Adam
from bpkit.practice import (
    FLOAT16_TINY, DynamicLossScaler, Dropout, EarlyStopping, OverfitModel,
    accumulated_gradient, activation_bytes, backward_trainable, digits_subsets,
    dropout_mlp, fit, freeze, full_batch_gradient, gradient_noise, half_gradients,
    input_condition_number, l2_penalty, lost_update_fraction, max_rel_difference,
    per_example_variance, standardize, trainable_parameters, underflow_count,
    unfreeze, weights_only,
)

SETTINGS = settings(max_examples=20, deadline=None)
shapes = st.tuples(st.integers(1, 6), st.integers(1, 6))


# ------------------------------------------------------------------ dropout
@SETTINGS
@given(shape=shapes, p=st.floats(0.05, 0.9), seed=st.integers(0, 2**32 - 1))
def test_dropout_backward_is_the_forward_mask(shape, p, seed):
    rng = np.random.default_rng(seed)
    x, dout = rng.standard_normal(shape), rng.standard_normal(shape)
    drop = Dropout(p, np.random.default_rng(seed + 1))
    out = drop(x)
    dx = drop.backward(dout)
    np.testing.assert_array_equal(dx, dout * drop.mask)
    dropped = drop.mask == 0
    assert np.all(out[dropped] == 0) and np.all(dx[dropped] == 0)
    np.testing.assert_allclose(drop.mask[~dropped], 1 / (1 - p))


@SETTINGS
@given(shape=shapes, p=st.floats(0.1, 0.8), seed=st.integers(0, 2**32 - 1))
def test_dropout_gradient_matches_finite_differences_with_the_mask_fixed(shape, p, seed):
    rng = np.random.default_rng(seed)
    x, c = rng.standard_normal(shape), rng.standard_normal(shape)
    drop = Dropout(p, np.random.default_rng(7))

    def f(z):
        drop.rng = np.random.default_rng(7)  # the same mask on every call
        return float(np.sum(c * drop(z)))

    f(x)
    analytic = drop.backward(c)
    np.testing.assert_allclose(numerical_grad(f, x.copy()), analytic, rtol=1e-7,
                               atol=1e-8)


def test_dropout_eval_mode_is_the_identity_both_ways():
    drop = Dropout(0.5, np.random.default_rng(0)).eval()
    x = np.arange(6.0).reshape(2, 3)
    assert drop(x) is x and drop.mask is None
    np.testing.assert_array_equal(drop.backward(np.ones((2, 3))), np.ones((2, 3)))


def test_dropout_keeps_the_mean_and_drops_about_p():
    drop = Dropout(0.3, np.random.default_rng(0))
    out = drop(np.ones((400, 500)))
    assert abs(out.mean() - 1) < 0.01
    assert abs((drop.mask == 0).mean() - 0.3) < 0.01


def test_dropout_draws_a_new_mask_each_forward():
    drop = Dropout(0.5, np.random.default_rng(0))
    drop(np.ones((4, 50)))
    first = drop.mask.copy()
    drop(np.ones((4, 50)))
    assert not np.array_equal(first, drop.mask)


def test_dropout_in_a_network_matches_torch_given_the_same_mask():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    net = Sequential(Linear(5, 8, rng), ReLU(), Dropout(0.4, rng), Linear(8, 3, rng))
    x, y = rng.standard_normal((6, 5)), rng.integers(0, 3, 6)
    _, d = softmax_cross_entropy(net(x), y)
    net.backward(d)
    mask = torch.tensor(net[2].mask)
    W1, b1, W2, b2 = (torch.tensor(p.data, requires_grad=True) for p in net.parameters())
    h = torch.relu(torch.tensor(x) @ W1 + b1) * mask
    loss = torch.nn.functional.cross_entropy(h @ W2 + b2, torch.tensor(y))
    loss.backward()
    for p, t in zip(net.parameters(), (W1, b1, W2, b2)):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("p", [-0.1, 1.0, float("nan"), "0.5"])
def test_dropout_refuses_a_bad_p(p):
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\)"):
        Dropout(p, np.random.default_rng(0))


def test_dropout_refuses_a_seed_for_an_rng_and_a_wrong_dout():
    with pytest.raises(TypeError, match="numpy Generator"):
        Dropout(0.5, 0)
    drop = Dropout(0.5, np.random.default_rng(0))
    drop(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"dout has shape \(3, 2\), expected \(2, 3\)"):
        drop.backward(np.ones((3, 2)))


# ------------------------------------------------------------------ L2
def test_l2_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    net = mlp([3, 4, 2], rng)
    params = weights_only(net.parameters())
    assert [p.name for p in params] == ["W", "W"]
    net.zero_grad()
    l2_penalty(params, 0.3)
    for p in params:
        num = numerical_grad(lambda _: l2_penalty(params, 0.3, add_grad=False), p.data)
        assert rel_error(num, p.grad) < 1e-8


def test_l2_term_with_sgd_equals_sgd_weight_decay_and_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    w0, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    a, b = Linear(3, 4, rng, bias=False), Linear(3, 4, rng, bias=False)
    a.W.data[...] = w0
    b.W.data[...] = w0
    a.W.grad[...] = g
    b.W.grad[...] = g
    l2_penalty([a.W], 0.1)
    SGD([a.W], lr=0.5).step()
    SGD([b.W], lr=0.5, weight_decay=0.1).step()
    t = torch.tensor(w0, requires_grad=True)
    t.grad = torch.tensor(g)
    torch.optim.SGD([t], lr=0.5, weight_decay=0.1).step()
    np.testing.assert_allclose(a.W.data, b.W.data, rtol=0, atol=1e-15)
    np.testing.assert_allclose(a.W.data, t.detach().numpy(), rtol=0, atol=1e-15)


def test_l2_refuses_a_negative_strength():
    with pytest.raises(ValueError, match="strength must be a finite number >= 0"):
        l2_penalty([], -1.0)


# ------------------------------------------------------------------ early stopping
def test_early_stopping_stops_after_patience_and_restores_the_best():
    rng = np.random.default_rng(0)
    lin = Linear(2, 2, rng)
    stop = EarlyStopping(patience=2)
    verdicts = []
    for k, loss in enumerate([3.0, 2.0, 2.5, 2.4]):
        lin.W.data[...] = k
        verdicts.append(stop.update(loss, lin.parameters()))
    assert verdicts == [False, False, False, True] and stop.best_epoch == 1
    stop.restore(lin.parameters())
    assert np.all(lin.W.data == 1)


def test_early_stopping_refuses_restore_before_update_and_bad_patience():
    with pytest.raises(RuntimeError, match="before any update"):
        EarlyStopping().restore([])
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(0)


def test_fit_with_patience_stops_and_ends_on_the_best_validation_loss():
    rng = np.random.default_rng(0)
    data = digits_subsets(60, rng)
    run = fit(dropout_mlp([64, 32, 10], rng), data, rng, 400, patience=5)
    assert run.done and run.stopped_at < 400
    from bpkit.practice import evaluate
    loss, _ = evaluate(run.net, data[2], data[3])
    assert loss == pytest.approx(min(run.history.val_loss), rel=1e-12)


# ------------------------------------------------------------------ freezing
def _net(rng):
    return mlp([4, 6, 5, 3], rng)


def test_frozen_layers_get_no_gradient_and_no_update_even_with_adam_decay():
    rng = np.random.default_rng(0)
    net = _net(rng)
    freeze(net[0])
    before = [p.data.copy() for p in net.parameters()]
    opt = Adam(net.parameters(), lr=0.1, weight_decay=0.1)
    x, y = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)
    for _ in range(3):
        opt.zero_grad()
        _, d = softmax_cross_entropy(net(x), y)
        net.backward(d)
        opt.step()
    assert all(np.all(p.grad == 0) for p in net[0].parameters())
    assert all(np.array_equal(b, p.data) for b, p in zip(before[:2], net.parameters()))
    assert not np.array_equal(before[2], net[2].W.data)
    assert trainable_parameters(net) == net.parameters()[2:]
    unfreeze(net[0])
    assert trainable_parameters(net) == net.parameters()


def test_backward_trainable_stops_at_the_head_with_the_same_head_gradient():
    rng = np.random.default_rng(0)
    net = _net(rng)
    x, y = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)
    _, d = softmax_cross_entropy(net(x), y)
    net.backward(d)
    full = [p.grad.copy() for p in net[4].parameters()]
    net.zero_grad()
    freeze(net[0])
    freeze(net[2])
    net(x)
    assert backward_trainable(net, d) == 1
    for p, g in zip(net[4].parameters(), full):
        np.testing.assert_array_equal(p.grad, g)
    unfreeze(net[0])
    net.zero_grad()
    net(x)
    assert backward_trainable(net, d) == 5
    with pytest.raises(TypeError, match="Sequential"):
        backward_trainable(net[0], d)


# ------------------------------------------------------------------ accumulation
@SETTINGS
@given(n=st.integers(2, 24), micro=st.integers(1, 24), seed=st.integers(0, 2**32 - 1))
def test_accumulated_gradient_equals_the_full_batch_to_1e12(n, micro, seed):
    rng = np.random.default_rng(seed)
    net = mlp([5, 7, 3], rng)
    X, y = rng.standard_normal((n, 5)), rng.integers(0, 3, n)
    full = full_batch_gradient(net, X, y)
    acc = accumulated_gradient(net, X, y, micro)
    assert max_rel_difference(acc, full) < 1e-12


def test_accumulation_with_batchnorm_differs_from_the_big_batch():
    rng = np.random.default_rng(0)
    net = Sequential(Linear(5, 8, rng), BatchNorm1d(8), ReLU(), Linear(8, 3, rng))
    X, y = rng.standard_normal((32, 5)), rng.integers(0, 3, 32)
    full = full_batch_gradient(net, X, y)
    assert max_rel_difference(accumulated_gradient(net, X, y, 32), full) < 1e-12
    assert max_rel_difference(accumulated_gradient(net, X, y, 8), full) > 1e-2


def test_accumulation_refuses_mismatched_rows():
    net = mlp([2, 3], np.random.default_rng(0))
    with pytest.raises(ValueError, match="X has 4 rows but y has 3"):
        accumulated_gradient(net, np.ones((4, 2)), np.zeros(3, int), 2)


# ------------------------------------------------------------------ batch size
def test_gradient_noise_follows_sigma2_over_b_times_finite_population():
    rng = np.random.default_rng(0)
    net = mlp([5, 8, 3], rng)
    X, y = rng.standard_normal((60, 5)), rng.integers(0, 3, 60)
    sizes = [1, 4, 15, 60]
    noise = gradient_noise(net, X, y, sizes, rng, draws=300)
    s2 = per_example_variance(net, X, y)
    theory = np.array([s2 / b * (60 - b) / 59 for b in sizes])
    assert noise[-1] < 1e-25
    np.testing.assert_allclose(noise[:3], theory[:3], rtol=0.2)


# ------------------------------------------------------------------ scaling
def test_standardize_uses_training_statistics():
    rng = np.random.default_rng(0)
    A, B = rng.normal(5, 3, (50, 4)), rng.normal(5, 3, (20, 4))
    A[:, 2] = 7.0
    a, b = standardize(A, B)
    np.testing.assert_allclose(a.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(a[:, [0, 1, 3]].std(0), 1)
    np.testing.assert_allclose(b, (B - A.mean(0)) / np.where(A.std(0) > 0, A.std(0), 1))


def test_condition_number_falls_when_features_are_standardised():
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (200, 3)) * [1, 10, 100] + 50
    (Z,) = standardize(X)
    assert input_condition_number(X) > 1e4 * input_condition_number(Z)
    assert input_condition_number(Z) == pytest.approx(1, abs=0.5)


# ------------------------------------------------------------------ float16
def _digits_net(epochs=0):
    rng = np.random.default_rng(0)
    data = digits_subsets(200, rng)
    net = dropout_mlp([64, 64, 10], rng)
    fit(net, data, rng, epochs)
    return net, data[0], data[1]


def test_half_gradients_match_float64_where_nothing_underflows():
    net, X, y = _digits_net()
    ref = full_batch_gradient(net, X, y)
    _, half = half_gradients(net, X, y, loss_scale=1024)
    for h, r in zip(half, ref):
        assert h.dtype == np.float32 and h.shape == r.shape
        assert np.linalg.norm(h - r) / np.linalg.norm(r) < 1e-2


def test_loss_scaling_recovers_underflowed_gradients_and_too_much_overflows():
    net, X, y = _digits_net(epochs=100)  # trained: small losses, small gradients
    ref = full_batch_gradient(net, X, y)
    _, plain = half_gradients(net, X, y)
    _, scaled = half_gradients(net, X, y, loss_scale=2.0**12)
    _, huge = half_gradients(net, X, y, loss_scale=2.0**30)
    lost, kept = underflow_count(plain, ref), underflow_count(scaled, ref)
    assert lost > 5 * max(kept, 1)
    assert not all(np.isfinite(g).all() for g in huge)
    tiny = sum(int(np.sum((np.abs(r) < FLOAT16_TINY / 2) & (r != 0))) for r in ref)
    assert lost >= tiny


def test_dynamic_loss_scaler_matches_torch_update_rule():
    torch = pytest.importorskip("torch")
    pattern = [False, False, True, False, False, False, True, True, False, False, False]
    ours = DynamicLossScaler(init_scale=1024.0, growth_interval=3)
    scale, tracker = torch.tensor([1024.0]), torch.tensor([0], dtype=torch.int32)
    for inf in pattern:
        took = ours.update(not inf)
        torch._amp_update_scale_(scale, tracker, torch.tensor([float(inf)]), 2.0, 0.5, 3)
        assert ours.scale == scale.item() and ours.good_steps == tracker.item()
        assert took is (not inf)
    assert ours.skipped == 3


def test_float16_halves_the_linear_inputs_kept_and_loses_small_updates():
    net = mlp([64, 32, 10], np.random.default_rng(0))
    b16, b32 = activation_bytes(net, 100, np.float16), activation_bytes(net, 100,
                                                                       np.float32)
    assert b32 - b16 == 100 * (64 + 32) * 2
    w = np.ones(1000)
    assert lost_update_fraction(w, np.full(1000, 1e-4)) == 1.0
    assert lost_update_fraction(w, np.full(1000, 1e-2)) == 0.0


def test_half_gradients_refuses_other_layers_and_bad_scales():
    rng = np.random.default_rng(0)
    net = Sequential(Linear(2, 2, rng), Dropout(0.5, rng))
    with pytest.raises(TypeError, match="layer 1 is a Dropout"):
        half_gradients(net, np.ones((1, 2)), np.zeros(1, int))
    with pytest.raises(ValueError, match="loss_scale"):
        half_gradients(mlp([2, 2], rng), np.ones((1, 2)), np.zeros(1, int), 0.0)


# ------------------------------------------------------------------ the app's model
def test_overfit_model_is_deterministic_and_stops_when_asked():
    a, b = OverfitModel(width=32, n_train=50), OverfitModel(width=32, n_train=50)
    assert a.step(3) == 3 and b.step(3) == 3
    assert a.run.history.val_loss == b.run.history.val_loss
    c = OverfitModel(width=32, n_train=50, early_stopping=True, max_epochs=400)
    while not c.finished:
        c.step(50)
    assert c.run.done and "restored" in c.message
    with pytest.raises(ValueError, match="n_train"):
        OverfitModel(n_train=5)
