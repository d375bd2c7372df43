"""Lesson 06 app: the race model and the view driven headlessly."""

from __future__ import annotations

import numpy as np
import pytest

from bpkit.apps.optimizer_race import OptimizerRaceApp
from bpkit.optimizer_race import DEFAULT_LRS, RACE_SURFACES, RACERS, Entry, RaceModel
from bpkit.optim import SGD, Adam
from bpkit.surfaces import Rosenbrock, descend


def test_each_racer_builds_the_named_optimizer_with_its_hyperparameters():
    from bpkit.layers import Parameter

    p = [Parameter(np.zeros(2))]
    assert RACERS["Nesterov"].make(p, 0.1, 0.8).param_groups[0]["nesterov"] is True
    assert RACERS["Adam"].make(p, 0.1, 0.8).param_groups[0]["betas"] == (0.8, 0.999)
    assert RACERS["RMSprop"].make(p, 0.1, 0.95).param_groups[0]["alpha"] == 0.95
    assert RACERS["momentum"].make(p, 0.1, 0.7).param_groups[0]["momentum"] == 0.7


def test_model_paths_equal_running_the_optimizer_directly():
    entries = {"momentum": Entry(True, 1e-3, 0.9), "Adam": Entry(True, 0.1, 0.8),
               "SGD": Entry(False, 1e-3, 0.0)}
    m = RaceModel("Rosenbrock", steps=40, entries=entries)
    assert set(m.paths) == {"momentum", "Adam"}
    ref = descend(Rosenbrock(), SGD, m.start, 40, lr=1e-3, momentum=0.9)
    np.testing.assert_allclose(m.paths["momentum"].points, ref.points)
    ref = descend(Rosenbrock(), Adam, m.start, 40, lr=0.1, betas=(0.8, 0.999))
    np.testing.assert_allclose(m.paths["Adam"].points, ref.points)


def test_leaderboard_and_steps_to():
    m = RaceModel("bowl, axis-aligned (condition 50)", steps=100)
    board = m.leaderboard()
    gaps = [g for _, g in board]
    assert gaps == sorted(gaps)
    name = board[0][0]
    k = m.steps_to(name, 1e-6)
    assert k is not None and m.paths[name].losses[k] < 1e-6 <= m.paths[name].losses[k - 1]


def test_diverging_racer_is_reported_and_ranked_last():
    entries = {"SGD": Entry(True, 1.0, 0.0), "Adam": Entry(True, 0.1, 0.9)}
    m = RaceModel("Rosenbrock", steps=50, entries=entries)
    assert m.paths["SGD"].diverged
    assert m.leaderboard()[-1] == ("SGD", np.inf)


def test_bad_race_arguments_are_named():
    with pytest.raises(ValueError, match="surface"):
        RaceModel("moon")
    with pytest.raises(ValueError, match="unknown optimizer"):
        RaceModel(entries={"LBFGS": Entry(True, 0.1, 0.9)})
    with pytest.raises(ValueError, match="lr"):
        RaceModel(entries={"SGD": Entry(True, -0.1, 0.0)})


def test_defaults_cover_every_surface_and_racer():
    for name in RACE_SURFACES:
        assert set(DEFAULT_LRS[name]) == set(RACERS)


# ---------------------------------------------------------------- the view
def test_checkbox_adds_a_racer_and_its_artists():
    app = OptimizerRaceApp()
    assert "Nesterov" not in app.model.paths and not app.lines["Nesterov"].get_visible()
    app.checkboxes["Nesterov"].value = True
    assert "Nesterov" in app.model.paths and app.lines["Nesterov"].get_visible()
    x, y = app.lines["Nesterov"].get_data()
    np.testing.assert_allclose(np.c_[x, y], app.model.paths["Nesterov"].points)
    assert "Nesterov" in app.status.value


def test_lr_and_beta_sliders_rerun_that_racer():
    app = OptimizerRaceApp()
    before = app.model.paths["Adam"].points.copy()
    app.lr_sliders["Adam"].value = 0.05
    assert app.model.entries["Adam"].lr == pytest.approx(0.05, rel=1e-2)
    assert not np.allclose(app.model.paths["Adam"].points, before)
    app.beta_sliders["momentum"].value = 0.5
    assert app.model.entries["momentum"].beta == pytest.approx(0.5)
    assert app.beta_sliders["SGD"].disabled and app.beta_sliders["Adagrad"].disabled


def test_play_drives_the_frame_shown():
    app = OptimizerRaceApp()
    app.play.value = 20
    assert app.frame_slider.value == 20
    for name in app.model.paths:
        x, y = app.lines[name].get_data()
        assert len(x) == min(21, len(app.model.paths[name].points))
        hx, hy = app.heads[name].get_data()
        np.testing.assert_allclose([hx[0], hy[0]], app.model.position(name, 20))
        steps, _ = app.curves[name].get_data()
        assert steps[-1] == min(20, len(app.model.paths[name].losses) - 1)
    assert "step 20" in app.status.value


def test_surface_start_and_steps_reset_the_race():
    app = OptimizerRaceApp()
    app.surface_dropdown.value = "Beale"
    assert app.model.surface_name == "Beale"
    assert app.lr_sliders["Adam"].value == pytest.approx(DEFAULT_LRS["Beale"]["Adam"], rel=1e-2)
    app.x0_slider.value = 2.0
    app.steps_slider.value = 60
    assert app.model.start[0] == 2.0 and app.model.steps == 60
    assert app.play.max == 60 and app.frame_slider.value == 60
    assert app.errors.outputs == ()


