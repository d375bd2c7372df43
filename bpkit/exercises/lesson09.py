"""Checks for lesson 09 (convolutions)."""

from __future__ import annotations

import contextlib
import threading
from typing import Callable, Iterator

import numpy as np

from ..conv import conv2d_backward, conv2d_forward, maxpool_backward, maxpool_forward
from ..conv.as_convolutions import input_grad_by_full_convolution
from . import (
    NOT_ATTEMPTED, Feedback, LearnerError, array, arrays, call, correct, hard_coded,
    hard_coded_hint, hint, hints_on_error, name_of, non_finite, not_attempted,
    number, order_hint, run,
)

__all__ = ["check_output_size", "check_conv_backward", "check_maxpool_backward"]

# (size, kernel, stride, padding): every term matters somewhere, floors included
_SIZE_CASES = [(8, 3, 1, 1), (7, 3, 2, 0), (8, 3, 2, 1), (5, 2, 2, 0), (10, 4, 3, 2),
               (6, 1, 1, 0)]


def _formula(H, K, s, p):
    return (H + 2 * p - K) // s + 1


_SIZE_MISTAKES = [
    (lambda H, K, s, p: (H + 2 * p - K) // s,
     "the + 1 is missing: with the kernel at the very first position, there is already "
     "one output. out = (H + 2p - K) // s + 1"),
    (lambda H, K, s, p: (H + p - K) // s + 1,
     "the padding is counted on one side only: p zeros are added on *each* side, so "
     "the padded size is H + 2p"),
    (lambda H, K, s, p: (H - K) // s + 1,
     "the padding is missing: the kernel slides over the padded input, H + 2p cells"),
    (lambda H, K, s, p: H + 2 * p - K + 1,
     "the stride is missing: the kernel jumps s cells at a time, so divide the room "
     "it has, H + 2p - K, by s"),
    (lambda H, K, s, p: -(-(H + 2 * p - K) // s) + 1,
     "rounded up: a last position where the kernel would stick out of the padded input "
     "does not count, so round down, (H + 2p - K) // s"),
    (lambda H, K, s, p: (H + 2 * p - K + 1) // s,
     "the + 1 belongs outside the division: (H + 2p - K) // s + 1"),
    (lambda H, K, s, p: (H + 2 * p - K) / s + 1,
     "not a whole number: the count of positions rounds down, use // (floor division)"),
    (lambda H, K, s, p: (H + 2 * p + K) // s + 1,
     "the kernel's size is added; the kernel takes room, so subtract it: H + 2p - K"),
]


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _swapped(output_size) -> bool:
    """The formula with stride and padding read the other way round."""
    try:
        return all(output_size(H, K, p, s) == _formula(H, K, s, p)
                   for H, K, s, p in _SIZE_CASES if p > 0)
    except Exception:
        return False


@hints_on_error(should="return a whole number")
def check_output_size(output_size: Callable[[int, int, int, int], int]) -> Feedback:
    """`output_size(H, K, stride, padding)` -> the number of positions along one axis."""
    first = call(output_size, *_SIZE_CASES[0])
    if first is NOT_ATTEMPTED:
        return not_attempted("output_size(H, K, stride, padding)")
    raw = [first]
    try:
        for case in _SIZE_CASES[1:]:
            raw.append(run(output_size, *case))
    except LearnerError as e:
        if "ZeroDivisionError" in str(e) and _swapped(output_size):
            return hint("stride and padding are swapped: the arguments come in the order "
                        "(H, K, stride, padding), and with padding 0 you divide by zero")
        raise
    got = [number(g, name_of(output_size)) for g in raw]
    want = [_formula(*c) for c in _SIZE_CASES]
    if hard_coded(got, want, lambda a, b: a == b):
        return hard_coded_hint("output_size", "H, K, stride and padding")
    if got == want and not all(_is_int(g) for g in raw):
        return hint("the right counts, but not as integers (e.g. 4.0): return an integer, "
                    "(H + 2 * padding - K) // stride + 1 with ints gives one")
    if got == want:
        return correct("out = (H + 2p - K) // s + 1 at all six sizes, strides and "
                       "paddings")
    odd = [g for g in got if not np.isfinite(g)]
    if odd:
        return hint("the answer is nan or inf: look for a division by zero")
    for fn, message in _SIZE_MISTAKES:
        if all(g == fn(*c) for g, c in zip(got, _SIZE_CASES)):
            return hint(message)
    for g, w, (H, K, s, p) in zip(got, want, _SIZE_CASES):
        if g != w:
            return hint(f"wrong for H={H}, K={K}, stride={s}, padding={p}: count the "
                        "positions where a K-wide kernel fits in H + 2p cells, moving s "
                        "at a time")
    return hint("not yet right")


_NAMES = ("dx", "dw", "db")


def _conv_case(seed: int):
    """x (N, C, H, W), w (F, C, K, K), dy: N, C, F all different, so axes show."""
    rng = np.random.default_rng(seed)
    N, C, F, H, K = (2, 3, 4, 5, 3) if seed == 0 else (3, 2, 5, 6, 2)
    x, w = rng.standard_normal((N, C, H, H)), rng.standard_normal((F, C, K, K))
    y, cache = conv2d_forward(x, w, np.zeros(F))
    dy = rng.standard_normal(y.shape)
    return (x, w, dy), conv2d_backward(dy, cache)


def _close(a, b) -> bool:
    """Equal to float32 rounding: an answer computed in float32 is still right."""
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-6, atol=1e-8)


