"""bpkit.rnn: BPTT against finite differences and PyTorch, truncation, shapes."""

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpkit.gradcheck import numerical_grad, rel_error
from bpkit.rnn import (
    GRU,
    LSTM,
    RNN,
    SequenceModel,
    TemporalLinear,
    generate,
    grad_vector,
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    peak_memory,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    sequence_cross_entropy,
    sequence_mse,
    spectral_radius,
    step_jacobian,
    tbptt,
    with_spectral_radius,
)

SETTINGS = settings(max_examples=25, deadline=None)
sizes = st.tuples(
    st.integers(1, 3), st.integers(1, 6), st.integers(1, 4), st.integers(1, 5)
)  # N, T, D, H


def _weights(rng, D, H, gates, scale=0.6):
    return (
        scale * rng.standard_normal((D, gates * H)),
        scale * rng.standard_normal((H, gates * H)),
        0.2 * rng.standard_normal(gates * H),
    )


def _check_all(f, pairs):
    """Central differences against backprop; atol covers entries near 0, where
    the finite-difference noise (~1e-10) dominates the relative error."""
    for name, arr, grad in pairs:
        np.testing.assert_allclose(
            grad, numerical_grad(f, arr), rtol=1e-5, atol=1e-7, err_msg=f"d{name}"
        )


# ------------------------------------------------------------ finite differences
@SETTINGS
@given(sizes, st.integers(0, 2**32 - 1), st.sampled_from(["tanh", "linear"]),
       st.sampled_from([None, 1, 2, 4]))
def test_rnn_backward_matches_central_differences(size, seed, activation, chunk):
    N, T, D, H = size
    rng = np.random.default_rng(seed)
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _weights(rng, D, H, 1)
    dh = rng.standard_normal((N, T, H))  # L = sum(h * dh), so dL/dh = dh
    _, cache = rnn_forward(x, h0, Wx, Wh, b, activation)
    g = rnn_backward(dh, cache, chunk=chunk)

    def f(_):
        return np.sum(rnn_forward(x, h0, Wx, Wh, b, activation)[0] * dh)

    _check_all(f, [("x", x, g.dx), ("h0", h0, g.dh0), ("Wx", Wx, g.dWx),
                   ("Wh", Wh, g.dWh), ("b", b, g.db)])


@pytest.mark.parametrize("seed", range(4))
def test_relu_rnn_backward_matches_central_differences(seed):
    rng = np.random.default_rng(seed)
    N, T, D, H = 3, 5, 3, 4
    x, h0 = rng.standard_normal((N, T, D)), rng.uniform(0, 1, (N, H))
    Wx, Wh, b = _weights(rng, D, H, 1)
    dh = rng.standard_normal((N, T, H))
    _, cache = rnn_forward(x, h0, Wx, Wh, b, "relu")
    g = rnn_backward(dh, cache, chunk=2)

    def f(_):
        return np.sum(rnn_forward(x, h0, Wx, Wh, b, "relu")[0] * dh)

    _check_all(f, [("x", x, g.dx), ("h0", h0, g.dh0), ("Wx", Wx, g.dWx),
                   ("Wh", Wh, g.dWh), ("b", b, g.db)])


@SETTINGS
@given(sizes, st.integers(0, 2**32 - 1), st.sampled_from([None, 1, 3]))
def test_lstm_backward_matches_central_differences(size, seed, chunk):
    N, T, D, H = size
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = _weights(rng, D, H, 4)
    dh = rng.standard_normal((N, T, H))
    _, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    g = lstm_backward(dh, cache, chunk=chunk)

    def f(_):
        return np.sum(lstm_forward(x, h0, c0, Wx, Wh, b)[0] * dh)

    _check_all(f, [("x", x, g.dx), ("h0", h0, g.dh0), ("c0", c0, g.dc0),
                   ("Wx", Wx, g.dWx), ("Wh", Wh, g.dWh), ("b", b, g.db)])


@SETTINGS
@given(sizes, st.integers(0, 2**32 - 1), st.sampled_from([None, 1, 3]))
def test_gru_backward_matches_central_differences(size, seed, chunk):
    N, T, D, H = size
    rng = np.random.default_rng(seed)
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, bx = _weights(rng, D, H, 3)
    bh = 0.2 * rng.standard_normal(3 * H)
    dh = rng.standard_normal((N, T, H))
    _, cache = gru_forward(x, h0, Wx, Wh, bx, bh)
    g = gru_backward(dh, cache, chunk=chunk)

    def f(_):
        return np.sum(gru_forward(x, h0, Wx, Wh, bx, bh)[0] * dh)

    _check_all(f, [("x", x, g.dx), ("h0", h0, g.dh0), ("Wx", Wx, g.dWx),
                   ("Wh", Wh, g.dWh), ("bx", bx, g.dbx), ("bh", bh, g.dbh)])


