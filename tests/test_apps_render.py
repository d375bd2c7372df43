"""Every app's fast redraw shows what a full redraw would.

`AppView.render()` caches the figure's background and redraws only the animated
artists over it. If an app changes a non-animated artist without calling
`invalidate()`, the learner sees a stale picture. This moves every control of every
app and compares the picture with a from-scratch redraw of the same state.
"""

from __future__ import annotations

import io
import math

import ipywidgets as widgets
import numpy as np
import PIL.Image
import pytest

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
SLIDERS = (widgets.FloatSlider, widgets.IntSlider, widgets.FloatLogSlider,
           widgets.SelectionSlider)
# animated artists are drawn last, so where they cross a static artist the two
# pictures may differ by the stacking order: a few pixels, never a moved curve
TOLERANCE = 0.004


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _moves(w):
    """Two changes of a control: one step up (or the next option) and one back."""
    if isinstance(w, widgets.Button):
        return [None, None]
    if isinstance(w, widgets.Checkbox):
        return [not w.value, w.value]
    if isinstance(w, (widgets.Dropdown, widgets.SelectionSlider)):
        labels = [o[1] if isinstance(o, tuple) else o for o in w.options]
        if len(labels) < 2:
            return []
        i = labels.index(w.value) if w.value in labels else 0
        return [labels[(i + 1) % len(labels)], w.value]
    if isinstance(w, widgets.FloatLogSlider):
        e = math.log(w.value, w.base)
        up = min(w.max, e + 5 * w.step)
        return [w.base ** up, w.value]
    if isinstance(w, SLIDERS):
        up = w.value + 3 * w.step
        return [up if up <= w.max else w.value - 3 * w.step, w.value]
    return []


def _controls(app):
    for name, w in sorted(vars(app).items()):
        if isinstance(w, (widgets.Button, widgets.Checkbox, widgets.Dropdown, *SLIDERS)):
            yield name, w


def _stale_fraction(app) -> float:
    fast = _pixels(app.image.value)
    app.invalidate()
    app.render()
    full = _pixels(app.image.value)
    assert fast.shape == full.shape
    return float(np.mean(np.any(fast != full, axis=-1)))


@pytest.mark.parametrize("cls", APPS, ids=[c.__name__ for c in APPS])
def test_fast_redraw_matches_a_full_redraw_after_every_control(cls):
    app = cls()
    stale = {}
    for name, w in _controls(app):
        for value in _moves(w):
            if value is None:
                w.click()
            else:
                w.value = value
            frac = _stale_fraction(app)
            if frac > TOLERANCE:
                stale[f"{name} -> {value!r}"] = round(frac, 4)
    assert not app.errors.outputs, app.errors.outputs
    assert not stale, f"pixels differing from a full redraw: {stale}"
