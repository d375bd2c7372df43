"""bpkit.practice refuses bad inputs with a sentence (the fresh reader's findings D1-D8)."""

import numpy as np
import pytest

from bpkit.layers import Linear
from bpkit.practice import (
    DynamicLossScaler, EarlyStopping, accumulated_gradient, digits_subsets,
    dropout_mlp, freeze, half_gradients, input_condition_number, l2_penalty,
    max_rel_difference, standardize, underflow_count,
)


@pytest.mark.parametrize("make", [
    lambda: np.random.default_rng(0).standard_normal((10, 64)),      # N <= D
    lambda: digits_subsets(10, np.random.default_rng(0))[0],          # 10 digits, 64 pixels
    lambda: np.repeat(np.random.default_rng(0).standard_normal((50, 4)), 2, axis=1),  # duplicated columns
])
def test_condition_number_of_a_singular_matrix_is_inf_never_negative(make):
    assert input_condition_number(make()) == np.inf


def test_condition_number_of_a_regular_matrix_is_finite_and_at_least_one():
    k = input_condition_number(np.random.default_rng(0).standard_normal((200, 5)))
    assert 1 <= k < 10


def test_max_rel_difference_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match=r"gradient 0 has shape \(4, 16\) and \(16,\)"):
        max_rel_difference([np.ones((4, 16))], [np.ones(16)])


def test_underflow_count_refuses_different_lengths_and_shapes():
    with pytest.raises(ValueError, match="got 2 and 1 gradients"):
        underflow_count([np.zeros(3), np.zeros(3)], [np.ones(3)])
    with pytest.raises(ValueError, match=r"gradient 0 has shape \(3, 1\) and \(3,\)"):
        underflow_count([np.zeros((3, 1))], [np.ones(3)])


def test_standardize_refuses_another_number_of_features():
    X = np.random.default_rng(0).standard_normal((5, 4))
    with pytest.raises(ValueError, match=r"others\[0\] has 1 features \(shape \(3, 1\)\); X_train has 4"):
        standardize(X, np.ones((3, 1)))


def test_dropout_mlp_validates_p_and_sizes():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\)"):
        dropout_mlp([64, 8, 10], rng, p=-0.5)
    with pytest.raises(ValueError, match="sizes must list at least 2 layer sizes"):
        dropout_mlp([64], rng)
    with pytest.raises(ValueError, match="sizes"):
        dropout_mlp([64, 0, 10], rng)


def test_accumulated_gradient_refuses_an_empty_batch():
    net = dropout_mlp([4, 3, 2], np.random.default_rng(0))
    with pytest.raises(ValueError, match="X has no rows"):
        accumulated_gradient(net, np.zeros((0, 4)), np.zeros(0, dtype=int), 2)


def test_half_gradients_names_a_wrong_number_of_features():
    net = dropout_mlp([4, 3, 2], np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"X has shape \(5, 6\); the net's first layer takes 4 features"):
        half_gradients(net, np.ones((5, 6)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="y has 3 labels but X has 5 rows"):
        half_gradients(net, np.ones((5, 4)), np.zeros(3, dtype=int))


def test_early_stopping_restore_after_only_nan_losses_says_so():
    es = EarlyStopping(patience=2)
    w = np.ones(3)

    class P:
        data = w
    es.update(float("nan"), [P()])
    with pytest.raises(RuntimeError, match="no validation loss so far was a finite improvement"):
        es.restore([P()])
    with pytest.raises(RuntimeError, match="restore called before any update"):
        EarlyStopping().restore([P()])


def test_l2_penalty_takes_a_layer_and_refuses_raw_arrays():
    lin = Linear(3, 2, np.random.default_rng(0))
    lin.W.grad[...] = 0
    pen = l2_penalty(lin, 0.1)
    want = 0.05 * (np.sum(lin.W.data**2) + np.sum(lin.b.data**2))
    assert abs(pen - want) < 1e-12
    np.testing.assert_allclose(lin.W.grad, 0.1 * lin.W.data)
    with pytest.raises(TypeError, match="parameters with .data and .grad"):
        l2_penalty([np.ones(3)], 0.1)


def test_freeze_refuses_a_raw_array():
    with pytest.raises(TypeError, match="parameters with .data and .grad"):
        freeze(np.ones(3))


def test_loss_scaler_update_requires_a_bool():
    s = DynamicLossScaler()
    for bad in ("no", 0, None, np.array([True, False])):
        with pytest.raises(TypeError, match="grads_finite must be True or False"):
            s.update(bad)
    assert s.update(np.bool_(True)) is True