@SETTINGS
@given(sizes, st.integers(0, 2**32 - 1))
def test_rnn_step_backward_matches_central_differences(size, seed):
    N, _, D, H = size
    rng = np.random.default_rng(seed)
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _weights(rng, D, H, 1)
    dh = rng.standard_normal((N, H))
    _, cache = rnn_step_forward(x, h_prev, Wx, Wh, b)
    dx, dh_prev, dWx, dWh, db = rnn_step_backward(dh, cache)

    def f(_):
        return np.sum(rnn_step_forward(x, h_prev, Wx, Wh, b)[0] * dh)

    _check_all(f, [("x", x, dx), ("h_prev", h_prev, dh_prev), ("Wx", Wx, dWx),
                   ("Wh", Wh, dWh), ("b", b, db)])


def test_lstm_step_backward_matches_central_differences(rng):
    N, D, H = 3, 4, 5
    x, h_prev, c_prev = (rng.standard_normal(s) for s in ((N, D), (N, H), (N, H)))
    Wx, Wh, b = _weights(rng, D, H, 4)
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    _, _, cache = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    dx, dh_prev, dc_prev, dWx, dWh, db = lstm_step_backward(dh, dc, cache)

    def f(_):
        h, c, _ = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
        return np.sum(h * dh) + np.sum(c * dc)

    _check_all(f, [("x", x, dx), ("h_prev", h_prev, dh_prev),
                   ("c_prev", c_prev, dc_prev), ("Wx", Wx, dWx), ("Wh", Wh, dWh),
                   ("b", b, db)])


