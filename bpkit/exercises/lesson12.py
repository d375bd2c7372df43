"""Checks for lesson 12, the capstone: every gradient of an MLP with BatchNorm by hand.

The network: h_pre = X @ W1 + b1, BatchNorm over the batch (mean, xc, var,
inv_std, xhat, bn), h = tanh(bn), logits = h @ W2 + b2, then softmax
cross-entropy written out piece by piece (logit_maxes, norm_logits, counts,
counts_sum, counts_sum_inv, probs, logprobs, loss).

The learner writes one function per tensor, ``dname(f, d)``: `f` holds every
tensor of the forward pass, `d` the gradients of every tensor *after* it (the
reference's, so an earlier mistake never spoils a later exercise). The checks
do not know the answers as formulas: they measure each gradient with the
complex-step derivative (perturb one entry by a tiny imaginary step, rerun the
forward pass, read the loss's imaginary part), a finite difference accurate to
rounding. A gradient along one path only is measured the same way with the
edge to the other path held at its unperturbed value.

A third call gives the function made-up gradients in `d` (random, not the measured
ones) and compares with what the chain rule makes of them: an answer that ignores
`d`, or leaves out a path whose measured gradient happens to be zero (the row
maximum's, b1's), agrees with the measurement and fails here. While the learner's
function runs, bpkit's own backward methods and the checks' measurements refuse
(see `_capstone_guard`). The network and its measurements live in `_capstone_net`.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from . import (
    NOT_ATTEMPTED, Feedback, LearnerError, _equal, array, arrays, call, correct,
    hard_coded, hard_coded_hint, hint, hints_on_error, name_of, non_finite,
    not_attempted, order_hint, run, show,
)
from ._capstone_guard import refusing_bpkit_gradients
from ._capstone_slips import (
    _FACTORS, _FIRST, _MADE_UP, _MISTAKES, _NOTES, _SIGN, _UPSTREAM,
)
from ._capstone_net import (
    _CASES, BACKWARD_ORDER, EPS, PARAMS, TENSORS, Tensors, _base, _consumers,
    _gradients, _made_up_d, _made_up_reference, _reference, case, gradients_after,
    inputs,
)

__all__ = ["EPS", "PARAMS", "BACKWARD_ORDER", "Tensors", "case", "inputs",
           "gradients_after", "check_full_backward", "ready_to_train"]


def _sizes(k: int) -> dict[int, str]:
    _, n, d, h, c = _CASES[k]
    return {n: "N", d: "D", h: "H", c: "C", 1: "1"}


def _letters(shape: tuple[int, ...], k: int) -> str:
    s = _sizes(k)
    text = ", ".join(s.get(int(x), str(x)) for x in shape)
    return f"({text},)" if len(shape) == 1 else f"({text})"


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal to rounding, on the scale of the reference."""
    return a.shape == b.shape and bool(
        np.max(np.abs(a - b), initial=0.0) <= 1e-7 * np.max(np.abs(b), initial=0.0)
        + 1e-11)


def _shape_hint(t: str, got: tuple, want: tuple, k: int) -> str:
    g, w = _letters(got, k), _letters(want, k)
    s = _sizes(k)
    if not got:
        return f"d{t} is a single number; it has {t}'s shape {w}, one gradient per entry"
    if len(want) == 2 and got == want[::-1]:
        return f"d{t} is transposed: it has {t}'s shape {w}, you return {g}"
    if len(want) == 1 and len(got) == 2 and got[1] == want[0]:
        if got[0] == 1:
            return (f"d{t} keeps the summed axis: {g}, but {t} has shape {w}; drop "
                    "keepdims")
        return (f"d{t} is missing the sum over the batch: {t} is used by all N rows, "
                f"so its gradient adds up their N gradients (axis=0), shape {w}")
    if len(want) == 1 and len(got) == 1:
        per = {"H": "hidden unit", "C": "class", "D": "input"}.get(s[want[0]], "entry")
        return (f"d{t} sums over the wrong axis: sum over the batch, axis=0, for one "
                f"number per {per}, shape {w}")
    if want[1:] == (1,) and len(got) == 2 and got[0] == want[0]:
        return (f"d{t} is missing the sum over the row: {t} has one number per row, "
                f"shape {w}, shared by the {s.get(got[1], '')} entries of its row: sum "
                "them, axis=1, keepdims=True")
    if want[1:] == (1,) and got == want[:1]:
        return (f"d{t} has shape {g}, {t} has {w}: keep the summed axis, "
                "keepdims=True")
    if want[1:] == (1,) and len(got) in (1, 2) and got[-1] != 1:
        return (f"d{t} sums over the batch (axis 0): {t} holds one number per row, so "
                f"sum over the row, axis=1, keepdims=True, shape {w}")
    if len(want) == 2 and got == (want[0], 1):
        return (f"d{t} needs one gradient per entry, shape {w}: you return {g}; "
                "broadcast the row's gradient over the row")
    if len(want) == 2 and got in (want[1:], (1, want[1])):
        return (f"d{t} is summed over the batch: {t} has one row per example, shape "
                f"{w}; keep every row")
    return f"d{t} has shape {g}, expected {t}'s shape {w}"


