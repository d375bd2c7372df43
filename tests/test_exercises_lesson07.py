"""Lesson 07 checks: each accepts the solution and names each anticipated mistake."""

import numpy as np
import pytest

from bpkit.exercises.lesson07 import (
    check_lstm_step_backward,
    check_rnn_backward_loop,
    check_rnn_step_backward,
    check_step_jacobian,
    check_tbptt_windows,
)


# ------------------------------------------------------------ rnn_step_backward
def _backward(da_rule="tanh", dWh="ok", dh_prev="ok", db_sum=True, dx="ok"):
    """A learner's step_backward with the chosen slips."""

    def fn(dh, x, h_prev, h, Wx, Wh):
        da = {
            "tanh": dh * (1 - h**2),
            "none": dh,
            "prev": dh * (1 - h_prev**2),
            "sigmoid": dh * h * (1 - h),
        }[da_rule]
        gWh = {"ok": h_prev.T @ da, "transposed": da.T @ h_prev, "h": h.T @ da,
               "other": 2 * h_prev.T @ da}[dWh]
        gh = {"ok": da @ Wh.T, "no_T": da @ Wh, "no_tanh": dh @ Wh.T,
              "other": -da @ Wh.T}[dh_prev]
        gWx = x.T @ da
        gx = {"ok": da @ Wx.T, "other": 3 * da @ Wx.T}[dx]
        return gx, gh, gWx, gWh, da.sum(axis=0) if db_sum else da

    return fn


def test_rnn_step_backward_accepts_the_solution():
    fb = check_rnn_step_backward(_backward())
    assert fb.ok and "all five gradients" in fb.message


@pytest.mark.parametrize(
    "kwargs,words",
    [
        (dict(da_rule="none"), "tanh derivative is missing"),
        (dict(da_rule="prev"), "not 1 - h_prev**2"),
        (dict(da_rule="sigmoid"), "sigmoid's derivative"),
        (dict(dWh="transposed"), "dWh is transposed"),
        (dict(dWh="h"), "not h.T @ da"),
        (dict(dWh="other"),
         "dWh is wrong (other gradients: dx, dh_prev, dWx, db correct)"),
        (dict(dh_prev="no_T"), "not da @ Wh"),
        (dict(dh_prev="no_tanh"), "dh_prev skips the tanh derivative"),
        (dict(dh_prev="other"), "dh_prev is wrong"),
        (dict(db_sum=False), "sum over axis 0"),
        (dict(dx="other"), "dx is wrong"),
    ],
)
def test_rnn_step_backward_names_each_mistake(kwargs, words):
    fb = check_rnn_step_backward(_backward(**kwargs))
    assert not fb.ok
    assert words in fb.message


def test_rnn_step_backward_names_a_global_sign_flip():
    sol = _backward()
    fb = check_rnn_step_backward(lambda *a: tuple(-g for g in sol(*a)))
    assert not fb.ok and "every gradient has the wrong sign" in fb.message


def test_rnn_step_backward_names_weight_gradients_divided_by_n():
    sol = _backward()

    def over_n(dh, x, *rest):
        gx, gh, gWx, gWh, gb = sol(dh, x, *rest)
        return gx, gh, gWx / len(x), gWh / len(x), gb / len(x)

    fb = check_rnn_step_backward(over_n)
    assert not fb.ok and "divided by N = 3" in fb.message


def test_rnn_step_backward_shape_and_not_attempted():
    def transposed_dWx(dh, x, h_prev, h, Wx, Wh):
        da = dh * (1 - h**2)
        return da @ Wx.T, da @ Wh.T, da.T @ x, h_prev.T @ da, da.sum(0)

    fb = check_rnn_step_backward(transposed_dWx)
    assert "dWx has shape (5, 4), expected (4, 5)" in fb.message

    def todo(*args):
        raise NotImplementedError()

    assert check_rnn_step_backward(todo).status == "not attempted"
    assert "five arrays" in check_rnn_step_backward(lambda *a: 0).message


# ---------------------------------------------------------------- step_jacobian
def test_step_jacobian_accepts_the_solution():
    fb = check_step_jacobian(lambda h, Wh: np.diag(1 - h**2) @ Wh.T)
    assert fb.ok and "spectral radius" in fb.message


