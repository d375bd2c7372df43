"""Checks for lesson 11 (what backprop costs)."""

from __future__ import annotations

import contextlib
import math
import numbers
from typing import Callable

import numpy as np

from ..cost import Dual, checkpoint_peak
from . import (
    NOT_ATTEMPTED, Feedback, LearnerError, call, correct, describe, hard_coded,
    hard_coded_hint, hint, hints_on_error, name_of, not_attempted, run,
)

__all__ = ["check_dual_mul", "check_checkpoints", "check_jacobian_passes"]


# ------------------------------------------------------------ a dual-number op
_MUL_CASES = [((3.0, 1.0), (-2.0, 0.5)), ((0.5, -2.0), (4.0, 3.0)),
              ((-1.5, 0.0), (2.5, 1.0))]


def _dual_out(value, who: str) -> tuple[float, float]:
    """(val, eps) of the learner's answer, or a LearnerError saying what came."""
    if isinstance(value, Dual):
        return value.val, value.eps
    if isinstance(value, tuple) and len(value) == 2 and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
        raise LearnerError(f"{who} returns a tuple {value!r}: return a Dual, "
                           "Dual(value, derivative)")
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        raise LearnerError(f"{who} returns only a number ({float(value):g}): a dual "
                           "number carries its derivative too, return "
                           "Dual(value, derivative)")
    raise LearnerError(f"{who} should return a Dual, got {describe(value)}")


