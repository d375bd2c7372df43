"""gradient_flow on networks whose per-layer gradients are known in closed form."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpkit.blocks import BatchNorm1d, Residual, deep_mlp
from bpkit.diagnostics import SATURATION, FlowReport, flatten, gradient_flow
from bpkit.layers import LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from bpkit.losses import softmax_cross_entropy

SETTINGS = settings(max_examples=40, deadline=None)


def scaled_identity_chain(n: int, depth: int, scale: float) -> Sequential:
    """depth Linear(n, n) layers with W = scale * I and b = 0: y = scale^depth x."""
    layers = []
    for _ in range(depth):
        lin = Linear(n, n, np.random.default_rng(0))
        lin.W.data[:] = scale * np.eye(n)
        layers.append(lin)
    return Sequential(*layers)


@SETTINGS
@given(n=st.integers(1, 6), depth=st.integers(1, 10), scale=st.floats(0.25, 4.0),
       batch=st.integers(1, 5), seed=st.integers(0, 2**31))
def test_scaled_identity_chain_gradients_are_exactly_scale_to_the_depth(
        n, depth, scale, batch, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, n))
    g = rng.standard_normal((batch, n))
    net = scaled_identity_chain(n, depth, scale)
    r = gradient_flow(net, x, dout=g, lr=0.1)
    g_norm = np.linalg.norm(g)
    # dL/d(output of layer i) = scale^(depth - 1 - i) g, and dL/dx = scale^depth g
    expected = g_norm * scale ** (depth - 1 - np.arange(depth))
    np.testing.assert_allclose(r.column("grad_norm"), expected, rtol=1e-12)
    assert r.input_grad_norm == pytest.approx(g_norm * scale**depth, rel=1e-12)
    # dW_i = (scale^i x)^T (scale^(depth-1-i) g): the same for every layer
    dw = scale ** (depth - 1) * np.linalg.norm(x.T @ g)
    np.testing.assert_allclose(r.column("weight_grad_norm"), dw, rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(r.column("weight_norm"), scale * np.sqrt(n), rtol=1e-12)
    np.testing.assert_allclose(r.column("update_ratio"), 0.1 * dw / (scale * np.sqrt(n)),
                               rtol=1e-10, atol=1e-300)
    # outputs: layer i holds scale^(i+1) x
    np.testing.assert_allclose(r.column("mean"), scale ** np.arange(1, depth + 1) * x.mean())


@pytest.mark.parametrize("depth", [1, 5, 10])
@pytest.mark.parametrize("w", [0.5, 1.0, 4.0])
def test_sigmoid_chain_at_zero_pre_activation_shrinks_by_a_quarter_w_per_layer(depth, w):
    # h_l = sigmoid(w h_{l-1} + b): b = 0 for x = 0, then b = -w/2 for h = 1/2,
    # so every pre-activation is 0 and every local derivative is sigmoid'(0) = 1/4
    layers = []
    for l in range(depth):
        lin = Linear(1, 1, np.random.default_rng(0))
        lin.W.data[:] = w
        lin.b.data[:] = 0.0 if l == 0 else -w / 2
        layers += [lin, Sigmoid()]
    r = gradient_flow(Sequential(*layers), np.zeros((1, 1)), dout=np.ones((1, 1)))
    sig = r.column("grad_norm", ("Sigmoid",))
    np.testing.assert_allclose(sig, (0.25 * w) ** (depth - 1 - np.arange(depth)), rtol=1e-12)
    assert r.input_grad_norm == pytest.approx((0.25 * w) ** depth, rel=1e-12)


def test_default_starting_gradient_is_ones_over_the_batch(rng):
    net = scaled_identity_chain(3, 2, 2.0)
    r = gradient_flow(net, rng.standard_normal((4, 3)))
    assert r[-1].grad_norm == pytest.approx(np.linalg.norm(np.ones((4, 3)) / 4))


def test_grads_left_behind_equal_those_of_sequential_backward(rng):
    net = deep_mlp(3, 6, 2, 4, rng, "tanh", "xavier", batchnorm=True, residual=True)
    x, g = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    net.zero_grad()
    net.forward(x)
    dx = net.backward(g)
    expected = [p.grad.copy() for p in net.parameters()]
    r = gradient_flow(net, x, dout=g)
    for p, e in zip(net.parameters(), expected):
        np.testing.assert_allclose(p.grad, e, rtol=1e-12)
    assert r.input_grad_norm == pytest.approx(np.linalg.norm(dx), rel=1e-12)


def test_gradients_are_zeroed_first_so_two_calls_agree(rng):
    net = deep_mlp(3, 5, 2, 3, rng, "relu", "he")
    x = rng.standard_normal((4, 3))
    first = gradient_flow(net, x).column("weight_grad_norm")
    second = gradient_flow(net, x).column("weight_grad_norm")
    np.testing.assert_array_equal(first, second)


def test_loss_function_supplies_the_gradient_and_the_loss_value(rng):
    net = deep_mlp(3, 5, 4, 3, rng, "relu", "he")
    x, y = rng.standard_normal((6, 3)), rng.integers(0, 4, 6)
    loss, dlogits = softmax_cross_entropy(net.forward(x), y)
    r = gradient_flow(net, x, loss=lambda z: softmax_cross_entropy(z, y))
    assert r.loss == pytest.approx(loss)
    assert r[-1].grad_norm == pytest.approx(np.linalg.norm(dlogits))
    assert gradient_flow(net, x, dout=dlogits).column("grad_norm") == pytest.approx(
        r.column("grad_norm"))


def test_mean_and_std_are_those_of_each_output(rng):
    net = deep_mlp(3, 5, 2, 3, rng, "tanh", "xavier")
    x = rng.standard_normal((7, 3))
    r = gradient_flow(net, x)
    h = x
    for s, layer in zip(r, net):
        h = layer.forward(h)
        assert s.mean == pytest.approx(h.mean()) and s.std == pytest.approx(h.std())
        np.testing.assert_array_equal(r.outputs[s.index], h)


def test_saturated_and_dead_count_flat_entries_and_flat_units():
    # column 0 saturated for every example, column 1 for one of two, column 2 never
    z = np.array([[20.0, -20.0, 0.1], [-20.0, 0.0, -0.1]])
    for act in (Sigmoid(), Tanh()):
        r = gradient_flow(Sequential(act), z)
        assert r[0].saturated == pytest.approx(3 / 6)
        assert r[0].dead == pytest.approx(1 / 3)
    relu_in = np.array([[-1.0, 2.0, 0.5], [-3.0, -2.0, 0.5]])
    for act in (ReLU(), LeakyReLU(0.1)):
        r = gradient_flow(Sequential(act), relu_in)
        assert r[0].saturated == pytest.approx(3 / 6)  # entries with x <= 0
        assert r[0].dead == pytest.approx(1 / 3)  # column 0: negative for all


def test_saturation_threshold_is_the_documented_one():
    just_in = np.log(SATURATION / (1 - SATURATION)) - 1e-6  # sigmoid = 0.99 - tiny
    r = gradient_flow(Sequential(Sigmoid()), np.array([[just_in, just_in + 2e-6]]))
    assert r[0].saturated == pytest.approx(0.5)


def test_non_activations_report_nan_flatness_and_weightless_units_nan_weights(rng):
    net = Sequential(Linear(3, 4, rng), BatchNorm1d(4), ReLU(), Linear(4, 2, rng))
    r = gradient_flow(net, rng.standard_normal((5, 3)))
    assert np.isnan(r[0].saturated) and np.isnan(r[1].dead)
    assert np.isnan(r[1].weight_norm)  # BatchNorm's gamma is 1-D: not a weight matrix
    assert np.isnan(r[2].weight_grad_norm) and np.isnan(r[2].update_ratio)
    assert [s.kind for s in r.weighted()] == ["Linear", "Linear"]


def test_nested_sequentials_are_opened_and_residual_blocks_are_one_unit(rng):
    inner = Sequential(Linear(4, 4, rng), Tanh())
    net = Sequential(Sequential(Linear(3, 4, rng), ReLU()), Residual(inner), Linear(4, 2, rng))
    assert [type(u).__name__ for u in flatten(net)] == ["Linear", "ReLU", "Residual", "Linear"]
    r = gradient_flow(net, rng.standard_normal((5, 3)))
    assert len(r) == 4
    assert r[2].weight_grad_norm == pytest.approx(np.linalg.norm(inner[0].W.grad))


def test_sigmoid_with_small_init_vanishes_and_he_relu_does_not(rng):
    x = rng.standard_normal((64, 32))
    vanish = gradient_flow(deep_mlp(32, 32, 10, 10, np.random.default_rng(0), "sigmoid",
                                    "normal_0.01"), x)
    flow = gradient_flow(deep_mlp(32, 32, 10, 10, np.random.default_rng(0), "relu", "he"), x)
    v = vanish.column("grad_norm", ("Sigmoid",))
    f = flow.column("grad_norm", ("ReLU",))
    assert v[0] / v[-1] < 1e-15
    assert 0.2 < f[0] / f[-1] < 5


def test_report_column_select_and_table(rng):
    r = gradient_flow(deep_mlp(3, 4, 2, 2, rng, "relu", "he"), rng.standard_normal((3, 3)))
    assert isinstance(r, FlowReport)
    assert r.column("grad_norm", (ReLU,)).shape == (2,)
    assert [s.kind for s in r.select("ReLU", Linear)] == ["Linear", "ReLU"] * 2 + ["Linear"]
    lines = r.table().splitlines()
    assert len(lines) == 1 + len(r) and "ReLU" in lines[2]
    with pytest.raises(ValueError, match="unknown field 'grad'"):
        r.column("grad")


def test_bad_calls_raise_clear_errors(rng):
    net = deep_mlp(3, 4, 2, 2, rng)
    x = rng.standard_normal((5, 3))
    with pytest.raises(TypeError, match="expected a Sequential"):
        gradient_flow(Linear(3, 2, rng), x)
    with pytest.raises(ValueError, match="either dout or loss"):
        gradient_flow(net, x, dout=np.zeros((5, 2)), loss=lambda z: (0.0, z))
    with pytest.raises(ValueError, match=r"dout has shape \(5, 3\), expected .*\(5, 2\)"):
        gradient_flow(net, x, dout=np.zeros((5, 3)))


def test_exploding_network_reports_finite_norms_without_warnings():
    # pytest turns RuntimeWarnings into errors: no overflow in any statistic
    net = deep_mlp(64, 64, 10, 50, np.random.default_rng(0), "relu", "normal_1")
    r = gradient_flow(net, np.random.default_rng(1).standard_normal((32, 64)))
    assert np.all(np.isfinite(r.column("grad_norm")))
    assert r.input_grad_norm / r[-1].grad_norm > 1e30