def _factor_hint(t: str, got: np.ndarray, want: np.ndarray, n: int) -> str | None:
    texts = _FACTORS.get(t, {})
    default = {"N": f"d{t} is N times too large: a 1/N is missing",
               "1/N": f"d{t} is N times too small: an extra 1/N"}
    for c, key in ((n, "N"), (1 / n, "1/N")):
        for sign in (1, -1):
            if _close(got, sign * c * want):
                extra = "; and the sign is wrong too" if sign < 0 else ""
                return texts.get(key, default[key]) + extra
    if _close(got, -want):
        return f"d{t} has the wrong sign: " + _SIGN.get(
            t, "follow the chain rule's factors, each with its own sign")
    return None


def _matches(t: str, table: dict, outs: list[np.ndarray], fd: list) -> str | None:
    """The message of the first slip in `table[t]` that every answer in `outs` is."""
    for message, mistake in table.get(t, []):
        try:
            if all(_close(o, np.asarray(mistake(*a), dtype=float)) for o, a in
                   zip(outs, fd)):
                return message
        except KeyError:  # a path the made-up case cannot cut
            continue
    return None


def _entry(t: str, got: np.ndarray, want: np.ndarray) -> str:
    """'dt[i, j] gives g, expected w' at the largest difference."""
    i = np.unravel_index(int(np.argmax(np.abs(got - want))), want.shape)
    # a measured zero is off by rounding: show it as 0
    tiny = abs(want[i]) <= 1e-12 * np.max(np.abs(want), initial=0.0) + 1e-300
    g, w = show(got[i], 0.0 if tiny else want[i], ".4g")
    return f"d{t}[{', '.join(str(int(j)) for j in i)}] gives {g}, expected {w}"


_RECIPE = ("follow {t} to every tensor that uses it and multiply each one's gradient "
           "by the local derivative")


def _diagnose(t: str, outs: list[np.ndarray], wants: list[np.ndarray]) -> str:
    """The hint for a wrong gradient of tensor `t` (answers on the check cases)."""
    for k, (got, want) in enumerate(zip(outs, wants)):
        if got.shape != want.shape:
            hint_ = _shape_hint(t, got.shape, want.shape, k)
            return hint_ if k == 0 else f"on another batch shape: {hint_}"
    bad = [o for o in outs if not np.isfinite(o).all()]
    if bad:
        return non_finite(bad[:1], [f"d{t}"]) or ""
    fd = [(case(k), gradients_after(k, t), functools.partial(_reference, k), _CASES[k][1])
          for k in range(len(outs))]
    first = _matches(t, _FIRST, outs, fd)
    if first:
        return first
    factor = _factor_hint(t, outs[0], wants[0], fd[0][3])
    if factor and all(_factor_hint(t, o, w, a[3]) == factor for o, w, a in
                      zip(outs, wants, fd)):
        return factor
    up = _UPSTREAM.get(t)
    if up and all(_close(o * getattr(a[1], up), w) for o, w, a in zip(outs, wants, fd)):
        return (f"d{t} is the local derivative alone: the chain rule multiplies it by "
                f"the gradient that arrives, d.{up}")
    slip = _matches(t, _MISTAKES, outs, fd)
    if slip:
        return slip
    k = next(k for k, (o, w) in enumerate(zip(outs, wants)) if not _close(o, w))
    where = _entry(t, outs[k], wants[k])
    if k > 0:  # right on case 0, wrong here: a size written in as a number?
        n0, n = _CASES[0][1], _CASES[k][1]
        return (f"d{t} is right on the first batch (N = {n0}) but not on another batch "
                f"shape (N = {n}): {where}. If a size is written as a number ({n0} "
                "for N), compute it from f: N = len(f.y)")
    return f"{where}; " + _RECIPE.format(t=t)


