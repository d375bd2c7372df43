"""bpkit.attention: every backward against central differences, shapes, masks, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpkit.attention import (
    AttentionExplorer,
    Embedding,
    LayerNorm,
    MultiHeadAttention,
    TransformerBlock,
    TransformerLM,
    attention_backward,
    attention_forward,
    block_gradient_norms,
    causal_mask,
    gradient_over_lag,
    layer_norm_backward,
    layer_norm_forward,
    pass_memory,
    softmax,
    softmax_backward,
)
from bpkit.gradcheck import numerical_grad
from bpkit.layers import Sequential
from bpkit.optim import Adam

SETTINGS = settings(max_examples=20, deadline=None)


def _close_fd(f, pairs, rtol=1e-5, atol=1e-7):
    for name, arr, grad in pairs:
        np.testing.assert_allclose(grad, numerical_grad(f, arr), rtol=rtol, atol=atol,
                                   err_msg=f"d{name}")


def _random_mask(rng, T, S):
    m = rng.random((T, S)) < 0.6
    m[np.arange(T), rng.integers(0, S, T)] = True  # every query keeps a key
    return m


# ------------------------------------------------------------------ softmax
def test_softmax_is_stable_at_large_scores_and_sums_to_one():
    z = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = softmax(z)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(p[1], 1 / 3)
    assert p[0, 0] == 1.0


def test_softmax_of_a_fully_masked_row_is_refused():
    with pytest.raises(ValueError, match="-inf everywhere"):
        softmax(np.array([[0.0, 1.0], [-np.inf, -np.inf]]))


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_softmax_backward_equals_finite_differences(n, s, seed):
    rng = np.random.default_rng(seed)
    z, dp = rng.standard_normal((n, s)), rng.standard_normal((n, s))
    dz = softmax_backward(dp, softmax(z))
    _close_fd(lambda _: np.sum(softmax(z) * dp), [("z", z, dz)])


def test_softmax_backward_equals_the_row_jacobian_product():
    rng = np.random.default_rng(0)
    z, dp = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    p = softmax(z)
    for i in range(3):
        J = np.diag(p[i]) - np.outer(p[i], p[i])
        np.testing.assert_allclose(softmax_backward(dp, p)[i], dp[i] @ J, atol=1e-15)


def test_softmax_backward_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match=r"dp has shape \(2, 3\), expected \(2, 4\)"):
        softmax_backward(np.zeros((2, 3)), np.ones((2, 4)) / 4)


# ------------------------------------------------------------------ attention
@st.composite
def attention_cases(draw):
    """q (B, T, d), k (B, S, d), v (B, S, e), dout, and a mask (T, S) or None."""
    B, T, S, d, e = (draw(st.integers(1, n)) for n in (2, 5, 5, 4, 4))
    kind = draw(st.sampled_from(["none", "causal", "random"]))
    if kind == "causal":
        S = max(S, T)  # with fewer keys than queries the first queries see none
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    q, k, v = (rng.standard_normal(s) for s in ((B, T, d), (B, S, d), (B, S, e)))
    mask = None if kind == "none" else (
        causal_mask(T, S) if kind == "causal" else _random_mask(rng, T, S))
    return q, k, v, rng.standard_normal((B, T, e)), mask


@SETTINGS
@given(attention_cases())
def test_attention_backward_equals_finite_differences_over_shapes_and_masks(case):
    q, k, v, dout, mask = case
    _, cache = attention_forward(q, k, v, mask=mask)
    dq, dk, dv = attention_backward(dout, cache)

    def loss(_):
        return np.sum(attention_forward(q, k, v, mask=mask)[0] * dout)

    _close_fd(loss, [("q", q, dq), ("k", k, dk), ("v", v, dv)])


def test_masked_keys_get_zero_weight_and_zero_gradient():
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((5, 3)) for _ in range(3))
    out, cache = attention_forward(q, k, v, causal=True)
    assert np.all(cache.p[np.triu_indices(5, 1)] == 0)
    dout = np.zeros_like(out)
    dout[1] = 1.0  # only query 1: keys 2.. are hidden from it
    _, dk, dv = attention_backward(dout, cache)
    assert np.all(dk[2:] == 0) and np.all(dv[2:] == 0)
    assert np.all(np.abs(dv[:2]) > 0)


def test_causal_mask_is_the_lower_triangle_and_aligns_the_last_query_with_the_last_key():
    np.testing.assert_array_equal(causal_mask(3), np.tril(np.ones((3, 3), bool)))
    m = causal_mask(2, 4)  # two new queries after two cached keys
    np.testing.assert_array_equal(m, [[1, 1, 1, 0], [1, 1, 1, 1]])
    with pytest.raises(ValueError, match="first 1 queries would see no key"):
        causal_mask(3, 2)


def test_attention_broadcasts_one_key_set_over_a_batch_of_queries_and_sums_its_gradient():
    rng = np.random.default_rng(2)
    q, k, v = rng.standard_normal((3, 4, 2)), rng.standard_normal((4, 2)), \
        rng.standard_normal((4, 5))
    dout = rng.standard_normal((3, 4, 5))
    _, cache = attention_forward(q, k, v)
    _, dk, dv = attention_backward(dout, cache)
    assert dk.shape == k.shape and dv.shape == v.shape
    _close_fd(lambda _: np.sum(attention_forward(q, k, v)[0] * dout),
              [("k", k, dk), ("v", v, dv)])


@pytest.mark.parametrize("args, match", [
    ((np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((2, 5))),
     r"k has shape \(2, 4\), expected \(..., S, 3\)"),
    ((np.zeros((2, 3)), np.zeros((4, 3)), np.zeros((5, 2))),
     r"v has shape \(5, 2\), expected \(..., 4, e\)"),
    ((np.zeros(3), np.zeros((4, 3)), np.zeros((4, 2))), r"q has shape \(3,\)"),
])
def test_attention_names_the_mismatched_argument(args, match):
    with pytest.raises(ValueError, match=match):
        attention_forward(*args)


def test_attention_refuses_bad_masks():
    q = k = v = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"mask has shape \(2, 3\), expected \(T, S\) = \(3, 3\)"):
        attention_forward(q, k, v, mask=np.ones((2, 3), bool))
    with pytest.raises(TypeError, match="boolean"):
        attention_forward(q, k, v, mask=np.ones((3, 3)))
    m = np.ones((3, 3), bool)
    m[1] = False
    with pytest.raises(ValueError, match="hides every key from some query"):
        attention_forward(q, k, v, mask=m)
    with pytest.raises(ValueError, match=r"dout has shape \(3, 3\), expected \(3, 2\)"):
        attention_backward(np.zeros((3, 3)), attention_forward(q, k, v)[1])
    with pytest.raises(TypeError, match="AttentionCache"):
        attention_backward(np.zeros((3, 2)), (q, k, v))


# ------------------------------------------------------------------ layer norm
@SETTINGS
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_layer_norm_backward_equals_finite_differences(n, t, d, seed):
    rng = np.random.default_rng(seed)
    x, dy = rng.standard_normal((n, t, d)), rng.standard_normal((n, t, d))
    gamma, beta = rng.standard_normal(d), rng.standard_normal(d)
    _, cache = layer_norm_forward(x, gamma, beta)
    dx, dgamma, dbeta = layer_norm_backward(dy, cache)

    def loss(_):
        return np.sum(layer_norm_forward(x, gamma, beta)[0] * dy)

    _close_fd(loss, [("x", x, dx), ("gamma", gamma, dgamma), ("beta", beta, dbeta)])


def test_layer_norm_normalises_each_row_not_each_feature():
    x = np.random.default_rng(3).normal(5, 3, (4, 6))
    y = LayerNorm(6).forward(x)
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=1), 1, atol=1e-5)
    assert np.abs(y.mean(axis=0)).max() > 0.1  # features are not centred


def test_layer_norm_refuses_the_wrong_width_and_dy():
    ln = LayerNorm(4)
    with pytest.raises(ValueError, match=r"x has shape \(2, 3\), expected \(..., 4\)"):
        ln.forward(np.zeros((2, 3)))
    ln.forward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"dy has shape \(2, 5\), expected \(2, 4\)"):
        ln.backward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="eps"):
        LayerNorm(4, eps=0)


# ------------------------------------------------------------------ layers
def _params_fd(layer, run, params, rtol=1e-5, atol=1e-7):
    for p in params:
        np.testing.assert_allclose(p.grad, numerical_grad(lambda _: run(), p.data),
                                   rtol=rtol, atol=atol, err_msg=p.name)


@SETTINGS
@given(st.integers(1, 2), st.integers(1, 5), st.sampled_from([(4, 1), (4, 2), (6, 3)]),
       st.booleans(), st.booleans(), st.integers(0, 2**32 - 1))
def test_multi_head_attention_backward_equals_finite_differences(n, t, dh, causal,
                                                                  masked, seed):
    D, h = dh
    rng = np.random.default_rng(seed)
    mha = MultiHeadAttention(D, h, rng, causal=causal)
    for p in mha.parameters():
        p.data += 0.1 * rng.standard_normal(p.shape)  # nonzero biases
    x, dy = rng.standard_normal((n, t, D)), rng.standard_normal((n, t, D))
    mask = _random_mask(rng, t, t) | np.eye(t, dtype=bool) if masked else None
    mha.forward(x, mask)
    dx = mha.backward(dy)

    def run():
        return np.sum(mha.forward(x, mask) * dy)

    _close_fd(lambda _: run(), [("x", x, dx)])
    _params_fd(mha, run, mha.parameters())


def test_multi_head_attention_refuses_heads_that_do_not_divide_the_features():
    with pytest.raises(ValueError, match="features = 6 is not divisible by heads = 4"):
        MultiHeadAttention(6, 4, np.random.default_rng(0))
    mha = MultiHeadAttention(6, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"x has shape \(2, 3, 5\), expected \(N, T, 6\)"):
        mha.forward(np.zeros((2, 3, 5)))
    mha.forward(np.zeros((2, 3, 6)))
    with pytest.raises(ValueError, match=r"dout has shape \(2, 3, 5\)"):
        mha.backward(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match=r"mask has shape \(4, 4\), expected \(T, S\) = \(3, 3\)"):
        mha.forward(np.zeros((2, 3, 6)), np.ones((4, 4), bool))


def test_causal_attention_output_at_t_does_not_depend_on_later_inputs():
    rng = np.random.default_rng(4)
    mha = MultiHeadAttention(4, 2, rng, causal=True)
    x = rng.standard_normal((1, 6, 4))
    y = mha.forward(x)
    x2 = x.copy()
    x2[0, 3:] += 10
    np.testing.assert_allclose(mha.forward(x2)[0, :3], y[0, :3], atol=1e-14)
    assert not np.allclose(mha.forward(x2)[0, 3:], y[0, 3:])


@pytest.mark.parametrize("residual", [True, False])
def test_transformer_block_backward_equals_finite_differences(residual):
    rng = np.random.default_rng(5)
    blk = TransformerBlock(4, 2, rng, hidden=6, residual=residual)
    for p in blk.parameters():
        p.data += 0.1 * rng.standard_normal(p.shape)
    x, dy = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    blk.forward(x)
    dx = blk.backward(dy)

    def run():
        return np.sum(blk.forward(x) * dy)

    _close_fd(lambda _: run(), [("x", x, dx)])
    _params_fd(blk, run, blk.parameters())


def test_one_block_used_twice_in_a_sequential_gets_the_gradient_of_both_uses():
    rng = np.random.default_rng(9)
    blk = TransformerBlock(4, 2, rng, hidden=6)
    for p in blk.parameters():
        p.data += 0.1 * rng.standard_normal(p.shape)
    twice = Sequential(blk, blk)  # shared weights: y = blk(blk(x))
    x, dy = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    twice.forward(x)
    dx = twice.backward(dy)

    def run():
        return np.sum(twice.forward(x) * dy)

    _close_fd(lambda _: run(), [("x", x, dx)])
    _params_fd(blk, run, blk.parameters())


def test_embedding_adds_the_gradients_of_a_repeated_id():
    rng = np.random.default_rng(6)
    emb = Embedding(5, 3, 4, rng)
    ids = np.array([[1, 1, 2], [4, 1, 0]])
    dy = rng.standard_normal((2, 3, 3))
    emb.forward(ids)
    emb.backward(dy)
    np.testing.assert_allclose(emb.tokens.grad[1], dy[0, 0] + dy[0, 1] + dy[1, 1])
    np.testing.assert_allclose(emb.positions.grad[:3], dy.sum(axis=0))
    assert np.all(emb.positions.grad[3] == 0) and np.all(emb.tokens.grad[3] == 0)
    with pytest.raises(ValueError, match="1 <= T <= context = 4"):
        emb.forward(np.zeros((1, 5), int))
    with pytest.raises(ValueError, match="label 5"):
        emb.forward(np.array([[5]]))


def test_transformer_lm_gradients_equal_finite_differences():
    rng = np.random.default_rng(7)
    lm = TransformerLM(6, 4, 2, 2, 5, rng, hidden=8)
    ids, y = rng.integers(0, 6, (2, 5)), rng.integers(0, 6, (2, 5))
    lm.zero_grad()
    lm.backprop(ids, y)

    def run():
        from bpkit.rnn import sequence_cross_entropy
        return sequence_cross_entropy(lm.forward(ids), y)[0]

    for p in lm.parameters():
        np.testing.assert_allclose(p.grad, numerical_grad(lambda _: run(), p.data),
                                   rtol=1e-5, atol=1e-8, err_msg=p.name)


def test_transformer_lm_learns_a_repeating_sequence_and_samples_it():
    rng = np.random.default_rng(8)
    lm = TransformerLM(4, 8, 2, 1, 8, rng)
    seq = np.tile(np.arange(4), 3)  # 0 1 2 3 0 1 2 3 ...
    ids, y = seq[None, :8], seq[None, 1:9]
    opt = Adam(lm.parameters(), lr=0.03)
    first = lm.backprop(ids, y)
    for _ in range(60):
        opt.zero_grad()
        last = lm.backprop(ids, y)
        opt.step()
    assert last < 0.1 * first
    out = lm.generate([0, 1], 6, np.random.default_rng(0), temperature=0.5)
    assert out == [2, 3, 0, 1, 2, 3]


def test_transformer_lm_generate_refuses_bad_arguments():
    lm = TransformerLM(4, 4, 1, 1, 4, np.random.default_rng(0))
    with pytest.raises(TypeError, match="list of symbol ids"):
        lm.generate("ab", 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least one"):
        lm.generate([], 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="temperature"):
        lm.generate([0], 3, np.random.default_rng(0), temperature=0)


# ------------------------------------------------------------------ studies
def test_gradient_reaches_far_back_through_attention_but_vanishes_through_the_rnn():
    rnn = gradient_over_lag("rnn", 32, 16, np.random.default_rng(0))
    att = gradient_over_lag("attention", 32, 16, np.random.default_rng(0))
    assert rnn.shape == att.shape == (32,)
    assert rnn[31] < 1e-3 * rnn[0]
    assert att[31] > 0.01 * att[0]
    with pytest.raises(ValueError, match="unknown kind 'gru'"):
        gradient_over_lag("gru", 4, 4, np.random.default_rng(0))


def test_residual_stream_carries_the_top_gradient_down_the_stack():
    res = block_gradient_norms(4, True, np.random.default_rng(0), T=4, batch=2)
    plain = block_gradient_norms(4, False, np.random.default_rng(0), T=4, batch=2)
    assert res.norms.shape == res.cosines.shape == (5,)
    assert res.cosines[-1] == pytest.approx(1.0)
    assert res.cosines[0] > 0.2 > abs(plain.cosines[0])


def test_block_gradients_along_is_the_component_along_the_top_gradient():
    res = block_gradient_norms(3, True, np.random.default_rng(1), T=4, batch=2)
    assert res.along.shape == (4,) and res.along[-1] == pytest.approx(1.0)
    np.testing.assert_allclose(res.along, res.norms * res.cosines / res.norms[-1])


def test_attention_pass_memory_grows_faster_than_the_rnns():
    rng = np.random.default_rng(0)
    a = [pass_memory("attention", T, rng, features=16) for T in (32, 128)]
    r = [pass_memory("rnn", T, rng, features=16) for T in (32, 128)]
    assert a[1] / a[0] > 8 and r[1] / r[0] < 6


def test_explorer_hides_future_keys_under_the_causal_mask():
    ex = AttentionExplorer(T=6, query=2, causal=True)
    assert ex.visible == 3
    np.testing.assert_allclose(ex.weights.sum(), 1.0)
    assert np.all(ex.weights[3:] == 0) and np.all(ex.dv_norms[3:] == 0)
    ex.set_causal(False)
    assert np.all(ex.weights > 0) and np.all(ex.dv_norms > 0)
    # value s receives p[t, s] * g
    np.testing.assert_allclose(ex.dv_norms, ex.weights * np.linalg.norm(ex.g))
    with pytest.raises(ValueError, match="query"):
        ex.set_query(6)


@pytest.mark.parametrize("gamma, beta, eps, error, match", [
    ([1.0, 1.0, 1.0, 1.0], np.zeros(4), 1e-5, None, None),  # a list is fine
    (np.ones(5), np.zeros(5), 1e-5, ValueError, r"x has shape \(2, 4\), expected \(..., 5\): .* gamma"),
    (np.ones((1, 4)), np.zeros(4), 1e-5, ValueError, r"gamma has shape \(1, 4\), expected \(D,\)"),
    (np.ones(4), np.zeros(3), 1e-5, ValueError, r"beta has shape \(3,\), expected \(4,\)"),
    (np.ones(4), np.zeros(4), 0.0, ValueError, "eps"),
    (np.ones(4), np.zeros(4), -1.0, ValueError, "eps"),
    ("abc", np.zeros(4), 1e-5, TypeError, "gamma"),
])
def test_layer_norm_forward_checks_gamma_beta_and_eps(gamma, beta, eps, error, match):
    x = np.ones((2, 4))  # constant rows: eps = 0 would divide by 0
    if error is None:
        y, _ = layer_norm_forward(x, gamma, beta, eps)
        assert np.all(y == 0)
    else:
        with pytest.raises(error, match=match):
            layer_norm_forward(x, gamma, beta, eps)


def test_attention_refuses_zero_keys():
    with pytest.raises(ValueError, match=r"k has shape \(0, 3\): no keys"):
        attention_forward(np.zeros((2, 3)), np.zeros((0, 3)), np.zeros((0, 2)))


def test_gradient_over_lag_names_a_bad_batch():
    with pytest.raises(ValueError, match="batch"):
        gradient_over_lag("rnn", 4, 4, np.random.default_rng(0), batch=0)
