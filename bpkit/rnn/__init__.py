"""Recurrent networks and backpropagation through time (BPTT).

A vanilla RNN applies one step over and over:

    h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)

Unrolled over T steps it is a deep feed-forward network whose layers share
their weights, and backprop through that unrolled graph is BPTT. Going back one
step multiplies the gradient by the step's Jacobian:

    dL/dh_{t-1} = (dL/dh_t * (1 - h_t**2)) @ Wh.T        (the BPTT recursion)

so after k steps it has met k such matrices. Their product shrinks
geometrically when the spectral radius of diag(1 - h**2) Wh is below 1
(vanishing gradients) and can grow when it is above 1 (exploding ones).

This package has
- the RNN step and its backward, written for one step to teach
  (`rnn_step_forward`, `rnn_step_backward`), and for whole sequences to run
  (`rnn_forward`, `rnn_backward`); the same for the LSTM, and the GRU's
  sequence forms;
- layers holding `Parameter`s (`RNN`, `LSTM`, `GRU`, `TemporalLinear`) and a
  `SequenceModel` = cell + linear readout + loss, many-to-many or many-to-one;
- truncated BPTT (`tbptt`), whose special case k1 = k2 = T is full BPTT;
- helpers: spectral radius, a step's Jacobian, peak memory (tracemalloc),
  sampling from a character model.

Everything is imported from `bpkit.rnn`; the files are
- `vanilla.py`: the RNN step and sequence forward/backward (`RNNGrads`);
- `lstm.py`, `gru.py`: the same for the LSTM and the GRU;
- `spectral.py`: `spectral_radius`, `with_spectral_radius`, `step_jacobian`;
- `layers.py`: the `RNN`, `LSTM`, `GRU` layers and `TemporalLinear`;
- `sequence_model.py`: `sequence_mse`, `sequence_cross_entropy`, `SequenceModel`;
- `truncated_bptt.py`: `tbptt`, `TBPTTResult`, and `grad_vector` to compare gradients;
- `memory.py`: `peak_memory`; `sampling.py`: `generate`;
- `gradient_over_time.py`, `truncation_study.py`: the models lesson 07's apps
  run (import them from their files);
- `_checks.py`: `ACTIVATIONS`, shape/dtype checks and in-place activations;
- `_chunks.py`: the chunked weight gradients the backward passes share.

Shape letters: N batch, T time, D input features, H hidden units, O outputs.

Layout. Sequences come in and go out batch-major, (N, T, ...). Inside, the
per-step arrays are stored time-major, (T, N, H): the state of step t, `h[t]`,
is then one contiguous block, the step loop runs on contiguous memory, and the
weight gradients of many steps are single matrix products. The (N, T, H)
arrays returned are transposed views of those blocks (no copy).

Memory. Full BPTT must keep every step's states (and gates) for the backward
pass: O(T) memory. The backward passes here add only a small buffer of
gradients for a chunk of steps (`chunk`) and the input gradient dx (skip it
with `need_dx=False`), so their peak stays near the size of what the forward
pass stored: measured, at most ~1.5x. Truncated BPTT keeps k2 steps at a time:
its memory does not grow with T.
"""

from __future__ import annotations

from ._checks import ACTIVATIONS
from .gru import GRUCache, GRUGrads, gru_backward, gru_forward
from .layers import GRU, LSTM, RNN, TemporalLinear
from .lstm import (
    LSTMCache,
    LSTMGrads,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from .memory import peak_memory
from .sampling import generate
from .sequence_model import SequenceModel, sequence_cross_entropy, sequence_mse
from .spectral import spectral_radius, step_jacobian, with_spectral_radius
from .truncated_bptt import TBPTTResult, grad_vector, tbptt
from .vanilla import (
    RNNCache,
    RNNGrads,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)

__all__ = [
    "ACTIVATIONS",
    "spectral_radius",
    "with_spectral_radius",
    "step_jacobian",
    "rnn_step_forward",
    "rnn_step_backward",
    "rnn_forward",
    "rnn_backward",
    "RNNGrads",
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
    "LSTMGrads",
    "gru_forward",
    "gru_backward",
    "GRUGrads",
    "RNN",
    "LSTM",
    "GRU",
    "TemporalLinear",
    "sequence_mse",
    "sequence_cross_entropy",
    "SequenceModel",
    "TBPTTResult",
    "tbptt",
    "grad_vector",
    "peak_memory",
    "generate",
]
