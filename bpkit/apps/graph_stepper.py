"""Lesson 02 app: step through the backward pass of a drawn graph, one node at a time.

The view only: the recorded backward pass is `bpkit.graph_stepper.GraphStepperModel`,
the drawing `bpkit.viz.graph_stepper.StepperPainter`. The app highlights the node
whose turn it is, labels every edge with the contribution that flowed back along
it, and lists the chain-rule product in a side panel.
"""

from __future__ import annotations

import copy
import html
from typing import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.text import Text

from ..engine import Value
from ..graph_stepper import MAX_NODES, GraphStepperModel
from ..viz.graph import draw_graph_on, graph_layout
from ..viz.graph_stepper import LEGEND, StepperPainter, step_title
from .base import AppView, png_bytes

__all__ = ["GraphStepperApp"]


class GraphStepperApp(AppView):
    """Step / back / reset / play (with a speed slider) through a graph's backward pass.

    Widgets: `example_dropdown`, `step_button`, `back_button`, `reset_button`,
    `play` (an `ipywidgets.Play` whose value is the step number), `speed_slider`
    (steps per second), and `panel`, the side panel with the chain-rule product.
    Headless, set `app.play.value = k` to do what a play tick does.
    """

    def __init__(
        self,
        model: GraphStepperModel | None = None,
        root: Value | None = None,
        max_width: float = 8.5,
        dpi: int = 96,
        max_nodes: int = MAX_NODES,
    ) -> None:
        super().__init__(figsize=(max_width, 4.0), dpi=dpi)
        self.fig.set_layout_engine("none")
        self.max_width = max_width
        if model is None:
            model = (GraphStepperModel() if root is None
                     else GraphStepperModel(root=root, max_nodes=max_nodes))
        self.model = model
        m = self.model
        self.example_dropdown = widgets.Dropdown(
            options=list(m.examples), value=m.example, description="example",
            layout=widgets.Layout(width="420px"),
        )
        self.back_button = widgets.Button(description="back", icon="step-backward",
                                          layout=widgets.Layout(width="80px"))
        self.step_button = widgets.Button(description="step", icon="step-forward",
                                          layout=widgets.Layout(width="80px"))
        self.reset_button = widgets.Button(description="reset", icon="undo",
                                           layout=widgets.Layout(width="80px"))
        self.speed_slider = widgets.FloatSlider(
            value=2.0, min=0.5, max=8.0, step=0.5, description="steps/s",
            layout=widgets.Layout(width="260px"),
        )
        self.play = widgets.Play(value=0, min=0, max=m.n_steps, step=1,
                                 interval=self._interval(), description="play")
        self.panel = widgets.HTML(layout=widgets.Layout(width="360px"))

        self.step_button.on_click(self.handler(lambda _: self._act(self.model.step)))
        self.back_button.on_click(self.handler(lambda _: self._act(self.model.back)))
        self.reset_button.on_click(self.handler(lambda _: self._act(self.model.reset)))
        self.play.observe(self.handler(self._on_play), names="value")
        self.speed_slider.observe(self.handler(self._on_speed), names="value")
        self.example_dropdown.observe(self.handler(self._on_example), names="value")

        self._ax = self.fig.add_axes((0, 0, 1, 1))
        self._scenes: dict[str, _Scene] = {}  # one drawing per example shown
        self._scene: _Scene | None = None
        self._build_figure()
        self.widget = widgets.VBox([
            self.example_dropdown,
            widgets.HBox([self.back_button, self.step_button, self.reset_button,
                          self.play, self.speed_slider]),
            self.status,
            # the panel sits beside the image, or below it in a narrow window
            widgets.HBox([self.image, self.panel],
                         layout=widgets.Layout(flex_flow="row wrap")),
            self.errors,
        ])
        self.redraw()
        self._draw_every_example()

    # -------------------------------------------------------------- handlers
    def _interval(self) -> int:
        return int(round(1000 / self.speed_slider.value))

    def _act(self, action: Callable) -> None:
        action()
        if self.play.value != self.model.position:
            self.play.value = self.model.position  # _on_play sees no change
        self.redraw()

    def _on_play(self, change) -> None:
        if change["new"] != self.model.position:
            self.model.goto(change["new"])
            self.redraw()

    def _on_speed(self, change) -> None:
        self.play.interval = self._interval()

    def _on_example(self, change) -> None:
        self.play.playing = False
        self.model.set_example(change["new"])
        self.play.value = 0  # model is at 0 already: _on_play does nothing
        self.play.max = self.model.n_steps
        self._build_figure()
        self.redraw()

    # -------------------------------------------------------------- drawing
    def _build_figure(self) -> None:
        """Show the current example's drawing: built once per example, then kept."""
        m = self.model
        scene = self._scenes.get(m.example)
        if scene is None or not scene.draws(m):  # new, or its graph has changed
            if scene is not None:
                scene.remove()
            if self._scene not in (None, scene):
                self._scene.hide()
            scene = _Scene(self._ax, m.root, self.max_width)
            self._scenes[m.example] = scene
        elif scene is not self._scene:
            self._scene.hide()
            scene.show()
        self._scene = scene
        self.painter = scene.painter
        self.drawing = scene.painter.drawing

    def _draw_every_example(self) -> None:
        """Draw the other examples too, at their first step, so the menu only swaps.

        This is most of the app's start-up time, and no learner waits on a
        menu change for it.
        """
        shown = self._scene
        for name in self.model.examples:
            if name in self._scenes:
                continue
            other = copy.copy(self.model)  # shares nothing that set_example changes
            try:
                other.set_example(name)
            except ValueError:  # above max_nodes: the menu says so when chosen
                continue
            self._scene.hide()
            self._scene = self._scenes[name] = _Scene(self._ax, other.root,
                                                      self.max_width)
            self._scene.painter.update(other)
            self._scene.ready(self.fig.canvas.get_renderer())
        if self._scene is not shown:
            self._scene.hide()
            shown.show()
            self._scene = shown

    def render(self) -> None:
        """Put the pixels of every artist together, bottom to top, and make a PNG.

        Each artist is drawn alone once per look (a box in a colour, a grad
        text with its number) and kept as pixels; a step only composes them,
        so it draws just the looks it has not met before. Labels, data and op
        nodes never change: each drawing layer of them is one set of pixels.
        """
        if self.closed:
            return
        scene = self._scene
        renderer = self.fig.canvas.get_renderer()
        H, W = int(renderer.height), int(renderer.width)
        rgb = np.empty((H * W, 3), np.uint8)
        rgb[:] = np.round(255 * np.asarray(to_rgb(self.fig.get_facecolor())))
        for layer in scene.ready(renderer):
            if isinstance(layer, tuple):  # a fixed layer's pixels
                _paste(rgb, layer)
            elif layer.get_visible():
                _paste(rgb, scene.pixels(layer))
        self.image.value = png_bytes(rgb.reshape(H, W, 3))

    def redraw(self) -> None:
        m = self.model
        self.painter.update(m)
        self.status.value = f"<b>{html.escape(step_title(m))}</b>"
        self.panel.value = _panel_html(m)
        self.render()