def test_nesterov_momentum_slider_cannot_break_the_race():
    from bpkit.optimizer_race import BETA_MIN
    app = OptimizerRaceApp()
    s = app.beta_sliders["Nesterov"]
    assert s.min == BETA_MIN["Nesterov"] > 0
    s.value = s.min                                   # the slider's minimum
    assert not app.errors.outputs
    assert set(app.model.paths) == {n for n, e in app.model.entries.items() if e.enabled}


def test_a_refused_entry_keeps_the_whole_race():
    m = RaceModel()
    before = dict(m.paths)
    with pytest.raises(ValueError, match="Nesterov: momentum must be at least 0.01"):
        m.set_entry("Nesterov", beta=0.0)
    assert m.paths.keys() == before.keys() and m.entries["Nesterov"].beta > 0


# ------------------------------------------------ kept runs and pieces
def _same_paths(a: RaceModel, b: RaceModel) -> None:
    assert a.paths.keys() == b.paths.keys()
    for name, p in a.paths.items():
        q = b.paths[name]
        assert np.array_equal(p.points, q.points) and np.array_equal(p.losses, q.losses)
        assert p.diverged_at == q.diverged_at


def test_a_new_step_count_gives_exactly_a_fresh_race():
    # SGD at lr 2.7e-3 blows up on Rosenbrock at step 5: cut before, at and after it
    entries = {"SGD": Entry(True, 2.7e-3, 0.0), "momentum": Entry(True, 1e-3, 0.9),
               "Adam": Entry(True, 0.1, 0.8)}
    m = RaceModel("Rosenbrock", steps=100, entries=entries)
    blowup = m.paths["SGD"].diverged_at
    assert blowup is not None and blowup > 2
    for steps in (250, 37, 400, blowup - 1, blowup, 5, 500):
        m.set_steps(steps)
        _same_paths(m, RaceModel("Rosenbrock", steps=steps, entries=entries))


def test_kept_runs_are_continued_not_run_again(monkeypatch):
    calls = []
    grad = Rosenbrock._grad
    monkeypatch.setattr(Rosenbrock, "_grad",
                        lambda self, w: calls.append(1) or grad(self, w))
    entries = {"momentum": Entry(True, 1e-3, 0.9), "Adam": Entry(True, 0.1, 0.8)}
    m = RaceModel("Rosenbrock", steps=100, entries=entries)
    assert len(calls) == 2 * 101  # one gradient per point
    m.set_steps(250)
    assert len(calls) == 2 * 251  # the 150 new steps only
    m.set_steps(40)
    m.set_entry("Adam", enabled=False)
    m.set_entry("Adam", enabled=True)  # back on: its kept run, cut to 40
    assert len(calls) == 2 * 251
    m.set_entry("Adam", lr=0.05)  # new settings: a new run
    assert len(calls) == 2 * 251 + 41
    _same_paths(m, RaceModel("Rosenbrock", steps=40, entries=m.entries))


def test_a_refused_step_count_keeps_the_race():
    m = RaceModel(steps=50)
    before = {n: p.points.copy() for n, p in m.paths.items()}
    with pytest.raises(ValueError, match="steps"):
        m.set_steps(0)
    assert m.steps == 50
    assert all(np.array_equal(m.paths[n].points, p) for n, p in before.items())


def test_beale_one_point_path_equals_its_array_path():
    from bpkit.surfaces import Beale

    s = Beale()
    w = np.random.default_rng(0).uniform(-4.5, 4.5, (200, 2))
    one_value = np.array([s.value(p) for p in w])
    one_grad = np.array([s.grad(p) for p in w])
    np.testing.assert_allclose(one_value, s.value(w), rtol=1e-13)
    np.testing.assert_allclose(one_grad, s.grad(w), rtol=1e-13, atol=1e-12)


def _png_pixels(png: bytes) -> np.ndarray:
    import io

    import PIL.Image

    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB"))


def test_kept_background_pieces_equal_a_full_redraw_pixel_for_pixel():
    app = OptimizerRaceApp()
    for name in RACE_SURFACES:
        app.surface_dropdown.value = name
        for change in (lambda: setattr(app.steps_slider, "value", 10),
                       lambda: setattr(app.x0_slider, "value", app.x0_slider.min),
                       lambda: setattr(app.steps_slider, "value", 500),
                       lambda: setattr(app.y0_slider, "value", app.y0_slider.max)):
            change()
            fast = _png_pixels(app.image.value)
            app.invalidate()
            app.render()  # a full draw of the whole figure
            assert np.array_equal(fast, _png_pixels(app.image.value)), name
    assert app.errors.outputs == ()


def test_start_steps_and_surface_changes_draw_no_axes_seen_before(monkeypatch):
    app = OptimizerRaceApp()
    drawn = []
    for ax in (app.ax_path, app.ax_loss):
        monkeypatch.setattr(ax, "draw",
                            lambda r, ax=ax, d=ax.draw: drawn.append(ax) or d(r))
    app.x0_slider.value = -1.45  # a new start, the same loss range: the same axes
    assert drawn == []
    app.surface_dropdown.value = "Himmelblau"  # both drawn when the app was built
    assert drawn == []
    app.steps_slider.value = 200  # a new x range: the loss axes only, once
    assert drawn == [app.ax_loss]
    app.steps_slider.value = 300  # both x ranges seen before: nothing drawn
    app.steps_slider.value = 200
    assert drawn == [app.ax_loss]