@pytest.mark.parametrize(
    "fn,words",
    [
        (lambda h, Wh: Wh.T, "tanh derivative is missing"),
        (lambda h, Wh: Wh, "two slips"),
        (lambda h, Wh: np.diag(1 - h**2) @ Wh, "transposed"),
        (lambda h, Wh: Wh.T * (1 - h**2)[None, :], "scales the rows"),
        (lambda h, Wh: np.diag(1 - h) @ Wh.T, "h is squared"),
        (lambda h, Wh: np.diag(h) @ Wh.T, "not h itself"),
        (lambda h, Wh: np.zeros((4, 4)), "write h_t = tanh(a)"),
        (lambda h, Wh: np.zeros(4), "expected (4, 4)"),
    ],
)
def test_step_jacobian_names_each_mistake(fn, words):
    fb = check_step_jacobian(fn)
    assert not fb.ok and words in fb.message


def test_step_jacobian_not_attempted():
    def todo(h, Wh):
        raise NotImplementedError()

    assert check_step_jacobian(todo).status == "not attempted"


# ---------------------------------------------------------------- tbptt windows
def _solution(T, k1, k2):
    out = []
    for start in range(0, T, k1):
        out.append((max(start - (k2 - k1), 0), start, min(start + k1, T)))
    return out


def test_tbptt_windows_accepts_the_solution():
    assert check_tbptt_windows(_solution).ok


@pytest.mark.parametrize(
    "fn,words",
    [
        (lambda T, k1, k2: [w for w in _solution(T, k1, k2) if w[2] - w[1] == k1],
         "last, shorter chunk is missing"),
        (lambda T, k1, k2: [(s - (k2 - k1), s, e) for _, s, e in _solution(T, k1, k2)],
         "clip w0 at 0"),
        (lambda T, k1, k2: [(max(e - k2, 0), s, e) for _, s, e in _solution(T, k1, k2)],
         "counts k2 steps back from the end"),
        (lambda T, k1, k2: [(s, s, e) for _, s, e in _solution(T, k1, k2)],
         "starts w0 are off"),
        (lambda T, k1, k2: [(w, s, e + 1) for w, s, e in _solution(T, k1, k2)],
         "stop is exclusive"),
        (lambda T, k1, k2: [(0, 0, T)], "expected"),
        (lambda T, k1, k2: 5, "list of (w0, start, stop) triples"),
    ],
)
def test_tbptt_windows_names_each_mistake(fn, words):
    fb = check_tbptt_windows(fn)
    assert not fb.ok and words in fb.message


def test_tbptt_windows_match_what_tbptt_does():
    from bpkit.exercises.lesson07 import _windows
    from bpkit.rnn import RNN, SequenceModel, tbptt

    rng = np.random.default_rng(0)
    model = SequenceModel(RNN(1, 3, rng), 1, rng)
    seen = []
    original = model.cell.forward

    def spy(x, state=None):
        seen.append(x.shape[1])
        return original(x, state)

    model.cell.forward = spy
    tbptt(model, np.zeros((1, 9, 1)), np.zeros((1, 9, 1)), k1=2, k2=6)
    assert seen == [stop - w0 for w0, _, stop in _windows(9, 2, 6)]


# ------------------------------------------------------------ the BPTT loop
def _loop(carry="add", accumulate=True, forward=False, dh0="dh_prev", h_prev="ok"):
    """A learner's rnn_backward_loop with the chosen slips."""

    def fn(dh, x, h0, hs, Wx, Wh, step_backward):
        N, T, D = x.shape
        dx = np.zeros_like(x)
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
        dnext = dh[:, -1] if carry == "init_last" else np.zeros_like(h0)
        steps = range(T) if forward else range(T - 1, -1, -1)
        for t in steps:
            g = {"add": dh[:, t] + dnext, "none": dh[:, t],
                 "init_last": dh[:, t] + dnext,
                 "no_own": dnext if t < T - 1 else dh[:, t],
                 "twice": 2 * dh[:, t] + dnext}[carry]
            prev = hs[:, t - 1] if t else h0
            if h_prev == "h_t":
                prev = hs[:, t]
            gx, dnext, gWx, gWh, gb = step_backward(g, x[:, t], prev, hs[:, t], Wx, Wh)
            dx[:, t] = gx
            if accumulate:
                dWx, dWh, db = dWx + gWx, dWh + gWh, db + gb
            else:
                dWx, dWh, db = gWx, gWh, gb
            last_g = g
        out0 = {"dh_prev": dnext, "total": last_g, "own_last": dh[:, -1]}[dh0]
        return dx, out0, dWx, dWh, db

    return fn


def test_rnn_backward_loop_accepts_the_solution():
    fb = check_rnn_backward_loop(_loop())
    assert fb.ok and "match rnn_backward at two shapes" in fb.message


