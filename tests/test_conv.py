"""bpkit.conv's convolution: loops vs im2col, finite differences, PyTorch, errors."""

import numpy as np
import pytest
from hypothesis import given, settings

from bpkit.conv import (
    Conv2d,
    conv2d_backward,
    conv2d_backward_loop,
    conv2d_forward,
    conv2d_forward_loop,
    dilate,
    flip,
    input_grad_by_full_convolution,
    output_size,
    weight_grad_by_correlation,
)
from bpkit.gradcheck import numerical_grad
from bpkit.layers import ReLU, Sequential
from tests.strategies import conv_cases

SETTINGS = settings(max_examples=30, deadline=None)


def _grads(case):
    x, w, b, stride, padding = case
    y, cache = conv2d_forward(x, w, b, stride, padding)
    dy = np.random.default_rng(1).standard_normal(y.shape)
    return y, dy, conv2d_backward(dy, cache)


@SETTINGS
@given(conv_cases())
def test_loops_and_im2col_agree_forward_and_backward(case):
    x, w, b, stride, padding = case
    y, dy, (dx, dw, db) = _grads(case)
    np.testing.assert_allclose(y, conv2d_forward_loop(x, w, b, stride, padding),
                               rtol=1e-12, atol=1e-12)
    for got, want in zip((dx, dw, db),
                         conv2d_backward_loop(dy, x, w, stride, padding)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(conv_cases(max_n=2, max_c=2, max_f=2, max_hw=5))
def test_conv_backward_matches_central_differences(case):
    x, w, b, stride, padding = case
    _, dy, (dx, dw, db) = _grads(case)

    def f(_):
        return np.sum(conv2d_forward(x, w, b, stride, padding)[0] * dy)

    for name, arr, g in (("x", x, dx), ("w", w, dw), ("b", b, db)):
        np.testing.assert_allclose(g, numerical_grad(f, arr), rtol=1e-6, atol=1e-7,
                                   err_msg=f"d{name}")


@SETTINGS
@given(conv_cases())
def test_backward_as_convolutions_equals_backward(case):
    x, w, b, stride, padding = case
    _, dy, (dx, dw, db) = _grads(case)
    np.testing.assert_allclose(
        input_grad_by_full_convolution(dy, w, x.shape, stride, padding), dx,
        rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        weight_grad_by_correlation(x, dy, w.shape[2:], stride, padding), dw,
        rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dy.sum(axis=(0, 2, 3)), db, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(conv_cases())
def test_conv_matches_torch_in_float64(case):
    torch = pytest.importorskip("torch")
    x, w, b, stride, padding = case
    y, dy, (dx, dw, db) = _grads(case)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=padding)
    (yt * torch.tensor(dy)).sum().backward()
    for got, want in ((y, yt), (dx, xt.grad), (dw, wt.grad), (db, bt.grad)):
        np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-10, atol=1e-10)


def test_flip_turns_the_kernel_and_swaps_filters_and_channels():
    w = np.arange(2 * 3 * 2 * 2, dtype=float).reshape(2, 3, 2, 2)
    fw = flip(w)
    assert fw.shape == (3, 2, 2, 2)
    assert fw[1, 0, 0, 0] == w[0, 1, 1, 1] and fw[2, 1, 1, 0] == w[1, 2, 0, 1]


def test_dilate_puts_stride_minus_one_zeros_between_cells():
    d = dilate(np.ones((1, 1, 2, 3)), (2, 3))
    assert d.shape == (1, 1, 3, 7)
    assert d.sum() == 6 and d[0, 0, 1].sum() == 0 and d[0, 0, 0, ::3].sum() == 3


@pytest.mark.parametrize("size,k,s,p,want", [(8, 3, 1, 1, 8), (7, 3, 2, 0, 3),
                                             (5, 2, 2, 0, 2), (4, 4, 1, 0, 1),
                                             (1, 3, 1, 1, 1), (9, 3, 3, 1, 3)])
def test_output_size_formula(size, k, s, p, want):
    assert output_size(size, k, s, p) == want
    x = np.zeros((1, 1, size, size))
    assert conv2d_forward(x, np.zeros((1, 1, k, k)), None, s, p)[0].shape[2] == want


def test_output_size_refuses_a_kernel_that_does_not_fit():
    with pytest.raises(ValueError, match="kernel of 5 does not fit in 2"):
        output_size(2, 5)


def test_conv2d_layer_trains_in_sequential_like_finite_differences():
    rng = np.random.default_rng(0)
    net = Sequential(Conv2d(2, 3, 3, rng, stride=2, padding=1), ReLU(),
                     Conv2d(3, 2, (2, 1), rng))
    x = rng.standard_normal((2, 2, 5, 6))
    y = net(x)
    assert y.shape == (2, 2, 2, 3)
    dy = rng.standard_normal(y.shape)
    net.zero_grad()
    dx = net.backward(dy)

    def f(_):
        return np.sum(net(x) * dy)

    for p in net.parameters():
        np.testing.assert_allclose(p.grad, numerical_grad(f, p.data), rtol=1e-6,
                                   atol=1e-8)
    np.testing.assert_allclose(dx, numerical_grad(f, x), rtol=1e-6, atol=1e-8)


def test_conv2d_layer_initialises_with_fan_in_and_casts_to_its_dtype():
    rng = np.random.default_rng(0)
    layer = Conv2d(16, 32, 3, rng, dtype=np.float32)
    bound = np.sqrt(6 / (16 * 9))  # He-uniform with fan_in = C * KH * KW
    assert layer.W.shape == (32, 16, 3, 3) and layer.b.shape == (32,)
    assert np.abs(layer.W.data).max() <= bound and np.abs(layer.W.data).max() > 0.9 * bound
    y = layer(np.ones((1, 16, 4, 4)))
    assert y.dtype == np.float32 and layer.W.data.dtype == np.float32
    assert "Conv2d(16, 32, kernel_size=(3, 3)" in repr(layer)
    assert Conv2d(1, 2, 3, rng, bias=False).parameters()[0].name == "W"


