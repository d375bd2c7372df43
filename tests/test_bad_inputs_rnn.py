"""Bad arguments to bpkit.rnn stop at the public call, with a message that names them.

Each row: the call, the exception type, a regex the message must match, and the
argument's name as the user wrote it (the message must contain it). Every row
failed before the checks: it returned garbage (NaN, a truncated or broadcast
result, complex numbers cast to real) or raised from deep inside numpy/Python.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from bpkit.layers import Linear, Parameter
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
from bpkit.rnn.gradient_over_time import GradientOverTimeModel
from bpkit.rnn.truncation_study import TruncationModel

nan, inf = float("nan"), float("inf")
R = np.random.default_rng(0)

# D=2 inputs, H=3 hidden units, N=4 sequences of T=5 steps
x3, h0, c0 = np.ones((4, 5, 2)), np.zeros((4, 3)), np.zeros((4, 3))
x2 = np.ones((4, 2))
Wx, Wh, b = 0.5 * np.ones((2, 3)), 0.5 * np.eye(3), np.zeros(3)
Wx4, Wh4, b4 = 0.1 * np.ones((2, 12)), 0.1 * np.ones((3, 12)), np.zeros(12)
Wx3, Wh3, b3 = 0.1 * np.ones((2, 9)), 0.1 * np.ones((3, 9)), np.zeros(9)
dh3 = np.ones((4, 5, 3))


def step_cache():
    return rnn_step_forward(x2, h0, Wx, Wh, b)[1]


def rnn_cache():
    return rnn_forward(x3, h0, Wx, Wh, b)[1]


def lstm_step_cache():
    return lstm_step_forward(x2, h0, c0, Wx4, Wh4, b4)[2]


def lstm_cache():
    return lstm_forward(x3, h0, c0, Wx4, Wh4, b4)[1]


def gru_cache():
    return gru_forward(x3, h0, Wx3, Wh3, b3, b3)[1]


def mse_model():
    return SequenceModel(RNN(2, 3, R), 1, R)


def ce_model():
    return SequenceModel(RNN(2, 3, R), 4, R, loss="cross_entropy")


def char_model():
    return SequenceModel(RNN(5, 8, R), 5, R, loss="cross_entropy")


def temporal_linear_after_forward():
    m = TemporalLinear(3, 2, R)
    m(np.ones((4, 5, 3)))
    return m


def got(**kw):
    return GradientOverTimeModel(**kw)


@functools.lru_cache(maxsize=1)
def study():
    return TruncationModel(T=10, hidden=4, batch=2)


def refused_set_keeps_the_model():
    m = GradientOverTimeModel(T=30)
    try:
        m.set(radius=nan)
    finally:
        assert m.radius == 0.9 and np.isfinite(m.norms).all()


def _row(id_, call, exc, regex, arg):
    return pytest.param(call, exc, regex, arg, id=id_)


VE, TE = ValueError, TypeError
REAL = "must be a real numeric array"
ROWS = [
    # ------------------------------------------------------------- spectral
    _row("spectral_radius-nan", lambda: spectral_radius(np.full((2, 2), nan)),
         VE, r"W must be finite, got 4 NaN or inf", "W"),
    _row("spectral_radius-inf", lambda: spectral_radius(np.full((2, 2), inf)),
         VE, r"W must be finite", "W"),
    _row("spectral_radius-str", lambda: spectral_radius(np.array([["a", "b"]] * 2)),
         TE, rf"W {REAL}, got dtype <U1", "W"),
    _row("spectral_radius-empty", lambda: spectral_radius(np.zeros((0, 0))),
         VE, r"W has shape \(0, 0\), expected H >= 1", "W"),
    _row("with_spectral_radius-nan", lambda: with_spectral_radius(np.eye(2), nan),
         VE, r"radius must be a finite number >= 0, got nan", "radius"),
    _row("with_spectral_radius-inf", lambda: with_spectral_radius(np.eye(2), inf),
         VE, r"radius must be a finite number >= 0, got inf", "radius"),
    _row("with_spectral_radius-None", lambda: with_spectral_radius(np.eye(2), None),
         VE, r"radius must be a finite number >= 0, got None", "radius"),
    _row("with_spectral_radius-str", lambda: with_spectral_radius(np.eye(2), "0.9"),
         VE, r"radius must be a finite number >= 0, got '0.9'", "radius"),
    _row("with_spectral_radius-W-nan",
         lambda: with_spectral_radius(np.full((2, 2), nan), 0.9),
         VE, r"W must be finite", "W"),
    _row("step_jacobian-Wh-None", lambda: step_jacobian(np.zeros(2), None),
         TE, rf"Wh {REAL}, got dtype object", "Wh"),
    _row("step_jacobian-h_t-nan",
         lambda: step_jacobian(np.array([nan, 0.0]), np.eye(2)),
         VE, r"h_t must be finite", "h_t"),
    # ---------------------------------------------------------- vanilla RNN
    _row("rnn_step_forward-complex",
         lambda: rnn_step_forward(x2 * 1j, h0, Wx, Wh, b),
         TE, rf"x {REAL}, got dtype complex128", "x"),
    _row("rnn_step_forward-str",
         lambda: rnn_step_forward(np.array([["a", "b"]] * 4), h0, Wx, Wh, b),
         TE, rf"x {REAL}, got dtype <U1", "x"),
    _row("rnn_step_forward-all-int",
         lambda: rnn_step_forward(np.ones((4, 2), int), np.zeros((4, 3), int),
                                  np.ones((2, 3), int), np.eye(3, dtype=int),
                                  np.zeros(3, int)),
         TE, r"rnn_step_forward: x, the state and the weights are all integer", "x"),
    _row("rnn_step_backward-cache-None",
         lambda: rnn_step_backward(np.ones((4, 3)), None),
         TE, r"cache must be the cache rnn_step_forward returned .* got NoneType",
         "cache"),
    _row("rnn_step_backward-cache-short",
         lambda: rnn_step_backward(np.ones((4, 3)), step_cache()[:3]),
         TE, r"cache must be .* got tuple of 3 items", "cache"),
    _row("rnn_step_backward-dh-complex",
         lambda: rnn_step_backward(np.ones((4, 3)) * 1j, step_cache()),
         TE, rf"dh {REAL}, got dtype complex128", "dh"),
    _row("rnn_forward-complex", lambda: rnn_forward(x3 * (1 + 1j), h0, Wx, Wh, b),
         TE, rf"x {REAL}, got dtype complex128", "x"),
    _row("rnn_forward-str", lambda: rnn_forward(np.full((4, 5, 2), "a"), h0, Wx, Wh, b),
         TE, rf"x {REAL}, got dtype <U1", "x"),
    _row("rnn_forward-weights-list",
         lambda: rnn_forward(x3, h0, Wx.tolist(), Wh.tolist(), b.tolist()),
         TE, r"rnn_forward: Wx must be a float32 or float64 numpy array, got list",
         "Wx"),
    _row("rnn_backward-complex",
         lambda: rnn_backward(dh3 * (1 + 1j), rnn_cache()),
         TE, rf"dh {REAL}, got dtype complex128", "dh"),
    _row("rnn_backward-cache-None", lambda: rnn_backward(dh3, None),
         TE, r"cache must be the cache rnn_forward returned", "cache"),
    _row("rnn_backward-chunk-nan", lambda: rnn_backward(dh3, rnn_cache(), chunk=nan),
         VE, r"chunk must be a positive integer, got nan", "chunk"),
    _row("rnn_backward-chunk-bool", lambda: rnn_backward(dh3, rnn_cache(), chunk=True),
         VE, r"chunk must be a positive integer, got True", "chunk"),
    # ----------------------------------------------------------------- LSTM
    _row("lstm_step_forward-x-None",
         lambda: lstm_step_forward(None, h0, c0, Wx4, Wh4, b4),
         TE, rf"x {REAL}, got dtype object", "x"),
    _row("lstm_step_forward-c_prev-None",
         lambda: lstm_step_forward(x2, h0, None, Wx4, Wh4, b4),
         TE, rf"c_prev {REAL}, got dtype object", "c_prev"),
    _row("lstm_step_forward-complex",
         lambda: lstm_step_forward(x2 * 1j, h0, c0, Wx4, Wh4, b4),
         TE, rf"x {REAL}, got dtype complex128", "x"),
    _row("lstm_step_forward-all-int",
         lambda: lstm_step_forward(x2.astype(int), h0.astype(int), c0.astype(int),
                                   Wx4.astype(int), Wh4.astype(int), b4.astype(int)),
         TE, r"lstm_step_forward: x, the state and the weights are all integer", "x"),
    _row("lstm_step_backward-dh-wide",
         lambda: lstm_step_backward(np.ones((4, 4)), np.zeros((4, 3)),
                                    lstm_step_cache()),
         VE, r"dh has shape \(4, 4\), expected \(4, 3\)", "dh"),
    _row("lstm_step_backward-dh-broadcast",
         lambda: lstm_step_backward(np.ones((1, 3)), np.zeros((4, 3)),
                                    lstm_step_cache()),
         VE, r"dh has shape \(1, 3\), expected \(4, 3\)", "dh"),
    _row("lstm_step_backward-dc-broadcast",
         lambda: lstm_step_backward(np.ones((4, 3)), np.zeros((1, 3)),
                                    lstm_step_cache()),
         VE, r"dc has shape \(1, 3\), expected \(4, 3\)", "dc"),
    _row("lstm_step_backward-dc-None",
         lambda: lstm_step_backward(np.ones((4, 3)), None, lstm_step_cache()),
         TE, rf"dc {REAL}, got dtype object", "dc"),
    _row("lstm_step_backward-cache-None",
         lambda: lstm_step_backward(np.ones((4, 3)), np.zeros((4, 3)), None),
         TE, r"cache must be the cache lstm_step_forward returned", "cache"),
    _row("lstm_forward-complex",
         lambda: lstm_forward(x3 * (1 + 1j), h0, c0, Wx4, Wh4, b4),
         TE, rf"x {REAL}, got dtype complex128", "x"),
    _row("lstm_forward-weights-list",
         lambda: lstm_forward(x3, h0, c0, Wx4.tolist(), Wh4, b4),
         TE, r"Wx must be a float32 or float64 numpy array, got list", "Wx"),
    _row("lstm_backward-complex", lambda: lstm_backward(dh3 * 1j, lstm_cache()),
         TE, rf"dh {REAL}, got dtype complex128", "dh"),
    _row("lstm_backward-chunk-nan", lambda: lstm_backward(dh3, lstm_cache(), chunk=nan),
         VE, r"chunk must be a positive integer, got nan", "chunk"),
    _row("lstm_backward-cache-None", lambda: lstm_backward(dh3, None),
         TE, r"cache must be the cache lstm_forward returned", "cache"),
    # ------------------------------------------------------------------ GRU
    _row("gru_forward-complex",
         lambda: gru_forward(x3 * (1 + 1j), h0, Wx3, Wh3, b3, b3),
         TE, rf"x {REAL}, got dtype complex128", "x"),
    _row("gru_forward-bh-list", lambda: gru_forward(x3, h0, Wx3, Wh3, b3, b3.tolist()),
         TE, r"bh must be a float32 or float64 numpy array, got list", "bh"),
    _row("gru_backward-chunk-nan", lambda: gru_backward(dh3, gru_cache(), chunk=nan),
         VE, r"chunk must be a positive integer, got nan", "chunk"),
    _row("gru_backward-cache-None", lambda: gru_backward(dh3, None),
         TE, r"cache must be the cache gru_forward returned", "cache"),
    _row("gru_backward-complex", lambda: gru_backward(dh3 * 1j, gru_cache()),
         TE, rf"dh {REAL}, got dtype complex128", "dh"),
    # --------------------------------------------------------------- layers
    _row("RNN-input_size-nan", lambda: RNN(nan, 3, R),
         VE, r"input_size must be a positive integer, got nan", "input_size"),
    _row("RNN-input_size-None", lambda: RNN(None, 3, R),
         VE, r"input_size must be a positive integer, got None", "input_size"),
    _row("RNN-hidden_size-nan", lambda: RNN(2, nan, R),
         VE, r"hidden_size must be a positive integer, got nan", "hidden_size"),
    _row("RNN-rng-None", lambda: RNN(2, 3, None),
         TE, r"rng must be a numpy Generator.*got NoneType", "rng"),
    _row("RNN-rng-int", lambda: RNN(2, 3, 0),
         TE, r"rng must be a numpy Generator.*got int", "rng"),
    _row("RNN-radius-nan", lambda: RNN(2, 3, R, radius=nan),
         VE, r"radius must be a finite number >= 0, got nan", "radius"),
    _row("RNN-radius-inf", lambda: RNN(2, 3, R, radius=inf),
         VE, r"radius must be a finite number >= 0, got inf", "radius"),
    _row("RNN-radius-None", lambda: RNN(2, 3, R, radius=None),
         VE, r"radius must be a finite number >= 0, got None", "radius"),
    _row("RNN.forward-None", lambda: RNN(2, 3, R).forward(None),
         TE, rf"x {REAL}, got dtype object", "x"),
    _row("RNN.forward-complex", lambda: RNN(2, 3, R).forward(x3 * (1 + 1j)),
         TE, rf"x {REAL}, got dtype complex128", "x"),
    _row("LSTM-forget_bias-nan", lambda: LSTM(2, 3, R, forget_bias=nan),
         VE, r"forget_bias must be a finite number, got nan", "forget_bias"),
    _row("LSTM-forget_bias-None", lambda: LSTM(2, 3, R, forget_bias=None),
         VE, r"forget_bias must be a finite number, got None", "forget_bias"),
    _row("LSTM-forget_bias-inf", lambda: LSTM(2, 3, R, forget_bias=inf),
         VE, r"forget_bias must be a finite number, got inf", "forget_bias"),
    _row("LSTM-rng-None", lambda: LSTM(2, 3, None),
         TE, r"rng must be a numpy Generator", "rng"),
    _row("LSTM-hidden_size-nan", lambda: LSTM(2, nan, R),
         VE, r"hidden_size must be a positive integer, got nan", "hidden_size"),
    _row("LSTM.forward-None", lambda: LSTM(2, 3, R).forward(None),
         TE, rf"x {REAL}, got dtype object", "x"),
    _row("GRU-rng-None", lambda: GRU(2, 3, None),
         TE, r"rng must be a numpy Generator", "rng"),
    _row("GRU-hidden_size-nan", lambda: GRU(2, nan, R),
         VE, r"hidden_size must be a positive integer, got nan", "hidden_size"),
    _row("GRU.call-None", lambda: GRU(2, 3, R)(None),
         TE, rf"x {REAL}, got dtype object", "x"),
    _row("TemporalLinear-complex",
         lambda: TemporalLinear(3, 2, R)(np.ones((4, 5, 3)) * 1j),
         TE, rf"x {REAL}, got dtype complex128", "x"),
    _row("TemporalLinear.backward-None",
         lambda: temporal_linear_after_forward().backward(None),
         TE, rf"dout {REAL}, got dtype object", "dout"),
    # -------------------------------------------------------- sequence model
    _row("sequence_mse-empty",
         lambda: sequence_mse(np.zeros((0, 3, 1)), np.zeros((0, 3, 1))),
         VE, r"pred has shape \(0, 3, 1\), expected at least one output", "pred"),
    _row("sequence_cross_entropy-None", lambda: sequence_cross_entropy(None, None),
         TE, rf"scores {REAL}, got dtype object", "scores"),
    _row("sequence_cross_entropy-no-classes",
         lambda: sequence_cross_entropy(np.zeros((2, 3, 0)), np.zeros((2, 3), int)),
         VE, r"scores has shape \(2, 3, 0\), expected .* C >= 1", "scores"),
    _row("SequenceModel-cell-None", lambda: SequenceModel(None, 1, R),
         TE, r"cell must be a recurrent layer .* got NoneType", "cell"),
    _row("SequenceModel-cell-Linear", lambda: SequenceModel(Linear(2, 3, R), 1, R),
         TE, r"cell must be a recurrent layer .* got Linear", "cell"),
    _row("SequenceModel-n_outputs-0", lambda: SequenceModel(RNN(2, 3, R), 0, R),
         VE, r"n_outputs must be a positive integer, got 0", "n_outputs"),
    _row("SequenceModel-n_outputs-nan", lambda: SequenceModel(RNN(2, 3, R), nan, R),
         VE, r"n_outputs must be a positive integer, got nan", "n_outputs"),
    _row("SequenceModel-n_outputs-2.5", lambda: SequenceModel(RNN(2, 3, R), 2.5, R),
         VE, r"n_outputs must be a positive integer, got 2.5", "n_outputs"),
    _row("SequenceModel.backprop-x-nan",
         lambda: mse_model().backprop(x3 * nan, np.zeros((4, 5, 1))),
         VE, r"x has 40 non-finite value\(s\)", "x"),
    _row("SequenceModel.backprop-x-1d",
         lambda: mse_model().backprop(np.ones(3), np.zeros((4, 5, 1))),
         VE, r"tbptt: x has shape \(3,\), expected \(N, T, D\)", "x"),
    # ---------------------------------------------------------------- tbptt
    _row("tbptt-model-None", lambda: tbptt(None, x3, np.zeros((4, 5, 1)), 2),
         TE, r"model must be a bpkit.rnn.SequenceModel, got NoneType", "model"),
    _row("tbptt-x-complex",
         lambda: tbptt(mse_model(), x3 * 1j, np.zeros((4, 5, 1)), 2),
         TE, rf"x {REAL}, got dtype complex128", "x"),
    _row("tbptt-k1-nan", lambda: tbptt(mse_model(), x3, np.zeros((4, 5, 1)), nan),
         VE, r"k1 must be a positive integer, got nan", "k1"),
    _row("tbptt-k1-None", lambda: tbptt(mse_model(), x3, np.zeros((4, 5, 1)), None),
         VE, r"k1 must be a positive integer, got None", "k1"),
    _row("tbptt-k2-nan",
         lambda: tbptt(mse_model(), x3, np.zeros((4, 5, 1)), 2, k2=nan),
         VE, r"k2 must be a positive integer, got nan", "k2"),
    _row("tbptt-update-int",
         lambda: tbptt(mse_model(), x3, np.zeros((4, 5, 1)), 2, update=5),
         TE, r"update must be a function, got int", "update"),
    _row("tbptt-y-outputs", lambda: tbptt(mse_model(), x3, np.zeros((4, 5, 2)), 2),
         VE, r"tbptt: y has shape \(4, 5, 2\), expected \(4, 5, 1\)", "y"),
    _row("tbptt-y-no-output-axis", lambda: tbptt(mse_model(), x3, np.zeros((4, 5)), 2),
         VE, r"tbptt: y has shape \(4, 5\), expected \(4, 5, 1\)", "y"),
    _row("tbptt-y-labels-extra-axis",
         lambda: tbptt(ce_model(), x3, np.zeros((4, 5, 1), int), 2),
         VE, r"tbptt: y has shape \(4, 5, 1\), expected \(4, 5\)", "y"),
    # -------------------------------------------------- grad_vector, memory
    _row("grad_vector-empty", lambda: grad_vector([]),
         VE, r"params is empty", "params"),
    _row("grad_vector-None", lambda: grad_vector(None),
         TE, r"params must be a list of Parameters, got NoneType", "params"),
    _row("grad_vector-model", lambda: grad_vector(mse_model()),
         TE, r"params must be a list of Parameters, got a SequenceModel; "
            r"pass its \.parameters\(\)", "params"),
    _row("grad_vector-int-item", lambda: grad_vector([Parameter(np.ones(2)), 5]),
         TE, r"params\[1\] must be a Parameter", "params"),
    _row("peak_memory-repeats-nan", lambda: peak_memory(lambda: 1, repeats=nan),
         VE, r"repeats must be a positive integer, got nan", "repeats"),
    _row("peak_memory-repeats-None", lambda: peak_memory(lambda: 1, repeats=None),
         VE, r"repeats must be a positive integer, got None", "repeats"),
    # ------------------------------------------------------------- generate
    _row("generate-temperature-nan",
         lambda: generate(char_model(), [0, 1], 3, R, temperature=nan),
         VE, r"temperature must be a finite number > 0, got nan", "temperature"),
    _row("generate-temperature-None",
         lambda: generate(char_model(), [0, 1], 3, R, temperature=None),
         VE, r"temperature must be a finite number > 0, got None", "temperature"),
    _row("generate-temperature-inf",
         lambda: generate(char_model(), [0, 1], 3, R, temperature=inf),
         VE, r"temperature must be a finite number > 0, got inf", "temperature"),
    _row("generate-length-negative", lambda: generate(char_model(), [0, 1], -1, R),
         VE, r"length must be an integer >= 0, got -1", "length"),
    _row("generate-length-2.5", lambda: generate(char_model(), [0, 1], 2.5, R),
         VE, r"length must be an integer >= 0, got 2.5", "length"),
    _row("generate-length-nan", lambda: generate(char_model(), [0, 1], nan, R),
         VE, r"length must be an integer >= 0, got nan", "length"),
    _row("generate-length-None", lambda: generate(char_model(), [0, 1], None, R),
         VE, r"length must be an integer >= 0, got None", "length"),
    _row("generate-rng-None", lambda: generate(char_model(), [0, 1], 3, None),
         TE, r"rng must be a numpy Generator", "rng"),
    _row("generate-rng-int", lambda: generate(char_model(), [0, 1], 3, 0),
         TE, r"rng must be a numpy Generator.*got int", "rng"),
    _row("generate-prime-fraction", lambda: generate(char_model(), [1.5], 3, R),
         VE, r"prime must hold integer class labels, got \[1\.5\]", "prime"),
    _row("generate-prime-str", lambda: generate(char_model(), "abc", 3, R),
         TE, r"prime must be a list of symbol ids, got str 'abc'", "prime"),
    _row("generate-prime-None", lambda: generate(char_model(), None, 3, R),
         TE, r"prime must hold integer class labels, got dtype object", "prime"),
    _row("generate-model-None", lambda: generate(None, [0], 3, R),
         TE, r"model must be a bpkit.rnn.SequenceModel, got NoneType", "model"),
    # ----------------------------------------------- GradientOverTimeModel
    _row("GOT-radius-nan", lambda: got(radius=nan),
         VE, r"radius must be a finite number > 0, got nan", "radius"),
    _row("GOT-radius-inf", lambda: got(radius=inf),
         VE, r"radius must be a finite number > 0, got inf", "radius"),
    _row("GOT-radius-0", lambda: got(radius=0),
         VE, r"radius must be a finite number > 0, got 0", "radius"),
    _row("GOT-radius-None", lambda: got(radius=None),
         VE, r"radius must be a finite number > 0, got None", "radius"),
    _row("GOT-T-nan", lambda: got(T=nan),
         VE, r"T must be in 1\.\.400 \(an integer\), got nan", "T"),
    _row("GOT-T-2.5", lambda: got(T=2.5),
         VE, r"T must be in 1\.\.400 \(an integer\), got 2\.5", "T"),
    _row("GOT-T-None", lambda: got(T=None),
         VE, r"T must be in 1\.\.400 \(an integer\), got None", "T"),
    _row("GOT-input_scale-nan", lambda: got(input_scale=nan),
         VE, r"input_scale must be a finite number >= 0, got nan", "input_scale"),
    _row("GOT-input_scale-negative", lambda: got(input_scale=-1),
         VE, r"input_scale must be a finite number >= 0, got -1", "input_scale"),
    _row("GOT-input_scale-None", lambda: got(input_scale=None),
         VE, r"input_scale must be a finite number >= 0, got None", "input_scale"),
    _row("GOT-hidden-0", lambda: got(hidden=0),
         VE, r"hidden must be an integer >= 1, got 0", "hidden"),
    _row("GOT-hidden-2.5", lambda: got(hidden=2.5),
         VE, r"hidden must be an integer >= 1, got 2\.5", "hidden"),
    _row("GOT-batch-0", lambda: got(batch=0),
         VE, r"batch must be an integer >= 1, got 0", "batch"),
    _row("GOT-batch-negative", lambda: got(batch=-1),
         VE, r"batch must be an integer >= 1, got -1", "batch"),
    _row("GOT-max_T-0", lambda: got(max_T=0),
         VE, r"max_T must be an integer >= 1, got 0", "max_T"),
    _row("GOT-seed-negative", lambda: got(seed=-1),
         VE, r"seed must be an integer >= 0, got -1", "seed"),
    _row("GOT-seed-2.5", lambda: got(seed=2.5),
         VE, r"seed must be an integer >= 0, got 2\.5", "seed"),
    _row("GOT.set-radius-nan", lambda: got(T=30).set(radius=nan),
         VE, r"radius must be a finite number > 0, got nan", "radius"),
    _row("GOT.set-refused-keeps-model", refused_set_keeps_the_model,
         VE, r"radius must be a finite number > 0, got nan", "radius"),
    _row("GOT.factor_per_step-nan", lambda: got(T=30).factor_per_step(span=nan),
         VE, r"span must be an integer >= 1, got nan", "span"),
    _row("GOT.factor_per_step-2.5", lambda: got(T=30).factor_per_step(span=2.5),
         VE, r"span must be an integer >= 1, got 2\.5", "span"),
    _row("GOT.factor_per_step-0", lambda: got(T=30).factor_per_step(span=0),
         VE, r"span must be an integer >= 1, got 0", "span"),
    # ----------------------------------------------------- TruncationModel
    _row("TM-T-0", lambda: TruncationModel(T=0),
         VE, r"T must be an integer >= 1, got 0", "T"),
    _row("TM-T-negative", lambda: TruncationModel(T=-1),
         VE, r"T must be an integer >= 1, got -1", "T"),
    _row("TM-T-nan", lambda: TruncationModel(T=nan),
         VE, r"T must be an integer >= 1, got nan", "T"),
    _row("TM-T-2.5", lambda: TruncationModel(T=2.5),
         VE, r"T must be an integer >= 1, got 2\.5", "T"),
    _row("TM-radius-nan", lambda: TruncationModel(T=20, radius=nan),
         VE, r"radius must be a finite number >= 0, got nan", "radius"),
    _row("TM-radius-None", lambda: TruncationModel(T=20, radius=None),
         VE, r"radius must be a finite number >= 0, got None", "radius"),
    _row("TM-hidden-nan", lambda: TruncationModel(T=20, hidden=nan),
         VE, r"hidden must be an integer >= 1, got nan", "hidden"),
    _row("TM-batch-0", lambda: TruncationModel(T=20, batch=0),
         VE, r"batch must be an integer >= 1, got 0", "batch"),
    _row("TM-seed-negative", lambda: TruncationModel(T=20, seed=-1),
         VE, r"seed must be an integer >= 0, got -1", "seed"),
    _row("TM.set_k-nan", lambda: study().set_k(nan),
         VE, r"k must be an integer in 1\.\.10, got nan", "k"),
    _row("TM.set_k-None", lambda: study().set_k(None),
         VE, r"k must be an integer in 1\.\.10, got None", "k"),
    _row("TM.set_radius-nan", lambda: study().set_radius(nan),
         VE, r"radius must be a finite number >= 0, got nan", "radius"),
    _row("TM.set_radius-None", lambda: study().set_radius(None),
         VE, r"radius must be a finite number >= 0, got None", "radius"),
    _row("TM.compare-0", lambda: study().compare(0),
         VE, r"k must be a positive integer, got 0", "k"),
    _row("TM.compare-2.5", lambda: study().compare(2.5),
         VE, r"k must be a positive integer, got 2\.5", "k"),
    _row("TM.compare-nan", lambda: study().compare(nan),
         VE, r"k must be a positive integer, got nan", "k"),
    _row("TM.cost-nan", lambda: study().cost(nan),
         VE, r"k must be a positive integer, got nan", "k"),
]


@pytest.mark.parametrize("call, exc, regex, arg", ROWS)
def test_bad_argument_is_refused_by_name(call, exc, regex, arg):
    with pytest.raises(exc, match=regex) as info:
        call()
    assert arg in str(info.value)


def test_with_spectral_radius_rescales_an_integer_matrix_in_floats():
    # it used to rescale into the integer dtype: [[0, 0], [0, 0]]
    W = with_spectral_radius(np.array([[2, 0], [0, 1]]), 0.9)
    assert W.dtype == np.float64
    np.testing.assert_allclose(W, [[0.9, 0.0], [0.0, 0.45]])