# ------------------------------------------------ the step forms and the sequence forms
def test_looping_the_rnn_step_equals_the_sequence_forward_and_backward(rng):
    N, T, D, H = 3, 7, 4, 5
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _weights(rng, D, H, 1)
    dh = rng.standard_normal((N, T, H))
    h_seq, cache = rnn_forward(x, h0, Wx, Wh, b)
    seq = rnn_backward(dh, cache)
    h, caches = h0, []
    for t in range(T):
        h, c = rnn_step_forward(x[:, t], h, Wx, Wh, b)
        np.testing.assert_allclose(h, h_seq[:, t], rtol=1e-13, atol=1e-13)
        caches.append(c)
    dnext, dWx, dWh, db = np.zeros((N, H)), 0, 0, 0
    for t in reversed(range(T)):
        dx_t, dnext, a, w, c = rnn_step_backward(dh[:, t] + dnext, caches[t])
        np.testing.assert_allclose(dx_t, seq.dx[:, t], rtol=1e-12, atol=1e-12)
        dWx, dWh, db = dWx + a, dWh + w, db + c
    for got, want in ((dnext, seq.dh0), (dWx, seq.dWx), (dWh, seq.dWh), (db, seq.db)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_looping_the_lstm_step_equals_the_sequence_forward_and_backward(rng):
    N, T, D, H = 2, 6, 3, 4
    x = rng.standard_normal((N, T, D))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = _weights(rng, D, H, 4)
    dh = rng.standard_normal((N, T, H))
    h_seq, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    seq = lstm_backward(dh, cache)
    h, c, caches = h0, c0, []
    for t in range(T):
        h, c, k = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        caches.append(k)
    np.testing.assert_allclose(h, h_seq[:, -1], rtol=1e-13, atol=1e-13)
    dhn, dcn, dWh = np.zeros((N, H)), np.zeros((N, H)), 0
    for t in reversed(range(T)):
        _, dhn, dcn, _, w, _ = lstm_step_backward(dh[:, t] + dhn, dcn, caches[t])
        dWh = dWh + w
    for got, want in ((dhn, seq.dh0), (dcn, seq.dc0), (dWh, seq.dWh)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("chunk", [1, 2, 5, 100])
def test_the_backward_chunk_size_does_not_change_the_gradients(rng, chunk):
    N, T, D, H = 3, 11, 4, 5
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _weights(rng, D, H, 1)
    dh = rng.standard_normal((N, T, H))
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    ref = rnn_backward(dh, cache, chunk=T)
    got = rnn_backward(dh, cache, chunk=chunk)
    for a, b_ in zip(ref, got):
        np.testing.assert_allclose(a, b_, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_skipping_dx_leaves_the_other_gradients_unchanged(rng, kind):
    N, T, D, H = 2, 6, 3, 4
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _weights(rng, D, H, {"rnn": 1, "lstm": 4, "gru": 3}[kind])
    if kind == "rnn":
        (_, cache), backward = rnn_forward(x, h0, Wx, Wh, b), rnn_backward
    elif kind == "lstm":
        (_, cache), backward = lstm_forward(x, h0, h0, Wx, Wh, b), lstm_backward
    else:
        (_, cache), backward = gru_forward(x, h0, Wx, Wh, b, b), gru_backward
    dh = rng.standard_normal((N, T, H))
    full, lean = backward(dh, cache), backward(dh, cache, need_dx=False)
    assert lean.dx is None and full.dx.shape == x.shape
    for a, b_ in zip(full[1:], lean[1:]):
        assert np.array_equal(a, b_)


def test_step_jacobian_matches_central_differences(rng):
    H, D = 5, 3
    Wx, Wh, b = _weights(rng, D, H, 1)
    x, h_prev = rng.standard_normal((1, D)), rng.standard_normal((1, H))
    h, _ = rnn_step_forward(x, h_prev, Wx, Wh, b)
    J = step_jacobian(h[0], Wh)
    for i in range(H):
        num = numerical_grad(
            lambda hp: rnn_step_forward(x, hp, Wx, Wh, b)[0][0, i], h_prev
        )
        np.testing.assert_allclose(J[i], num[0], rtol=1e-6, atol=1e-8)


# -------------------------------------------------------------- gradient norms
def test_dh_norms_are_the_norms_of_the_total_gradient_at_each_step(rng):
    # dL/dh_t = dh[:, t] + (what steps t+1.. send back) = dh[:, t] + dh0 of the suffix
    N, T, D, H = 3, 8, 2, 4
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = _weights(rng, D, H, 1)
    dh = rng.standard_normal((N, T, H))
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    norms = rnn_backward(dh, cache).dh_norms
    for t in range(T - 1):
        _, c = rnn_forward(x[:, t + 1 :], h[:, t], Wx, Wh, b)
        total = dh[:, t] + rnn_backward(dh[:, t + 1 :], c).dh0
        assert norms[t] == pytest.approx(np.linalg.norm(total), rel=1e-12)
    assert norms[-1] == pytest.approx(np.linalg.norm(dh[:, -1]), rel=1e-12)


def test_linear_rnn_gradient_is_the_upstream_times_powers_of_Wh_transpose(rng):
    N, T, D, H = 2, 12, 3, 6
    Wx, _, b = _weights(rng, D, H, 1)
    Wh = with_spectral_radius(rng.standard_normal((H, H)), 0.8)
    x = rng.standard_normal((N, T, D))
    dh = np.zeros((N, T, H))
    dh[:, -1] = rng.standard_normal((N, H))
    _, cache = rnn_forward(x, np.zeros((N, H)), Wx, Wh, b, "linear")
    norms = rnn_backward(dh, cache).dh_norms
    for lag in range(T):
        want = np.linalg.norm(dh[:, -1] @ np.linalg.matrix_power(Wh.T, lag))
        assert norms[T - 1 - lag] == pytest.approx(want, rel=1e-10)


def test_gradient_norm_decays_below_radius_one_and_grows_above(rng):
    N, T, H = 4, 60, 32
    W0 = rng.standard_normal((H, H))
    x = 0.1 * rng.standard_normal((N, T, 1))
    dh = np.zeros((N, T, H))
    dh[:, -1] = rng.standard_normal((N, H))
    ratio = {}
    for radius in (0.7, 3.0):  # tanh saturates: growth needs a radius well above 1
        Wh = with_spectral_radius(W0, radius)
        _, cache = rnn_forward(x, np.zeros((N, H)), np.ones((1, H)), Wh, np.zeros(H))
        norms = rnn_backward(dh, cache).dh_norms
        ratio[radius] = norms[T - 41] / norms[T - 1]  # 40 steps back
    assert ratio[0.7] < 1e-4
    assert ratio[3.0] > 1e2


# ----------------------------------------------------------------- layers
@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_carrying_the_state_across_two_calls_equals_one_call(rng, cls):
    cell = cls(3, 5, rng)
    x = rng.standard_normal((2, 9, 3))
    whole = cell.forward(x).copy()
    first = cell.forward(x[:, :4]).copy()
    second = cell.forward(x[:, 4:], cell.state)
    joined = np.concatenate([first, second], axis=1)
    np.testing.assert_allclose(joined, whole, atol=1e-14)


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_layer_backward_adds_into_grads_and_frees_its_cache(rng, cls):
    cell = cls(3, 4, rng)
    x, dh = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 4))
    cell.forward(x)
    cell.backward(dh)
    once = [p.grad.copy() for p in cell.parameters()]
    assert any(np.abs(g).sum() > 0 for g in once)
    cell.forward(x)
    cell.backward(dh)
    for p, g in zip(cell.parameters(), once):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-12)
    with pytest.raises(RuntimeError, match="before forward"):
        cell.backward(dh)


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_float32_layers_stay_float32(rng, cls):
    model = SequenceModel(cls(3, 4, rng, dtype=np.float32), 2, rng)
    x, y = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 2))
    out = model.forward(x)
    assert out.dtype == np.float32
    model.backprop(x, y)
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


