"""Pictures of convolutions (lesson 09): grids of numbers, routing, filters, the explorer."""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..conv.explorer import ConvExplorer, Selection

__all__ = ["show_grid", "box", "plot_filters", "plot_saliency", "ExplorerPainter",
           "explorer_figure", "number_grid"]

PICKED = (1.0, 0.55, 0.0, 0.55)  # the cell you picked
TOUCHED = (0.15, 0.45, 1.0, 0.40)  # the cells it meets


def show_grid(ax, values: np.ndarray, title: str = "", fmt: str = "{:g}",
              cmap: str = "RdBu_r", fontsize: float = 9, origin: tuple = (0, 0),
              vmax: float | None = None) -> None:
    """A small matrix as coloured cells with its numbers written in them.

    `origin` is the (row, col) of the top-left cell, for padded grids.
    """
    values = np.asarray(values, dtype=float)
    v = vmax if vmax is not None else max(float(np.abs(values).max()), 1e-12)
    r0, c0 = origin
    h, w = values.shape
    ax.imshow(values, cmap=cmap, vmin=-1.6 * v, vmax=1.6 * v, interpolation="nearest",
              extent=(c0 - 0.5, c0 + w - 0.5, r0 + h - 0.5, r0 - 0.5))
    for i in range(h):
        for j in range(w):
            ax.text(c0 + j, r0 + i, fmt.format(values[i, j]), ha="center",
                    va="center", fontsize=fontsize)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)


def box(ax, row: int, col: int, height: int = 1, width: int = 1,
        color: str = "tab:orange", lw: float = 2.5) -> Rectangle:
    """Outline the cells rows row..row+height-1, columns col..col+width-1."""
    rect = Rectangle((col - 0.5, row - 0.5), width, height, fill=False, ec=color,
                     lw=lw)
    ax.add_patch(rect)
    return rect


def plot_filters(axes, w: np.ndarray, titles: Sequence[str] = ()) -> None:
    """Each filter of w (F, 1, KH, KW) (its first channel) as a small grey image."""
    w = np.asarray(w)
    for f, ax in enumerate(np.ravel(axes)):
        ax.set_xticks([])
        ax.set_yticks([])
        if f >= len(w):
            ax.axis("off")
            continue
        k = w[f, 0]
        v = float(np.abs(k).max()) or 1.0
        ax.imshow(k, cmap="RdBu_r", vmin=-v, vmax=v, interpolation="nearest")
        if f < len(titles):
            ax.set_title(titles[f], fontsize=8)