def _near(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@contextlib.contextmanager
def _watch_dual_mul(log: list):
    """Note every use of Dual's own * inside the body (the exercise writes it)."""
    mul, rmul = Dual.__mul__, Dual.__rmul__

    def watched_mul(self, other):
        log.append("*")
        return mul(self, other)

    def watched_rmul(self, other):
        log.append("*")
        return rmul(self, other)

    Dual.__mul__, Dual.__rmul__ = watched_mul, watched_rmul
    try:
        yield
    finally:
        Dual.__mul__, Dual.__rmul__ = mul, rmul


@hints_on_error(should="return a Dual")
def check_dual_mul(mul: Callable[[Dual, Dual], Dual]) -> Feedback:
    """`dual_mul(x, y)` -> the Dual x * y, from x.val, x.eps, y.val, y.eps."""
    log: list = []
    pairs = [(Dual(*a), Dual(*b)) for a, b in _MUL_CASES]
    with _watch_dual_mul(log):
        first = call(mul, *pairs[0])
        if first is NOT_ATTEMPTED:
            return not_attempted("dual_mul(x, y)")
        answers = [first] + [run(mul, *pair) for pair in pairs[1:]]
    who = name_of(mul)
    if log:
        return hint(f"{who} multiplies with Dual's own *, the operation this exercise "
                    "writes: build the result yourself, Dual(x.val * y.val, ...) with "
                    "the product rule for the ε part")
    for (a, b), (x, y) in zip(_MUL_CASES, pairs):
        if (x.val, x.eps) != a or (y.val, y.eps) != b:
            return hint(f"{who} changes its input x or y in place (x = Dual{a}, y = "
                        f"Dual{b} afterwards: Dual({x.val:g}, {x.eps:g}), "
                        f"Dual({y.val:g}, {y.eps:g})): a value overwritten before the "
                        "derivative reads it is the wrong one; return a new Dual and "
                        "leave x and y as they are")
    outs = [_dual_out(got, who) for got in answers]
    wants = [(a[0] * b[0], a[1] * b[0] + a[0] * b[1]) for a, b in _MUL_CASES]
    same = lambda g, w: _near(g[0], w[0]) and _near(g[1], w[1])  # noqa: E731
    if hard_coded(outs, wants, same):
        return hard_coded_hint(who, "x.val, x.eps, y.val and y.eps")
    for (a, b), (val, eps) in zip(_MUL_CASES, outs):
        if not (math.isfinite(val) and math.isfinite(eps)):
            return hint(f"{who} gives nan or inf for x = Dual{a}, y = Dual{b}: "
                        "expected finite numbers")
    if all(same((g[1], g[0]), w) for g, w in zip(outs, wants)):
        return hint("the value and the derivative are swapped: Dual(value, derivative) "
                    "takes x.val * y.val first, the product rule's ε part second")
    vals_ok = all(_near(g[0], w[0]) for g, w in zip(outs, wants))
    if not vals_ok:
        if all(_near(g[0], a[0] + b[0]) for g, (a, b) in zip(outs, _MUL_CASES)):
            return hint("the value part adds: the value of x * y is x.val * y.val")
        return hint("the value part is wrong: the value of x * y is x.val * y.val, "
                    "the numbers multiplied as usual")
    if all(_near(g[1], w[1]) for g, w in zip(outs, wants)):
        return correct("x * y carries x.eps * y.val + x.val * y.eps: the product "
                       "rule, one forward pass at a time")

    def every(rule) -> bool:  # the learner's eps follows `rule` at every input
        return all(_near(g[1], rule(*a, *b)) for g, (a, b) in zip(outs, _MUL_CASES))

    if every(lambda av, ae, bv, be: ae * be):
        return hint("the derivative multiplies the two derivatives, x.eps * y.eps: "
                    "that is the eps² term, which is 0. The product rule gives "
                    "x.eps * y.val + x.val * y.eps")
    if every(lambda av, ae, bv, be: ae * bv) or every(lambda av, ae, bv, be: av * be):
        return hint("an epsilon term is dropped: (x.val + x.eps ε)(y.val + y.eps ε) "
                    "has two ε terms, x.eps * y.val and x.val * y.eps; keep both "
                    "(the product rule)")
    if every(lambda av, ae, bv, be: ae + be):
        return hint("the derivatives add, as for x + y; for a product use the "
                    "product rule: x.eps * y.val + x.val * y.eps")
    if every(lambda av, ae, bv, be: ae * bv + av * be + ae * be):
        return hint("the eps * eps term is kept: ε² = 0, so drop x.eps * y.eps")
    if every(lambda av, ae, bv, be: -(ae * bv + av * be)):
        return hint("the derivative has the wrong sign: x.eps * y.val + x.val * y.eps")
    return hint("the derivative part is wrong: expand (x.val + x.eps ε)(y.val + "
                "y.eps ε) and drop ε²; the ε part is the product rule")



def _answers(fn: Callable, cases: list[tuple]) -> list | object:
    """The learner's answers at every case (NOT_ATTEMPTED if the first is a stub)."""
    first = call(fn, *cases[0])
    if first is NOT_ATTEMPTED:
        return NOT_ATTEMPTED
    return [first] + [run(fn, *case) for case in cases[1:]]


# ------------------------------------------------------------ checkpoints in a budget
# (depth, budget): at each, equal segments reach the fewest checkpoints that fit
_BUDGET_CASES = [(16, 8), (25, 9), (12, 6), (30, 10), (10, 12)]


def _positions(value, who: str, depth: int) -> list[int]:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        raise LearnerError(f"{who} returns one number ({int(value)}): return the list "
                           "of checkpoint positions, e.g. list(range(0, depth, k)) for "
                           "every k-th layer")
    try:
        items = list(value)
    except TypeError:
        raise LearnerError(f"{who} should return a list of layer positions, got "
                           f"{describe(value)}") from None
    out = []
    for v in items:
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or v != int(v):
            raise LearnerError(f"{who} should return whole layer positions, got "
                               f"{describe(v)} in the list")
        out.append(int(v))
    return out


def _peak(pos: list[int], depth: int) -> float:
    return checkpoint_peak([1] * depth, pos)


def _fewest(depth: int, budget: int) -> tuple[int, int]:
    """(k, count): the longest equal segments k that fit, and their checkpoints."""
    k = next(k for k in range(depth, 0, -1)
             if _peak(list(range(0, depth, k)), depth) <= budget)
    return k, len(range(0, depth, k))


def _fits(pos: list[int], depth: int, budget: int) -> bool:
    """Valid positions whose peak is within the budget, with the fewest checkpoints."""
    valid = bool(pos) and pos[0] == 0 and sorted(set(pos)) == pos and pos[-1] < depth
    return (valid and _peak(pos, depth) <= budget
            and len(pos) <= _fewest(depth, budget)[1])


def _worst_segment(pos: list[int], depth: int) -> tuple[int, int]:
    """(checkpoints waiting, layers redone) at the segment with the highest peak."""
    bounds = pos + [depth]
    segs = [(i, b - a) for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]
    return max(segs, key=lambda s: s[0] + s[1])


@hints_on_error(should="return a list of layer positions")
def check_checkpoints(choose: Callable[[int, int], list[int]]) -> Feedback:
    """`choose_checkpoints(depth, budget)` -> the fewest positions [0, ...] whose
    peak fits the budget.

    Every layer keeps one unit (its input); the peak is `checkpoint_peak([1] *
    depth, positions)`: segment i waits for the i checkpoints before it and
    redoes its own layers.
    """
    answers = _answers(choose, _BUDGET_CASES)
    if answers is NOT_ATTEMPTED:
        return not_attempted("choose_checkpoints(depth, budget)")
    who = name_of(choose)
    outs = [_positions(got, who, depth) for got, (depth, _) in zip(answers, _BUDGET_CASES)]
    fits = [_fits(pos, depth, budget) for (depth, budget), pos in zip(_BUDGET_CASES, outs)]
    if len({tuple(o) for o in outs}) == 1 and fits[0] and not all(fits):
        return hard_coded_hint(who, "depth and budget")
    for (depth, budget), pos in zip(_BUDGET_CASES, outs):
        case = f"(depth {depth}, budget {budget})"
        if not pos:
            return hint(f"no positions {case}: at least [0], the input, is kept")
        if any(p < 0 or p >= depth for p in pos):
            bad = [p for p in pos if p < 0 or p >= depth]
            return hint(f"position(s) {bad} are outside the network {case}: layers are "
                        f"numbered 0 to depth - 1 = {depth - 1}; range(0, depth, k) "
                        "stops in time")
        if sorted(set(pos)) != pos:
            return hint(f"the positions should be increasing, without repeats {case}: "
                        "sort them and drop duplicates")
        if pos[0] != 0:
            return hint(f"position 0 is missing {case}: the network's input is the "
                        "first checkpoint; the first segment is redone from it")
        peak = _peak(pos, depth)
        waiting, redone = _worst_segment(pos, depth)
        if peak > budget:
            if waiting >= redone:
                why = (f"{waiting} checkpoint{'s' * (waiting != 1)} wait while a "
                       f"segment of {redone} "
                       f"layer{'s' * (redone != 1)} is redone: the segments are too "
                       "short, so there are too many checkpoints; use longer segments")
            else:
                wait = ("no checkpoint waits" if waiting == 0 else "1 checkpoint waits"
                        if waiting == 1 else f"{waiting} checkpoints wait")
                why = (f"a segment of {redone} layers is redone while {wait}: that "
                       "segment is too long; use shorter segments")
            return hint(f"these positions need {peak:g} units at the peak, over the "
                        f"budget of {budget} {case}: {why}")
        k, fewest = _fewest(depth, budget)
        if len(pos) > fewest:
            return hint(f"{len(pos)} checkpoints fit the budget {case}, but {fewest} "
                        f"do too (every {k} layers: peak "
                        f"{_peak(list(range(0, depth, k)), depth):g}): use what the "
                        "budget allows, the longest segments that fit, not the "
                        "smallest peak")
    return correct("every choice is the fewest checkpoints that fit the budget: "
                   "checkpoints waiting plus one segment redone, about depth/s + s")


# ------------------------------------------------------------ passes per mode
_PASS_CASES = [(5, 1), (1, 7), (12, 3), (4, 9)]


@hints_on_error(should="return (forward, reverse)")
def check_jacobian_passes(passes: Callable[[int, int], tuple[int, int]]) -> Feedback:
    """`jacobian_passes(n, m)` -> (forward, reverse): the passes for the whole
    Jacobian of f: R^n -> R^m (tangent passes in forward mode, backward passes
    in reverse mode)."""
    answers = _answers(passes, _PASS_CASES)
    if answers is NOT_ATTEMPTED:
        return not_attempted("jacobian_passes(n, m)")
    who = name_of(passes)
    outs = []
    for got in answers:
        if isinstance(got, np.ndarray) and got.ndim == 1:
            got = got.tolist()
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise LearnerError(f"{who} should return two numbers (forward, reverse), "
                               f"got {describe(got)}")
        vals = []
        for v in got:
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
                raise LearnerError(f"{who} should return two numbers (forward, "
                                   f"reverse), got {describe(v)} among them")
            vals.append(float(v))
        outs.append(tuple(vals))
    wants = [(float(n), float(m)) for n, m in _PASS_CASES]
    if hard_coded(outs, wants, lambda a, b: a == b):
        return hard_coded_hint(who, "n and m")
    if outs == wants:
        return correct("n tangent passes forward, m backward passes reverse: a loss "
                       "has m = 1, so reverse mode gets every gradient in one")

    def every(rule) -> bool:  # the learner's answer follows `rule` at every (n, m)
        return all(rule(n, m, fw, rv) for (n, m), (fw, rv) in zip(_PASS_CASES, outs))

    n, m = next(c for c, o, w in zip(_PASS_CASES, outs, wants) if o != w)
    case = (f"for n = {n} input{'s' * (n != 1)}, m = {m} "
            f"output{'s' * (m != 1)}")
    if every(lambda n, m, fw, rv: (fw, rv) == (m, n)):
        return hint(f"forward and reverse are swapped ({case}): a forward pass seeds "
                    "one *input* and gives a column of J, a backward pass starts from "
                    "one *output* and gives a row")
    if every(lambda n, m, fw, rv: fw == 2 * n):
        return hint(f"2n forward passes are central differences' count ({case}); "
                    "forward mode gets a column of J exactly from one tangent pass "
                    "per input")
    if every(lambda n, m, fw, rv: fw == 1 and rv == 1):
        return hint(f"both are wrong ({case}): one pass gives one column of J "
                    "(forward, along one input) or one row (reverse, from one "
                    "output); n inputs need n tangent passes, m outputs m backward")
    if every(lambda n, m, fw, rv: rv == 1):
        return hint(f"one backward pass gives the gradient of *one* output ({case}): "
                    "a Jacobian with m rows needs m backward passes; 1 is the count "
                    "for a scalar loss")
    if every(lambda n, m, fw, rv: fw == 1):
        return hint(f"one tangent pass gives the derivative along *one* input "
                    f"({case}): n inputs need n passes")
    if every(lambda n, m, fw, rv: rv == m + 1 or fw == n + 1):
        return hint(f"count the passes that carry derivatives only ({case}): "
                    "reverse mode's one plain forward pass is not counted")
    if every(lambda n, m, fw, rv: fw == n * m or rv == n * m):
        return hint(f"one pass gives a whole column (forward) or row (reverse) of J, "
                    f"not one entry ({case}): n or m passes, not n·m")
    if every(lambda n, m, fw, rv: fw == n):
        return hint(f"forward is right; reverse mode needs one backward pass per "
                    f"output ({case})")
    if every(lambda n, m, fw, rv: rv == m):
        return hint(f"reverse is right; forward mode needs one tangent pass per "
                    f"input ({case})")
    return hint(f"not yet ({case}): forward mode needs a pass per input, reverse "
                "mode a pass per output")
