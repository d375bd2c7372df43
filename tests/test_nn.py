"""Scalar Neuron / Layer / MLP: shapes, parameters, gradients, errors."""

import numpy as np
import pytest

from bpkit import Value, numerical_grad, rel_error
from bpkit.nn import MLP, Layer, Neuron


def test_mlp_parameter_count_and_output_kind(rng):
    model = MLP(2, [16, 16, 1], rng=rng)
    assert len(model.parameters()) == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1)
    out = model([0.1, -0.2])
    assert isinstance(out, Value)
    assert len(MLP(3, [4, 2], rng=rng)([1.0, 2.0, 3.0])) == 2


def test_same_seed_same_weights():
    a = MLP(2, [4, 1], rng=np.random.default_rng(7))
    b = MLP(2, [4, 1], rng=np.random.default_rng(7))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


def test_mlp_gradients_match_central_differences(rng):
    model = MLP(3, [4, 4, 1], rng=rng, activation="tanh")
    x = [0.3, -0.8, 1.1]
    params = model.parameters()

    def loss_at(flat):
        for p, v in zip(params, flat):
            p.data = float(v)
        return ((model(x) - 0.5) ** 2).data

    flat = np.array([p.data for p in params])
    num = numerical_grad(loss_at, flat.copy())
    loss_at(flat)
    model.zero_grad()
    ((model(x) - 0.5) ** 2).backward()
    assert rel_error(np.array([p.grad for p in params]), num) < 1e-6


def test_zero_grad_clears_every_parameter(rng):
    model = MLP(2, [3, 1], rng=rng)
    (model([1.0, 2.0]) ** 2).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_wrong_input_length_is_a_value_error(rng):
    with pytest.raises(ValueError, match="3 inputs, expected 2"):
        Neuron(2, rng)([1.0, 2.0, 3.0])


def test_bad_activation_and_rng_are_named(rng):
    with pytest.raises(ValueError, match="activation"):
        Layer(2, 2, rng, activation="swish")
    with pytest.raises(TypeError, match="Generator"):
        Neuron(2, rng=42)