@pytest.mark.parametrize("cls", [LSTM, GRU, RNN])
def test_huge_inputs_saturate_without_overflow_warnings(rng, cls):
    cell = cls(2, 3, rng)
    x = np.full((2, 4, 2), 1000.0)
    x[0] *= -1
    h = cell.forward(x)  # pytest turns RuntimeWarnings into errors (pyproject)
    assert np.all(np.isfinite(h))
    dx = cell.backward(np.ones_like(h))
    assert np.all(np.isfinite(dx))


def test_rnn_init_has_the_requested_spectral_radius(rng):
    cell = RNN(3, 20, rng, radius=1.3)
    assert spectral_radius(cell.Wh.data) == pytest.approx(1.3, rel=1e-10)
    assert with_spectral_radius(np.eye(3) * 2, 0.5)[0, 0] == pytest.approx(0.5)


# ------------------------------------------------------ models and truncation
def _model(kind, rng, D=3, H=4, O=2, loss="mse", many_to_one=False):
    cell = {"rnn": RNN, "lstm": LSTM, "gru": GRU}[kind](D, H, rng)
    return SequenceModel(cell, O, rng, loss=loss, many_to_one=many_to_one)


def _targets(rng, N, T, O, loss, many_to_one):
    if loss == "mse":
        return rng.standard_normal((N, O) if many_to_one else (N, T, O))
    return rng.integers(0, O, (N,) if many_to_one else (N, T))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("loss,many_to_one", [("mse", False), ("cross_entropy", True),
                                              ("cross_entropy", False), ("mse", True)])
def test_full_bptt_of_a_sequence_model_matches_central_differences(
    kind, loss, many_to_one
):
    rng = np.random.default_rng(7)
    N, T, O = 2, 5, 3
    model = _model(kind, rng, O=O, loss=loss, many_to_one=many_to_one)
    x = rng.standard_normal((N, T, 3))
    y = _targets(rng, N, T, O, loss, many_to_one)
    model.zero_grad()
    loss_value = model.backprop(x, y)
    assert loss_value == pytest.approx(model.loss(x, y), rel=1e-12)
    for p in model.parameters():
        num = numerical_grad(lambda _: model.loss(x, y), p.data)
        np.testing.assert_allclose(p.grad, num, rtol=1e-5, atol=1e-8, err_msg=p.name)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_truncated_bptt_with_k_equal_T_is_exactly_full_bptt(kind):
    rng = np.random.default_rng(3)
    N, T = 3, 13
    model = _model(kind, rng)
    x, y = rng.standard_normal((N, T, 3)), rng.standard_normal((N, T, 2))
    # full BPTT composed by hand from the layers
    model.zero_grad()
    h = model.cell.forward(x)
    loss, dout = sequence_mse(model.readout.forward(h), y)
    model.cell.backward(model.readout.backward(dout))
    full = [p.grad.copy() for p in model.parameters()]
    full_norms = model.cell.dh_norms
    for k1, k2 in ((T, T), (T, None), (T + 5, T + 9)):
        model.zero_grad()
        res = tbptt(model, x, y, k1=k1, k2=k2)
        assert res.updates == 1 and res.loss == loss
        for p, g in zip(model.parameters(), full):
            assert np.array_equal(p.grad, g), p.name
        assert np.array_equal(res.dh_norms, full_norms)


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_windows_reaching_past_the_start_give_the_full_gradient(kind):
    """k2 >= T: every window reaches back to step 0, so the gradients summed over
    the windows are full BPTT's, even when T is not a multiple of k1 (the last
    window used to stop early)."""
    rng = np.random.default_rng(5)
    N, T = 2, 10
    model = _model(kind, rng)
    x, y = rng.standard_normal((N, T, 3)), rng.standard_normal((N, T, 2))
    model.zero_grad()
    tbptt(model, x, y, k1=T)
    full = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    res = tbptt(model, x, y, k1=4, k2=12)
    assert res.updates == 3
    for p, g in zip(model.parameters(), full):
        np.testing.assert_allclose(p.grad, g, rtol=1e-12, atol=1e-14, err_msg=p.name)