@pytest.mark.parametrize(
    "kwargs,words",
    [
        (dict(carry="none"), "each step sees only its own dh[:, t]"),
        (dict(accumulate=False), "dWx, dWh, db hold one step's share only"),
        (dict(accumulate=False, forward=True), "runs forward in time"),
        (dict(forward=True), "runs forward in time"),
        (dict(carry="no_own"), "drop each step's own dh[:, t]"),
        (dict(carry="twice"), "dh[:, t] is counted twice"),
        (dict(carry="init_last"), "dh[:, t] is counted twice"),
        (dict(dh0="total"), "total gradient at hs[:, 0]"),
        (dict(dh0="own_last"), "dh0 is the last step's gradient"),
        (dict(h_prev="h_t"), "h_prev = hs[:, t - 1]"),
    ],
)
def test_rnn_backward_loop_names_each_mistake(kwargs, words):
    fb = check_rnn_backward_loop(_loop(**kwargs))
    assert not fb.ok
    assert words in fb.message


def test_rnn_backward_loop_names_weights_accumulated_from_the_first_step_only():
    sol = _loop()

    def first_only(dh, x, h0, hs, Wx, Wh, step_backward):
        dx, dh0, *_ = sol(dh, x, h0, hs, Wx, Wh, step_backward)
        T = x.shape[1]
        # the first step processed is T - 1, whose dL/dh is dh[:, -1] alone
        _, _, gWx, gWh, gb = step_backward(dh[:, -1], x[:, -1], hs[:, T - 2],
                                           hs[:, -1], Wx, Wh)
        return dx, dh0, gWx, gWh, gb

    fb = check_rnn_backward_loop(first_only)
    assert not fb.ok and "one step's share only" in fb.message


def test_rnn_backward_loop_wants_the_loop_not_the_package():
    from bpkit.rnn import RNNCache, rnn_backward

    def package(dh, x, h0, hs, Wx, Wh, step_backward):
        cache = RNNCache(x, h0, hs.transpose(1, 0, 2).copy(), Wx, Wh,
                         np.zeros(Wh.shape[0]), "tanh")
        return tuple(rnn_backward(dh, cache)[:5])

    fb = check_rnn_backward_loop(package)
    assert not fb.ok and "the loop is the exercise" in fb.message


def test_rnn_backward_loop_shapes_order_hard_coded_and_not_attempted():
    sol = _loop()

    def time_major(*args):
        dx, *rest = sol(*args)
        return (dx.transpose(1, 0, 2), *rest)

    fb = check_rnn_backward_loop(time_major)
    assert not fb.ok and "dx has shape (5, 2, 3), expected (2, 5, 3)" in fb.message

    fb = check_rnn_backward_loop(lambda *a: sol(*a)[::-1])
    assert not fb.ok and "wrong order" in fb.message

    const = []

    def hard(*args):
        if not const:
            const.append(sol(*args))
        return const[0]

    fb = check_rnn_backward_loop(hard)
    assert not fb.ok and "hard-coded" in fb.message

    def todo(*args):
        raise NotImplementedError()

    assert check_rnn_backward_loop(todo).status == "not attempted"
    fb = check_rnn_backward_loop(lambda *a: None)
    assert not fb.ok and "None" in fb.message
    fb = check_rnn_backward_loop(lambda *a: 1 / 0)
    assert not fb.ok and "ZeroDivisionError" in fb.message


# ------------------------------------------------------------ the LSTM step
def lstm_solution(dh, dc, cache, *, cell_path=True, tanh_slope=True, g_slope="tanh",
                  do_from="tanh_c", forget=True, order="ifgo", db="sum", i_times="g",
                  slopes=True):
    """The learner's answer, written out; each keyword switches one classic slip on."""
    x, h_prev, c_prev, c = cache["x"], cache["h_prev"], cache["c_prev"], cache["c"]
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    Wx, Wh = cache["Wx"], cache["Wh"]
    tc = np.tanh(c)
    dc_total = dh * o * ((1 - tc**2) if tanh_slope else 1)
    if cell_path:
        dc_total = dc_total + dc
    si, sf, so = (i * (1 - i), f * (1 - f), o * (1 - o)) if slopes else (1, 1, 1)
    di = dc_total * (g if i_times == "g" else i) * si
    df = dc_total * c_prev * sf
    sg = ((1 - g**2) if g_slope == "tanh" else g * (1 - g)) if slopes else 1
    dg = dc_total * i * sg
    do = {"tanh_c": dh * tc, "c": dh * c, "dc_total": dc_total * tc}[do_from] * so
    blocks = dict(i=di, f=df, g=dg, o=do)
    dz = np.concatenate([blocks[k] for k in order], axis=1)  # (N, 4H)
    db_ = {"sum": dz.sum(axis=0), "mean": dz.mean(axis=0), "none": dz}[db]
    dc_prev = dc_total * f if forget else dc_total
    return dz @ Wx.T, dz @ Wh.T, dc_prev, x.T @ dz, h_prev.T @ dz, db_