class _Scene:
    """One example's drawing, and the pixels drawn for it so far.

    The examples share one Axes: a scene not shown keeps its artists hidden.
    """

    def __init__(self, ax, root: Value, max_width: float) -> None:
        layout = graph_layout(root)
        scale = min(1.0, max_width / layout.width)
        self.ax = ax
        self.size = (layout.width * scale, layout.height * scale)
        ax.figure.set_size_inches(self.size)  # the drawing scales text to the figure
        # as a fresh Axes: not squeezed to the last example's aspect
        ax.set_aspect("auto")
        ax.set_position((0, 0, 1, 1))
        self.painter = StepperPainter(draw_graph_on(ax, root, layout))
        self.limits = (ax.get_xlim(), ax.get_ylim())
        d = self.painter.drawing
        self.artists = [*d.boxes, *d.label_texts, *d.data_texts, *d.grad_texts,
                        *d.op_boxes.values(), *d.op_texts.values(),
                        *d.out_arrows.values(), *d.edge_arrows.values(),
                        *d.edge_labels.values()]
        self.nodes = _signature(layout.nodes)
        self._index = {id(a): i for i, a in enumerate(self.painter.dynamic)}
        self._layers: list | None = None
        self._pixels: dict = {}  # (artist's index, look) -> pixels
        self._shown: list = []

    def draws(self, model: GraphStepperModel) -> bool:
        """Is this the drawing of the model's graph (same nodes, labels, data, ops)?"""
        return self.nodes == _signature(model.nodes)

    def hide(self) -> None:
        self._shown = [a.get_visible() for a in self.artists]
        for a in self.artists:
            a.set_visible(False)

    def show(self) -> None:
        for a, v in zip(self.artists, self._shown):
            a.set_visible(v)
        self.ax.figure.set_size_inches(self.size)
        self.ax.set_xlim(*self.limits[0])
        self.ax.set_ylim(*self.limits[1])

    def remove(self) -> None:
        for a in self.artists:
            a.remove()

    def ready(self, renderer) -> list:
        """`layers`, with pixels for every changing artist's present look."""
        self.ax.apply_aspect()  # place the axes as a full draw would
        layers = self.layers(renderer)
        self.draw_new_looks(renderer)
        return layers

    def layers(self, renderer) -> list:
        """Bottom to top: a fixed layer's pixels, or a changing artist, per z-order.

        The artists of one z-order do not overlap, so the fixed ones of each
        z-order make one layer, under the changing ones of the same z-order.
        """
        if self._layers is None:
            ours = {id(a) for a in self.artists}
            drawn = [a for a in self.ax.get_children() if id(a) in ours]  # draw order
            self._layers = []
            for z in sorted({a.get_zorder() for a in drawn}):
                at_z = [a for a in drawn if a.get_zorder() == z]
                fixed = [a for a in at_z
                         if id(a) not in self._index and a.get_visible()]
                if fixed:
                    self._layers.append(_draw_each([fixed], renderer)[0])
                self._layers += [a for a in at_z if id(a) in self._index]
        return self._layers

    def draw_new_looks(self, renderer) -> None:
        """Draw the changing artists whose look has no pixels yet."""
        new = {}
        for a in self.painter.dynamic:
            key = (self._index[id(a)], _look(a))
            if a.get_visible() and key not in self._pixels:
                new[key] = a
        if new:
            pixels = _draw_each([[a] for a in new.values()], renderer)
            self._pixels.update(zip(new, pixels))

    def pixels(self, artist) -> tuple:
        """The pixels of a changing artist as it looks now."""
        return self._pixels[(self._index[id(artist)], _look(artist))]


