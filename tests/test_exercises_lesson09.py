"""Lesson 09 checks: each accepts the solution and names each anticipated mistake."""

import numpy as np
import pytest

import bpkit.conv
from bpkit.conv import Conv2d, conv2d_backward, conv2d_forward, weight_grad_by_correlation
from bpkit.exercises.lesson09 import (
    check_conv_backward,
    check_maxpool_backward,
    check_output_size,
)


# ------------------------------------------------------------ output size
def output_size(H, K, stride, padding):
    return (H + 2 * padding - K) // stride + 1


def test_output_size_accepts_the_formula():
    fb = check_output_size(output_size)
    assert fb.ok and "(H + 2p - K) // s + 1" in fb.message


@pytest.mark.parametrize("fn,words", [
    (lambda H, K, s, p: (H + 2 * p - K) // s, "the + 1 is missing"),
    (lambda H, K, s, p: (H + p - K) // s + 1, "counted on one side only"),
    (lambda H, K, s, p: (H - K) // s + 1, "the padding is missing"),
    (lambda H, K, s, p: H + 2 * p - K + 1, "the stride is missing"),
    (lambda H, K, s, p: -(-(H + 2 * p - K) // s) + 1, "rounded up"),
    (lambda H, K, s, p: (H + 2 * p - K + 1) // s, "outside the division"),
    (lambda H, K, s, p: (H + 2 * p - K) / s + 1, "floor division"),
    (lambda H, K, s, p: (H + 2 * p + K) // s + 1, "subtract it"),
    (lambda H, K, s, p: 8, "does not depend on the inputs"),
    (lambda H, K, s, p: H // s, "wrong for H=10, K=4, stride=3, padding=2"),
    (lambda H, K, s, p: None, "should return a number, got None"),
    (lambda H, K, s, p: float((H + 2 * p - K) // s + 1), "return an integer"),
    (lambda H, K, s, p: (H + 2 * s - K) // p + 1, "stride and padding are swapped"),
])
def test_output_size_names_each_mistake(fn, words):
    fb = check_output_size(fn)
    assert not fb.ok and words in fb.message, fb.message


def test_output_size_stub_is_not_attempted():
    def stub(H, K, s, p):
        raise NotImplementedError()

    assert "not attempted" in check_output_size(stub).message


# ------------------------------------------------------------ conv backward
def conv_backward(x, w, dy, slip=None):
    """The solution with loops over the kernel cells (stride 1, no padding)."""
    N, C, H, W = x.shape
    F, _, K, _ = w.shape
    OH, OW = dy.shape[2:]
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    wk = w[:, :, ::-1, ::-1] if slip == "no_flip" else w
    for a in range(K):
        for e in range(K):
            patch = x[:, :, a:a + OH, e:e + OW]                     # (N, C, OH, OW)
            dw[:, :, a, e] = np.einsum("nfij,ncij->fc", dy, patch)
            dx[:, :, a:a + OH, e:e + OW] += np.einsum("nfij,fc->ncij", dy, wk[:, :, a, e])
    db = dy.sum(axis=(0, 2, 3))
    if slip == "flip_dw":
        dw = dw[:, :, ::-1, ::-1]
    if slip == "channels":
        dw = dw.transpose(1, 0, 2, 3)
    if slip == "mean_batch":
        dw = dw / N
    if slip == "db_axes":
        db = dy.sum(axis=(1, 2, 3))
    if slip == "db_no_batch":
        db = dy.sum(axis=(2, 3))
    if slip == "db_mean":
        db = dy.mean(axis=(0, 2, 3)) * N
    if slip == "db_all":
        db = np.full(F, dy.sum())
    if slip == "sign":
        return -dx, -dw, -db
    if slip == "order":
        return dw, dx, db
    if slip == "dw_channel_sum":
        return dx, dw.sum(axis=1), db
    if slip == "db_other":
        db = db + 1
    if slip == "float32":
        return dx.astype(np.float32), dw.astype(np.float32), db.astype(np.float32)
    return dx, dw, db


def conv_backward_assigning(x, w, dy):
    """The loop version with dx[...] = where += belongs."""
    dx, dw, db = conv_backward(x, w, dy)
    K, (OH, OW) = w.shape[2], dy.shape[2:]
    dx = np.zeros_like(x)
    for a in range(K):
        for e in range(K):
            dx[:, :, a:a + OH, e:e + OW] = np.einsum("nfij,fc->ncij", dy, w[:, :, a, e])
    return dx, dw, db


def conv_backward_last_image(x, w, dy):
    """dw overwritten image by image: only the last image's share is left."""
    dx, _, db = conv_backward(x, w, dy)
    for n in range(len(x)):
        dwn = conv_backward(x[n:n + 1], w, dy[n:n + 1])[1]
    return dx, dwn, db


def test_conv_backward_accepts_the_solution():
    fb = check_conv_backward(conv_backward)
    assert fb.ok and "flipped kernel" in fb.message


def test_conv_backward_accepts_float32_answers():
    fb = check_conv_backward(lambda x, w, dy: conv_backward(x, w, dy, "float32"))
    assert fb.ok, fb.message


@pytest.mark.parametrize("fn,words", [
    (conv_backward_assigning, "dx[...] += ..., not dx[...] = ..."),
    (conv_backward_last_image, "dw is the last image's share only"),
])
def test_conv_backward_names_overwriting(fn, words):
    fb = check_conv_backward(fn)
    assert not fb.ok and words in fb.message, fb.message


def test_conv_backward_refuses_bpkits_own_backward_and_puts_it_back():
    def uses_backward(x, w, dy):
        dx, dw, db = conv2d_backward(dy, conv2d_forward(x, w)[1])
        return dx, dw, db

    def uses_module(x, w, dy):
        return bpkit.conv.conv2d_backward(dy, conv2d_forward(x, w)[1])

    def uses_layer(x, w, dy):
        layer = Conv2d(w.shape[1], w.shape[0], w.shape[2], np.random.default_rng(0))
        layer.W.data[...] = w
        layer(x)
        dx = layer.backward(dy)
        return dx, layer.W.grad, layer.b.grad

    def uses_correlation(x, w, dy):
        dx, _, db = conv_backward(x, w, dy)
        return dx, weight_grad_by_correlation(x, dy, w.shape[2]), db

    for fn, name in ((uses_backward, "conv2d_backward"), (uses_module, "conv2d_backward"),
                     (uses_layer, "Conv2d.backward"),
                     (uses_correlation, "weight_grad_by_correlation")):
        fb = check_conv_backward(fn)
        assert not fb.ok and f"calls bpkit's {name}: the exercise is to write" in fb.message, \
            fb.message
    # everything is back afterwards, in the package and here
    assert conv2d_backward is bpkit.conv.conv2d_backward
    assert conv2d_backward.__name__ == "conv2d_backward"
    assert Conv2d.backward.__name__ == "backward"
    _, cache = conv2d_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)))
    assert conv2d_backward(np.ones((1, 1, 2, 2)), cache)[2][0] == 4


@pytest.mark.parametrize("slip,words", [
    ("no_flip", "adding dy[i, j] * w into each window (the loop version) needs w as it is"),
    ("flip_dw", "dw is flipped"),
    ("channels", "channel axes swapped"),
    ("mean_batch", "averaged over the batch"),
    ("db_axes", "db summed over the wrong axes"),
    ("db_no_batch", "db is missing the sum over the batch"),
    ("db_mean", "db averages over the positions"),
    ("db_all", "db sums over the filters too"),
    ("sign", "wrong sign"),
    ("order", "wrong order"),
    ("dw_channel_sum", "dw summed over the input channels"),
    ("db_other", "db is wrong; db = dy.sum(axis=(0, 2, 3))"),
])
def test_conv_backward_names_each_mistake(slip, words):
    fb = check_conv_backward(lambda x, w, dy: conv_backward(x, w, dy, slip))
    assert not fb.ok and words in fb.message, fb.message


def test_conv_backward_names_missing_batch_sum_and_hard_coding():
    def per_image(x, w, dy):
        dx, _, db = conv_backward(x, w, dy)
        dws = np.stack([conv_backward(x[n:n + 1], w, dy[n:n + 1])[1]
                        for n in range(len(x))])
        return dx, dws, db

    fb = check_conv_backward(per_image)
    assert not fb.ok and "dw is missing the sum over the batch" in fb.message
    fb = check_conv_backward(lambda x, w, dy: conv_backward(x[:1], w, dy[:1]))
    assert not fb.ok
    from bpkit.exercises.lesson09 import _conv_case
    frozen = conv_backward(*_conv_case(0)[0])
    fb = check_conv_backward(lambda x, w, dy: frozen)
    assert not fb.ok and "does not depend on the inputs" in fb.message


# ------------------------------------------------------------ max-pool backward
def maxpool_backward(x, dy):
    N, C, H, W = x.shape
    dx = np.zeros_like(x)
    for i in range(H // 2):
        for j in range(W // 2):
            win = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].reshape(N, C, 4)
            k = win.argmax(axis=-1)                                   # the first maximum
            for n in range(N):
                for c in range(C):
                    dx[n, c, 2 * i + k[n, c] // 2, 2 * j + k[n, c] % 2] = dy[n, c, i, j]
    return dx


def _up(dy):
    return np.repeat(np.repeat(dy, 2, axis=2), 2, axis=3)


def _each_max(x, dy, split=False):
    mx = _up(np.max(x.reshape(x.shape[0], x.shape[1], x.shape[2] // 2, 2,
                              x.shape[3] // 2, 2), axis=(3, 5)))
    is_max = (x == mx).astype(float)
    if split:
        counts = _up(is_max.reshape(x.shape[0], x.shape[1], x.shape[2] // 2, 2,
                                    x.shape[3] // 2, 2).sum(axis=(3, 5)))
        return is_max * _up(dy) / counts
    return is_max * _up(dy)


def _slip_reshape_only(x, dy):
    N, C, H, W = x.shape
    groups = x.reshape(N, C, H // 2, W // 2, 4)                     # no transpose
    routed = groups.argmax(axis=-1)[..., None] == np.arange(4)
    return (routed * dy[..., None]).reshape(x.shape)


def _slip_loop(x, dy, stride=2, swap=False):
    N, C, H, W = x.shape
    dx = np.zeros_like(x)
    for i in range(H // 2):
        for j in range(W // 2):
            win = x[:, :, stride * i:stride * i + 2, stride * j:stride * j + 2].reshape(N, C, 4)
            k = win.argmax(axis=-1)
            for n in range(N):
                for c in range(C):
                    r_, c_ = divmod(int(k[n, c]), 2)
                    if swap:
                        r_, c_ = c_, r_
                    dx[n, c, stride * i + r_, stride * j + c_] = dy[n, c, i, j]
    return dx


def test_maxpool_backward_accepts_the_solution():
    fb = check_maxpool_backward(maxpool_backward)
    assert fb.ok and "argmax" in fb.message


@pytest.mark.parametrize("fn,words", [
    (lambda x, dy: _up(dy) / 4, "that is average pooling"),
    (lambda x, dy: _up(dy), "every entry of the window gets all of dy"),
    (lambda x, dy: _each_max(x, dy), "every maximum gets all of dy"),
    (lambda x, dy: _each_max(x, dy, split=True), "a valid choice (the max has a kink there"),
    (lambda x, dy: maxpool_backward(x[..., ::-1, ::-1], dy[..., ::-1, ::-1])[..., ::-1, ::-1],
     "the last maximum"),
    (lambda x, dy: maxpool_backward(-x, dy), "routed to the smallest entry"),
    (lambda x, dy: x * _up(dy), "dx multiplies dy by x"),
    (lambda x, dy: -maxpool_backward(x, dy), "wrong sign"),
    (lambda x, dy: dy, "the shape of dy"),
    (lambda x, dy: 2 * maxpool_backward(x, dy), "for each 2x2 window"),
    (lambda x, dy: "dx", "got the string"),
    (lambda x, dy: _slip_reshape_only(x, dy), "your windows are not 2x2"),
    (lambda x, dy: _slip_loop(x, dy, swap=True), "row and column swapped"),
    (lambda x, dy: _slip_loop(x, dy, stride=1), "the stride is missing"),
    (lambda x, dy: maxpool_backward(x, dy) * x, "dx multiplies dy by x at the argmax"),
])
def test_maxpool_backward_names_each_mistake(fn, words):
    fb = check_maxpool_backward(fn)
    assert not fb.ok and words in fb.message, fb.message


def test_maxpool_backward_names_a_hard_coded_answer():
    from bpkit.exercises.lesson09 import _pool_case
    frozen = maxpool_backward(*_pool_case(0))
    fb = check_maxpool_backward(lambda x, dy: frozen)
    assert not fb.ok and "does not depend on the inputs" in fb.message


KIND_SOLUTIONS = {
    "check_output_size": output_size,
    "check_conv_backward": conv_backward,
    "check_maxpool_backward": maxpool_backward,
}
KIND_RETURNS_NOTHING: set = set()
