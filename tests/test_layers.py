"""Vectorised layers: every backward against central differences, every error named."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bpkit.gradcheck import numerical_grad
from bpkit.layers import (
    ACTIVATIONS,
    LeakyReLU,
    Layer,
    Linear,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    mlp,
    sigmoid,
)
from bpkit.nn import MLP
from bpkit.scalar_bridge import from_scalar_mlp
from strategies import arrays, linear_cases

FAST = settings(max_examples=30, deadline=None)


def assert_grad_close(numerical: np.ndarray, analytic: np.ndarray) -> None:
    np.testing.assert_allclose(analytic, numerical, rtol=1e-5, atol=1e-7)


def numerical_wrt(loss, arr: np.ndarray) -> np.ndarray:
    return numerical_grad(lambda _: loss(), arr)


# ------------------------------------------------------------------ Linear
@FAST
@given(linear_cases())
def test_linear_backward_matches_central_differences_for_x_W_and_b(case):
    x, dout, seed, h = case
    layer = Linear(x.shape[1], h, np.random.default_rng(seed))
    layer.b.data[...] = np.random.default_rng(seed + 1).uniform(-1, 1, h)

    def loss():  # L = sum(y * dout), so dL/dy = dout
        return float(np.sum(layer.forward(x) * dout))

    layer.forward(x)
    dx = layer.backward(dout)
    assert dx.shape == x.shape
    assert_grad_close(numerical_wrt(loss, x), dx)
    assert_grad_close(numerical_wrt(loss, layer.W.data), layer.W.grad)
    assert_grad_close(numerical_wrt(loss, layer.b.data), layer.b.grad)


def test_linear_gradients_are_the_shape_formulas(rng):
    layer = Linear(4, 3, rng)
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    layer.forward(x)
    dx = layer.backward(dout)
    np.testing.assert_array_equal(layer.W.grad, x.T @ dout)
    np.testing.assert_array_equal(layer.b.grad, dout.sum(axis=0))
    np.testing.assert_array_equal(dx, dout @ layer.W.data.T)


def test_linear_without_bias_has_one_parameter_and_no_offset(rng):
    layer = Linear(3, 2, rng, bias=False)
    assert layer.parameters() == [layer.W]
    np.testing.assert_array_equal(layer(np.zeros((4, 3))), np.zeros((4, 2)))


def test_gradients_accumulate_until_zero_grad(rng):
    layer = Linear(3, 2, rng)
    x, dout = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer.forward(x)
    layer.backward(dout)
    once = layer.W.grad.copy()
    layer.backward(dout)
    np.testing.assert_allclose(layer.W.grad, 2 * once)
    layer.zero_grad()
    assert not layer.W.grad.any() and not layer.b.grad.any()


def test_skipping_the_input_gradient_leaves_parameter_grads_unchanged(rng):
    net = mlp([4, 6, 3], rng)
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    net.forward(x)
    dx = net.backward(dout)
    full = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()
    net.forward(x)
    assert net.backward(dout, input_grad=False) is None
    for g, p in zip(full, net.parameters()):
        np.testing.assert_array_equal(p.grad, g)
    assert dx.shape == x.shape


# ------------------------------------------------------------- activations
def _away_from_zero(x: np.ndarray) -> np.ndarray:
    """Push entries at least 0.01 from the kink at 0 (central differences straddle it)."""
    return x + np.where(x >= 0, 0.01, -0.01)


@FAST
@given(
    st.sampled_from([ReLU, lambda: LeakyReLU(0.1), Tanh, Sigmoid]),
    st.tuples(st.integers(1, 4), st.integers(1, 5)).flatmap(lambda s: arrays(s)),
    st.integers(0, 2**32 - 1),
)
def test_activation_backward_matches_central_differences(make, x, seed):
    layer = make()
    x = _away_from_zero(x)
    dout = np.random.default_rng(seed).uniform(-2, 2, x.shape)

    def loss():
        return float(np.sum(layer.forward(x) * dout))

    layer.forward(x)
    dx = layer.backward(dout)
    assert_grad_close(numerical_wrt(loss, x), dx)


def test_relu_derivative_at_zero_is_zero_as_in_pytorch():
    layer = ReLU()
    layer.forward(np.array([[-1.0, 0.0, 2.0]]))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])


def test_leaky_relu_passes_slope_times_gradient_for_negative_inputs():
    layer = LeakyReLU(0.2)
    out = layer.forward(np.array([[-2.0, 3.0]]))
    np.testing.assert_allclose(out, [[-0.4, 3.0]])
    np.testing.assert_allclose(layer.backward(np.ones((1, 2))), [[0.2, 1.0]])


@pytest.mark.parametrize("slope", [-0.1, float("nan"), float("inf")])
def test_leaky_relu_rejects_a_bad_slope(slope):
    with pytest.raises(ValueError, match="slope"):
        LeakyReLU(slope)


def test_sigmoid_and_tanh_are_finite_and_silent_at_plus_minus_1000():
    x = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]])
    s = sigmoid(x)  # RuntimeWarnings are errors in this test suite
    np.testing.assert_allclose(s[0, [0, 2, 4]], [0.0, 0.5, 1.0])
    for layer in (Sigmoid(), Tanh()):
        out = layer.forward(x)
        dx = layer.backward(np.ones_like(x))
        assert np.isfinite(out).all() and np.isfinite(dx).all()
        assert dx[0, 0] == 0.0 and dx[0, -1] == 0.0


def test_sigmoid_matches_the_textbook_formula_where_that_is_safe(rng):
    x = rng.uniform(-20, 20, (7, 3))
    np.testing.assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-14)


# ------------------------------------------------------------- Sequential
@FAST
@given(
    st.lists(st.integers(1, 5), min_size=2, max_size=4),
    st.sampled_from(sorted(ACTIVATIONS)),
    st.integers(1, 5),
    st.integers(0, 2**32 - 1),
)
def test_sequential_backward_matches_central_differences(sizes, act, n, seed):
    rng = np.random.default_rng(seed)
    net = mlp(sizes, rng, activation=act)
    for p in net.parameters():  # non-zero biases, so every path is exercised
        p.data[...] = rng.uniform(-1, 1, p.shape)
    x = rng.uniform(-2, 2, (n, sizes[0]))
    dout = rng.uniform(-1, 1, (n, sizes[-1]))
    # central differences are only exact away from ReLU kinks
    h = x
    for layer in net:
        if isinstance(layer, (ReLU, LeakyReLU)):
            assume(np.abs(h).min() > 1e-4)
        h = layer.forward(h)

    def loss():
        return float(np.sum(net.forward(x) * dout))

    net.zero_grad()
    net.forward(x)
    dx = net.backward(dout)
    assert_grad_close(numerical_wrt(loss, x), dx)
    for p in net.parameters():
        assert_grad_close(numerical_wrt(loss, p.data), p.grad)


def test_sequential_backward_runs_layers_in_reverse_order():
    calls = []

    class Spy(Layer):
        def __init__(self, name):
            self.name = name

        def forward(self, x):
            calls.append(("f", self.name))
            return x

        def backward(self, dout):
            calls.append(("b", self.name))
            return dout

    net = Sequential(Spy("a"), Spy("b"))
    net.backward(net.forward(np.ones((1, 1))))
    assert calls == [("f", "a"), ("f", "b"), ("b", "b"), ("b", "a")]


def test_sequential_collects_parameters_and_propagates_train_eval(rng):
    net = Sequential([Linear(2, 3, rng), ReLU(), Sequential(Linear(3, 1, rng))])
    assert len(net.parameters()) == 4
    assert len(net) == 3 and isinstance(net[1], ReLU)
    net.eval()
    assert not net[2][0].training and not net[1].training
    net.train()
    assert net[2][0].training


def test_sequential_rejects_something_that_is_not_a_layer(rng):
    with pytest.raises(TypeError, match="layer 1 is a ufunc, not a Layer"):
        Sequential(Linear(2, 2, rng), np.tanh)


def test_mlp_builds_linear_and_activation_layers_with_a_linear_readout(rng):
    net = mlp([2, 8, 8, 3], rng, activation="tanh")
    kinds = [type(layer).__name__ for layer in net]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert net(np.zeros((5, 2))).shape == (5, 3)


def test_mlp_default_init_follows_the_activation():
    # Xavier-uniform bound sqrt(6 / (fan_in + fan_out)); He-uniform sqrt(6 / fan_in)
    wide = [400, 400, 1]
    t = mlp(wide, np.random.default_rng(0), activation="tanh")[0].W.data
    r = mlp(wide, np.random.default_rng(0), activation="relu")[0].W.data
    assert np.abs(t).max() <= np.sqrt(6 / 800) < np.abs(r).max() <= np.sqrt(6 / 400)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(sizes=[3]), "at least an input and an output"),
        (dict(sizes=[3, 2], activation="gelu"), "unknown activation 'gelu'"),
    ],
)
def test_mlp_rejects_bad_arguments(kwargs, match, rng):
    with pytest.raises(ValueError, match=match):
        mlp(rng=rng, **kwargs)


# ------------------------------------------------------------ bad inputs
def test_linear_names_expected_and_received_shapes(rng):
    layer = Linear(4, 3, rng)
    with pytest.raises(ValueError, match=r"x has shape \(32, 5\), expected \(N, 4\)"):
        layer(np.zeros((32, 5)))
    with pytest.raises(ValueError, match=r"shape \(4,\).*batch axis: x\[None, :\]"):
        layer(np.zeros(4))
    with pytest.raises(ValueError, match=r"shape \(2, 3, 4\)"):
        layer(np.zeros((2, 3, 4)))


def test_backward_names_a_wrong_dout_shape_instead_of_broadcasting(rng):
    layer = Linear(4, 3, rng)
    layer(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"dout has shape \(3,\), expected \(5, 3\)"):
        layer.backward(np.zeros(3))  # would broadcast silently into b.grad
    act = Tanh()
    act(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"Tanh.backward: dout has shape \(1, 3\)"):
        act.backward(np.zeros((1, 3)))


@pytest.mark.parametrize("make", [lambda r: Linear(2, 2, r), lambda r: ReLU(),
                                  lambda r: Sigmoid()])
def test_backward_before_forward_is_a_clear_error(make, rng):
    with pytest.raises(RuntimeError, match="backward called before forward"):
        make(rng).backward(np.zeros((1, 2)))


@pytest.mark.parametrize(
    "args, kwargs, err, match",
    [
        ((0, 3), {}, ValueError, "in_features must be a positive integer"),
        ((3, 2.5), {}, ValueError, "out_features must be a positive integer"),
        ((3, 2), dict(dtype=np.float16), ValueError, "float32 or float64"),
        ((3, 2), dict(init="glorot"), ValueError, "unknown init 'glorot'"),
        ((3, 2), dict(init=lambda s, r: np.zeros((2, 3))), ValueError,
         r"init returned shape \(2, 3\), expected \(3, 2\)"),
    ],
)
def test_linear_rejects_bad_construction_arguments(args, kwargs, err, match, rng):
    with pytest.raises(err, match=match):
        Linear(*args, rng=rng, **kwargs)


def test_linear_needs_a_generator_for_its_weights():
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        Linear(2, 2, rng=0)


def test_non_numeric_input_is_a_type_error(rng):
    with pytest.raises(TypeError, match="expected a numeric array"):
        Linear(1, 1, rng)(np.array([["a"]]))


def test_integer_input_is_accepted_as_float(rng):
    layer = Linear(2, 1, rng)
    np.testing.assert_array_equal(layer(np.array([[1, 2]])), layer(np.array([[1.0, 2.0]])))


def test_nan_in_the_input_propagates_as_nan_without_a_warning(rng):
    net = mlp([3, 4, 2], rng)
    x = np.zeros((2, 3))
    x[0, 1] = np.nan
    out = net(x)
    assert np.isnan(out[0]).all()  # documented: NaN in, NaN out (ReLU too)
    assert np.isfinite(out[1]).all()


def test_parameter_rejects_integer_data():
    with pytest.raises(TypeError, match="float array"):
        Parameter(np.arange(3))


# ------------------------------------------------------------------ dtype
def test_float64_is_the_default(rng):
    net = mlp([3, 4, 2], rng)
    assert all(p.data.dtype == np.float64 for p in net.parameters())


def test_float32_network_stays_float32_when_fed_float64(rng):
    net = mlp([3, 4, 2], rng, activation="sigmoid", dtype=np.float32)
    x = rng.standard_normal((5, 3))  # float64
    out = net(x)
    assert out.dtype == np.float32
    dx = net.backward(np.ones((5, 2)))  # float64 dout too
    assert dx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in net.parameters())
    assert all(p.data.dtype == np.float32 for p in net.parameters())


@pytest.mark.parametrize("make", [ReLU, LeakyReLU, Tanh, Sigmoid])
def test_activations_keep_float32(make):
    layer = make()
    out = layer(np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3))
    assert out.dtype == np.float32
    assert layer.backward(np.ones((2, 3))).dtype == np.float32


# ----------------------------------------------------- scalar MLP -> matrices
def test_from_scalar_mlp_computes_the_same_outputs(rng):
    scalar = MLP(3, [4, 2], rng=rng, activation="tanh")
    net = from_scalar_mlp(scalar)
    x = rng.standard_normal((5, 3))
    expected = np.array([[v.data for v in scalar(list(row))] for row in x])
    np.testing.assert_allclose(net(x), expected, rtol=1e-14)


def test_repr_shows_the_architecture(rng):
    text = repr(mlp([2, 3, 1], rng, dtype=np.float32))
    assert "Linear(2, 3, dtype=float32)" in text and "(1) ReLU()" in text


# ------------------------------------------------------------------ torch
@pytest.mark.torch
def test_linear_and_relu_gradients_match_torch(rng):
    torch = pytest.importorskip("torch")
    net = mlp([5, 7, 3], rng, activation="relu")
    x = rng.standard_normal((4, 5))
    dout = rng.standard_normal((4, 3))
    net.forward(x)
    dx = net.backward(dout)

    tx = torch.tensor(x, requires_grad=True)
    tW = [torch.tensor(p.data, requires_grad=True) for p in net.parameters()]
    h = torch.relu(tx @ tW[0] + tW[1]) @ tW[2] + tW[3]
    h.backward(torch.tensor(dout))
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    for p, t in zip(net.parameters(), tW):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_input_grad_false_with_a_non_linear_first_layer_still_fills_grads(rng):
    net = Sequential(Tanh(), Linear(3, 2, rng))
    x = rng.standard_normal((4, 3))
    net.forward(x)
    assert net.backward(np.ones((4, 2)), input_grad=False) is None
    np.testing.assert_allclose(net[1].W.grad, np.tanh(x).T @ np.ones((4, 2)))
