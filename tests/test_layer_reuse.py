"""One layer instance at several places in one graph: gradients still exact.

PyTorch lets a module be used twice; so does bpkit, through containers that keep
one cache per position. A layer called directly keeps its last call only, and says
so when asked to backpropagate an earlier call, instead of a silently wrong answer.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpkit.blocks import BatchNorm1d, Residual
from bpkit.diagnostics import gradient_flow
from bpkit.gradcheck import numerical_grad
from bpkit.layers import Layer, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh

FAST = settings(max_examples=25, deadline=None)


def _check_against_central_differences(net: Layer, x: np.ndarray, rng) -> None:
    dout = rng.uniform(-1, 1, net.forward(x).shape)

    def loss(_=None) -> float:
        return float(np.sum(net.forward(x) * dout))

    net.zero_grad()
    net.forward(x)
    dx = net.backward(dout)
    np.testing.assert_allclose(dx, numerical_grad(loss, x), rtol=1e-5, atol=1e-7)
    for p in net.parameters():
        # a shared parameter is listed once; its grad holds both uses
        np.testing.assert_allclose(p.grad, numerical_grad(loss, p.data),
                                   rtol=1e-5, atol=1e-7)


def _away_from_kinks(x: np.ndarray) -> np.ndarray:
    """Inputs whose ReLU pre-activations stay away from 0, where differences fail."""
    return np.where(np.abs(x) < 0.05, 0.05 * np.sign(x) + 0.05 * (x == 0), x)


ACTS = [Tanh, Sigmoid, lambda: LeakyReLU(0.1)]


@FAST
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(1, 5),
       st.sampled_from(range(len(ACTS))))
def test_one_activation_at_two_depths_matches_central_differences(seed, n, d, a):
    rng = np.random.default_rng(seed)
    act = ACTS[a]()
    net = Sequential(Linear(d, 4, rng), act, Linear(4, 3, rng), act, Linear(3, 2, rng))
    _check_against_central_differences(net, rng.uniform(-2, 2, (n, d)), rng)


@FAST
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(1, 5))
def test_one_linear_applied_twice_matches_central_differences(seed, n, d):
    rng = np.random.default_rng(seed)
    lin = Linear(d, d, rng)
    lin.b.data[...] = rng.uniform(-1, 1, d)
    net = Sequential(lin, Tanh(), lin)
    _check_against_central_differences(net, rng.uniform(-2, 2, (n, d)), rng)


def test_a_reused_relu_matches_central_differences_away_from_its_kink(rng):
    relu = ReLU()
    net = Sequential(Linear(3, 3, rng), relu, Linear(3, 3, rng), relu)
    x = rng.uniform(-2, 2, (5, 3))
    h1 = net[0].forward(x)
    h2 = net[2].forward(np.maximum(h1, 0))
    assert min(np.abs(h1).min(), np.abs(h2).min()) > 1e-3  # no kink within eps
    _check_against_central_differences(net, x, rng)


def test_a_reused_block_nested_sequentials_and_residuals_match(rng):
    block = Sequential(Linear(3, 3, rng), Tanh())
    res = Residual(Sequential(Linear(3, 3, rng), Sigmoid()))
    net = Sequential(block, res, block, res, Linear(3, 2, rng))
    _check_against_central_differences(net, rng.uniform(-2, 2, (4, 3)), rng)


def test_a_reused_batchnorm_matches_central_differences(rng):
    bn = BatchNorm1d(3)
    bn.gamma.data[...] = rng.uniform(0.5, 1.5, 3)
    net = Sequential(Linear(3, 3, rng), bn, Tanh(), Linear(3, 3, rng), bn)
    _check_against_central_differences(net, rng.uniform(-2, 2, (6, 3)), rng)


def test_gradient_flow_handles_a_reused_unit_like_sequential(rng):
    act = Tanh()
    net = Sequential(Linear(3, 4, rng), act, Linear(4, 4, rng), act, Linear(4, 2, rng))
    x, g = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    net.zero_grad()
    net.forward(x)
    dx = net.backward(g)
    expected = [p.grad.copy() for p in net.parameters()]
    report = gradient_flow(net, x, dout=g)
    for p, e in zip(net.parameters(), expected):
        np.testing.assert_allclose(p.grad, e, rtol=1e-12)
    assert report.input_grad_norm == pytest.approx(np.linalg.norm(dx), rel=1e-12)


def test_backward_twice_after_one_forward_still_accumulates(rng):
    net = Sequential(Linear(3, 2, rng), Tanh())
    x, g = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    net.forward(x)
    net.backward(g)
    once = [p.grad.copy() for p in net.parameters()]
    net.backward(g)
    for p, o in zip(net.parameters(), once):
        np.testing.assert_allclose(p.grad, 2 * o)


def test_an_evaluation_forward_before_the_training_forward_is_harmless(rng):
    net = Sequential(Linear(3, 4, rng), Tanh(), Linear(4, 2, rng))
    x, x_test, g = (rng.standard_normal((4, 3)), rng.standard_normal((9, 3)),
                    rng.standard_normal((4, 2)))
    net.forward(x)
    net.backward(g)
    expected = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()
    net.forward(x_test)  # e.g. a test accuracy between steps
    net.forward(x)
    net.backward(g)
    for p, e in zip(net.parameters(), expected):
        np.testing.assert_array_equal(p.grad, e)


@pytest.mark.parametrize("make", [
    lambda r: Linear(3, 3, r), lambda r: Tanh(), lambda r: BatchNorm1d(3),
    lambda r: Sequential(Linear(3, 3, r), Tanh()),
    lambda r: Residual(Linear(3, 3, r)),
])
def test_backpropagating_an_earlier_direct_call_is_a_clear_error(make, rng):
    layer = make(rng)
    x1, x2 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    layer.forward(x1)
    layer.forward(x2)
    d = rng.standard_normal((4, 3))
    layer.backward(d)  # the last call's backward: well defined
    with pytest.raises(RuntimeError, match="called 2 times before this backward pass"):
        layer.backward(d)


def test_the_last_direct_call_is_the_one_backpropagated(rng):
    lin = Linear(3, 2, rng)
    x1, x2, d = (rng.standard_normal((4, 3)), rng.standard_normal((4, 3)),
                 rng.standard_normal((4, 2)))
    lin.forward(x1)
    lin.forward(x2)
    lin.backward(d)
    np.testing.assert_allclose(lin.W.grad, x2.T @ d)


@pytest.mark.torch
def test_shared_layers_match_torch(rng):
    torch = pytest.importorskip("torch")
    lin, act = Linear(3, 3, rng), Tanh()
    head = Linear(3, 2, rng)
    net = Sequential(lin, act, lin, act, head)
    x, g = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    net.forward(x)
    dx = net.backward(g)

    W = torch.tensor(lin.W.data, requires_grad=True)
    b = torch.tensor(lin.b.data, requires_grad=True)
    Wh = torch.tensor(head.W.data, requires_grad=True)
    bh = torch.tensor(head.b.data, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    h = torch.tanh(xt @ W + b)
    h = torch.tanh(h @ W + b)
    (h @ Wh + bh).backward(torch.tensor(g))
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    # the shared Linear's grad is the sum over its two uses, as torch's
    np.testing.assert_allclose(lin.W.grad, W.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lin.b.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(head.W.grad, Wh.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_a_reused_layer_lists_its_parameters_once(rng):
    lin = Linear(3, 3, rng)
    net = Sequential(lin, Tanh(), lin, Linear(3, 2, rng))
    ids = [id(p) for p in net.parameters()]
    assert len(ids) == len(set(ids)) == 4


def test_an_optimizer_refuses_a_parameter_listed_twice(rng):
    from bpkit.optim import SGD

    lin = Linear(3, 3, rng)
    with pytest.raises(ValueError, match="parameter 2 is listed twice"):
        SGD([lin.W, lin.b, lin.W], lr=0.1)


def test_zero_grad_leaves_a_missing_gradient_missing_so_the_next_step_works(rng):
    from bpkit.layers import Parameter
    from bpkit.optim import SGD, Adam

    for make in (lambda p: SGD(p, lr=0.1, momentum=0.9), lambda p: Adam(p, lr=0.1)):
        a, b = Parameter(np.ones(3)), Parameter(np.ones(2))
        b.grad = None  # e.g. a frozen or unused parameter
        opt = make([a, b])
        a.grad[...] = 1.0
        opt.step()
        opt.zero_grad()
        assert b.grad is None
        a.grad[...] = 1.0
        opt.step()  # raised before: zero_grad had given b a float gradient
        np.testing.assert_array_equal(b.data, np.ones(2))


def test_the_error_counts_only_direct_calls_not_those_inside_a_container(rng):
    lin = Linear(3, 3, rng)
    net = Sequential(lin, Tanh(), lin)
    for _ in range(5):
        net(rng.standard_normal((2, 3)))
    lin(rng.standard_normal((2, 3)))
    lin(rng.standard_normal((2, 3)))
    lin.backward(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="called 2 times"):
        lin.backward(np.ones((2, 3)))