def test_lstm_step_backward_accepts_the_solution():
    fb = check_lstm_step_backward(lstm_solution)
    assert fb.ok, fb
    assert "finite differences" in fb.message


@pytest.mark.parametrize("kwargs, words", [
    (dict(cell_path=False), "cell-state path is dropped"),
    (dict(tanh_slope=False), "(1 - tanh(c)**2) factor is missing"),
    (dict(g_slope="sigmoid"), "its slope is 1 - g**2"),
    (dict(do_from="c"), "dL/do = dh * tanh(c), not dh * c"),
    (dict(forget=False), "dc_prev misses the forget gate"),
    (dict(do_from="dc_total"), "not the cell's dc_total"),
    (dict(i_times="i"), "dL/di is dc_total * g"),
    (dict(slopes=False), "the gates' slopes are missing"),
    (dict(cell_path=False, forget=False), "cell-state path is dropped and dc_prev"),
    (dict(order="fiog"), "stacked as (f, i, o, g)"),
    (dict(order="ifog"), "stacked as (i, f, o, g)"),
    (dict(order="gifo"), "PyTorch's order (i, f, g, o)"),
    (dict(db="mean"), "db averages over the batch"),
    (dict(db="none"), "db has shape (3, 8), expected (8,)"),
])
def test_lstm_step_backward_names_each_mistake(kwargs, words):
    fb = check_lstm_step_backward(
        lambda dh, dc, cache: lstm_solution(dh, dc, cache, **kwargs))
    assert not fb.ok and words in fb.message, fb


def test_lstm_step_backward_names_a_sign_flip_and_lists_what_else_is_wrong():
    def flipped(dh, dc, cache):
        return tuple(-a for a in lstm_solution(dh, dc, cache))

    fb = check_lstm_step_backward(flipped)
    assert not fb.ok and "wrong sign" in fb.message

    def bad_dx(dh, dc, cache):
        dx, *rest = lstm_solution(dh, dc, cache)
        return (2 * dx, *rest)

    fb = check_lstm_step_backward(bad_dx)
    assert not fb.ok and fb.message.startswith("dx is wrong (dh_prev, dc_prev")


def test_lstm_step_backward_names_an_input_changed_in_place():
    def vandal(dh, dc, cache):
        out = lstm_solution(dh, dc, cache)
        cache["c"][...] = 0.0
        return out

    fb = check_lstm_step_backward(vandal)
    assert not fb.ok and 'changed cache["c"] in place' in fb.message, fb

    def adds_into_dc(dh, dc, cache):
        out = lstm_solution(dh, dc.copy(), cache)
        dc += 1.0
        return out

    fb = check_lstm_step_backward(adds_into_dc)
    assert not fb.ok and "changed dc in place" in fb.message, fb


def test_lstm_step_backward_accepts_float32_answers():
    def single(dh, dc, cache):
        return tuple(a.astype(np.float32) for a in lstm_solution(dh, dc, cache))

    assert check_lstm_step_backward(single).ok


def test_a_transposed_product_says_the_shapes_do_not_line_up():
    def transposed(dh, dc, cache):
        dx, *rest = lstm_solution(dh, dc, cache)
        return (cache["Wx"] @ dx, *rest)

    fb = check_lstm_step_backward(transposed)
    assert not fb.ok and "do not line up" in fb.message, fb


def test_lstm_step_backward_hard_coded_stub_and_junk():
    const = []

    def hard(*args):
        if not const:
            const.append(lstm_solution(*args))
        return const[0]

    fb = check_lstm_step_backward(hard)
    assert not fb.ok and "hard-coded" in fb.message

    def todo(*args):
        raise NotImplementedError()

    assert check_lstm_step_backward(todo).status == "not attempted"
    fb = check_lstm_step_backward(lambda *a: lstm_solution(*a)[:5])
    assert not fb.ok and "six arrays" in fb.message
    fb = check_lstm_step_backward(lambda dh, dc, cache: cache["x"] @ cache["Wx"])
    assert not fb.ok and "six arrays" in fb.message