def _window_loss(model, x, y, w0, prev, stop, start_state, T):
    """The loss tbptt backpropagates in one window: its start state held fixed."""
    h = model.cell.forward(x[:, w0:stop], start_state)
    out = model.readout.forward(h[:, prev - w0 :])
    return model.loss_fn(out, y[:, prev:stop])[0] * (stop - prev) / T


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
@pytest.mark.parametrize("k1,k2", [(3, 3), (2, 5), (4, 6), (5, 5), (4, 15), (3, 12)])
def test_truncated_gradient_is_the_gradient_of_the_windows_with_their_start_cut(
    kind, k1, k2
):
    rng = np.random.default_rng(11)
    N, T = 2, 11
    model = _model(kind, rng)
    x, y = rng.standard_normal((N, T, 3)), rng.standard_normal((N, T, 2))
    model.zero_grad()
    res = tbptt(model, x, y, k1=k1, k2=k2)
    assert res.updates == math.ceil(T / k1)
    # the states entering each window, from one forward pass (constants below)
    model.cell.forward(x)
    states = [model.cell.initial_state(N)] + [model.cell.state_at(t) for t in range(T)]
    windows = [(max(s - (k2 - k1), 0), s, min(s + k1, T)) for s in range(0, T, k1)]

    def surrogate(_):
        return sum(_window_loss(model, x, y, w0, p, s, states[w0], T)
                   for w0, p, s in windows)

    assert res.loss == pytest.approx(
        sum(_window_loss(model, x, y, p, p, s, states[p], T) for _, p, s in windows),
        rel=1e-12,
    )
    for p in model.parameters():
        num = numerical_grad(surrogate, p.data)
        np.testing.assert_allclose(p.grad, num, rtol=1e-5, atol=1e-8, err_msg=p.name)


def test_truncated_gradient_departs_from_full_and_approaches_it_as_k_grows():
    rng = np.random.default_rng(0)
    N, T = 4, 48
    model = SequenceModel(RNN(2, 16, rng, radius=0.95), 1, rng)
    x = rng.standard_normal((N, T, 2))
    y = np.cumsum(x[..., :1], axis=1) * 0.2  # the target needs the whole past
    model.zero_grad()
    model.backprop(x, y)
    full = grad_vector(model.parameters())
    errors = []
    for k in (2, 6, 16, 48):
        model.zero_grad()
        tbptt(model, x, y, k1=k)
        errors.append(np.linalg.norm(grad_vector(model.parameters()) - full)
                      / np.linalg.norm(full))
    assert errors[0] > 0.05
    assert errors[0] > errors[1] > errors[2] > errors[3] == 0.0


def test_tbptt_calls_update_after_every_window_and_returns_the_end_state(rng):
    model = _model("rnn", rng)
    x, y = rng.standard_normal((2, 10, 3)), rng.standard_normal((2, 10, 2))
    calls = []
    res = tbptt(model, x, y, k1=4, update=lambda: calls.append(1))
    assert len(calls) == res.updates == 3
    model.forward(x)
    np.testing.assert_allclose(res.state, model.cell.state, atol=1e-14)


def test_many_to_one_tbptt_backpropagates_only_the_last_window(rng):
    model = _model("lstm", rng, loss="cross_entropy", many_to_one=True)
    x, y = rng.standard_normal((2, 10, 3)), np.array([0, 1])
    res = tbptt(model, x, y, k1=3)
    assert res.updates == 1
    assert np.all(res.dh_norms[:9] == 0) and res.dh_norms[9] > 0


