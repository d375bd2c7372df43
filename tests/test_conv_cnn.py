"""bpkit.conv's digits CNN and input gradients: shapes, gradients, training, flips."""

import numpy as np
import pytest

from bpkit.conv import (
    count_parameters,
    digits_cnn,
    flip_prediction,
    saliency,
    to_images,
)
from bpkit.data import load_digits, minibatches, train_test_split
from bpkit.gradcheck import numerical_grad
from bpkit.losses import softmax_cross_entropy
from bpkit.optim import SGD


def test_digits_cnn_shapes_and_parameter_count():
    net = digits_cnn(np.random.default_rng(0))
    assert net(np.zeros((5, 1, 8, 8))).shape == (5, 10)
    # conv 1->8 3x3: 72 + 8; conv 8->16 3x3: 1152 + 16; linear 64->10: 640 + 10
    assert count_parameters(net) == 80 + 1168 + 650


def test_digits_cnn_gradients_match_central_differences():
    rng = np.random.default_rng(1)
    net = digits_cnn(rng, channels=(2, 3))
    x, y = rng.uniform(0, 1, (3, 1, 8, 8)), np.array([0, 3, 9])
    loss, d = softmax_cross_entropy(net(x), y)
    net.zero_grad()
    dx = net.backward(d)

    def f(_):
        return softmax_cross_entropy(net(x), y)[0]

    for p in net.parameters():
        np.testing.assert_allclose(p.grad, numerical_grad(f, p.data), rtol=1e-5,
                                   atol=1e-8, err_msg=p.name)
    np.testing.assert_allclose(dx, numerical_grad(f, x), rtol=1e-5, atol=1e-8)


def test_to_images_reshapes_rows_and_refuses_other_widths():
    assert to_images(np.zeros((3, 64))).shape == (3, 1, 8, 8)
    with pytest.raises(ValueError, match=r"X has shape \(3, 63\), expected \(N, 64\)"):
        to_images(np.zeros((3, 63)))


@pytest.fixture(scope="module")
def trained():
    X, y = load_digits()
    Xtr, Xte, ytr, yte = train_test_split(X, y, np.random.default_rng(0), 0.25,
                                          stratify=True)
    rng = np.random.default_rng(10)
    net = digits_cnn(rng)
    opt = SGD(net.parameters(), lr=0.05, momentum=0.9)
    for _ in range(3):
        for xb, yb in minibatches(to_images(Xtr), ytr, 32, rng):
            _, d = softmax_cross_entropy(net(xb), yb)
            opt.zero_grad()
            net.backward(d)
            opt.step()
    return net, to_images(Xte), yte


def test_digits_cnn_learns_in_three_epochs(trained):
    net, Xte, yte = trained
    assert (net(Xte).argmax(axis=1) == yte).mean() > 0.85


def test_saliency_is_the_absolute_input_gradient_and_leaves_no_grads(trained):
    net, Xte, yte = trained
    x, k = Xte[:2], yte[:2]
    s = saliency(net, x, k)
    assert s.shape == (2, 8, 8) and (s >= 0).all() and s.max() > 0
    assert all(np.all(p.grad == 0) for p in net.parameters())
    # a digit's blank pixels tie in the max pools, where finite differences
    # differ from backprop's first-maximum rule: compare on a noisy image
    x0 = np.random.default_rng(4).uniform(0.1, 0.9, (1, 1, 8, 8))
    num = numerical_grad(lambda _: net(x0)[0, 3], x0)
    np.testing.assert_allclose(saliency(net, x0, np.array([3]))[0], np.abs(num)[0, 0],
                               rtol=1e-5, atol=1e-8)
    with pytest.raises(ValueError, match=r"classes has shape \(3,\), expected \(2,\)"):
        saliency(net, x, np.zeros(3, dtype=int))
    x3 = Xte[:3]
    for bad in ([1, 2, -1], [1, 2, 10], [1.0, 2.0, 3.0]):  # -1 read as class 9 before
        with pytest.raises(ValueError, match=r"classes must be integers in \[0, 9\]"):
            saliency(net, x3, np.array(bad))


def test_flip_prediction_reaches_the_target_with_a_bounded_change(trained):
    net, Xte, yte = trained
    x = Xte[:1]
    target = (int(yte[0]) + 1) % 10
    r = flip_prediction(net, x, target, lr=0.02, max_steps=200)
    assert r.flipped and r.prediction == target and net(r.x)[0].argmax() == target
    assert r.probs.shape == (r.steps + 1, 10)
    assert np.abs(r.x - x).max() <= 0.02 * r.steps + 1e-12
    assert r.x.min() >= 0 and r.x.max() <= 1
    assert all(np.all(p.grad == 0) for p in net.parameters())
    stuck = flip_prediction(net, x, target, lr=1e-6, max_steps=2)
    assert not stuck.flipped and stuck.steps == 2
    with pytest.raises(ValueError, match=r"expected \(1, C, H, W\): one image"):
        flip_prediction(net, Xte[:2], 0)
    with pytest.raises(ValueError, match="lo must be smaller than hi"):
        flip_prediction(net, x, target, lo=1.0, hi=0.0)