def _signature(nodes: list[Value]) -> list[tuple]:
    return [(n.label, n.data, n._op) for n in nodes]


def _look(artist) -> tuple:
    """What a painter may change about an artist, as a key."""
    if isinstance(artist, Text):
        return artist.get_text(), to_rgba(artist.get_color())
    return artist.get_facecolor(), artist.get_edgecolor(), artist.get_linewidth()


def _draw_each(groups: list[list], renderer) -> list[tuple]:
    """The pixels of each group of artists drawn alone on a transparent canvas.

    Pixels are (where, colour x alpha, 1 - alpha): flat pixel indices and
    float32 weights to blend them over others. Groups whose boxes do not
    overlap share one draw, cut apart by box (a group with a pixel outside its
    box is drawn alone again).
    """
    H, W = int(renderer.height), int(renderer.width)
    boxes = [_pixel_box(g, renderer, H, W) for g in groups]
    batches: list[list[int]] = []
    for i, b in enumerate(boxes):
        for batch in batches:
            if not any(_overlap(b, boxes[j]) for j in batch):
                batch.append(i)
                break
        else:
            batches.append([i])
    out: list = [None] * len(groups)
    for batch in batches:
        rgba = _draw_on_clear([a for i in batch for a in groups[i]], renderer)
        for i in batch:
            out[i] = _cut(rgba, boxes[i], W)
        if sum(len(out[i][0]) for i in batch) != np.count_nonzero(rgba[..., 3]):
            for i in batch:  # something drew outside its box: each alone, uncut
                out[i] = _cut(_draw_on_clear(groups[i], renderer), (0, H, 0, W), W)
    return out


def _pixel_box(artists: list, renderer, H: int, W: int) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1) around an artist's extent and line, with a margin."""
    if len(artists) > 1:
        return 0, H, 0, W
    a = artists[0]
    bb = a.get_window_extent(renderer)
    lw = a.get_linewidth() if hasattr(a, "get_linewidth") else 0.0
    pad = 3 + renderer.points_to_pixels(lw)  # antialiasing, half the line, arrow tips
    return (max(int(H - bb.y1 - pad), 0), min(int(H - bb.y0 + pad) + 1, H),
            max(int(bb.x0 - pad), 0), min(int(bb.x1 + pad) + 1, W))


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def _draw_on_clear(artists: list, renderer) -> np.ndarray:
    renderer.clear()  # transparent
    for a in artists:
        a.draw(renderer)
    return np.asarray(renderer.buffer_rgba())  # (H, W, 4), straight alpha


def _cut(rgba: np.ndarray, box: tuple, W: int) -> tuple:
    r0, r1, c0, c1 = box
    window = rgba[r0:r1, c0:c1]
    rows, cols = np.nonzero(window[..., 3])
    px = window[rows, cols]  # (n, 4)
    alpha = px[:, 3:].astype(np.float32) / 255.0
    return (rows + r0) * W + cols + c0, px[:, :3] * alpha, 1.0 - alpha


def _paste(rgb: np.ndarray, pixels: tuple) -> None:
    """Blend pixels from `_draw_each` over the flat (P, 3) image `rgb`, in place."""
    where, over, keep = pixels
    rgb[where] = (rgb[where] * keep + over + 0.5).astype(np.uint8)


def _panel_html(m: GraphStepperModel) -> str:
    legend = "".join(
        f"<span style='background:{c};border:1px solid #555;padding:0 6px;"
        f"margin-right:4px'></span>{html.escape(t)}<br>"
        for c, t in LEGEND
    )
    body = "\n".join(html.escape(line) for line in m.explain())
    return (
        "<div style='font-size:12px'><b>chain rule at this step</b>"
        "<pre style='white-space:pre-wrap;font-size:11.5px;line-height:1.35'>"
        f"{body}</pre>"
        f"<div style='font-size:11px'>{legend}edge labels: the contribution that "
        "flowed back along the edge</div></div>"
    )