def _diagnose_made_up(t: str, out: np.ndarray, want: np.ndarray,
                      out0: np.ndarray) -> str:
    """The hint for an answer right on the measured gradients and wrong on made-up
    ones (`out0`: its answer on case 0 with the measured d)."""
    users = " and ".join(f"d.{c}" for c in _consumers(t) if c != "loss") or "d"
    if out.shape != want.shape:
        return f"with other gradients in d: {_shape_hint(t, out.shape, want.shape, 0)}"
    if not np.isfinite(out).all():
        return non_finite([out], [f"d{t}"]) or ""
    if _equal(out, out0):
        return (f"d{t} does not change when d changes: it agrees with the measured "
                "gradient only because of this loss. Build it from the gradients "
                f"that arrive, {users}, times the local derivatives")
    n = _CASES[0][1]
    fd = [(case(0), _made_up_d(0, t),
           lambda name, cut=(): _made_up_reference(0, name, tuple(sorted(cut))), n)]
    factor = _factor_hint(t, out, want, n)
    slip = (_matches(t, _MADE_UP, [out], fd) or factor
            or _matches(t, _MISTAKES, [out], fd))
    lead = (f"d{t} agrees with the measured gradient, but not with made-up gradients "
            "in d (the check's third call)")
    if slip:
        return f"{lead}: {slip}"
    return (f"{lead}: {_entry(t, out, want)}; build d{t} from the gradients of the "
            f"tensors that use {t} directly, {users}, each times its local derivative")


def _shapes_tip(e: LearnerError, t: str) -> LearnerError:
    words = ("shape", "broadcast", "dimension", "matmul", "aligned")
    if e.raised and any(w in str(e) for w in words):
        shape = _letters(np.shape(_base(0)[t]), 0)
        e = LearnerError(f"{e}. Check the shapes: d{t} has {t}'s shape {shape}; "
                         "print(f) and print(d) list every tensor's shape")
        e.raised = True
    return e


_OWN = ("the capstone is to write every gradient yourself (bpkit's backward methods "
        "and the check's measurement refuse while your function runs)")


def _guarded(fn: Callable, *args: Any, first: bool = False) -> Any:
    """`call` (first) or `run` the learner's function with bpkit's gradients refusing;
    a refused call, even one the function caught, becomes the hint."""
    spaces = [globals()] + ([fn.__globals__] if isinstance(
        getattr(fn, "__globals__", None), dict) else [])
    error = None
    with refusing_bpkit_gradients(*spaces) as guard:
        try:
            got = (call if first else run)(fn, *args)
        except LearnerError as e:
            error = e
    if guard.who:
        who = name_of(fn) if guard.who == "your function" else guard.who
        raise LearnerError(f"{who} calls {guard.what}: {_OWN}")
    if error is not None:
        raise error
    return got


class _Spec:
    """What one check compares: tensor t, the learner's function's name, what its d
    holds, and whether the made-up-d call applies."""

    def __init__(self, t: str, fn_name: str, d_from: str | None = None,
                 made_up: bool = True) -> None:
        self.t, self.fn_name, self.made_up = t, fn_name, made_up
        self.d_from = d_from  # None: the tensors after t; "": loss only

    def d(self, k: int) -> Tensors:
        if self.d_from is None:
            return gradients_after(k, self.t)
        if self.d_from == "":
            return _gradients(self.t, f"{self.fn_name} works from f alone (d holds "
                              "only the loss)")(loss=1.0)
        g = gradients_after(k, self.d_from)
        first = next(iter(vars(g)))
        return _gradients(self.t, f"d holds only the gradients of {first} and the "
                          "tensors after it")(**vars(g))


