"""Apps release what they hold: `close()`, and a re-run cell closes its old app."""

from __future__ import annotations

import gc
import warnings

import ipywidgets as widgets
import pytest

import bpkit.apps.base as base
from bpkit.apps.attention import AttentionExplorerApp
from bpkit.apps.bptt import GradientOverTimeApp, TruncationApp
from bpkit.apps.conv import ConvExplorerApp
from bpkit.apps.cost import CostExplorerApp
from bpkit.apps.gradient_flow import GradientFlowApp
from bpkit.apps.graph_stepper import GraphStepperApp
from bpkit.apps.learning_rate import LearningRateApp
from bpkit.apps.mlp_playground import MLPPlayground
from bpkit.apps.optimizer_race import OptimizerRaceApp
from bpkit.apps.overfitting import OverfittingApp
from bpkit.apps.single_weight import SingleWeightApp

APPS = [SingleWeightApp, GraphStepperApp, MLPPlayground, GradientFlowApp,
        LearningRateApp, OptimizerRaceApp, GradientOverTimeApp, TruncationApp,
        OverfittingApp, CostExplorerApp, AttentionExplorerApp,
        ConvExplorerApp]


def _live_widgets() -> int:
    with warnings.catch_warnings():  # ipywidgets 8 deprecates the registry's name
        warnings.simplefilter("ignore", DeprecationWarning)
        return len(widgets.Widget.widgets)


@pytest.mark.parametrize("make", APPS, ids=lambda c: c.__name__)
def test_close_closes_every_widget_the_app_made_and_frees_the_figure(make):
    before = _live_widgets()
    app = make()
    assert _live_widgets() > before
    app.close()
    assert _live_widgets() == before
    assert app.fig is None and app.image is None  # the figure's buffer is freed
    app.close()  # twice is harmless
    app.render()  # a late callback after close draws nothing and does not raise


class _Slider(base.AppView):
    """The smallest real app: a slider, a status line, a one-line plot."""

    def __init__(self) -> None:
        super().__init__(figsize=(4, 3))
        self.slider = widgets.FloatSlider(value=1.0, min=0.0, max=2.0)
        ax = self.fig.subplots()
        (self.line,) = ax.plot([0, 1], [0, 1])
        self.slider.observe(self.handler(lambda c: self.redraw()), names="value")
        self.widget = widgets.VBox([self.slider, self.status, self.image, self.errors])
        self.redraw()

    def redraw(self) -> None:
        self.line.set_ydata([0, self.slider.value])
        self.render()


def _live(kind: type) -> int:
    gc.collect()
    return sum(isinstance(o, kind) for o in gc.get_objects())


def test_rerunning_an_app_cell_a_hundred_times_keeps_memory_flat(monkeypatch):
    from matplotlib.backends.backend_agg import RendererAgg

    cell = iter(range(10**6))
    monkeypatch.setattr(base, "_current_cell", lambda: (f"cell-{next(cell)}", "run"))
    kept = [_Slider() for _ in range(3)]  # warm-up: imports, caches
    gc.collect()  # count live objects, not garbage an earlier test left for the collector
    before = len(gc.get_objects())
    kept += [_Slider() for _ in range(10)]  # ten cells, ten open apps
    per_open_app = (len(gc.get_objects()) - before) / 10

    run = iter(range(10**6))
    monkeypatch.setattr(base, "_current_cell", lambda: ("cell-7", f"run-{next(run)}"))
    kept.append(_Slider())
    widgets_before, renderers_before = _live_widgets(), _live(RendererAgg)
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(100):
        kept.append(_Slider())  # the cell run again; Out[n] keeps a reference
    gc.collect()
    per_rerun = (len(gc.get_objects()) - before) / 100
    # each re-run closed the app the cell built before: one of them stays open
    assert all(a.closed for a in kept[13:-1]) and not kept[-1].closed
    assert _live_widgets() == widgets_before
    assert _live(RendererAgg) <= renderers_before
    assert per_rerun < 0.05 * per_open_app, (per_rerun, per_open_app)
    for a in kept:
        a.close()


def test_apps_built_in_different_cells_stay_open(monkeypatch):
    cells = iter([("a", "run-1"), ("b", "run-2")])
    monkeypatch.setattr(base, "_current_cell", lambda: next(cells))
    first, second = _Slider(), _Slider()
    assert not first.closed and not second.closed
    first.close()
    second.close()


def test_apps_built_in_one_run_of_a_cell_all_stay_open(monkeypatch):
    monkeypatch.setattr(base, "_current_cell", lambda: ("a", "run-1"))
    apps = [_Slider() for _ in range(3)]  # e.g. one per learning rate, in a loop
    assert not any(a.closed for a in apps)
    monkeypatch.setattr(base, "_current_cell", lambda: ("a", "run-2"))
    again = _Slider()
    assert all(a.closed for a in apps) and not again.closed
    again.close()


def test_outside_a_notebook_cell_nothing_is_closed_for_you():
    assert base._current_cell() is None  # pytest: no kernel, no cell id
    first, second = _Slider(), _Slider()
    assert not first.closed
    first.close()
    second.close()


def test_the_error_panel_clears_once_the_app_works_again():
    app = SingleWeightApp()
    real_step = app.model.step
    app.model.step = lambda: 1 / 0
    app.step_button.click()
    assert "ZeroDivisionError" in str(app.errors.outputs)
    app.model.step = real_step
    app.step_button.click()
    assert app.errors.outputs == ()
    app.close()
