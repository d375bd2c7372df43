"""Latency of every widget app: time from a control's change to new PNG bytes.

For each app, every slider, dropdown and checkbox the view owns is moved to a
neighbouring value and back, every button is clicked, and every play clock
(ipywidgets' Play) ticks once; the time of each change is the whole handler
(model update + redraw + PNG), as a learner's kernel runs it.
Target: about 50 ms per change. Prints the median and the worst per control.
"""

from __future__ import annotations

import pathlib
import statistics
import sys
import time

import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")

from bpkit.apps.attention import AttentionExplorerApp  # noqa: E402
from bpkit.apps.bptt import GradientOverTimeApp, TruncationApp  # noqa: E402
from bpkit.apps.conv import ConvExplorerApp  # noqa: E402
from bpkit.apps.cost import CostExplorerApp  # noqa: E402
from bpkit.apps.gradient_flow import GradientFlowApp  # noqa: E402
from bpkit.apps.graph_stepper import GraphStepperApp  # noqa: E402
from bpkit.apps.learning_rate import LearningRateApp  # noqa: E402
from bpkit.apps.mlp_playground import MLPPlayground  # noqa: E402
from bpkit.apps.optimizer_race import OptimizerRaceApp  # noqa: E402
from bpkit.apps.overfitting import OverfittingApp  # noqa: E402
from bpkit.apps.single_weight import SingleWeightApp  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _summary import record  # noqa: E402

APPS = [
    ("01 single neuron", SingleWeightApp),
    ("02 graph stepper", GraphStepperApp),
    ("03 MLP playground", MLPPlayground),
    ("04 gradient flow", GradientFlowApp),
    ("05 learning rate", LearningRateApp),
    ("06 optimizer race", OptimizerRaceApp),
    ("07 gradient over time", GradientOverTimeApp),
    ("07 truncation", TruncationApp),
    ("11 cost explorer", CostExplorerApp),
    ("08 overfitting", OverfittingApp),
    ("10 attention explorer", AttentionExplorerApp),
    ("09 convolution backward", ConvExplorerApp),
]
SLIDERS = (widgets.FloatSlider, widgets.IntSlider, widgets.FloatLogSlider,
           widgets.SelectionSlider)


def _neighbour(w):
    """A value next to the widget's current one, or None if it has none."""
    if isinstance(w, widgets.Dropdown | widgets.SelectionSlider):
        opts = list(w.options)
        labels = [o[1] if isinstance(o, tuple) else o for o in opts]
        if len(labels) < 2:
            return None
        i = labels.index(w.value) if w.value in labels else 0
        return labels[(i + 1) % len(labels)]
    if isinstance(w, widgets.Checkbox):
        return not w.value
    if isinstance(w, widgets.FloatLogSlider):
        return w.base ** min(w.max, __import__("math").log(w.value, w.base) + w.step)
    if isinstance(w, SLIDERS):
        up = w.value + w.step
        return up if up <= w.max else w.value - w.step
    return None


def _time(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def controls(app):
    for name, w in sorted(vars(app).items()):
        if isinstance(w, widgets.Button):
            yield name, w, lambda w=w: w.click()
        elif isinstance(w, widgets.Play):  # one tick: what the browser sends

            def tick(w=w):
                w.value += w.step

            yield name, w, tick
        elif isinstance(w, (*SLIDERS, widgets.Dropdown, widgets.Checkbox)):
            if _neighbour(w) is None:
                continue

            def change(w=w):
                w.value = _neighbour(w)

            yield name, w, change


def main(repeats: int = 6) -> None:
    print("bench_widgets: ms from a change to new PNG bytes (median / worst of "
          f"{repeats}); target ~50 ms")
    worst_all, medians = [], []
    for title, cls in APPS:
        app = cls()
        print(f"  {title}")
        for name, _, fn in controls(app):
            ts = _time(fn, repeats)
            worst_all.append((max(ts), title, name))
            medians.append(statistics.median(ts))
            flag = "" if statistics.median(ts) <= 50 else "   <- over target"
            print(f"    {name:<24} {statistics.median(ts):7.1f} / {max(ts):7.1f}{flag}")
        if app.errors.outputs:
            print("    errors shown in the app:", app.errors.outputs, file=sys.stderr)
    n_over = sum(1 for t, *_ in worst_all if t > 50)
    print(f"  controls: {len(worst_all)}, worst case over 50 ms: {n_over}")
    record("widgets", f"{len(medians)} app controls over target (median > 50 / worst > 100 ms)",
           f"{sum(m > 50 for m in medians)} / {sum(t > 100 for t, *_ in worst_all)}",
           "0 / 0")


if __name__ == "__main__":
    main()
