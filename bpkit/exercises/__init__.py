"""Checks for the notebooks' exercises, one module per lesson.

Every exercise answer is a function the learner fills in, between
``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers (nbgrader's). The student
copy replaces the block with ``raise NotImplementedError()``; a check then
reports "not attempted yet" instead of failing. A wrong answer gets a targeted
hint, recognised from the mistakes learners actually make.

Checks are kind: whatever the learner's function does (raises, returns None, a
string, NaN, a tuple of the wrong length, an array of the wrong shape or dtype,
or is not a function at all), the check returns a one-line hint that says what
came and what was expected, never a traceback. Every check is decorated with
`hints_on_error`, calls the learner's function through `call` / `run`, and reads
the answer with `number` / `array` / `arrays`. A function that ignores its inputs
and returns the right answer for the first one is told so (`hard_coded`).
"""

from __future__ import annotations

import functools
import itertools
import numbers
import re
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

__all__ = [
    "Feedback", "NOT_ATTEMPTED", "HARD_CODED", "LearnerError", "array", "arrays",
    "attempt", "call", "correct", "describe", "hard_coded", "hard_coded_hint", "hint",
    "hints_on_error", "learner_error", "name_of", "non_finite", "not_attempted",
    "number", "order_hint", "run", "show", "batch_sum_mistakes",
]

# the one wording for an answer that ignores the function's inputs
HARD_CODED = "does not depend on the inputs"


@dataclass(frozen=True)
class Feedback:
    """The verdict of a check: shown as one line in the notebook."""

    status: str  # "correct", "hint" or "not attempted"
    message: str

    @property
    def ok(self) -> bool:
        return self.status == "correct"

    def __repr__(self) -> str:
        marks = {"correct": "correct:", "hint": "not yet:", "not attempted": "-"}
        mark = marks[self.status]
        return f"{mark} {self.message}"

    def __bool__(self) -> bool:
        return self.ok


class _NotAttempted:
    def __repr__(self) -> str:
        return "NOT_ATTEMPTED"


NOT_ATTEMPTED = _NotAttempted()


def attempt(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call the learner's function; `NOT_ATTEMPTED` if it raises NotImplementedError."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        return NOT_ATTEMPTED


def correct(message: str) -> Feedback:
    return Feedback("correct", message)


def hint(message: str) -> Feedback:
    return Feedback("hint", message)


def not_attempted(what: str) -> Feedback:
    return Feedback("not attempted", f"not attempted yet: {what}")


class LearnerError(Exception):
    """The learner's function raised, or returned the wrong kind of thing.

    Raised inside a check decorated with `hints_on_error`, it becomes a hint.
    `raised` is True when the learner's function raised (see `learner_error`).
    """

    raised = False


# ------------------------------------------------------------ describing answers
def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def name_of(fn: Any) -> str:
    """The learner's function's name, as the hints call it."""
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) and name.isidentifier() else "your function"


def describe(value: Any) -> str:
    """What came, in a few words: 'None', "the string 'x'", 'an array of shape (3,)'."""
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return f"{bool(value)} (a bool)"
    if isinstance(value, str):
        return f"the string {_short(repr(value), 40)}"
    if isinstance(value, numbers.Real):
        return f"the number {float(value):g}"
    if isinstance(value, numbers.Complex):
        return f"the complex number {_short(str(complex(value)))}"
    if isinstance(value, np.ndarray):
        kind = value.dtype.kind
        dtype = "" if kind in "iuf" else f" and dtype {value.dtype}"
        return f"an array of shape {value.shape}{dtype}"
    if isinstance(value, (tuple, list)):
        n = len(value)
        return f"a {type(value).__name__} of {n} item{'' if n == 1 else 's'}"
    if callable(value):
        return f"the function {name_of(value)}"
    kind = type(value).__name__
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


def _raised(err: BaseException) -> str:
    text = _short(str(err), 120)
    if "matmul" in text:  # numpy's message names gufunc signatures, not the slip
        text = "the shapes of a matrix product do not line up (check which side " \
               "needs a transpose): " + _short(str(err), 70)
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _args_text(args: tuple) -> str:
    """The inputs, if they are a few plain numbers: '(2, 0.5, 4)'; else ''."""
    if len(args) <= 4 and all(isinstance(a, numbers.Real) and not isinstance(a, bool)
                              for a in args):
        return "(" + ", ".join(f"{float(a):g}" for a in args) + ")"
    return ""


def learner_error(fn: Callable, args: tuple, err: BaseException) -> LearnerError:
    """The hint for an exception the learner's function raised on `args`."""
    name, inputs = name_of(fn), _args_text(args)
    if name != "your function":
        where = f"{name}{inputs}"
    else:
        where = f"{name}, given {inputs}," if inputs not in ("", "()") else name
    e = LearnerError(f"{where} raised {_raised(err)}")
    e.raised = True
    return e