def _conv_mistakes(x, w, dy, want):
    """(what the slip gives, hint) for conv_backward's classic mistakes."""
    dx, dw, db = want
    N, C, H, W = x.shape
    unflipped = input_grad_by_full_convolution(dy, w[:, :, ::-1, ::-1], x.shape)
    per_example = np.einsum("nfij,ncijab->nfcab", dy, _windows(x, w.shape[2]))
    K, (OH, OW) = w.shape[2], dy.shape[2:]
    overwritten = np.zeros_like(x)
    for a in range(K):  # the loop version with = where += belongs
        for e in range(K):
            overwritten[:, :, a:a + OH, e:e + OW] = np.einsum("nfij,fc->ncij", dy,
                                                              w[:, :, a, e])
    return [
        ("dx", unflipped,
         "dx uses the kernel turned the wrong way: sliding over dy padded by K - 1 (a "
         "full convolution) needs the kernel flipped, w[:, :, ::-1, ::-1]; adding "
         "dy[i, j] * w into each window (the loop version) needs w as it is, no flip "
         "(pixel x[r, c] met w[r - i, c - j])"),
        ("dx", overwritten,
         "dx keeps only the last share a pixel gets: the windows overlap, so a pixel "
         "collects a share from every window it sat in; add them, dx[...] += ..., "
         "not dx[...] = ..."),
        ("dw", dw[:, :, ::-1, ::-1],
         "dw is flipped: dw is a correlation of x with dy, with no flip: "
         "dw[f, c, a, e] = sum over n, i, j of dy[n, f, i, j] * x[n, c, i + a, j + e]"),
        ("dw", dw.transpose(1, 0, 2, 3),
         "dw has the channel axes swapped: it has w's shape (F, C, K, K), filter first, "
         "input channel second; you return (C, F, K, K)"),
        ("dw", dw / N,
         f"dw is averaged over the batch: w was used by all N = {N} images, so their "
         "gradients add up (dy already carries the loss's 1/N)"),
        ("dw", per_example,
         "dw is missing the sum over the batch: each image adds its share, so sum over "
         "n to get w's shape (F, C, K, K)"),
        ("dw", per_example[0],
         "dw is the first image's share only: w was used by every image, sum over n"),
        ("dw", per_example[-1],
         "dw is the last image's share only (each image replaced the one before?): w "
         "was used by every image, so add their shares, sum over n"),
        ("dw", per_example.sum(axis=2),
         "dw sums over the input channels instead of the batch: each (filter, channel) "
         "pair has its own kernel, so sum over n (and the positions) only"),
        ("dw", dw.sum(axis=1),
         "dw summed over the input channels: each (filter, channel) pair has its own "
         "kernel, so sum over the batch n and the positions only, shape (F, C, K, K)"),
        ("db", dy.sum(axis=(1, 2, 3)),
         "db summed over the wrong axes: one number per filter, so sum over the batch "
         "and the positions, dy.sum(axis=(0, 2, 3)), shape (F,)"),
        ("db", dy.sum(axis=(2, 3)),
         "db is missing the sum over the batch: dy.sum(axis=(0, 2, 3)), shape (F,)"),
        ("db", dy.sum(axis=(0, 2, 3)) / (dy.shape[2] * dy.shape[3]),
         "db averages over the positions: b was added at every position, so the "
         "gradients add up: dy.sum(axis=(0, 2, 3))"),
        ("db", np.full(db.shape, dy.sum()),
         "db sums over the filters too: each filter has its own bias, "
         "dy.sum(axis=(0, 2, 3))"),
    ]