def test_chunk_average_makes_every_window_its_own_mean(rng):
    model = _model("rnn", rng)
    x, y = rng.standard_normal((2, 8, 3)), rng.standard_normal((2, 8, 2))
    model.zero_grad()
    tbptt(model, x, y, k1=4, average="sequence")
    seq = grad_vector(model.parameters())
    model.zero_grad()
    tbptt(model, x, y, k1=4, average="chunk")
    np.testing.assert_allclose(grad_vector(model.parameters()), 2 * seq, rtol=1e-12)


def test_tbptt_with_an_optimizer_lowers_the_loss(rng):
    from bpkit.optim import Adam

    model = _model("rnn", rng, D=1, H=8, O=1)
    t = np.arange(40)
    x = np.sin(0.3 * t)[None, :, None].repeat(4, axis=0)
    y = np.sin(0.3 * (t + 1))[None, :, None].repeat(4, axis=0)
    opt = Adam(model.parameters(), lr=0.02)
    opt.zero_grad()
    first = model.loss(x, y)

    def update():
        opt.step()
        opt.zero_grad()

    for _ in range(60):
        tbptt(model, x, y, k1=10, update=update, average="chunk")
    assert model.loss(x, y) < 0.1 * first


# ------------------------------------------------------------------- memory
def _peak(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_full_bptt_peak_is_at_most_1_5x_the_stored_states(rng):
    N, T, D, H = 16, 200, 8, 64
    x = rng.standard_normal((N, T, D)).astype(np.float32)
    dh = rng.standard_normal((N, T, H)).astype(np.float32)
    cell = RNN(D, H, rng, dtype=np.float32)
    stored = N * T * H * 4
    def full_bptt(layer):
        layer.forward(x)
        layer.backward(dh)  # dx included

    assert _peak(lambda: full_bptt(cell)) < 1.5 * stored
    lstm = LSTM(D, H, rng, dtype=np.float32)
    stored = 6 * N * T * H * 4  # h, c and four gates
    assert _peak(lambda: full_bptt(lstm)) < 1.5 * stored


def test_truncated_bptt_peak_memory_does_not_grow_with_T(rng):
    model = SequenceModel(RNN(4, 32, rng, dtype=np.float32), 1, rng)
    peaks = {}
    for T in (100, 800):
        x = rng.standard_normal((8, T, 4)).astype(np.float32)
        y = rng.standard_normal((8, T, 1)).astype(np.float32)
        peaks[T] = (_peak(lambda: tbptt(model, x, y, k1=20)),
                    _peak(lambda: tbptt(model, x, y, k1=T)))
    assert peaks[800][0] < 1.1 * peaks[100][0]  # truncated: flat
    assert peaks[800][1] > 5 * peaks[100][1]  # full: grows with T


# -------------------------------------------------------------- shape errors
def test_shape_errors_name_expected_and_received_shapes(rng):
    N, T, D, H = 2, 5, 3, 4
    x, h0 = rng.standard_normal((N, T, D)), np.zeros((N, H))
    Wx, Wh, b = _weights(rng, D, H, 1)
    with pytest.raises(ValueError, match=r"x has shape \(2, 5, 4\), expected \(N, T, 3"):
        rnn_forward(rng.standard_normal((N, T, 4)), h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"x has shape \(2, 3\), expected \(N, T, 3\)"):
        rnn_forward(rng.standard_normal((N, 3)), h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"h0 has shape \(2, 5\), expected \(2, 4\)"):
        rnn_forward(x, np.zeros((N, 5)), Wx, Wh, b)
    with pytest.raises(ValueError, match=r"Wh has shape \(4, 5\), expected \(H, H\)"):
        rnn_forward(x, h0, Wx, np.zeros((4, 5)), b)
    with pytest.raises(ValueError, match=r"Wx has shape \(3, 5\), expected \(D, 4\)"):
        rnn_forward(x, h0, np.zeros((3, 5)), Wh, b)
    with pytest.raises(ValueError, match=r"b has shape \(5,\), expected \(4,\)"):
        rnn_forward(x, h0, Wx, Wh, np.zeros(5))
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"dh has shape \(2, 6, 4\), expected \(2, 5, 4"):
        rnn_backward(np.zeros((N, 6, H)), cache)
    with pytest.raises(ValueError, match="unknown activation 'sigmoid'"):
        rnn_forward(x, h0, Wx, Wh, b, "sigmoid")
    with pytest.raises(ValueError, match=r"x has shape \(2, 4\), expected \(N, 3\)"):
        rnn_step_forward(np.zeros((N, 4)), h0, Wx, Wh, b)
    Wx4, Wh4, b4 = _weights(rng, D, H, 4)
    with pytest.raises(ValueError, match=r"c0 has shape \(2, 3\), expected \(2, 4\)"):
        lstm_forward(x, h0, np.zeros((N, 3)), Wx4, Wh4, b4)
    with pytest.raises(ValueError, match=r"Wh has shape \(4, 4\), expected \(H, 4\*H"):
        lstm_forward(x, h0, h0, Wx4, Wh, b4)


