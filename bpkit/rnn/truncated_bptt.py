"""Truncated BPTT, and `grad_vector` to compare its gradients with full BPTT's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Sequence

import numpy as np

from .._validate import function, positive_integer
from ..layers import Parameter
from ._checks import _real, _shape_error

if TYPE_CHECKING:  # only for the annotations: sequence_model imports tbptt
    from .sequence_model import SequenceModel

__all__ = ["TBPTTResult", "tbptt", "grad_vector"]


class TBPTTResult(NamedTuple):
    loss: float  # the mean loss over the whole sequence
    updates: int  # how many backward passes (and `update` calls) ran
    dh_norms: np.ndarray  # (T,): ||dL/dh_t|| in the window that injected step t's loss
    state: Any  # the final state: pass it to the next call to carry it on


def tbptt(
    model: SequenceModel,
    x: np.ndarray,
    y: np.ndarray,
    k1: int,
    k2: int | None = None,
    state: Any = None,
    update: Callable[[], Any] | None = None,
    average: str = "sequence",
) -> TBPTTResult:
    """Truncated BPTT(k1, k2) over one batch of sequences.

    Every k1 steps, the losses of those k1 steps are backpropagated through the
    last k2 steps (k2 >= k1, default k2 = k1), then `update()` is called (for
    example: clip, `optimizer.step()`, `optimizer.zero_grad()`). The hidden
    state is carried from one window to the next, but no gradient flows back
    across a window's start: that is the truncation. With k1 = k2 = k the
    windows are the chunks 0..k-1, k..2k-1, ... (what "detach the state every k
    steps" does in PyTorch); with k2 > k1 each window also reaches k2 - k1
    steps into the previous chunk, recomputed from the state stored there. Only
    k2 steps are kept at a time, so memory does not grow with T. With
    k1 = k2 = T this *is* full BPTT, and gives exactly its gradients.

    Inputs: x (N, T, D); y as for `SequenceModel`; state: initial state or None.
    average: "sequence" weighs each window's loss by its share of the T steps,
        so the gradients summed over the windows (with update=None) estimate
        the gradient of the whole sequence's mean loss; "chunk" makes each
        window's loss its own mean, as when every window is a training step.
    Returns: `TBPTTResult(loss, updates, dh_norms, state)`; gradients are added
    to the parameters' `.grad`.
    """
    from .sequence_model import SequenceModel  # here: it imports this module

    if not isinstance(model, SequenceModel):
        raise TypeError(
            f"model must be a bpkit.rnn.SequenceModel, got {type(model).__name__}"
        )
    x = _real("x", x)
    if x.ndim != 3:
        raise _shape_error("tbptt", "x", x.shape, "(N, T, D)")
    N, T = x.shape[:2]
    out_shape = (N,) if model.many_to_one else (N, T)
    y = _real("y", y)
    if y.shape[: len(out_shape)] != out_shape:
        want = ", ".join(map(str, out_shape))
        raise _shape_error("tbptt", "y", y.shape, f"({want}, ...) to match x {x.shape}")
    k1 = positive_integer("k1", k1)
    k2 = k1 if k2 is None else positive_integer("k2", k2)
    if update is not None:
        function("update", update)
    if not model.many_to_one and k1 < T:
        # the loss sees k1-step slices of y: check the whole y here, or its error
        # would report a slice's shape
        full = out_shape + (() if model.loss_name == "cross_entropy"
                            else (model.readout.out_features,))
        if y.shape != full:
            what = "(N, T) labels" if len(full) == 2 else "(N, T, O)"
            raise _shape_error(
                "tbptt", "y", y.shape,
                f"{full} = {what} for the {model.loss_name} loss",
            )
    if k2 < k1:
        raise ValueError(
            f"k2 = {k2} < k1 = {k1}: every step's loss must be backpropagated"
        )
    if average not in ("sequence", "chunk"):
        raise ValueError(f"average must be 'sequence' or 'chunk', got {average!r}")
    # k2 is not capped at T: a window's reach back, k2 - k1, stays what was asked
    # (capping it shortened the last window when T is not a multiple of k1)
    k1, k2 = min(int(k1), T), int(k2)
    cell, readout = model.cell, model.readout
    start_state = cell.initial_state(N) if state is None else state
    norms = np.zeros(T)
    total, updates, prev = 0.0, 0, 0
    while prev < T:
        stop = min(prev + k1, T)
        # the window: steps w0..stop-1; its new steps prev..stop-1 inject losses
        w0 = max(prev - (k2 - k1), 0)
        h = cell.forward(x[:, w0:stop], start_state)  # (N, w, H)
        nxt = max(stop - (k2 - k1), 0)  # where the next window starts
        if stop < T:
            start_state = start_state if nxt == w0 else cell.state_at(nxt - w0 - 1)
        end_state = cell.state
        dh = None
        weight = (stop - prev) / T if average == "sequence" else 1.0
        if not model.many_to_one:
            out = readout.forward(h if prev == w0 else h[:, prev - w0 :])
            loss, dout = _loss(model, out, y[:, prev:stop], x)
            if weight != 1.0:
                dout = dout * weight
            dh_new = readout.backward(dout)
            total += loss * (stop - prev) / T
            if prev == w0:
                dh = dh_new
            else:
                dh = np.zeros(h.shape, h.dtype)
                dh[:, prev - w0 :] = dh_new
        elif stop == T:
            out = readout.forward(h[:, -1])
            loss, dout = _loss(model, out, y, x)
            total += loss
            dh = np.zeros(h.shape, h.dtype)
            dh[:, -1] = readout.backward(dout)
        if dh is not None:
            cell.backward(dh, need_dx=False)  # the data needs no gradient
            norms[prev:stop] = cell.dh_norms[prev - w0 :]
            updates += 1
            if update is not None:
                update()
        else:
            cell._cache = None  # nothing to backpropagate: free the window
        prev = stop
    return TBPTTResult(float(total), updates, norms, end_state)


def _loss(model: SequenceModel, out: np.ndarray, y: np.ndarray, x: np.ndarray):
    """model.loss_fn(out, y); a non-finite x is named as the cause of a NaN output.

    The scan of x runs only when the loss has already refused a non-finite output.
    """
    try:
        return model.loss_fn(out, y)
    except ValueError as e:
        if "non-finite" not in str(e) or np.isfinite(out).all():
            raise
        bad = x.size - np.count_nonzero(np.isfinite(x))
        if not bad:
            raise
    raise ValueError(
        f"x has {bad} non-finite value(s) (NaN or inf): the outputs computed from "
        "it are not finite either"
    )


def grad_vector(params: Sequence[Parameter]) -> np.ndarray:
    """Every parameter's gradient, flattened into one float64 vector."""
    if hasattr(params, "parameters") and not isinstance(params, (list, tuple)):
        raise TypeError(
            f"params must be a list of Parameters, got a {type(params).__name__}; "
            "pass its .parameters()"
        )
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"params must be a list of Parameters, got {type(params).__name__}"
        ) from None
    if not params:
        raise ValueError("params is empty: there is no gradient to flatten")
    for i, p in enumerate(params):
        if not hasattr(p, "grad"):
            raise TypeError(
                f"params[{i}] must be a Parameter (with a .grad), "
                f"got {type(p).__name__}"
            )
    return np.concatenate([np.asarray(p.grad, np.float64).ravel() for p in params])
