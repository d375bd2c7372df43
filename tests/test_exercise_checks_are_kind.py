"""Checks are kind: whatever a learner's function does, a check answers with a hint.

Every public ``check_*`` of every bpkit.exercises.lessonNN is driven with
answers a learner can really give: a function that raises (ValueError,
ZeroDivisionError, IndexError, TypeError, RecursionError, ...), returns None, a
string, NaN, inf, a complex number, a list, a tuple of the wrong length or in
the wrong order, an array of the wrong shape or dtype; something that is not a
function at all; and a *hard-coded* answer: a function that ignores its
arguments and returns what the lesson's solution gives on the check's first
(default) input. No exception may escape; the verdict is a hint ("not attempted"
only for the NotImplementedError stub) with a one-line message that says what
came, and a hard-coded answer is told that it does not depend on the inputs.

The solutions are those of tests/test_exercises_lessonNN.py: lessons 01-07 have
theirs written out below; a later lesson's test module exports a dict
``KIND_SOLUTIONS`` (check name -> solution), which is merged in here.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
import re
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from bpkit.exercises import Feedback
from tests.test_exercises_lesson04 import bn_solution as _batchnorm  # one solution
from tests.test_exercises_lesson07 import lstm_solution as _lstm_step
from tests.test_exercises_lesson02 import make_value as _own_value

# the one wording every check uses for an answer that ignores its inputs
HARD_CODED = "does not depend on the inputs"
# the wording of the wrapper's last-resort hint: a check must never need it
SAFETY_NET = "could not be checked"

import bpkit.exercises  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LESSON_NAMES = sorted(m.name for m in pkgutil.iter_modules(bpkit.exercises.__path__)
                      if re.fullmatch(r"lesson\d\d", m.name))
LESSONS = [importlib.import_module(f"bpkit.exercises.{n}") for n in LESSON_NAMES]
CHECKS: dict[str, Callable[..., Feedback]] = {
    name: obj
    for module in LESSONS
    for name, obj in vars(module).items()
    if name.startswith("check_") and callable(obj)
    and (getattr(obj, "__module__", None) == module.__name__
         or name in getattr(module, "__all__", ()))  # kept in a helper module
}


# ------------------------------------------------------------------ solutions
def _topo(root):
    order, seen = [], set()

    def visit(n):
        if id(n) in seen:
            return
        seen.add(id(n))
        for p in n._prev:
            visit(p)
        order.append(n)

    visit(root)
    return order


def _backward(root):
    root.grad = 1.0
    for node in reversed(root.topo_order()):
        for child, local in zip(node._prev, node._local):
            child.grad += local * node.grad


def _linear(x, W, b, dout):
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def _lse(z):
    m = z.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]


def _ce(z, y):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


def _momentum(w, g, b, lr, momentum, dampening):
    b = momentum * b + (1 - dampening) * g
    return w - lr * b, b


def _adam(w, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adamw(w, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    return _adam(w * (1 - lr * weight_decay), g, m, v, t, lr, beta1, beta2, eps)


def _rnn_step_backward(dh, x, h_prev, h, Wx, Wh):
    da = dh * (1 - h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def _rnn_backward_loop(dh, x, h0, hs, Wx, Wh, step_backward):
    dx, dnext = np.zeros_like(x), np.zeros_like(h0)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    for t in range(x.shape[1] - 1, -1, -1):
        h_prev = hs[:, t - 1] if t else h0
        dx[:, t], dnext, gWx, gWh, gb = step_backward(dh[:, t] + dnext, x[:, t],
                                                      h_prev, hs[:, t], Wx, Wh)
        dWx, dWh, db = dWx + gWx, dWh + gWh, db + gb
    return dx, dnext, dWx, dWh, db


def _windows(T, k1, k2):
    return [(max(s - (k2 - k1), 0), s, min(s + k1, T)) for s in range(0, T, k1)]


SOLUTIONS: dict[str, Callable] = {
    "check_dL_dw": lambda x, w, y: -2 * x * (y - w * x),
    "check_one_step_lr": lambda x: 1 / (2 * x * x),
    "check_update": lambda w, g, lr: w - lr * g,
    "check_predict_grad": lambda: (2 * (3 * -0.5) + 1) * -0.5,
    "check_topo_order": _topo,
    "check_backward": _backward,
    "check_linear_backward": _linear,
    "check_logsumexp": _lse,
    "check_softmax_ce_grad": _ce,
    "check_gradient_ratio": lambda depth, w: (0.25 * w) ** depth,
    "check_tanh_init": lambda: "xavier",
    "check_residual_backward": lambda dout, inner: dout + inner(dout),
    "check_batchnorm_backward": _batchnorm,
    "check_error_factor": lambda lr, L: 1 - lr * L,
    "check_max_stable_lr": lambda A: 2 / np.linalg.eigvalsh(A)[-1],
    "check_cosine_lr": lambda t, b, T, e: e + (b - e) * (1 + math.cos(math.pi * t / T))
    / 2,
    "check_momentum_step": _momentum,
    "check_adam_step": _adam,
    "check_adamw_step": _adamw,
    "check_rnn_step_backward": _rnn_step_backward,
    "check_rnn_backward_loop": _rnn_backward_loop,
    "check_step_jacobian": lambda h, Wh: np.diag(1 - h**2) @ Wh.T,
    "check_tbptt_windows": _windows,
    "check_lstm_step_backward": _lstm_step,
    **{f"check_my_{op}": _own_value() for op in
       ("add", "mul", "pow", "tanh", "exp", "backward")},
}
_LATER_NOTHING: set[str] = set()
for _name in LESSON_NAMES:  # later lessons keep their solutions beside their tests
    if int(_name[-2:]) > 7 and (ROOT / "tests" / f"test_exercises_{_name}.py").exists():
        _tests = importlib.import_module(f"tests.test_exercises_{_name}")
        SOLUTIONS.update(getattr(_tests, "KIND_SOLUTIONS", {}))
        _LATER_NOTHING |= set(getattr(_tests, "KIND_RETURNS_NOTHING", ()))

# checks whose answer is a side effect: backward(root) fills .grad, returns None
RETURNS_NOTHING = {"check_backward"} | _LATER_NOTHING


# ------------------------------------------------------------ default inputs
class _Stop(NotImplementedError):
    pass


def _default_args(check: Callable) -> tuple:
    """The arguments the check passes on its first call (the lesson's default input)."""
    seen: list[tuple] = []

    def recorder(*args):
        seen.append(args)
        raise _Stop()

    check(recorder)
    assert seen, f"{check.__name__} never called the learner's function"
    return seen[0]


def _fresh(value: Any) -> Any:
    """A new copy of a hard-coded constant (arrays and containers), keeping objects."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(_fresh(v) for v in value)
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


def _has_float_leaves(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.kind == "f"
    if isinstance(value, (tuple, list)):
        return bool(value) and all(_has_float_leaves(v) for v in value)
    return isinstance(value, float)


def _leaves(value: Any, f: Callable[[Any], Any]) -> Any:
    """`value` with `f` applied to each number or array in it."""
    if isinstance(value, tuple):
        return tuple(_leaves(v, f) for v in value)
    if isinstance(value, list):
        return [_leaves(v, f) for v in value]
    return f(value)


def _hard_coded(name: str, args: tuple) -> Callable:
    solution = SOLUTIONS[name]
    if name == "check_backward":
        # the answer is the grads it writes: write the default graph's, by position
        root = args[0]
        root.zero_grad()
        solution(root)
        grads = [n.grad for n in root.topo_order()]
        root.zero_grad()

        def backward(root):
            for node, g in zip(root.topo_order(), grads):
                node.grad = g

        return backward
    const = solution(*_fresh(args))

    def hard_coded(*args, **kwargs):
        return _fresh(const)

    return hard_coded


# ------------------------------------------------------------------ the fakes
def _raises(exc: BaseException) -> Callable:
    def fn(*args, **kwargs):
        raise exc

    return fn


def _recurse(*args, **kwargs):
    return _recurse(*args, **kwargs)


def _zero_division(*args, **kwargs):
    return 1 / 0


def _index_error(*args, **kwargs):
    return [][1]


def _type_error(*args, **kwargs):
    return None + 1


def _returns(value: Any) -> Callable:
    def fn(*args, **kwargs):
        return _fresh(value)

    return fn


def _no_arguments():
    return 0.5


def _stub(*args, **kwargs):
    raise NotImplementedError()


# (id, the learner's "function", what the message must contain: a list of
# alternatives, any one will do; None for no such requirement)
GENERIC: list[tuple[str, Any, list[str] | None]] = [
    ("raises ValueError", _raises(ValueError("a bad value")), ["ValueError"]),
    ("raises ValueError without a message", _raises(ValueError()), ["ValueError"]),
    ("raises ZeroDivisionError", _zero_division, ["ZeroDivisionError"]),
    ("raises IndexError", _index_error, ["IndexError"]),
    ("raises TypeError", _type_error, ["TypeError"]),
    ("raises KeyError", _raises(KeyError("w")), ["KeyError"]),
    ("raises AttributeError", _raises(AttributeError("no .T")), ["AttributeError"]),
    ("raises RecursionError", _recurse, ["RecursionError"]),
    ("raises a multi-line error", _raises(RuntimeError("line one\nline two")),
     ["RuntimeError"]),
    ("returns None", _returns(None), ["None"]),
    ("returns a string", _returns("42"), ["'42'", "str"]),
    ("returns True", _returns(True), None),
    ("returns nan", _returns(float("nan")), None),
    ("returns inf", _returns(float("inf")), None),
    ("returns a complex number", _returns(1 + 2j), None),
    ("returns a list", _returns([1.0, 2.0, 3.0]), None),
    ("returns a dict", _returns({"w": 1.0}), None),
    ("returns a 2-tuple", _returns((1.0, 2.0)), None),
    ("returns a wrong-shape array", _returns(np.zeros((7, 2))), None),
    ("returns a complex array", _returns(np.full((7, 2), 1 + 1j)), None),
    ("returns an object array", _returns(np.array([None, "a", 1.5], dtype=object)),
     None),
    ("returns a bool array", _returns(np.array([True, False])), None),
    ("returns an empty array", _returns(np.array([])), None),
    ("returns a generator", lambda *a, **k: (i for i in range(3)), None),
    ("takes no arguments", _no_arguments, None),
    ("needs an extra argument", lambda *a, missing: 0.5, None),
    ("is None", None, ["function", "class"]),
    ("is a number", 42, ["function", "class"]),
    ("is the function's name", "my_function", ["function", "class"]),
]


def _structured(name: str, args: tuple) -> list[tuple[str, Any, list[str] | None]]:
    """Fakes shaped like the solution's answer at the default input."""
    solution = SOLUTIONS[name]
    out = solution(*_fresh(args))
    cases: list[tuple[str, Any, list[str] | None]] = []
    if name in RETURNS_NOTHING:
        cases.append(("hard-coded answer", _hard_coded(name, args), [HARD_CODED]))
        return cases
    if args:  # a function of no arguments has nothing else to depend on
        cases.append(("hard-coded answer", _hard_coded(name, args), [HARD_CODED]))
    if isinstance(out, tuple):
        n = len(out)
        cases += [
            ("tuple in the wrong order", lambda *a: solution(*a)[::-1], None),
            ("tuple one short", lambda *a: solution(*a)[:-1], None),
            ("tuple one too long", lambda *a: solution(*a) + (0.0,), None),
            ("tuple of None", _returns((None,) * n), None),
            ("tuple of strings", _returns(("0.5",) * n), None),
            ("tuple of wrong-shape arrays", _returns((np.zeros((7, 2)),) * n), None),
        ]
    if _has_float_leaves(out):
        def nan(v):
            return np.full(np.shape(v), np.nan)

        def inf(v):
            return np.full(np.shape(v), np.inf)

        cases += [
            ("nan in the answer's shape", _returns(_leaves(out, nan)), None),
            ("inf in the answer's shape", _returns(_leaves(out, inf)), None),
            ("complex in the answer's shape",
             _returns(_leaves(out, lambda v: np.asarray(v) + 1j)), None),
            ("object array in the answer's shape",
             _returns(_leaves(out, lambda v: np.full(np.shape(v), None, dtype=object))),
             None),
            ("wrong values in the answer's shape",
             lambda *a: _leaves(solution(*a), lambda v: 3 * np.asarray(v) + 0.5), None),
            ("just outside the tolerance",
             lambda *a: _leaves(solution(*a), lambda v: np.asarray(v) * (1 + 1e-5)
                                + 1e-9), None),
        ]
    return cases


def _cases() -> list:
    params = []
    for name, check in sorted(CHECKS.items()):
        if name not in SOLUTIONS:
            continue  # the first test below reports it
        args = _default_args(check)
        for fake_id, fake, must in GENERIC + _structured(name, args):
            params.append(pytest.param(name, fake, must, fake_id,
                                       id=f"{name}-{fake_id}"))
    return params


CASES = _cases()


# ------------------------------------------------------------------ the tests
def test_every_lesson_has_checks_and_every_check_has_a_solution_here():
    numbers = {p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert {m.__name__[-2:] for m in LESSONS} == numbers, "one exercises module a lesson"
    for module in LESSONS:
        assert any(n.startswith("check_") for n in vars(module)), module.__name__
    assert sorted(CHECKS) == sorted(SOLUTIONS), "add the new check's solution here"
    assert len(CASES) >= 7 * len(CHECKS)


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_the_solution_is_correct_and_the_stub_not_attempted(name):
    assert CHECKS[name](SOLUTIONS[name]).status == "correct"
    fb = CHECKS[name](_stub)
    assert fb.status == "not attempted" and "\n" not in fb.message, repr(fb)


def _printed_pairs(message: str) -> list[tuple[str, str]]:
    """(what you give, what is expected) as printed, wherever both are named."""
    pairs = []
    for m in re.finditer(r"(?:\bgives?|\bgets grad|\byou return)\s+(.+?)\s*[;,]?\s*"
                         r"(?:\bexpected|gradient_flow measures)\s+(.+?)"
                         r"(?=[;:]\s|\.\s|\.$|\s\(|$)", message):
        pairs.append((m.group(1), m.group(2)))
    return pairs


def _norm(printed: str) -> str:
    """The printed value alone: no spaces, no trailing punctuation, no 'name ='."""
    text = re.sub(r"[\s,;.]+$", "", re.sub(r"\s+", "", printed))
    return re.sub(r"^[A-Za-z_]\w*=", "", text)


@pytest.mark.parametrize("name, fake, must, fake_id", CASES)
def test_a_check_answers_any_answer_with_a_one_line_hint(name, fake, must, fake_id):
    fb = CHECKS[name](fake)  # no exception may escape
    assert isinstance(fb, Feedback), fb
    assert fb.status == "hint", f"{fake_id}: {fb!r}"
    message = fb.message
    assert isinstance(message, str) and message.strip(), repr(fb)
    assert "\n" not in message and "\r" not in message, repr(message)
    assert SAFETY_NET not in message, f"{fake_id}: {message}"
    if must is not None and not (name in RETURNS_NOTHING and fake_id.startswith(
            "returns")):
        assert any(word in message for word in must), (
            f"{fake_id}: {message!r} names none of {must}")
    if must != [HARD_CODED]:
        assert HARD_CODED not in message, f"{fake_id}: {message}"
    for got, want in _printed_pairs(message):
        assert _norm(got) != _norm(want), f"self-contradicting: {message}"


@pytest.mark.parametrize("name",
                         sorted(n for n in SOLUTIONS if n not in RETURNS_NOTHING))
def test_an_answer_that_depends_on_the_inputs_is_never_called_hard_coded(name):
    solution = SOLUTIONS[name]

    def off(*args):
        out = solution(*args)
        if isinstance(out, str) or not _has_float_leaves(out):
            return out
        return _leaves(out, lambda v: 2 * np.asarray(v))

    fb = CHECKS[name](off)
    assert HARD_CODED not in fb.message, fb

