"""The scalar engine and the matrices compute the same gradients: only speed differs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpkit.engine import Value
from bpkit.gradcheck import numerical_grad, rel_error
from bpkit.scalar_bridge import from_scalar_mlp, scalar_grads
from bpkit.losses import mse_loss, scalar_cross_entropy, softmax_cross_entropy
from bpkit.nn import MLP


def scalar_forward(model: MLP, x: np.ndarray) -> list[list[Value]]:
    rows = []
    for row in x:
        out = model([float(v) for v in row])
        rows.append(out if isinstance(out, list) else [out])
    return rows


def scalar_mse(rows: list[list[Value]], target: np.ndarray) -> Value:
    total = sum((v - float(t)) ** 2 for row, trow in zip(rows, target)
                for v, t in zip(row, trow))
    return total * (1.0 / target.size)


networks = st.fixed_dictionaries({
    "nin": st.integers(1, 3),
    "sizes": st.lists(st.integers(1, 4), min_size=1, max_size=3),
    "activation": st.sampled_from(["relu", "tanh", "sigmoid"]),
    "n": st.integers(1, 4),
    "seed": st.integers(0, 2**32 - 1),
})


@settings(max_examples=30, deadline=None)
@given(networks, st.sampled_from(["cross_entropy", "mse"]))
def test_scalar_engine_and_vectorised_layers_give_equal_gradients(net, loss_name):
    rng = np.random.default_rng(net["seed"])
    model = MLP(net["nin"], net["sizes"], rng=rng, activation=net["activation"])
    for p in model.parameters():  # non-zero biases too
        p.data = float(rng.uniform(-1, 1))
    x = rng.uniform(-2, 2, (net["n"], net["nin"]))
    c = net["sizes"][-1]
    vec = from_scalar_mlp(model)

    rows = scalar_forward(model, x)
    if loss_name == "cross_entropy":
        y = rng.integers(0, c, net["n"])
        loss_s = scalar_cross_entropy(rows, y)
        loss_v, dout = softmax_cross_entropy(vec(x), y)
    else:
        t = rng.uniform(-1, 1, (net["n"], c))
        loss_s = scalar_mse(rows, t)
        loss_v, dout = mse_loss(vec(x), t)
    loss_s.backward()
    vec.backward(dout)

    assert loss_v == pytest.approx(loss_s.data, rel=1e-12, abs=1e-15)
    for gs, p in zip(scalar_grads(model), vec.parameters()):
        np.testing.assert_allclose(p.grad, gs, rtol=1e-10, atol=1e-15)


def richardson_grad(f, arr: np.ndarray, h: float = 1e-3) -> np.ndarray:
    """Central differences at h and h/2, combined to cancel the h^2 error term."""
    return (4 * numerical_grad(f, arr, h / 2) - numerical_grad(f, arr, h)) / 3


def test_four_way_agreement_scalar_vectorised_differences_torch_to_1e9():
    """The notebook's claim, on its network: a 2-4-3 tanh MLP, 5 examples."""
    rng = np.random.default_rng(0)
    model = MLP(2, [4, 3], rng=rng, activation="tanh")
    x = rng.uniform(-1, 1, (5, 2))
    y = rng.integers(0, 3, 5)
    vec = from_scalar_mlp(model)

    loss_s = scalar_cross_entropy(scalar_forward(model, x), y)
    loss_s.backward()
    _, dout = softmax_cross_entropy(vec(x), y)
    vec.backward(dout)

    def f(_):
        return softmax_cross_entropy(vec(x), y)[0]

    for gs, p in zip(scalar_grads(model), vec.parameters()):
        fd = richardson_grad(f, p.data)
        assert rel_error(gs, p.grad) < 1e-12
        assert rel_error(fd, p.grad) < 1e-9


@pytest.mark.torch
def test_torch_autograd_agrees_on_the_same_network():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    model = MLP(2, [4, 3], rng=rng, activation="tanh")
    x = rng.uniform(-1, 1, (5, 2))
    y = rng.integers(0, 3, 5)
    vec = from_scalar_mlp(model)
    _, dout = softmax_cross_entropy(vec(x), y)
    vec.backward(dout)
    W1, b1, W2, b2 = (torch.tensor(p.data, requires_grad=True) for p in vec.parameters())
    logits = torch.tanh(torch.tensor(x) @ W1 + b1) @ W2 + b2
    torch.nn.functional.cross_entropy(logits, torch.tensor(y)).backward()
    for p, t in zip(vec.parameters(), (W1, b1, W2, b2)):
        assert rel_error(t.grad.numpy(), p.grad) < 1e-12
