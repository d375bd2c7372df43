"""bpkit.conv pooling and Flatten: routing, spreading, PyTorch, finite differences."""

import numpy as np
import pytest
from hypothesis import given, settings

from bpkit.conv import (
    AvgPool2d,
    Flatten,
    MaxPool2d,
    avgpool_backward,
    avgpool_forward,
    maxpool_backward,
    maxpool_forward,
)
from bpkit.gradcheck import numerical_grad
from tests.strategies import pool_cases

SETTINGS = settings(max_examples=30, deadline=None)
POOLS = [(maxpool_forward, maxpool_backward, "max_pool2d"),
         (avgpool_forward, avgpool_backward, "avg_pool2d")]


@SETTINGS
@given(pool_cases())
@pytest.mark.parametrize("fwd,bwd,torch_name", POOLS)
def test_pooling_matches_torch_in_float64(fwd, bwd, torch_name, case):
    torch = pytest.importorskip("torch")
    x, kernel, stride = case
    y, cache = fwd(x, kernel, stride)
    dy = np.random.default_rng(2).standard_normal(y.shape)
    dx = bwd(dy, cache)
    xt = torch.tensor(x, requires_grad=True)
    yt = getattr(torch.nn.functional, torch_name)(xt, kernel, stride)
    (yt * torch.tensor(dy)).sum().backward()
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)


@settings(max_examples=15, deadline=None)
@given(pool_cases(max_hw=5))
@pytest.mark.parametrize("fwd,bwd,torch_name", POOLS)
def test_pooling_backward_matches_central_differences(fwd, bwd, torch_name, case):
    x, kernel, stride = case
    y, cache = fwd(x, kernel, stride)
    dy = np.random.default_rng(3).standard_normal(y.shape)
    dx = bwd(dy, cache)
    num = numerical_grad(lambda _: np.sum(fwd(x, kernel, stride)[0] * dy), x)
    np.testing.assert_allclose(dx, num, rtol=1e-6, atol=1e-8)


def test_max_pool_routes_everything_to_the_argmax():
    x = np.array([[1.0, 5.0, 2.0, 0.0],
                  [3.0, 4.0, 7.0, 1.0],
                  [0.0, 0.0, 1.0, 1.0],
                  [9.0, 0.0, 2.0, 3.0]])[None, None]
    y, cache = maxpool_forward(x, 2)
    np.testing.assert_array_equal(y[0, 0], [[5, 7], [9, 3]])
    dx = maxpool_backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]), cache)[0, 0]
    want = np.zeros((4, 4))
    want[0, 1], want[1, 2], want[3, 0], want[3, 3] = 10, 20, 30, 40
    np.testing.assert_array_equal(dx, want)


def test_max_pool_tie_goes_to_the_first_maximum_like_torch():
    x = np.ones((1, 1, 2, 2))
    y, cache = maxpool_forward(x, 2)
    dx = maxpool_backward(np.full((1, 1, 1, 1), 4.0), cache)
    np.testing.assert_array_equal(dx[0, 0], [[4, 0], [0, 0]])
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2).sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy()[0, 0] * 4, dx[0, 0])


def test_average_pool_spreads_evenly():
    _, cache = avgpool_forward(np.zeros((1, 1, 4, 4)), 2)
    dx = avgpool_backward(np.array([[[[4.0, 8.0], [0.0, -4.0]]]]), cache)[0, 0]
    np.testing.assert_array_equal(dx[:2, :2], np.ones((2, 2)))
    np.testing.assert_array_equal(dx[2:, 2:], -np.ones((2, 2)))
    assert dx.sum() == 8.0  # the total gradient is kept


def test_overlapping_windows_add_their_shares():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    _, cache = maxpool_forward(x, 2, 1)  # each window's max is its bottom-right
    dx = maxpool_backward(np.ones((1, 1, 2, 2)), cache)[0, 0]
    np.testing.assert_array_equal(dx, [[0, 0, 0], [0, 1, 1], [0, 1, 1]])
    _, cache = avgpool_forward(x, 2, 1)
    dx = avgpool_backward(np.ones((1, 1, 2, 2)), cache)[0, 0]
    np.testing.assert_array_equal(dx, [[0.25, 0.5, 0.25], [0.5, 1, 0.5],
                                       [0.25, 0.5, 0.25]])


def test_pool_layers_keep_dtype_and_drop_a_partial_window():
    pool = MaxPool2d(2)
    y = pool(np.ones((2, 3, 5, 7), dtype=np.float32))
    assert y.shape == (2, 3, 2, 3) and y.dtype == np.float32
    dx = pool.backward(np.ones(y.shape))
    assert dx.shape == (2, 3, 5, 7) and dx.dtype == np.float32
    assert dx[:, :, 4].sum() == 0 and dx[:, :, :, 6].sum() == 0
    assert repr(AvgPool2d(3, 1)) == "AvgPool2d(kernel_size=(3, 3), stride=(1, 1))"


def test_pool_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"x has shape \(4, 4\), expected \(N, C, H, W\)"):
        MaxPool2d(2)(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"its H = 1 .* smaller than the kernel's 2"):
        AvgPool2d(2)(np.zeros((1, 1, 1, 4)))
    pool = MaxPool2d(2)
    pool(np.zeros((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"dout has shape \(1, 2, 4, 4\), expected "
                                         r"\(1, 2, 2, 2\)"):
        pool.backward(np.zeros((1, 2, 4, 4)))
    with pytest.raises(ValueError, match="kernel_size must be an integer >= 1"):
        MaxPool2d(0)


def test_flatten_round_trips_and_checks_dout():
    flat = Flatten()
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    y = flat(x)
    assert y.shape == (2, 12) and y[1, 0] == 12
    np.testing.assert_array_equal(flat.backward(y), x)
    with pytest.raises(ValueError, match=r"dout has shape \(2, 11\), expected \(2, 12\)"):
        flat.backward(np.zeros((2, 11)))
    with pytest.raises(ValueError, match="expected \\(N, C, H, W\\)"):
        Flatten()(np.zeros(3))


def test_each_pool_backward_refuses_the_other_pools_cache():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    _, cmax = maxpool_forward(x, 2)
    _, cavg = avgpool_forward(x, 2)
    d = np.ones((1, 1, 2, 2))
    with pytest.raises(ValueError, match="maxpool_backward: this cache came from avgpool_forward"):
        maxpool_backward(d, cavg)
    with pytest.raises(ValueError, match="avgpool_backward: this cache came from maxpool_forward"):
        avgpool_backward(d, cmax)
    with pytest.raises(TypeError, match="cache must be the PoolCache maxpool_forward returned"):
        maxpool_backward(d, (x.shape,))