def call(fn: Callable, *args: Any, copy: bool = True) -> Any:
    """`attempt(fn, *args)` on copies of array arguments (so the learner cannot
    change the check's data); any error but NotImplementedError is a LearnerError."""
    if copy:
        args = tuple(a.copy() if hasattr(a, "copy") and hasattr(a, "shape") else a
                     for a in args)
    try:
        return attempt(fn, *args)
    except Exception as e:  # the learner sees a hint, not a traceback
        raise learner_error(fn, args, e) from None


def run(fn: Callable, *args: Any, copy: bool = True) -> Any:
    """`call` for every call after the first: a NotImplementedError now means that
    part of the function is still a stub, a hint too."""
    got = call(fn, *args, copy=copy)
    if got is NOT_ATTEMPTED:
        raise learner_error(fn, args, NotImplementedError(
            "part of it is still the stub"))
    return got


# ------------------------------------------------------------ reading answers
def number(value: Any, who: str = "your function") -> float:
    """The learner's answer as a float, or a LearnerError saying what came instead."""
    v = value
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v[()]
    if isinstance(v, numbers.Complex) and not isinstance(v, numbers.Real) and (
            complex(v).imag == 0):
        v = complex(v).real
    if isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)):
        return float(v)
    raise LearnerError(f"{who} should return a number, got {describe(value)}")


def _real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def array(value: Any, who: str = "your function", what: str = "an array",
          verb: str = "return") -> np.ndarray:
    """The learner's answer as a float64 array, or a LearnerError saying what came."""
    bad = f"{who} should {verb} {what}, got {describe(value)}"
    if value is None or isinstance(value, (str, bytes, dict, set, bool, np.bool_)):
        raise LearnerError(bad)
    try:
        a = np.asarray(value)
    except Exception:  # a ragged list, or an object numpy cannot read
        raise LearnerError(bad) from None
    bad = f"{who} should {verb} {what}, got {describe(a)}"
    if a.dtype.kind == "c":
        if np.any(a.imag != 0):
            raise LearnerError(bad)
        a = a.real
    if a.dtype.kind == "O":  # numbers numpy could not type: fine if all are real
        if not all(_real(v) for v in a.flat):
            raise LearnerError(bad)
        a = a.astype(np.float64)
    if a.dtype.kind not in "iuf":
        raise LearnerError(bad)
    return a.astype(np.float64)


def arrays(value: Any, names: Sequence[str], who: str = "your function",
           what: str | None = None) -> tuple[np.ndarray, ...]:
    """A tuple answer (one array per name), each read with `array`."""
    n = len(names)
    what = what or f"a tuple ({', '.join(names)})"
    if not isinstance(value, (tuple, list)) or len(value) != n:
        raise LearnerError(f"{who} should return {what}, got {describe(value)}")
    return tuple(array(v, name, "an array", verb="be") for v, name in zip(value, names))


def non_finite(outs: Sequence[np.ndarray], names: Sequence[str]) -> str | None:
    """A hint naming the arrays that hold nan or inf (None if all are finite)."""
    bad = [n for n, o in zip(names, outs) if not np.isfinite(o).all()]
    if not bad:
        return None
    verb = "holds" if len(bad) == 1 else "hold"
    return (f"{', '.join(bad)} {verb} nan or inf, expected finite numbers: look for a "
            "division by zero, an overflow or a value never set")