def _check_tensor(spec: _Spec, fn: Callable) -> Feedback:
    t = spec.t
    try:
        got = _guarded(fn, case(0), spec.d(0), first=True)
    except LearnerError as e:
        raise _shapes_tip(e, t) from None
    if got is NOT_ATTEMPTED:
        return not_attempted(f"{spec.fn_name}(f, d)")
    who, what = name_of(fn), f"an array, dL/d{t}"
    outs = [array(got, who, what)]
    try:
        outs.append(array(_guarded(fn, case(1), spec.d(1)), who, what))
    except LearnerError as e:
        raise _shapes_tip(e, t) from None
    wants = [_reference(k, t) for k in range(2)]
    if not all(_close(o, w) for o, w in zip(outs, wants)):
        if hard_coded(outs, wants, _close):
            return hard_coded_hint(who, "the tensors in f and d")
        return hint(_diagnose(t, outs, wants))
    if spec.made_up:
        try:
            out = array(_guarded(fn, case(0), _made_up_d(0, t)), who, what)
        except LearnerError as e:
            raise _shapes_tip(e, t) from None
        want = _made_up_reference(0, t)
        if not _close(out, want):
            return hint(_diagnose_made_up(t, out, want, outs[0]))
    note = _NOTES.get(t, "")
    sizes = {"m": float(np.max(np.abs(wants[0]))),
             "m2": max(float(np.max(np.abs(_reference(k, "logit_maxes"))))
                       for k in range(2))}
    extra = ". " + note.format(**sizes) if note else ""
    if spec.made_up and t == "logits":
        extra += "; with made-up gradients in d that path counts, and yours routes it right"
    also = " and with made-up gradients in d" if spec.made_up else ""
    return correct(f"d{t} matches the measured gradient (complex step) at two batch "
                   f"shapes{also}{extra}")


def _make_check(spec: _Spec, name: str, doc: str) -> Callable[[Callable], Feedback]:
    def check(fn: Callable) -> Feedback:
        return _check_tensor(spec, fn)

    check.__name__ = check.__qualname__ = name
    check.__doc__ = doc
    return hints_on_error(should=f"return an array of {spec.t}'s shape")(check)


for _t in BACKWARD_ORDER:
    globals()[f"check_d{_t}"] = _make_check(
        _Spec(_t, f"d{_t}"), f"check_d{_t}",
        f"`d{_t}(f, d)`: dL/d{_t}, from the forward tensors f and the gradients d of "
        f"every tensor after {_t}.")
    __all__.append(f"check_d{_t}")

check_dlogits_fused = _make_check(
    _Spec("logits", "dlogits_fused", d_from="", made_up=False), "check_dlogits_fused",
    "`dlogits_fused(f, d)`: dL/dlogits from the forward tensors f alone (d holds only "
    "the loss).")
check_dh_pre_fused = _make_check(
    _Spec("h_pre", "dh_pre_fused", d_from="gamma", made_up=False), "check_dh_pre_fused",
    "`dh_pre_fused(f, d)`: dL/dh_pre from f and d.bn (d holds bn and the tensors "
    "after it).")
__all__ += ["check_dlogits_fused", "check_dh_pre_fused"]


# ------------------------------------------------------------ the whole backward pass
def _frames(err: BaseException) -> list[str]:
    names, tb = [], err.__traceback__
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    return names


def _inside(fn: Callable, *args: Any) -> tuple[str | None, BaseException | None]:
    """Run `fn` (guarded); the innermost of the learner's d-functions (dxc, dh...)
    that was running when it raised, and the error (None, None if it did not)."""
    own = getattr(getattr(fn, "__code__", None), "co_name", None)
    names = {f"d{t}" for t in BACKWARD_ORDER} | {
        k for k, v in getattr(fn, "__globals__", {}).items() if callable(v)}
    try:
        with refusing_bpkit_gradients(globals(), getattr(fn, "__globals__", {})):
            fn(*args)
    except Exception as e:  # noqa: BLE001 -- any error is the learner's to see
        inner = [n for n in _frames(e) if n in names and n not in (own, "<module>")]
        return (inner[-1] if inner else None), e
    return None, None