class _Refused(Exception):
    """Raised by one of bpkit's convolution gradients while the learner's function runs."""


def _guarded() -> list[tuple[object, str]]:
    """(owner, name) of every bpkit function that computes a convolution's gradients."""
    from .. import conv
    from ..conv import as_convolutions, conv2d, reference
    names = ("conv2d_backward", "conv2d_backward_loop", "input_grad_by_full_convolution",
             "weight_grad_by_correlation")
    return ([(mod, n) for mod in (conv, conv2d, as_convolutions, reference)
             for n in names if n in vars(mod)] + [(conv2d.Conv2d, "backward")])


@contextlib.contextmanager
def _refusing_conv_backward(fn: Callable) -> Iterator[list[str]]:
    """Inside the block, on this thread, bpkit's convolution gradients raise; the list
    yielded names the first one the learner's function called. Everything (also
    the learner's globals, where the notebook imported them) is put back on leaving,
    on error too; other threads see bpkit unchanged."""
    called: list[str] = []
    thread = threading.get_ident()
    undo = []
    spaces = [getattr(fn, "__globals__", {})]

    def stub(original, name):
        def refuse(*args, **kwargs):
            if threading.get_ident() != thread:
                return original(*args, **kwargs)
            if not called:
                called.append(name)
            raise _Refused(f"calls bpkit's {name}")
        return refuse

    try:
        originals = {}
        for owner, name in _guarded():
            original = vars(owner)[name]
            label = "Conv2d.backward" if isinstance(owner, type) else name
            originals[id(original)] = (original, label)
            setattr(owner, name, stub(original, label))
            undo.append(lambda o=owner, n=name, v=original: setattr(o, n, v))
        for space in spaces:
            for key, value in list(space.items()):
                if id(value) in originals and value is originals[id(value)][0]:
                    space[key] = stub(*originals[id(value)])
                    undo.append(lambda d=space, k=key, v=value: d.__setitem__(k, v))
        yield called
    finally:
        for step in reversed(undo):
            step()


def _windows(x, K):
    """(N, C, OH, OW, K, K) windows of x, stride 1, no padding."""
    return np.lib.stride_tricks.sliding_window_view(x, (K, K), axis=(2, 3))


@hints_on_error(should="return (dx, dw, db)")
def check_conv_backward(conv_backward: Callable[..., tuple]) -> Feedback:
    """`conv_backward(x, w, dy)` -> (dx, dw, db), stride 1, no padding.

    x (N, C, H, W), w (F, C, K, K), dy (N, F, OH, OW) = dL/dy.
    """
    args, want = _conv_case(0)
    args2, want2 = _conv_case(1)
    with _refusing_conv_backward(conv_backward) as called:
        try:
            got = call(conv_backward, *args)
            got2 = None if got is NOT_ATTEMPTED else run(conv_backward, *args2)
        except LearnerError:
            if not called:
                raise
        if called:
            return hint(f"{name_of(conv_backward)} calls bpkit's {called[0]}: the "
                        "exercise is to write the backward pass yourself, from section "
                        "2's three rules (conv2d_forward may help, the backward may not)")
    if got is NOT_ATTEMPTED:
        return not_attempted("conv_backward(x, w, dy)")
    who, what = name_of(conv_backward), "three arrays: dx, dw, db"
    got = list(arrays(got, _NAMES, who, what))
    got2 = list(arrays(got2, _NAMES, who, what))

    def all_close(a, b):
        return all(_close(p, q) for p, q in zip(a, b))

    if hard_coded([got, got2], [list(want), list(want2)], all_close):
        return hard_coded_hint("conv_backward", "x, w and dy")
    order = order_hint([got, got2], [want, want2], _NAMES, _close)
    if order:
        return hint(order)
    if all_close(got, want) and all_close(got2, want2):
        return correct("dx (a full convolution with the flipped kernel), dw (x "
                       "correlated with dy) and db (a sum) match conv2d_backward")
    odd = non_finite(got, _NAMES)
    if odd:
        return hint(odd)
    for g, w_, (x, w, dy) in ((got, want, args), (got2, want2, args2)):
        for name, slip, message in _conv_mistakes(x, w, dy, w_):
            k = _NAMES.index(name)
            if _close(g[k], slip):
                return hint(message)
    for g, w_ in ((got, want), (got2, want2)):
        for name, a, b in zip(_NAMES, g, w_):
            if a.shape != b.shape:
                return hint(f"{name} has shape {a.shape}, expected {b.shape}: a "
                            "gradient has the shape of what it is the gradient of")
    if all_close([-a for a in got], want):
        return hint("every gradient has the wrong sign: y adds w * x + b, no minus")
    wrong = [n for n, a, b in zip(_NAMES, got, want) if not _close(a, b)]
    if not wrong:  # right for the first case only
        wrong = [n for n, a, b in zip(_NAMES, got2, want2) if not _close(a, b)]
        return hint(f"right for the first x, w, dy but {', '.join(wrong)} wrong for "
                    "another: compute every gradient from the arguments")
    rules = {"dx": "dx: pad dy by K - 1, slide the flipped kernel over it "
                   "(filters and channels swapped)",
             "dw": "dw[f, c] = sum over n of x[n, c] correlated with dy[n, f]",
             "db": "db = dy.sum(axis=(0, 2, 3))"}
    return hint(f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong; "
                + "; ".join(rules[n] for n in wrong))