# ------------------------------------------------------------ comparing answers
def _equal(a: Any, b: Any) -> bool:
    """Exactly the same answer (numbers and arrays by value, NaN equal to NaN)."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (numbers.Number, np.ndarray)) and isinstance(
            b, (numbers.Number, np.ndarray)):
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape:
            return False
        try:
            return bool(np.array_equal(x, y, equal_nan=True))
        except TypeError:
            return bool(np.array_equal(x, y))
    return a is b


def hard_coded(outs: Sequence, wants: Sequence,
               same: Callable[[Any, Any], bool]) -> bool:
    """True if the learner's answers `outs` on several inputs are all the same,
    the right answers `wants` are not, and the first answer is right: a value
    computed once and pasted in."""
    if len(outs) < 2 or len(outs) != len(wants):
        return False
    if all(_equal(w, wants[0]) for w in wants[1:]):
        return False
    try:
        constant = all(_equal(o, outs[0]) for o in outs[1:])
        return constant and bool(same(outs[0], wants[0]))
    except Exception:
        return False


def hard_coded_hint(who: str, inputs: str) -> Feedback:
    """The hint for an answer that ignores the inputs (see `hard_coded`)."""
    return hint(f"{who} gives the same answer for every input: it is hard-coded and "
                f"{HARD_CODED}. Compute it from {inputs}")


def order_hint(outs: Sequence[Sequence], wants: Sequence[Sequence],
               names: Sequence[str], same: Callable[[Any, Any], bool]) -> str | None:
    """A hint if the tuples in `outs` hold the right arrays in another order."""
    n = len(names)
    for perm in itertools.permutations(range(n)):
        if list(perm) == list(range(n)):
            continue
        try:
            if all(same(out[p], want[k]) for out, want in zip(outs, wants)
                   for k, p in enumerate(perm)):
                # out[perm[k]] holds names[k]: position j holds names[perm.index(j)]
                given = ", ".join(names[perm.index(j)] for j in range(n))
                return (f"the right arrays in the wrong order: you return them as "
                        f"({given}), return ({', '.join(names)})")
        except Exception:
            continue
    return None


def _fmt(value: Any, precision: int, kind: str) -> str:
    if isinstance(value, np.ndarray) and value.shape != ():
        text = np.array2string(np.round(value, precision), precision=precision,
                               max_line_width=10**6)
        return " ".join(text.split())
    return format(float(np.asarray(value)), f".{precision}{kind}")


def show(got: Any, want: Any, spec: str = ".4g") -> tuple[str, str]:
    """`got` and `want` printed so that the two differ: more digits if needed."""
    m = re.fullmatch(r"\.?(\d*)([fge])", spec)
    precision, kind = (int(m.group(1) or 6), m.group(2)) if m else (4, "g")
    g, w = _fmt(got, precision, kind), _fmt(want, precision, kind)
    for p in range(precision + 1, 18):
        if g != w:
            break
        g, w = _fmt(got, p, kind), _fmt(want, p, kind)
    try:
        a, b = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
        near = a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-3, atol=0.0))
    except (TypeError, ValueError):
        near = False
    if near or g == w:  # close: the learner should know it is only the tolerance
        w += " (close, but not within the tolerance)"
    return g, w


# ------------------------------------------------------------ the decorator
_SIGNATURE = re.compile(r"`(\w+)\(([^)`]*)\)")


def _tidy(fb: Feedback) -> Feedback:
    if fb.status == "correct":
        return fb
    message = " ".join(str(fb.message).split()) or "not yet right"
    return Feedback(fb.status, message)


def hints_on_error(check: Callable[..., Feedback] | None = None, *,
                   should: str | None = None, noun: str = "function") -> Any:
    """Decorate a check so it always answers with a one-line Feedback.

    Something that is not a function, a `LearnerError` inside the check, and (as
    a last resort) any other error become a hint; numpy's warnings are silenced,
    as the check judges the result. The learner's function's signature is read
    from the check's docstring, ```name(args)```; `should` says what it should do
    ("return a number"), added to the hint when the function raised; `noun` is
    what the learner passes ("function", or "class"). Use as ``@hints_on_error``
    or ``@hints_on_error(should="return a number")``.
    """
    if check is None:
        return functools.partial(hints_on_error, should=should, noun=noun)
    m = _SIGNATURE.search(check.__doc__ or "")
    signature = f"{m.group(1)}({m.group(2)})" if m else "your function"

    @functools.wraps(check)
    def wrapped(fn: Any, *args: Any, **kwargs: Any) -> Feedback:
        if not callable(fn):
            return hint(f"{check.__name__} needs your {noun} {signature} itself, "
                        f"got {describe(fn)}: pass the {noun}'s name, without "
                        "calling it")
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                fb = check(fn, *args, **kwargs)
            except LearnerError as e:
                extra = f"; {signature} should {should}" if e.raised and should else ""
                fb = hint(f"{e}{extra}")
            except NotImplementedError:
                fb = not_attempted(signature)
            except Exception as e:  # a last resort: the learner sees no traceback
                fb = hint(f"the answer of {name_of(fn)} could not be checked "
                          f"({_raised(e)}); compare it with what {signature} should "
                          "return")
        return _tidy(fb)

    return wrapped


def batch_sum_mistakes(
    grad: str, param: str, role: str, formula: str, letter: str,
    rows: Callable[..., Any],
) -> list[tuple[str, Callable[..., Any]]]:
    """The classic slips in the gradient of a parameter shared by the batch's rows.

    `grad` is its name ("db"), `param` the parameter's ("b"), `role` how it meets
    the rows ("is added to", "scales"), `formula` the right answer as code
    ("dout.sum(axis=0)"), `letter` its length's shape letter ("H"), and
    `rows(*args)` the per-row gradients (N, letter) that the answer sums.
    Returns [(hint, the mistake as a function of the check's arguments)].
    """
    shape = f"shape ({letter},)"
    return [
        (f"{grad} is missing the sum over the batch: {param} {role} all N rows, so "
         f"its gradient adds up their N gradients: {formula}, {shape}",
         lambda *a: rows(*a)),
        (f"{grad} averages over the batch: {param} {role} every row, so the N "
         f"gradients add up: use {formula}, not mean",
         lambda *a: rows(*a).mean(axis=0)),
        (f"{grad} sums over the wrong axis: sum over the batch (axis=0) to get one "
         f"number per feature, {shape}", lambda *a: rows(*a).sum(axis=1)),
        (f"{grad} keeps the summed axis: it has shape (1, {letter}), but {param} has "
         f"{shape}; drop keepdims ({param} - lr * {grad} would turn {param} into a "
         f"(1, {letter}) matrix)", lambda *a: rows(*a).sum(axis=0, keepdims=True)),
        (f"{grad} has the wrong sign: {grad} = +{formula}, with no minus in front",
         lambda *a: -rows(*a).sum(axis=0)),
    ]