def test_model_shape_errors(rng):
    model = _model("rnn", rng)
    x = rng.standard_normal((2, 5, 3))
    with pytest.raises(ValueError, match=r"y has shape \(2, 6, 2\), expected \(2, 5"):
        model.backprop(x, rng.standard_normal((2, 6, 2)))
    with pytest.raises(ValueError, match=r"target has shape \(2, 5, 1\)"):
        model.backprop(x, rng.standard_normal((2, 5, 1)))
    with pytest.raises(ValueError, match="k2 = 2 < k1 = 3"):
        tbptt(model, x, rng.standard_normal((2, 5, 2)), k1=3, k2=2)
    with pytest.raises(ValueError, match="k1 must be a positive integer"):
        tbptt(model, x, rng.standard_normal((2, 5, 2)), k1=0)
    with pytest.raises(ValueError, match=r"x has shape \(2, 5, 4\), expected \(N, T, 3"):
        model.forward(rng.standard_normal((2, 5, 4)))
    with pytest.raises(ValueError, match=r"y has shape \(2, 4\), expected \(2, 5\)"):
        sequence_cross_entropy(np.zeros((2, 5, 3)), np.zeros((2, 4), int))
    with pytest.raises(ValueError, match=r"state must be a pair \(h0, c0\)"):
        LSTM(3, 4, rng).forward(x, np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"dout has shape \(2, 5, 3\), expected \(2, 5, 2"):
        lin = TemporalLinear(4, 2, rng)
        lin.forward(np.zeros((2, 5, 4)))
        lin.backward(np.zeros((2, 5, 3)))


# ---------------------------------------------------------------- sampling
def test_generate_is_reproducible_and_stays_in_the_vocabulary(rng):
    V = 6
    model = SequenceModel(RNN(V, 8, rng), V, rng, loss="cross_entropy")
    a = generate(model, [1, 2], 30, np.random.default_rng(5))
    b = generate(model, [1, 2], 30, np.random.default_rng(5))
    assert a == b and len(a) == 30 and 0 <= min(a) and max(a) < V
    cold = generate(model, [1, 2], 30, np.random.default_rng(5), temperature=1e-3)
    assert len(set(cold[5:])) <= 3  # nearly greedy: falls into a short cycle
    with pytest.raises(ValueError, match="as many inputs as outputs"):
        generate(SequenceModel(RNN(3, 8, rng), V, rng), [0], 5, rng)


# -------------------------------------------------------------------- torch
def _torch_rnn_pair(kind, D, H, rng, nonlinearity="tanh"):
    torch = pytest.importorskip("torch")
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    kw = {"nonlinearity": nonlinearity} if kind == "rnn" else {}
    ref = cls(D, H, batch_first=True, **kw).double()
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.from_numpy(0.5 * rng.standard_normal(tuple(p.shape))))
    return torch, ref


@pytest.mark.torch
@pytest.mark.parametrize("kind,nonlinearity",
                         [("rnn", "tanh"), ("rnn", "relu"), ("lstm", ""), ("gru", "")])
