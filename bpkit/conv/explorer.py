"""The model behind lesson 09's convolution backward explorer (numpy only).

One image x (H, W), one kernel w (K, K), a stride and zero padding give
y (OH, OW); dy = dL/dy is a fixed random array. Pick one cell of dy, of w or
of x, and `select` says which cells of the other two it meets and what each
contributes:

- an output-gradient cell dy[i, j] touches one window of x (its receptive
  field): it adds dy[i, j] * w into that window of dx, and dy[i, j] * window
  into dw;
- a kernel weight w[a, e] was used at every output position: dw[a, e] is the
  sum over all OH * OW positions of dy[i, j] * xp[i*s + a, j*s + e];
- an input pixel x[r, c] sat in a few windows: dx[r, c] is the sum over them
  of dy[i, j] * w[r + p - i*s, c + p - j*s].

For a weight or a pixel the sum is a gradient, and `Selection.full` holds the
same gradient from `conv2d_backward` (`total == full`). A dy cell is not a
gradient backward computes (it is what backward is given): its selection's
`total` is dy[i, j] itself and `full` is None; the tests check instead that
the contributions of all the dy cells add up to conv2d_backward's dx and dw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import integer
from ._shapes import output_size
from .conv2d import conv2d_backward, conv2d_forward

__all__ = ["ConvExplorer", "Selection", "MODES"]

MODES = ("output", "weight", "input")
_MAX_OUT = 12  # size 8, padding 2, kernel 1, stride 1


def _count(n: int, noun: str) -> str:
    """'1 pixel', '3 pixels'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass
class Selection:
    """What one picked cell meets: masks and contributions on x, w and dy."""

    mode: str
    cell: tuple[int, int]
    on_x: np.ndarray  # (H, W): the contribution to dx (mode "output") or a mask
    on_w: np.ndarray  # (K, K)
    on_dy: np.ndarray  # (OH, OW)
    terms: np.ndarray  # the products summed into the picked gradient (mode "output":
    #                    the K*K products dy[i, j] * window added into dw)
    total: float  # their sum: dw[a, e] or dx[r, c] (mode "output": dy[i, j] itself)
    full: float | None  # the same gradient from conv2d_backward (None for "output")
    positions: int  # how many (output position, kernel cell) pairs took part
    text: str