def test_conv2d_backward_can_skip_the_input_gradient():
    rng = np.random.default_rng(0)
    layer = Conv2d(1, 2, 3, rng)
    layer(rng.standard_normal((2, 1, 5, 5)))
    assert layer.backward(np.ones((2, 2, 3, 3)), input_grad=False) is None
    np.testing.assert_allclose(layer.b.grad, [18.0, 18.0])


@pytest.mark.parametrize("x_shape,match", [
    ((8, 8), r"x has shape \(8, 8\), expected \(N, 3, H, W\).*N images, C channels, "
             r"H rows, W columns"),
    ((3, 8, 8), r"one image still needs a batch axis"),
    ((2, 64), r"reshape to \(N, C, H, W\)"),
    ((2, 1, 8, 8), r"C = 1 channels, the layer takes 3"),
    ((2, 3, 1, 8), r"its H = 1 \(\+ 2 \* padding 0\) is smaller than the kernel's 2"),
    ((2, 3, 8, 1), r"its W = 1"),
])
def test_bad_shapes_name_n_c_h_w(x_shape, match):
    layer = Conv2d(3, 4, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match=match):
        layer(np.zeros(x_shape))


def test_bad_weights_and_dout_are_refused_with_the_shapes():
    x = np.zeros((2, 3, 5, 5))
    with pytest.raises(ValueError, match=r"w has shape \(4, 3, 3\), expected \(F, C, KH, KW\)"):
        conv2d_forward(x, np.zeros((4, 3, 3)))
    with pytest.raises(ValueError, match=r"x has C = 3 channels.*expected \(4, 3, KH, KW\)"):
        conv2d_forward(x, np.zeros((4, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"b has shape \(3,\), expected \(4,\)"):
        conv2d_forward(x, np.zeros((4, 3, 3, 3)), np.zeros(3))
    _, cache = conv2d_forward(x, np.zeros((4, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"dout has shape \(2, 4, 3\), expected "
                                         r"\(2, 4, 3, 3\)"):
        conv2d_backward(np.zeros((2, 4, 3)), cache)
    with pytest.raises(ValueError, match="stride must be an integer >= 1, got 0"):
        conv2d_forward(x, np.zeros((4, 3, 3, 3)), stride=0)
    with pytest.raises(ValueError, match="padding must be an integer >= 0, got -1"):
        conv2d_forward(x, np.zeros((4, 3, 3, 3)), padding=-1)
    with pytest.raises(TypeError, match="x must be a float array, got dtype <U1"):
        conv2d_forward(np.full((1, 1, 2, 2), "a"), np.zeros((1, 1, 1, 1)))


def test_as_convolutions_refuse_a_dy_of_the_wrong_shape():
    x = np.ones((1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"weight_grad_by_correlation: dy has shape "
                                         r"\(1, 1, 2, 2\), expected \(1, 1, 3, 3\)"):
        weight_grad_by_correlation(x, np.ones((1, 1, 2, 2)), 2)
    with pytest.raises(ValueError, match=r"dy has shape \(1, 1, 3, 3\), expected "
                                         r"\(2, 1, 3, 3\)"):
        weight_grad_by_correlation(np.ones((2, 1, 4, 4)), np.ones((1, 1, 3, 3)), 2)
    w = np.ones((1, 1, 2, 2))
    with pytest.raises(ValueError, match=r"input_grad_by_full_convolution: dy has shape "
                                         r"\(1, 1, 3, 3\), expected \(1, 1, 8, 8\)"):
        input_grad_by_full_convolution(np.ones((1, 1, 3, 3)), w, (1, 1, 9, 9))
    with pytest.raises(ValueError, match=r"x_shape \(1, 2, 4, 4\) has C = 2 channels"):
        input_grad_by_full_convolution(np.ones((1, 1, 3, 3)), w, (1, 2, 4, 4))
    with pytest.raises(ValueError, match=r"x_shape is \(1, 1, 4\), expected \(N, C, H, W\)"):
        input_grad_by_full_convolution(np.ones((1, 1, 3, 3)), w, (1, 1, 4))


def test_flip_and_dilate_name_the_four_axes():
    with pytest.raises(ValueError, match=r"flip: w has shape \(2, 2\), expected \(F, C, KH, KW\)"):
        flip(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"dilate: dy has shape \(2, 2\), expected \(N, F, OH, OW\)"):
        dilate(np.ones((2, 2)), 2)


def test_complex_or_empty_weights_are_refused_and_the_loop_takes_no_bias():
    x = np.ones((1, 1, 4, 4))
    for fn in (conv2d_forward, conv2d_forward_loop):
        with pytest.raises(TypeError, match="w must be a real float array, got dtype complex128"):
            fn(x, np.ones((1, 1, 2, 2)) * 1j)
        with pytest.raises(ValueError, match=r"w has shape \(0, 1, 2, 2\), expected \(F, "):
            fn(x, np.ones((0, 1, 2, 2)))
    w = np.arange(4.0).reshape(1, 1, 2, 2)
    np.testing.assert_array_equal(conv2d_forward_loop(x, w, None), conv2d_forward(x, w)[0])
    with pytest.raises(ValueError, match=r"b has shape \(2,\), expected \(1,\)"):
        conv2d_forward_loop(x, w, np.zeros(2))