def test_gradients_equal_torch_autograd_in_float64(rng, kind, nonlinearity):
    N, T, D, H = 3, 9, 4, 5
    torch, ref = _torch_rnn_pair(kind, D, H, rng, nonlinearity)
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    c0 = rng.standard_normal((N, H))
    dh = rng.standard_normal((N, T, H))
    w_ih = ref.weight_ih_l0.detach().numpy().T
    w_hh = ref.weight_hh_l0.detach().numpy().T
    b_ih, b_hh = ref.bias_ih_l0.detach().numpy(), ref.bias_hh_l0.detach().numpy()
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    c0t = torch.tensor(c0[None], requires_grad=True)
    if kind == "lstm":
        out, _ = ref(xt, (h0t, c0t))
        h, cache = lstm_forward(x, h0, c0, w_ih, w_hh, b_ih + b_hh)
        g = lstm_backward(dh, cache)
        ours = {"x": g.dx, "h0": g.dh0, "c0": g.dc0, "w_ih": g.dWx.T, "w_hh": g.dWh.T,
                "b_ih": g.db, "b_hh": g.db}
    elif kind == "gru":
        out, _ = ref(xt, h0t)
        h, cache = gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
        g = gru_backward(dh, cache)
        ours = {"x": g.dx, "h0": g.dh0, "w_ih": g.dWx.T, "w_hh": g.dWh.T,
                "b_ih": g.dbx, "b_hh": g.dbh}
    else:
        out, _ = ref(xt, h0t)
        h, cache = rnn_forward(x, h0, w_ih, w_hh, b_ih + b_hh, nonlinearity)
        g = rnn_backward(dh, cache)
        ours = {"x": g.dx, "h0": g.dh0, "w_ih": g.dWx.T, "w_hh": g.dWh.T,
                "b_ih": g.db, "b_hh": g.db}
    out.backward(torch.from_numpy(dh))
    assert rel_error(h, out.detach().numpy()) < 1e-12
    theirs = {"x": xt.grad, "h0": h0t.grad[0], "c0": c0t.grad,
              "w_ih": ref.weight_ih_l0.grad, "w_hh": ref.weight_hh_l0.grad,
              "b_ih": ref.bias_ih_l0.grad, "b_hh": ref.bias_hh_l0.grad}
    if kind == "lstm":
        theirs["c0"] = c0t.grad[0]
    for name, mine in ours.items():
        err = rel_error(mine, theirs[name].numpy())
        assert err < 1e-10, f"{name}: relative error {err:.1e} against torch"


@pytest.mark.torch
def test_truncated_bptt_equals_torch_with_detached_state_every_k_steps(rng):
    torch = pytest.importorskip("torch")
    N, T, D, H, k = 3, 14, 2, 5, 4
    model = SequenceModel(RNN(D, H, rng), 1, rng)
    x, y = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, 1))
    model.zero_grad()
    res = tbptt(model, x, y, k1=k)
    Wx, Wh, b, Wy, by = (torch.tensor(p.data, requires_grad=True)
                         for p in model.parameters())
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    h, total = torch.zeros(N, H, dtype=torch.float64), 0
    for t in range(T):
        if t % k == 0:
            h = h.detach()  # the truncation: no gradient across the window start
        h = torch.tanh(xt[:, t] @ Wx + h @ Wh + b)
        total = total + ((h @ Wy + by - yt[:, t]) ** 2).sum()
    total = total / (N * T)
    total.backward()
    assert res.loss == pytest.approx(total.item(), rel=1e-12)
    for p, q in zip(model.parameters(), (Wx, Wh, b, Wy, by)):
        assert rel_error(p.grad, q.grad.numpy()) < 1e-10, p.name


def test_peak_memory_is_not_fooled_by_a_run_freeing_what_the_last_one_left():
    held = {}

    def replace_cache():
        held.pop("cache", None)  # frees the previous run's 8 MB first...
        held["cache"] = np.ones(1_000_000)  # ...then allocates 8 MB again

    _, peak = peak_memory(replace_cache, repeats=3)
    assert peak >= 8_000_000  # the smallest of the three runs would read ~0


@pytest.mark.parametrize("bad, err", [(0, ValueError), (1.5, ValueError),
                                      (True, ValueError)])
def test_peak_memory_names_a_bad_repeats(bad, err):
    with pytest.raises(err, match="repeats must be a positive integer"):
        peak_memory(lambda: None, repeats=bad)


def test_gradient_norms_stay_finite_while_the_gradient_does():
    # squaring entries above ~1.3e154 overflows; the recorded norm must not
    from bpkit.rnn._norm import grad_norm
    from bpkit.rnn.gradient_over_time import GradientOverTimeModel
    assert grad_norm(np.array([3e200, 4e200])) == pytest.approx(5e200)
    m = GradientOverTimeModel(radius=3.0, activation="linear", T=400)
    assert np.all(np.isfinite(m.norms)) and m.norms[-1] > 1e180
    assert "overflows" not in m.message and "first 20 steps back" in m.message
