"""While a learner's function runs inside a capstone check, bpkit's own gradients refuse.

The capstone (lesson 12) asks for every gradient written by hand. bpkit already
holds several of them (Linear.backward, Tanh.backward, BatchNorm1d.backward,
softmax_cross_entropy, lesson 04's BatchNorm helpers) and the checks' own
measurements. `refusing_bpkit_gradients` replaces each of them, for the duration of
a `with` block and on the calling thread only, by a function that records what was
called and raises; everything is put back on leaving the block, also on error. Any
other thread, and any code outside the block, sees bpkit unchanged.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from typing import Any, Callable, Iterator

from ..blocks import BatchNorm1d
from ..layers import Linear, ReLU, Sequential, Sigmoid, Tanh
from .. import losses
from . import _capstone_net as net
from . import lesson04


class Refused(Exception):
    """Raised by a guarded bpkit gradient while a learner's function runs."""


def _targets() -> list[tuple[Any, str, str]]:
    """(owner, attribute, what the learner is told was called)."""
    methods = [(cls, "backward", f"bpkit's {cls.__name__}.backward") for cls in
               (Linear, Tanh, ReLU, Sigmoid, Sequential, BatchNorm1d)]
    bn04 = "lesson 04's BatchNorm backward"
    funcs = [(losses, "softmax_cross_entropy", "bpkit's softmax_cross_entropy"),
             (losses.CrossEntropyLoss, "_fn", "bpkit's CrossEntropyLoss"),
             (lesson04, "_bn_dx", bn04), (lesson04, "_bn_dxhat", bn04),
             (lesson04, "_bn_reference", bn04), (lesson04, "_bn_numerical", bn04)]
    oracle = [(net, n, "the check's own measurement") for n in
              ("_measure", "_measured", "_reference", "gradients_after",
               "_made_up_reference")]
    return methods + funcs + oracle


class _Guard:
    def __init__(self) -> None:
        self.who: str | None = None  # the first refused call: who called
        self.what = ""  # and what it called


def _stub(original: Callable, what: str, guard: _Guard, thread: int,
          static: bool) -> Callable:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() != thread:  # another thread: bpkit as usual
            return original(*args, **kwargs)
        caller = sys._getframe(1).f_code.co_name
        who = caller if caller.isidentifier() else "your function"
        if guard.who is None:
            guard.who, guard.what = who, what
        raise Refused(f"{who} calls {what}")

    return staticmethod(refuse) if static else refuse  # type: ignore[return-value]


@contextlib.contextmanager
def refusing_bpkit_gradients(*namespaces: dict) -> Iterator[_Guard]:
    """Inside the block, bpkit's gradients (see `_targets`) raise `Refused` on this
    thread, also where `namespaces` (a learner's globals, a module's dict) hold them
    under their own name; the guard's `who` and `what` name the first refused call
    (`who` None if there was none)."""
    guard, thread = _Guard(), threading.get_ident()
    undo: list[Callable[[], None]] = []
    try:
        for owner, attr, what in _targets():
            raw = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
            static = isinstance(raw, staticmethod)
            original = raw.__func__ if static else raw
            stub = _stub(original, what, guard, thread, static)
            setattr(owner, attr, stub)
            undo.append(lambda o=owner, a=attr, r=raw: setattr(o, a, r))
            plain = stub.__func__ if static else stub
            for ns in namespaces:
                for key in [k for k, v in ns.items() if v is original]:
                    ns[key] = plain
                    undo.append(lambda ns=ns, k=key, v=original: ns.__setitem__(k, v))
        yield guard
    finally:
        for put_back in reversed(undo):
            put_back()