class ConvExplorer:
    """x, w, dy of one small single-channel convolution, and `select(mode, row, col)`."""

    def __init__(self, size: int = 5, kernel: int = 3, stride: int = 1,
                 padding: int = 0, seed: int = 0) -> None:
        self.seed = integer("seed", seed, 0)
        rng = np.random.default_rng(self.seed)
        self._x = rng.integers(-3, 4, (8, 8)).astype(float)
        self._w = rng.integers(-2, 3, (5, 5)).astype(float)
        # the largest output is 8 + 2*2 - 1 + 1 = 12 cells: the first 8x8 drawn
        # first (the same numbers as before), the rest after
        self._dy = np.zeros((_MAX_OUT, _MAX_OUT))
        self._dy[:8, :8] = rng.integers(-2, 3, (8, 8))
        self._dy[8:, :] = rng.integers(-2, 3, (_MAX_OUT - 8, _MAX_OUT))
        self._dy[:8, 8:] = rng.integers(-2, 3, (8, _MAX_OUT - 8))
        self.mode, self.cell = "output", (0, 0)
        self.configure(size, kernel, stride, padding)

    def configure(self, size: int, kernel: int, stride: int, padding: int) -> None:
        """Set the sizes; the arrays are cut from fixed random integers (easy to add).

        Every setting is checked and computed first: a refused one leaves the
        model as it was.
        """
        size = integer("size", size, 1, 8)
        kernel = integer("kernel", kernel, 1, 5)
        stride = integer("stride", stride, 1, 3)
        padding = integer("padding", padding, 0, 2)
        out = output_size(size, kernel, stride, padding)
        x, w, dy = self._x[:size, :size], self._w[:kernel, :kernel], self._dy[:out, :out]
        y, cache = conv2d_forward(x[None, None], w[None, None], None, stride, padding)
        dx, dw, _ = conv2d_backward(dy[None, None], cache)
        self.size, self.kernel, self.stride, self.padding, self.out = (
            size, kernel, stride, padding, out)
        self.x, self.w, self.dy, self.y = x, w, dy, y[0, 0]
        self.dx, self.dw = dx[0, 0], dw[0, 0]
        self.cell = tuple(min(c, n - 1) for c, n in zip(self.cell, self.shape()))

    def shape(self, mode: str | None = None) -> tuple[int, int]:
        """The grid one picks a cell from in `mode`."""
        mode = self.mode if mode is None else mode
        n = {"output": self.out, "weight": self.kernel, "input": self.size}[mode]
        return n, n

    def select(self, mode: str | None = None, row: int | None = None,
               col: int | None = None) -> Selection:
        """Pick a cell (defaults: the current ones) and return what it meets."""
        if mode is not None:
            if mode not in MODES:
                raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
            self.mode = mode
        r, c = self.cell if row is None else (row, col)
        n = self.shape()[0]
        self.cell = (integer("row", r, 0, n - 1), integer("col", c, 0, n - 1))
        return getattr(self, f"_{self.mode}")(*self.cell)

    def _xp(self, r: int, c: int) -> float:
        """The padded input at padded coordinates (0 in the padding)."""
        r, c = r - self.padding, c - self.padding
        inside = 0 <= r < self.size and 0 <= c < self.size
        return float(self.x[r, c]) if inside else 0.0

    def _output(self, i: int, j: int) -> Selection:
        s, p, K = self.stride, self.padding, self.kernel
        g = self.dy[i, j]
        on_x = np.zeros_like(self.x)
        on_w = np.zeros_like(self.w)
        for a in range(K):
            for e in range(K):
                on_w[a, e] = g * self._xp(i * s + a, j * s + e)
                r, c = i * s + a - p, j * s + e - p
                if 0 <= r < self.size and 0 <= c < self.size:
                    on_x[r, c] += g * self.w[a, e]
        on_dy = np.zeros_like(self.dy)
        on_dy[i, j] = 1
        inside = int(np.count_nonzero(self._window_mask(i, j)))
        r0, c0 = i * s - p, j * s - p
        outside = min(r0, c0) < 0 or max(r0, c0) + K > self.size
        cells = "the 1 cell" if K == 1 else f"all {K * K} cells"
        where = (f"row {r0}, column {c0}" if K == 1 else
                 f"rows {r0}..{r0 + K - 1}, columns {c0}..{c0 + K - 1}")
        text = (f"dy[{i},{j}] = {g:g} reaches the {K}x{K} window of x at {where} "
                f"({_count(inside, 'pixel')} "
                "inside the image"
                + (f"; rows and columns outside 0..{self.size - 1} are the zero padding"
                   if outside else "")
                + f"). Red: dy * w, added to dx there; dy * window, added to {cells} of dw")
        return Selection("output", (i, j), on_x, on_w, on_dy, on_w.ravel(),
                         float(g), None, K * K, text)

    def _window_mask(self, i: int, j: int) -> np.ndarray:
        s, p, K = self.stride, self.padding, self.kernel
        m = np.zeros_like(self.x, dtype=bool)
        r0, c0 = i * s - p, j * s - p
        m[max(r0, 0): max(r0 + K, 0), max(c0, 0): max(c0 + K, 0)] = True
        return m

    def _weight(self, a: int, e: int) -> Selection:
        s, p = self.stride, self.padding
        terms = np.zeros_like(self.dy)
        on_x = np.zeros_like(self.x)
        for i in range(self.out):
            for j in range(self.out):
                xv = self._xp(i * s + a, j * s + e)
                terms[i, j] = self.dy[i, j] * xv
                r, c = i * s + a - p, j * s + e - p
                if 0 <= r < self.size and 0 <= c < self.size:
                    on_x[r, c] = 1
        on_w = np.zeros_like(self.w)
        on_w[a, e] = 1
        n = terms.size
        pad = n - int(on_x.sum())
        total = float(terms.sum())
        where = "the only output position" if n == 1 else f"all {n} output positions"
        text = (f"w[{a},{e}] was used at {where}: dw[{a},{e}] = "
                f"sum of {_count(n, 'product')} dy[i,j] * x[...] (red) = {total:g}"
                + (f" ({pad} of them on padding, so 0)" if pad else ""))
        return Selection("weight", (a, e), on_x, on_w, terms, terms.ravel(), total,
                         float(self.dw[a, e]), n, text)

    def _input(self, r: int, c: int) -> Selection:
        s, p, K = self.stride, self.padding, self.kernel
        terms = np.zeros_like(self.dy)
        on_w = np.zeros_like(self.w)
        used = np.zeros_like(self.dy, dtype=bool)
        for i in range(self.out):
            for j in range(self.out):
                a, e = r + p - i * s, c + p - j * s
                if 0 <= a < K and 0 <= e < K:
                    terms[i, j] = self.dy[i, j] * self.w[a, e]
                    on_w[a, e] = 1
                    used[i, j] = True
        on_x = np.zeros_like(self.x)
        on_x[r, c] = 1
        n = int(used.sum())
        total = float(terms.sum())
        text = (f"x[{r},{c}] sat in {_count(n, 'window')}: dx[{r},{c}] = "
                f"sum of {_count(n, 'product')} dy[i,j] * w[...] (red) = {total:g}"
                + (" (no window reaches it: the stride skipped it)" if n == 0 else ""))
        return Selection("input", (r, c), on_x, on_w, np.where(used, terms, 0.0),
                         terms[used], total, float(self.dx[r, c]), n, text)