def _used(fn: Callable) -> list[tuple[str, Callable]]:
    """The learner's d-functions `fn` uses (named in its code, or listed in a dict it
    names, such as YOUR_GRADIENTS), from the loss end."""
    space = getattr(fn, "__globals__", {})
    names, codes = set(), [getattr(fn, "__code__", None)]
    while codes:
        code = codes.pop()
        if code is None:
            continue
        names |= set(code.co_names)
        codes += [c for c in code.co_consts if hasattr(c, "co_names")]
    found: dict[str, Callable] = {}
    for n in names:
        v = space.get(n)
        if isinstance(v, dict):
            found.update({f"d{k}": g for k, g in v.items()
                          if k in BACKWARD_ORDER and callable(g)})
        elif callable(v) and n[1:] in BACKWARD_ORDER and n.startswith("d"):
            found[n] = v
    return [(f"d{t}", found[f"d{t}"]) for t in BACKWARD_ORDER if f"d{t}" in found]


def _first_failing(fn: Callable) -> str | None:
    """'full_backward uses dxc, which fails its own check: ...' or None."""
    for name, g in _used(fn):
        fb = globals()[f"check_{name}"](g)
        if not fb.ok:
            return f"full_backward uses {name}, which fails its own check: {fb.message}"
    return None


@hints_on_error(should="return (dW1, db1, dgamma, dbeta, dW2, db2)")
def check_full_backward(full_backward: Callable) -> Feedback:
    """`full_backward(f)`: (dW1, db1, dgamma, dbeta, dW2, db2) from the forward tensors f.

    Compared with the measured gradients at two batch shapes; the d-functions it uses
    (dlogprobs ... db1, by name or through a dict such as YOUR_GRADIENTS) must pass
    their own checks.
    """
    names = tuple(f"d{p}" for p in PARAMS)
    try:
        got = _guarded(full_backward, case(0), first=True)
    except LearnerError as e:
        inner, _ = _inside(full_backward, case(0))
        blame = _first_failing(full_backward)
        if blame:
            return hint(blame)
        raise (LearnerError(f"{e} (inside {inner})") if inner else e) from None
    if got is NOT_ATTEMPTED:
        inner, _ = _inside(full_backward, case(0))
        if inner:
            return hint(f"full_backward calls {inner}, which is still the stub (it "
                        f"raises NotImplementedError): write {inner} above first")
        return not_attempted("full_backward(f)")
    who = name_of(full_backward)
    what = "six arrays, (dW1, db1, dgamma, dbeta, dW2, db2)"
    outs = [arrays(got, names, who, what),
            arrays(_guarded(full_backward, case(1)), names, who, what)]
    wants = [tuple(_reference(k, p) for p in PARAMS) for k in range(2)]

    def same(a: tuple, b: tuple) -> bool:
        return all(_close(x, y) for x, y in zip(a, b))

    blame = _first_failing(full_backward)
    if all(same(o, w) for o, w in zip(outs, wants)):
        if blame:
            return hint("the six gradients match the measured ones, but " + blame)
        return correct("all six parameter gradients match the measured ones at two "
                       "batch shapes")
    if blame:
        return hint(blame)
    if hard_coded(outs, wants, same):
        return hard_coded_hint(who, "the tensors in f")
    order = order_hint(outs, wants, names, _close)
    if order:
        return hint(order)
    bad = [j for j, p in enumerate(PARAMS)
           if not all(_close(o[j], w[j]) for o, w in zip(outs, wants))]
    ok = [names[j] for j in range(len(PARAMS)) if j not in bad]
    j = min(bad, key=lambda j: BACKWARD_ORDER.index(PARAMS[j]))  # from the loss end
    problem = _diagnose(PARAMS[j], [o[j] for o in outs], [w[j] for w in wants])
    prefix = f"{', '.join(ok)} right; " if ok else ""
    more = f" ({len(bad) - 1} more wrong besides it)" if len(bad) > 1 else ""
    return hint(f"{prefix}{problem}{more}")


def ready_to_train(full_backward: Callable) -> bool:
    """True if `full_backward` passes its check; else print what is missing."""
    fb = check_full_backward(full_backward)
    if fb.status == "not attempted":
        print("write full_backward above first: training needs it")
    elif not fb.ok:
        print("full_backward is not right yet (its check above says why): training "
              "waits for it")
    return fb.ok