def plot_saliency(axes, images: np.ndarray, maps: np.ndarray,
                  titles: Sequence[str] = ()) -> None:
    """Rows of axes: the digits on top, their saliency maps below."""
    top, bottom = axes
    for k, (ax1, ax2) in enumerate(zip(top, bottom)):
        ax1.imshow(images[k], cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax2.imshow(maps[k], cmap="magma", interpolation="nearest")
        if k < len(titles):
            ax1.set_title(titles[k], fontsize=9)
        for ax in (ax1, ax2):
            ax.set_xticks([])
            ax.set_yticks([])


_TITLES = ("input x (grey: zero padding)", "kernel w", "output gradient dy")


_SPRITES: dict = {}
# the labels the explorer's grids use: values and products of small integers
_COMMON = tuple(str(k) for k in range(-6, 7)) + tuple(f"{k:+d}" for k in range(-12, 13))


def _sprite(text: str, fontsize: float, color: str, bold: bool, dpi: float
            ) -> np.ndarray:
    """`text` rendered as a small RGBA float image cropped to its ink (cached).

    A miss renders the common labels with it in one figure: one draw, not one each.
    """
    key = (text, fontsize, color, bold, dpi)
    if key not in _SPRITES:
        todo = [text] + [t for t in _COMMON
                         if t != text and (t, fontsize, color, bold, dpi) not in _SPRITES]
        for t, img in zip(todo, _render_labels(todo, fontsize, color, bold, dpi)):
            _SPRITES[(t, fontsize, color, bold, dpi)] = img
    return _SPRITES[key]


def _render_labels(texts: Sequence[str], fontsize: float, color: str, bold: bool,
                   dpi: float) -> list[np.ndarray]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    n = len(texts)
    fig = Figure(figsize=(0.6 * n, 0.5), dpi=dpi)
    FigureCanvasAgg(fig)
    fig.patch.set_alpha(0)
    for k, text in enumerate(texts):
        fig.text((k + 0.5) / n, 0.5, text, ha="center", va="center", fontsize=fontsize,
                 color=color, fontweight="bold" if bold else "normal")
    fig.canvas.draw()
    a = np.asarray(fig.canvas.buffer_rgba(), dtype=np.float32) / 255
    width = a.shape[1] / n
    out = []
    for k in range(n):
        part = a[:, int(k * width): int((k + 1) * width)]
        rows, cols = np.nonzero(part[..., 3] > 0)
        if rows.size == 0:
            out.append(np.zeros((1, 1, 4), dtype=np.float32))
        else:
            out.append(part[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1].copy())
    return out


def _blit(img: np.ndarray, sprite: np.ndarray, cy: float, cx: float) -> None:
    """Paint `sprite` over `img` (alpha over), centred at pixel (cy, cx)."""
    h, w = sprite.shape[:2]
    y0, x0 = int(round(cy - h / 2)), int(round(cx - w / 2))
    ys, xs = max(y0, 0), max(x0, 0)
    ye, xe = min(y0 + h, img.shape[0]), min(x0 + w, img.shape[1])
    if ye <= ys or xe <= xs:
        return
    s = sprite[ys - y0: ye - y0, xs - x0: xe - x0]
    alpha = s[..., 3:4]
    dst = img[ys:ye, xs:xe]
    out_a = alpha + dst[..., 3:4] * (1 - alpha)
    rgb = (s[..., :3] * alpha + dst[..., :3] * dst[..., 3:4] * (1 - alpha))
    dst[..., :3] = np.where(out_a > 0, rgb / np.maximum(out_a, 1e-12), 0)
    dst[..., 3:4] = out_a


@functools.lru_cache(maxsize=2048)
def _tile(label: str, cell: int, fill: tuple, where: float, fontsize: float,
          color: str, bold: bool, dpi: float, lines: bool) -> np.ndarray:
    """One cell of a `number_grid`: its fill, its label, its top and left border."""
    tile = np.zeros((cell, cell, 4), dtype=np.float32)
    tile[:] = fill
    if lines:
        tile[0, :] = tile[:, 0] = (0.7, 0.7, 0.7, 1.0)
    if label:
        _blit(tile, _sprite(label, fontsize, color, bold, dpi), where * cell, cell / 2)
    return (tile * 255 + 0.5).astype(np.uint8)


def number_grid(shape: tuple[int, int], cell: int, fill: np.ndarray | None = None,
                labels: list | None = None, where: float = 0.5,
                fontsize: float = 8, color: str = "0.2", bold: bool = False,
                dpi: float = 80, lines: bool = False) -> np.ndarray:
    """An RGBA uint8 picture of a grid: each cell `cell` pixels, a fill colour, a label.

    `fill` (h, w, 4) colours the cells; `labels` (h rows of w strings, '' for
    none) are drawn at height `where` (0 top, 1 bottom) of their cell. Drawn as
    one image from cached cells, so a redraw costs a few ms whatever the number
    of cells.
    """
    h, w = shape
    img = np.zeros((h * cell, w * cell, 4), dtype=np.uint8)
    for i in range(h):
        for j in range(w):
            f = (0.0, 0.0, 0.0, 0.0) if fill is None else tuple(float(v) for v in fill[i, j])
            label = labels[i][j] if labels is not None else ""
            img[i * cell:(i + 1) * cell, j * cell:(j + 1) * cell] = _tile(
                label, cell, f, where, fontsize, color, bold, dpi, lines)
    if lines:  # the bottom and right borders
        img[-1, :] = img[:, -1] = (178, 178, 178, 255)
    return img


class ExplorerPainter:
    """The explorer's three grids, x (with its padding), w and dy, and the overlays.

    Each grid is two images: its numbers (drawn on `setup`, when the sizes change)
    and an animated overlay with the highlights and contributions (`update`).
    """

    def __init__(self, axes) -> None:
        self.axes = tuple(axes)
        self.base, self.overlays = [], []
        for ax, title in zip(self.axes, _TITLES):
            self.base.append(ax.imshow(np.ones((1, 1, 4)), interpolation="none"))
            self.overlays.append(ax.imshow(np.zeros((1, 1, 4)), zorder=3,
                                           interpolation="none"))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title, fontsize=8)
        self.artists = list(self.overlays)
        self.bitmaps: list[np.ndarray | None] = [None, None, None]
        self.base_bitmaps: list[np.ndarray | None] = [None, None, None]
        self.frame = None
        self._cells = (24, 24, 24)

    def _cell_px(self, ax, n: int) -> int:
        box = ax.get_window_extent()
        return max(12, int(min(box.width, box.height) / n))

    def setup(self, m: ConvExplorer) -> None:
        """Draw the static grids of the model's sizes (their numbers and the padding)."""
        p = m.padding
        dpi = self.axes[0].figure.dpi
        grids = [np.pad(m.x, p), m.w, m.dy]
        self._cells = tuple(self._cell_px(ax, g.shape[0])
                            for ax, g in zip(self.axes, grids))
        origins = [(-p, -p), (0, 0), (0, 0)]
        for k, (ax, img, g, cell) in enumerate(zip(self.axes, self.base, grids,
                                                   self._cells)):
            fill = np.ones(g.shape + (4,), dtype=np.float32)
            if k == 0 and p:
                ring = np.ones(g.shape, bool)
                ring[p:-p, p:-p] = False
                fill[ring] = (0.86, 0.86, 0.86, 1.0)
            labels = [[f"{v:g}" for v in row] for row in g]
            self.base_bitmaps[k] = number_grid(g.shape, cell, fill, labels, 0.3, 7,
                                               dpi=dpi, lines=True)
            img.set_data(self.base_bitmaps[k])
            self._place(ax, img, g.shape, origins[k])
            self._place(ax, self.overlays[k], g.shape, origins[k])
        self.frame = (m.size, m.kernel, m.stride, m.padding)

    @staticmethod
    def _place(ax, img, shape, origin) -> None:
        (h, w), (r0, c0) = shape, origin
        extent = (c0 - 0.5, c0 + w - 0.5, r0 + h - 0.5, r0 - 0.5)
        img.set_extent(extent)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])

    def update(self, m: ConvExplorer, s: Selection) -> None:
        """Colour the picked and touched cells and write each contribution."""
        p, n = m.padding, m.size + 2 * m.padding
        numbers = [None, None, None]
        if s.mode == "output":  # the window, padding included, and all of w
            i, j = s.cell
            masks = [np.zeros((n, n), bool), np.ones_like(s.on_w, bool),
                     np.zeros_like(s.on_dy, bool)]
            masks[0][i * m.stride: i * m.stride + m.kernel,
                     j * m.stride: j * m.stride + m.kernel] = True
            numbers[0] = np.where(masks[0], np.pad(s.on_x, p), np.nan)
            numbers[1] = s.on_w
        elif s.mode == "weight":  # every position: the cells w[a, e] met
            masks = [self._padded_hits(m, *s.cell), np.zeros_like(s.on_w, bool),
                     np.ones_like(s.on_dy, bool)]
            numbers[2] = s.on_dy
        else:
            numbers[2] = self._input_terms(m, *s.cell)
            masks = [np.zeros((n, n), bool), s.on_w != 0, np.isfinite(numbers[2])]
        picked = {"output": 2, "weight": 1, "input": 0}[s.mode]
        origins = [(-p, -p), (0, 0), (0, 0)]
        dpi = self.axes[0].figure.dpi
        for k, (ax, img) in enumerate(zip(self.axes, self.overlays)):
            mask = masks[k]
            fill = np.zeros(mask.shape + (4,), dtype=np.float32)
            fill[mask] = TOUCHED
            if k == picked:
                r, c = s.cell
                fill[r - origins[k][0], c - origins[k][1]] = PICKED
            vals = numbers[k]
            labels = None
            if vals is not None:  # + 0.0: no "-0"
                labels = [[f"{v + 0.0:+g}" if np.isfinite(v) else "" for v in row]
                          for row in vals]
            self.bitmaps[k] = number_grid(mask.shape, self._cells[k], fill, labels,
                                          0.72, 8, "darkred", True, dpi)
            img.set_data(self.bitmaps[k])

    def composite(self, pixels: np.ndarray, base: bool = False) -> None:
        """Paint the overlays (or, with `base`, the grids) straight into a rendered
        figure's pixels (H, W, 4).

        What matplotlib would draw for these images, without it: an app keeps the
        figure's pixels without them and only blends these in, a few ms.
        """
        height = pixels.shape[0]
        pairs = zip(self.base, self.base_bitmaps) if base else zip(self.overlays,
                                                                   self.bitmaps)
        for img, bitmap in pairs:
            if bitmap is None:
                continue
            x0, x1, y1, y0 = img.get_extent()  # top row at y0 (inverted y axis)
            (px0, py0), (px1, py1) = img.axes.transData.transform([(x0, y0), (x1, y1)])
            c0, c1 = int(round(min(px0, px1))), int(round(max(px0, px1)))
            r0, r1 = (int(round(height - max(py0, py1))),
                      int(round(height - min(py0, py1))))
            if r1 <= r0 or c1 <= c0:
                continue
            # nearest-neighbour resampling to the grid's pixel box
            rows = (np.arange(r1 - r0) * bitmap.shape[0]) // (r1 - r0)
            cols = (np.arange(c1 - c0) * bitmap.shape[1]) // (c1 - c0)
            opaque = bitmap[..., 3] > 0
            tr = np.flatnonzero(opaque.any(axis=1)[rows])
            tc = np.flatnonzero(opaque.any(axis=0)[cols])
            if tr.size == 0 or tc.size == 0:
                continue  # nothing to paint: only the band that has colour is blended
            ra, rb, ca, cb = tr[0], tr[-1] + 1, tc[0], tc[-1] + 1
            src = bitmap[rows[ra:rb, None], cols[None, ca:cb]]
            box = pixels[r0 + ra: r0 + rb, c0 + ca: c0 + cb, :3]
            if base:  # the grids are opaque: a copy, no blending
                box[:] = src[..., :3]
                continue
            src = src.astype(np.uint16)
            alpha = src[..., 3:4]
            box[:] = ((src[..., :3] * alpha + box.astype(np.uint16) * (255 - alpha)
                       + 127) // 255).astype(np.uint8)

    @staticmethod
    def _padded_hits(m: ConvExplorer, a: int, e: int) -> np.ndarray:
        n = m.size + 2 * m.padding
        hit = np.zeros((n, n), dtype=bool)
        for i in range(m.out):
            for j in range(m.out):
                hit[i * m.stride + a, j * m.stride + e] = True
        return hit

    @staticmethod
    def _input_terms(m: ConvExplorer, r: int, c: int) -> np.ndarray:
        out = np.full((m.out, m.out), np.nan)
        for i in range(m.out):
            for j in range(m.out):
                a, e = r + m.padding - i * m.stride, c + m.padding - j * m.stride
                if 0 <= a < m.kernel and 0 <= e < m.kernel:
                    out[i, j] = m.dy[i, j] * m.w[a, e]
        return out


def explorer_figure(model: ConvExplorer | None = None,
                    picks: Sequence[tuple[str, int, int]] = (
                        ("output", 1, 1), ("weight", 0, 0), ("input", 2, 2)),
                    ) -> Figure:
    """The explorer at a few picks, one row each, for the page where widgets do not run."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    model = model or ConvExplorer()
    fig = Figure(figsize=(10, 3.6 * len(picks)), layout="constrained")
    FigureCanvasAgg(fig)
    rows = fig.subfigures(len(picks), 1)
    painters = []
    for sub, (mode, r, c) in zip(np.atleast_1d(rows), picks):
        # x (with its padding) has the most cells: the widest panel
        painter = ExplorerPainter(sub.subplots(1, 3, width_ratios=[2, 1, 1.1]))
        sub.suptitle(model.select(mode, r, c).text, fontsize=9, wrap=True)
        painters.append((painter, mode, r, c))
    fig.canvas.draw()  # lay out first: the grids are drawn at the axes' pixel size
    fig.set_layout_engine("none")
    for painter, mode, r, c in painters:
        s = model.select(mode, r, c)
        painter.setup(model)
        painter.update(model, s)  # interpolation "none": drawn without a smoothing pass
    return fig
