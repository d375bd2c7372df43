"""bpkit.attention against PyTorch in float64: layer norm, attention, multi-head, a block."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpkit.attention import (
    MultiHeadAttention,
    TransformerBlock,
    attention_backward,
    attention_forward,
    causal_mask,
    layer_norm_backward,
    layer_norm_forward,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional
pytestmark = pytest.mark.torch
SETTINGS = settings(max_examples=15, deadline=None)
TOL = 1e-10


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    # floor 1: a gradient that is 0 in exact arithmetic (dbk) is compared absolutely
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1.0)


def _t(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 7), st.integers(0, 2**32 - 1))
def test_layer_norm_equals_torch_layer_norm(n, t, d, seed):
    rng = np.random.default_rng(seed)
    x, dy = rng.standard_normal((n, t, d)), rng.standard_normal((n, t, d))
    gamma, beta = rng.standard_normal(d), rng.standard_normal(d)
    y, cache = layer_norm_forward(x, gamma, beta, eps=1e-5)
    dx, dg, db = layer_norm_backward(dy, cache)
    xt, gt, bt = _t(x), _t(gamma), _t(beta)
    yt = F.layer_norm(xt, (d,), gt, bt, eps=1e-5)
    yt.backward(torch.from_numpy(dy))
    for name, ours, ref in (("y", y, yt.detach()), ("dx", dx, xt.grad),
                            ("dgamma", dg, gt.grad), ("dbeta", db, bt.grad)):
        assert _rel(ours, ref.numpy()) < TOL, name


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 5), st.integers(1, 5), st.integers(1, 4),
       st.integers(1, 4), st.sampled_from(["none", "causal", "random"]),
       st.integers(0, 2**32 - 1))
def test_attention_equals_torch_scaled_dot_product_attention(b, t, s, d, e, kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "causal":
        s = max(s, t)
    q, k, v = (rng.standard_normal(sh) for sh in ((b, t, d), (b, s, d), (b, s, e)))
    dout = rng.standard_normal((b, t, e))
    mask = None
    if kind == "causal":
        mask = causal_mask(t, s)
    elif kind == "random":
        mask = rng.random((t, s)) < 0.5
        mask[np.arange(t), rng.integers(0, s, t)] = True
    out, cache = attention_forward(q, k, v, mask=mask)
    dq, dk, dv = attention_backward(dout, cache)
    qt, kt, vt = _t(q), _t(k), _t(v)
    ot = F.scaled_dot_product_attention(
        qt, kt, vt, attn_mask=None if mask is None else torch.from_numpy(mask))
    ot.backward(torch.from_numpy(dout))
    for name, ours, ref in (("out", out, ot.detach()), ("dq", dq, qt.grad),
                            ("dk", dk, kt.grad), ("dv", dv, vt.grad)):
        assert _rel(ours, ref.numpy()) < TOL, name


def _torch_mha(mha):
    D = mha.features
    ref = torch.nn.MultiheadAttention(D, mha.heads, batch_first=True, dtype=torch.float64)
    with torch.no_grad():  # torch computes x @ W.T: our W is its weight transposed
        ref.in_proj_weight.copy_(torch.from_numpy(
            np.concatenate([mha.Wq.data.T, mha.Wk.data.T, mha.Wv.data.T])))
        ref.in_proj_bias.copy_(torch.from_numpy(
            np.concatenate([mha.bq.data, mha.bk.data, mha.bv.data])))
        ref.out_proj.weight.copy_(torch.from_numpy(mha.Wo.data.T))
        ref.out_proj.bias.copy_(torch.from_numpy(mha.bo.data))
    return ref


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 6), st.sampled_from([(4, 1), (4, 2), (6, 3), (8, 4)]),
       st.booleans(), st.integers(0, 2**32 - 1))
def test_multi_head_attention_equals_torch_multihead_attention(n, t, dh, causal, seed):
    D, h = dh
    rng = np.random.default_rng(seed)
    mha = MultiHeadAttention(D, h, rng, causal=causal)
    for p in mha.parameters():
        p.data += 0.1 * rng.standard_normal(p.shape)
    x, dy = rng.standard_normal((n, t, D)), rng.standard_normal((n, t, D))
    y = mha.forward(x)
    dx = mha.backward(dy)
    ref = _torch_mha(mha)
    xt = _t(x)
    # torch's boolean attn_mask marks what may NOT be attended
    tmask = torch.from_numpy(~causal_mask(t)) if causal else None
    yt, wt = ref(xt, xt, xt, attn_mask=tmask, need_weights=True,
                 average_attn_weights=False)
    yt.backward(torch.from_numpy(dy))
    W = ref.in_proj_weight.grad.numpy()
    pairs = [("y", y, yt.detach().numpy()), ("dx", dx, xt.grad.numpy()),
             ("weights", mha.weights, wt.detach().numpy()),
             ("dWq", mha.Wq.grad, W[:D].T), ("dWk", mha.Wk.grad, W[D:2 * D].T),
             ("dWv", mha.Wv.grad, W[2 * D:].T),
             ("dbqkv", np.concatenate([mha.bq.grad, mha.bk.grad, mha.bv.grad]),
              ref.in_proj_bias.grad.numpy()),
             ("dWo", mha.Wo.grad, ref.out_proj.weight.grad.numpy().T),
             ("dbo", mha.bo.grad, ref.out_proj.bias.grad.numpy())]
    for name, ours, theirs in pairs:
        assert _rel(ours, theirs) < TOL, name


def test_transformer_block_equals_an_explicit_torch_block():
    rng = np.random.default_rng(3)
    D, h, Fh, N, T = 8, 2, 12, 3, 5
    blk = TransformerBlock(D, h, rng, hidden=Fh)
    for p in blk.parameters():
        p.data += 0.1 * rng.standard_normal(p.shape)
    x, dy = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, D))
    y = blk.forward(x)
    dx = blk.backward(dy)

    P = {id(p): _t(p.data) for p in blk.parameters()}
    g = lambda p: P[id(p)]  # noqa: E731
    xt = _t(x)
    ln1 = F.layer_norm(xt, (D,), g(blk.ln1.gamma), g(blk.ln1.beta), eps=1e-5)
    a = blk.attn

    def heads(z):
        return z.reshape(N, T, h, D // h).transpose(1, 2)

    q, k, v = (heads(ln1 @ g(W) + g(b)) for W, b in
               ((a.Wq, a.bq), (a.Wk, a.bk), (a.Wv, a.bv)))
    o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    o = o.transpose(1, 2).reshape(N, T, D) @ g(a.Wo) + g(a.bo)
    hid = xt + o
    ln2 = F.layer_norm(hid, (D,), g(blk.ln2.gamma), g(blk.ln2.beta), eps=1e-5)
    l1, l2 = blk.mlp.layers[0], blk.mlp.layers[2]
    yt = hid + torch.relu(ln2 @ g(l1.W) + g(l1.b)) @ g(l2.W) + g(l2.b)
    yt.backward(torch.from_numpy(dy))
    assert _rel(y, yt.detach().numpy()) < TOL
    assert _rel(dx, xt.grad.numpy()) < TOL
    for p in blk.parameters():
        assert _rel(p.grad, P[id(p)].grad.numpy()) < TOL, p.name