def _pool_case(seed: int):
    """x (N, C, 4, 6) of small integers (ties happen), dy (N, C, 2, 3)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, (2, 2, 4, 6)).astype(float)
    x[0, 0, :2, :2] = [[3, 3], [1, 0]]  # a tie, for sure
    dy = rng.integers(1, 6, (2, 2, 2, 3)).astype(float)  # positive: a sign shows
    return x, dy


def _pool_want(x, dy):
    _, cache = maxpool_forward(x, 2)
    return maxpool_backward(dy, cache)


def _blocks(a):
    """(N, C, H, W) -> (N, C, H/2, W/2, 4): each 2x2 window, row-major."""
    N, C, H, W = a.shape
    return a.reshape(N, C, H // 2, 2, W // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(
        N, C, H // 2, W // 2, 4)


def _unblocks(b, shape):
    N, C, H, W = shape
    return b.reshape(N, C, H // 2, W // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(
        shape)


def _pool_mistakes(x, dy):
    blk = _blocks(x)
    is_max = blk == blk.max(axis=-1, keepdims=True)
    ties = is_max.sum(axis=-1, keepdims=True)
    last = np.zeros_like(blk)
    k = 3 - np.argmax(blk[..., ::-1], axis=-1)  # the last maximum
    np.put_along_axis(last, k[..., None], 1.0, axis=-1)
    up = np.repeat(np.repeat(dy, 2, axis=2), 2, axis=3)
    mins = np.zeros_like(blk)
    np.put_along_axis(mins, np.argmin(blk, axis=-1)[..., None], 1.0, axis=-1)
    first = np.zeros_like(blk)
    np.put_along_axis(first, np.argmax(blk, axis=-1)[..., None], 1.0, axis=-1)
    return [
        (up / 4, "the gradient is spread over the window: that is average pooling. Max "
                 "pooling's output is the largest entry only, so route each dy to the "
                 "argmax of its window and give the other three 0"),
        (up, "every entry of the window gets all of dy: only the maximum changed the "
             "output, so route dy to the argmax alone, 0 elsewhere"),
        (_unblocks(is_max * dy[..., None], x.shape),
         "on a tie, every maximum gets all of dy, so the gradient is counted twice; give "
         "it to one of them, the first in row-major order (as PyTorch does)"),
        (_unblocks(is_max * dy[..., None] / ties, x.shape),
         "on a tie you split dy among the maxima: right in total, and a valid choice (the "
         "max has a kink there, any split adding up to dy is a subgradient), but this "
         "exercise follows np.argmax and PyTorch: all of it to the first maximum in "
         "row-major order"),
        (_unblocks(last * dy[..., None], x.shape),
         "on a tie you route to the last maximum; take the first in row-major order "
         "(np.argmax does), as PyTorch does"),
        (_unblocks(mins * dy[..., None], x.shape),
         "routed to the smallest entry: route to the largest (argmax)"),
        (x * up, "dx multiplies dy by x: max pooling passes the value through, so its "
                 "local gradient is 1 at the argmax and 0 elsewhere"),
        (x * _unblocks(first * dy[..., None], x.shape),
         "dx multiplies dy by x at the argmax: max pooling passes the maximum through "
         "unchanged, so its local gradient there is 1: dx = dy at the argmax, not dy * x"),
        (_flat_groups(x, dy),
         "your windows are not 2x2: x.reshape(N, C, H//2, W//2, 4) groups 4 neighbours "
         "along a row. Split both axes, reshape(N, C, H//2, 2, W//2, 2), bring the two "
         "2s together with transpose(0, 1, 2, 4, 3, 5), and undo both on the way back"),
        (_routed(x, dy, swap=True),
         "row and column swapped: in a 2x2 window flattened row by row, index k sits at "
         "row k // 2, column k % 2"),
        (_routed(x, dy, stride=1),
         "the stride is missing: window (i, j) covers rows 2i, 2i + 1 and columns 2j, "
         "2j + 1, not rows i, i + 1"),
    ]


def _routed(x, dy, stride=2, swap=False):
    """A loop version: window (i, j) at rows stride*i.., its first maximum gets dy[i, j]."""
    N, C, H, W = x.shape
    dx = np.zeros_like(x)
    for i in range(H // 2):
        for j in range(W // 2):
            win = x[:, :, stride * i:stride * i + 2, stride * j:stride * j + 2]
            k = win.reshape(N, C, 4).argmax(axis=-1)
            r, c = (k % 2, k // 2) if swap else (k // 2, k % 2)
            n, ch = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
            dx[n, ch, stride * i + r, stride * j + c] = dy[:, :, i, j]
    return dx


def _flat_groups(x, dy):
    """Routing over groups of 4 consecutive entries (a reshape without the transpose)."""
    N, C, H, W = x.shape
    groups = x.reshape(N, C, H // 2, W // 2, 4)
    routed = groups.argmax(axis=-1)[..., None] == np.arange(4)
    return (routed * dy[..., None]).reshape(x.shape)


@hints_on_error(should="return dx, an array shaped like x")
def check_maxpool_backward(maxpool_backward_fn: Callable[..., np.ndarray]) -> Feedback:
    """`maxpool_backward(x, dy)` -> dx, for 2x2 windows with stride 2.

    x (N, C, H, W) with even H and W, dy (N, C, H/2, W/2) = dL/dy.
    """
    x, dy = _pool_case(0)
    got = call(maxpool_backward_fn, x, dy)
    if got is NOT_ATTEMPTED:
        return not_attempted("maxpool_backward(x, dy)")
    who = name_of(maxpool_backward_fn)
    got = array(got, who, "an array dx shaped like x")
    x2, dy2 = _pool_case(1)
    got2 = array(run(maxpool_backward_fn, x2, dy2), who, "an array dx shaped like x")
    want, want2 = _pool_want(x, dy), _pool_want(x2, dy2)
    if hard_coded([got, got2], [want, want2], _close):
        return hard_coded_hint("maxpool_backward", "x and dy")
    if got.shape != x.shape:
        extra = (" (the shape of dy: send each dy back to its 2x2 window)"
                 if got.shape == dy.shape else "")
        return hint(f"dx has shape {got.shape}, expected {x.shape}, the shape of "
                    f"x{extra}")
    if _close(got, want) and _close(got2, want2):
        return correct("each dy goes to its window's argmax (the first on a tie), "
                       "0 elsewhere")
    odd = non_finite([got], ["dx"])
    if odd:
        return hint(odd)
    for g, (xx, dd) in ((got, (x, dy)), (got2, (x2, dy2))):
        for slip, message in _pool_mistakes(xx, dd):
            if _close(g, slip):
                return hint(message)
    if _close(got, -want):
        return hint("dx has the wrong sign: the output is the maximum itself, "
                    "its gradient passes through with a plus sign")
    if _close(got, want):
        return hint("right for the first x and dy, not for another: compute dx from "
                    "the arguments")
    return hint("for each 2x2 window, put its dy at the position of "
                "the window's maximum (the first one on a tie) and 0 at the other three")
