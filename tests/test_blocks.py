"""BatchNorm1d, Residual, deep_mlp: forward semantics, backward vs central differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpkit.blocks import INITS, BatchNorm1d, Residual, deep_mlp
from bpkit.gradcheck import numerical_grad
from bpkit.layers import ACTIVATIONS, Layer, Linear, ReLU, Sequential, Sigmoid, Tanh

from strategies import arrays

SETTINGS = settings(max_examples=30, deadline=None)


def _close(analytic: np.ndarray, numeric: np.ndarray, rtol: float) -> None:
    # atol: central differences at eps=1e-6 carry ~1e-10 of rounding, so a tiny
    # gradient entry (BatchNorm's dx for N = 2 is ~1e-6) is compared absolutely
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=1e-8)


def _check_grads(layer: Layer, x: np.ndarray, seed: int, tol: float = 1e-6) -> None:
    """dL/dx and every dL/dparam of L = sum(layer(x) * g) against central differences."""
    g = np.random.default_rng(seed).standard_normal(layer.forward(x).shape)

    def loss(_=None):
        return float(np.sum(layer.forward(x) * g))

    layer.zero_grad()
    layer.forward(x)
    dx = layer.backward(g)
    _close(dx, numerical_grad(loss, x), tol)
    for p in layer.parameters():
        analytic = p.grad.copy()
        _close(analytic, numerical_grad(loss, p.data), tol)


# ------------------------------------------------------------------ BatchNorm1d
@SETTINGS
@given(n=st.integers(2, 6), d=st.integers(1, 5), seed=st.integers(0, 2**31),
       data=st.data())
def test_batchnorm_train_backward_matches_central_differences(n, d, seed, data):
    x = data.draw(arrays((n, d)))
    # rows that nearly coincide make the batch variance ~0: finite differences
    # then measure the eps floor, not the layer; keep a spread of at least 0.1
    x[:, np.ptp(x, axis=0) < 0.1] += np.linspace(0, 1, n)[:, None]
    bn = BatchNorm1d(d)
    rng = np.random.default_rng(seed)
    bn.gamma.data[:] = rng.uniform(0.5, 2, d)
    bn.beta.data[:] = rng.uniform(-1, 1, d)
    _check_grads(bn, x, seed)


@SETTINGS
@given(n=st.integers(1, 5), d=st.integers(1, 5), seed=st.integers(0, 2**31),
       data=st.data())
def test_batchnorm_eval_backward_matches_central_differences(n, d, seed, data):
    x = data.draw(arrays((n, d)))
    bn = BatchNorm1d(d).eval()
    rng = np.random.default_rng(seed)
    bn.running_mean[:] = rng.uniform(-1, 1, d)
    bn.running_var[:] = rng.uniform(0.5, 2, d)
    bn.gamma.data[:] = rng.uniform(0.5, 2, d)
    _check_grads(bn, x, seed)


def test_batchnorm_train_output_has_zero_mean_unit_std_then_gamma_beta(rng):
    x = 5 + 3 * rng.standard_normal((64, 4))
    bn = BatchNorm1d(4, eps=1e-12)
    y = bn.forward(x)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), 1, rtol=1e-9)
    bn.gamma.data[:] = [1, 2, 3, 4]
    bn.beta.data[:] = [-1, 0, 1, 2]
    y = bn.forward(x)
    np.testing.assert_allclose(y.mean(axis=0), [-1, 0, 1, 2], atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), [1, 2, 3, 4], rtol=1e-9)


def test_batchnorm_running_statistics_follow_momentum_with_unbiased_variance(rng):
    bn = BatchNorm1d(3, momentum=0.25)
    x1, x2 = rng.standard_normal((8, 3)), 2 + rng.standard_normal((8, 3))
    bn.forward(x1)
    bn.forward(x2)
    mean = 0.75 * (0.75 * 0 + 0.25 * x1.mean(0)) + 0.25 * x2.mean(0)
    var = 0.75 * (0.75 * 1 + 0.25 * x1.var(0, ddof=1)) + 0.25 * x2.var(0, ddof=1)
    np.testing.assert_allclose(bn.running_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, var, rtol=1e-12)


def test_batchnorm_eval_uses_running_statistics_and_leaves_them_alone(rng):
    bn = BatchNorm1d(2)
    bn.running_mean[:] = [1.0, -2.0]
    bn.running_var[:] = [4.0, 0.25]
    bn.eval()
    x = rng.standard_normal((5, 2))
    y = bn.forward(x)
    np.testing.assert_allclose(y, (x - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5))
    np.testing.assert_array_equal(bn.running_mean, [1.0, -2.0])
    # one example at a time gives the same rows: no dependence on the batch
    np.testing.assert_allclose(bn.forward(x[:1]), y[:1])


def test_batchnorm_follows_train_and_eval_of_an_enclosing_sequential(rng):
    bn = BatchNorm1d(3)
    net = Sequential(Linear(2, 3, rng), Residual(Sequential(bn, Tanh())))
    net.eval()
    assert bn.training is False
    net.train()
    assert bn.training is True


def test_batchnorm_grads_accumulate_across_backward_calls(rng):
    bn = BatchNorm1d(3)
    x, g = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    bn.forward(x)
    bn.backward(g)
    once = bn.gamma.grad.copy(), bn.beta.grad.copy()
    bn.backward(g)
    np.testing.assert_allclose(bn.gamma.grad, 2 * once[0])
    np.testing.assert_allclose(bn.beta.grad, 2 * once[1])


def test_batchnorm_bad_inputs_name_expected_and_received_shapes(rng):
    bn = BatchNorm1d(4)
    with pytest.raises(ValueError, match=r"x has shape \(3, 5\), expected \(N, 4\)"):
        bn.forward(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="N >= 2"):
        bn.forward(np.zeros((1, 4)))
    with pytest.raises(RuntimeError, match="before forward"):
        BatchNorm1d(4).backward(np.zeros((3, 4)))
    bn.forward(rng.standard_normal((3, 4)))
    with pytest.raises(ValueError, match=r"dout has shape \(3, 2\), expected \(3, 4\)"):
        bn.backward(np.zeros((3, 2)))
    for bad in (dict(num_features=0), dict(num_features=2, eps=0.0),
                dict(num_features=2, momentum=1.5), dict(num_features=2, dtype=np.int32)):
        with pytest.raises(ValueError):
            BatchNorm1d(**bad)


def test_batchnorm_float32_stays_float32(rng):
    bn = BatchNorm1d(3, dtype=np.float32)
    y = bn.forward(rng.standard_normal((4, 3)))
    assert y.dtype == np.float32
    assert bn.backward(np.ones((4, 3), np.float32)).dtype == np.float32


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_float32_is_not_upcast_by_a_float64_dout(training, rng):
    bn = BatchNorm1d(3, dtype=np.float32).train(training)
    bn.forward(rng.standard_normal((4, 3)))
    dx = bn.backward(rng.standard_normal((4, 3)))  # float64, as from a float64 loss
    assert dx.dtype == np.float32
    assert bn.gamma.grad.dtype == bn.beta.grad.dtype == np.float32


def test_batchnorm_parameters_are_gamma_and_beta_not_running_stats():
    bn = BatchNorm1d(3)
    assert [p.name for p in bn.parameters()] == ["gamma", "beta"]


@pytest.mark.torch
def test_batchnorm_matches_torch_forward_backward_and_running_stats(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((7, 4))
    g = rng.standard_normal((7, 4))
    bn = BatchNorm1d(4, momentum=0.2)
    ref = torch.nn.BatchNorm1d(4, momentum=0.2, dtype=torch.float64)
    for _ in range(3):
        y = bn.forward(x)
        xt = torch.tensor(x, requires_grad=True)
        yt = ref(xt)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    bn.zero_grad()
    dx = bn.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(bn.gamma.grad, ref.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(bn.beta.grad, ref.bias.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(bn.running_mean, ref.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, ref.running_var.numpy(), rtol=1e-12)
    ref.eval()
    bn.eval()
    np.testing.assert_allclose(bn.forward(x), ref(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ Residual
@SETTINGS
@given(n=st.integers(1, 4), d=st.integers(1, 4), h=st.integers(1, 5),
       seed=st.integers(0, 2**31),
       data=st.data())
def test_residual_backward_matches_central_differences(n, d, h, seed, data):
    x = data.draw(arrays((n, d)))
    rng = np.random.default_rng(seed)
    block = Residual(Sequential(Linear(d, h, rng), Tanh(), Linear(h, d, rng)))
    for p in block.parameters():
        p.data[...] = rng.uniform(-1, 1, p.shape)
    _check_grads(block, x, seed)


@SETTINGS
@given(n=st.integers(2, 5), d=st.integers(1, 4), seed=st.integers(0, 2**31),
       data=st.data())
def test_residual_with_batchnorm_inside_matches_central_differences(n, d, seed, data):
    x = data.draw(arrays((n, d)))
    x[:, np.ptp(x, axis=0) < 0.1] += np.linspace(0, 1, n)[:, None]
    rng = np.random.default_rng(seed)
    lin = Linear(d, d, rng, init="xavier_normal")
    block = Residual(Sequential(lin, BatchNorm1d(d), Sigmoid()))
    # a batch-normalised linear map of a near-degenerate batch is ill-conditioned:
    # check where it is not (x @ W keeps a spread per feature)
    if np.ptp(block.inner[0].forward(x), axis=0).min() < 0.1:
        return
    _check_grads(block, x, seed, tol=1e-5)


def test_residual_adds_its_input_to_the_inner_output(rng):
    inner = Sequential(Linear(3, 3, rng), ReLU())
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(Residual(inner).forward(x), x + inner.forward(x))


def test_residual_passes_the_gradient_unchanged_when_the_inner_one_vanishes(rng):
    lin = Linear(3, 3, rng)
    lin.W.data[:] = 0  # the inner block's dL/dx is exactly 0
    block = Residual(Sequential(lin, Sigmoid()))
    block.forward(rng.standard_normal((5, 3)))
    g = rng.standard_normal((5, 3))
    np.testing.assert_array_equal(block.backward(g), g)


def test_residual_exposes_inner_parameters_and_children(rng):
    inner = Sequential(Linear(3, 3, rng), Tanh())
    block = Residual(inner)
    assert block.parameters() == inner.parameters()
    assert block.children() == [inner]
    assert isinstance(block, Layer)


def test_residual_rejects_an_inner_block_that_changes_the_shape(rng):
    block = Residual(Linear(3, 2, rng))
    with pytest.raises(ValueError, match=r"maps shape \(4, 3\) to \(4, 2\)"):
        block.forward(np.zeros((4, 3)))
    with pytest.raises(TypeError, match="not a Layer"):
        Residual(lambda x: x)


# ------------------------------------------------------------------ deep_mlp
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("init", list(INITS))
def test_deep_mlp_builds_depth_hidden_layers_and_a_readout(activation, init, rng):
    net = deep_mlp(2, 8, 3, 5, rng, activation, init)
    linears = [layer for layer in net if isinstance(layer, Linear)]
    assert len(linears) == 6
    assert net.forward(rng.standard_normal((4, 2))).shape == (4, 3)


def test_deep_mlp_wraps_width_to_width_layers_in_residual_blocks(rng):
    net = deep_mlp(2, 8, 3, 4, rng, "tanh", "xavier", batchnorm=True, residual=True)
    kinds = [type(layer).__name__ for layer in net]
    assert kinds == ["Linear", "BatchNorm1d", "Tanh"] + ["Residual"] * 3 + ["Linear"]
    square = deep_mlp(8, 8, 3, 4, rng, "tanh", "xavier", residual=True)
    assert [type(layer).__name__ for layer in square] == ["Residual"] * 4 + ["Linear"]


def test_deep_mlp_init_sets_the_weight_scale(rng):
    for init, std in (("normal_1", 1.0), ("normal_0.01", 0.01), ("he", np.sqrt(2 / 256)),
                      ("xavier", np.sqrt(2 / 512))):
        net = deep_mlp(256, 256, 256, 2, np.random.default_rng(0), "relu", init)
        assert net[0].W.data.std() == pytest.approx(std, rel=0.02), init


def test_deep_mlp_rejects_unknown_choices(rng):
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        deep_mlp(2, 4, 2, 3, rng, activation="gelu")
    with pytest.raises(ValueError, match="unknown init 'orthogonal'"):
        deep_mlp(2, 4, 2, 3, rng, init="orthogonal")
    with pytest.raises(ValueError, match="depth"):
        deep_mlp(2, 4, 2, 0, rng)
