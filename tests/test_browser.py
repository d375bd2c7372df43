"""Every notebook and lecture app in a real browser: rendered, error-free, responsive.

A widget that shows "Error displaying widget" or never loads is a broken lesson even
when every Python test passes. These tests do what a learner and an instructor do:

- JupyterLab (one server for all notebooks): open each notebooks/NN_*.ipynb with
  ?reset, Run All, wait for the kernel to be idle (/api/sessions), check that no
  widget failed and no cell shows an error, then move a slider of every app by
  keyboard and check that its plot (the PNG bytes of its image) changed.
- Voila: serve lecture/apps.ipynb exactly as `make present` does and check the same
  for every section, plus the lecture layout (no code shown, projector-size type).
- The MLP playground, in JupyterLab and in Voila: press play and read the status
  line as it trains (the loss falls over three frames, the picture changes), move a
  slider during play (it answers, and play goes on), pause (training stops).

Screenshots and server logs go to artifacts/browser/ (git-ignored). Marked `browser`;
skipped, with the reason, when /usr/bin/chromium (or Playwright) is missing.
Every server and browser is ended by PID in a `finally`, whatever happened.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import pkgutil
import re
import sys
import time
import warnings
from pathlib import Path

import nbformat
import pytest

from tests._tools import load_tool

from browser.apps import (
    APP, app_errors, exercise_app, problems, wait_widgets_rendered,
)
from browser.chromium import CHROMIUM
from browser.playground import current_step, play_button, status_text, watch_training

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
LECTURE = ROOT / "lecture" / "apps.ipynb"
ARTIFACTS = ROOT / "artifacts" / "browser"


present = load_tool("present")


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return (f"browser tests skipped: no Chromium at {CHROMIUM} "
                "(apt-get install chromium chromium-driver; .ci/run does this)")
    if importlib.util.find_spec("playwright") is None:
        return ("browser tests skipped: Playwright for Python is not installed "
                "(make setup)")
    return None


SKIP = _skip_reason()
if SKIP:
    warnings.warn(SKIP, stacklevel=1)  # in the warnings summary of every run
_TIMINGS: list[str] = []


# ------------------------------------------------------------ what to expect
def _code(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _app_classes() -> set[str]:
    """Names of every AppView subclass in bpkit.apps."""
    import bpkit.apps
    from bpkit.apps.base import AppView

    names = set()
    for info in pkgutil.iter_modules(bpkit.apps.__path__):
        module = importlib.import_module(f"bpkit.apps.{info.name}")
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, AppView) and obj is not AppView:
                names.add(name)
    return names


def _shows_an_app(path: Path, classes: set[str]) -> bool:
    """Does the notebook build one of the apps (call an AppView subclass)?"""
    calls = re.compile(r"\b(" + "|".join(map(re.escape, sorted(classes))) + r")\s*\(")
    return any(calls.search(src) for src in _code(path)) if classes else False


def _lecture_lessons() -> list[str]:
    """The lesson numbers of the lecture page's sections, in page order."""
    pattern = re.compile(r'section\(\s*"(\d\d)"')
    return [m for src in _code(LECTURE) for m in pattern.findall(src)]


def _lesson(path: Path) -> str:
    return path.name[:2]


# ------------------------------------------------------------ without a browser
def test_lecture_page_has_one_app_section_per_lesson_that_has_an_app():
    lessons = _lecture_lessons()
    assert lessons, f"{LECTURE} has no section(...) cells"
    assert len(lessons) == len(set(lessons)), f"one app per lesson, got {lessons}"
    classes = _app_classes()
    with_apps = {_lesson(p) for p in NOTEBOOKS if _shows_an_app(p, classes)}
    missing = sorted(with_apps - set(lessons))
    assert not missing, (
        f"lessons {missing} show an app in their notebook but have no section in "
        f"{LECTURE.relative_to(ROOT)}: add a section(\"NN\", title, prompt, App()) cell"
    )


def test_lecture_mode_hides_code_bounds_the_executor_and_stays_on_localhost():
    argv, env = present.voila_command(8866, open_browser=False)
    assert argv[1] == str(LECTURE)
    assert "--Voila.ip=127.0.0.1" in argv
    assert "--VoilaConfiguration.strip_sources=True" in argv
    timeout = [a for a in argv if a.startswith("--VoilaExecutor.timeout=")]
    assert timeout and 0 < int(timeout[0].split("=")[1]) <= 600, argv
    assert "--template=projector" in argv
    template = ROOT / "lecture" / "voila" / "templates" / "projector"
    assert (template / "conf.json").exists() and (template / "index.html.j2").exists()
    assert str(ROOT / "lecture") in env["JUPYTER_PATH"].split(":")
    assert "MPLBACKEND" not in env


# ------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def chromium(workdir):
    from browser.chromium import Chromium

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser = Chromium(workdir / "chromium-profile")
    try:
        yield browser
    finally:
        browser.stop()
        if _TIMINGS:
            (ARTIFACTS / "timings.txt").write_text("\n".join(_TIMINGS) + "\n")


@pytest.fixture(scope="module")
def lab(workdir):
    from browser.servers import JupyterLab

    t0 = time.monotonic()
    server = JupyterLab(ROOT / "notebooks", workdir / "lab",
                        ARTIFACTS / "jupyterlab.log")
    _TIMINGS.append(f"jupyterlab server up: {time.monotonic() - t0:.1f} s")
    try:
        yield server
    finally:
        server.stop()


def _screenshot(page, target, path: Path) -> None:
    """Scroll `target` (or the top) into view and save what the screen shows."""
    try:
        if target is not None:
            target.evaluate("e => e.scrollIntoView({block: 'start'})")
        else:  # the first cell: in Lab and Voila the scrolling element differs
            page.evaluate("() => { const c = document.querySelector('.jp-Cell');"
                          " if (c) c.scrollIntoView({block: 'start'}); }")
        page.screenshot(path=str(path))
    except Exception as err:  # a screenshot never hides the real failure
        warnings.warn(f"no screenshot {path.name}: {err}", stacklevel=1)


def _exercise_all(
    page, apps, where: str, after=None, shots: str | None = None
) -> list[str]:
    """Operate every app by keyboard; return one line per app.

    With `shots`, each app is also saved as artifacts/browser/{shots}-app{N}.png.
    """
    lines = []
    for i in range(apps.count()):
        app = apps.nth(i)
        try:
            response = exercise_app(app)
        except AssertionError as err:
            panel = app_errors(app) or "(empty)"
            raise AssertionError(f"{where}, app {i + 1}: {err}\n"
                                 f"its error panel: {panel}") from None
        if after is not None:
            after()
        assert not app_errors(app), (
            f"{where}, app {i + 1} shows an error:\n{app_errors(app)}")
        if shots:
            _screenshot(page, app, ARTIFACTS / f"{shots}-app{i + 1}.png")
        size = response.image.split()[1]
        if response.seconds == 0.0:  # nothing to operate: rendering was the test
            lines.append(f"app {i + 1}: {response.control}, rendered ({size})")
        else:
            lines.append(f"app {i + 1}: {response.control} -> new plot in "
                         f"{response.seconds:.2f} s ({size})")
    return lines


# ------------------------------------------------------------ JupyterLab
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
@pytest.mark.browser
@pytest.mark.skipif(SKIP is not None, reason=SKIP or "")
def test_notebook_runs_all_and_every_app_responds_in_jupyterlab(
    notebook, lab, chromium
):
    from browser.lab import open_notebook, run_all

    name = notebook.name
    page = chromium.new_page()
    apps = page.locator(APP)
    t0 = time.monotonic()
    try:
        open_notebook(page, lab, name)
        t_open = time.monotonic()
        state = run_all(page, lab, name)
        t_run = time.monotonic()
        errors = [f"cell starting {c['source'][:70]!r}: {e}"
                  for c in state["cells"] for e in c["errors"]]
        assert not errors, f"{name}: cells failed in JupyterLab:\n" + "\n".join(errors)
        stderr = [f"cell starting {c['source'][:70]!r}: {s.strip()[:300]}"
                  for c in state["cells"] for s in c["stderr"]]
        assert not stderr, f"{name}: cells wrote to stderr:\n" + "\n".join(stderr)

        wait_widgets_rendered(page)
        assert not problems(page), f"{name}: " + "\n".join(problems(page))
        if _shows_an_app(notebook, _app_classes()):
            assert apps.count() >= 1, f"{name} builds an app, but none rendered"
        lines = _exercise_all(page, apps, name, shots=f"lab-{notebook.stem}",
                              after=lambda: lab.wait_kernel_idle(name, 120))
        wait_widgets_rendered(page)
        assert not problems(page), f"{name}: " + "\n".join(problems(page))
        _TIMINGS.append(
            f"lab {notebook.stem}: open {t_open - t0:.1f} s, "
            f"run all {t_run - t_open:.1f} s, "
            f"apps {time.monotonic() - t_run:.1f} s; " + "; ".join(lines or ["no app"])
        )
    finally:
        _screenshot(page, apps.first if apps.count() else None,
                    ARTIFACTS / f"lab-{notebook.stem}.png")
        try:
            lab.shutdown(name)
        finally:
            page.close()


# ------------------------------------------------------------ Voila
@pytest.mark.browser
@pytest.mark.skipif(SKIP is not None, reason=SKIP or "")
def test_lecture_page_renders_and_every_app_responds_in_voila(chromium, workdir):
    from browser.servers import Voila

    lessons = _lecture_lessons()
    t0 = time.monotonic()
    server = Voila(present.voila_command, workdir / "voila", ARTIFACTS / "voila.log",
                   cwd=ROOT / "lecture")
    page = None
    try:
        page = chromium.new_page()
        page.set_viewport_size({"width": 1920, "height": 1080})  # a projector
        # Voila streams the page while its kernel runs the cells
        page.goto(server.base + "/", wait_until="domcontentloaded",
                  timeout=present.CELL_TIMEOUT * len(lessons) * 1000 + 120_000)
        sections = page.locator(".bpkit-section")
        page.wait_for_function(
            "n => document.querySelectorAll('.bpkit-section').length >= n "
            "&& !document.querySelector('#loading')", arg=len(lessons), timeout=120_000)
        t_render = time.monotonic()
        wait_widgets_rendered(page)
        assert not problems(page), "lecture page: " + "\n".join(problems(page))
        classes = [sections.nth(i).get_attribute("class")
                   for i in range(sections.count())]
        shown = [re.search(r"bpkit-lesson-(\d\d)", c).group(1) for c in classes]
        assert shown == lessons, (
            f"sections on the page {shown}, in the notebook {lessons}")

        # lecture layout: no code anywhere, type that reads from the back row
        text = page.inner_text("body")
        for src in _code(LECTURE):
            first = src.strip().splitlines()[0]
            assert first not in text, f"code is shown on the lecture page: {first!r}"
        assert page.locator(".jp-InputArea-editor, .jp-CodeMirrorEditor").count() == 0
        title_px = float(page.locator(".bpkit-title").first.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)"))
        body_px = float(page.evaluate(
            "() => parseFloat(getComputedStyle(document.body).fontSize)"))
        assert title_px >= 36 and body_px >= 20, (title_px, body_px)

        lines = []
        for lesson in lessons:
            section = page.locator(f".bpkit-lesson-{lesson}")
            assert section.locator("img.widget-image").count() == 1, \
                f"section {lesson} should hold exactly one app"
            lines += [f"lesson {lesson} " + line
                      for line in _exercise_all(page, section,
                                                f"lecture section {lesson}")]
            _screenshot(page, section, ARTIFACTS / f"voila-{lesson}.png")
        wait_widgets_rendered(page)
        assert not problems(page), "lecture page: " + "\n".join(problems(page))
        _TIMINGS.append(f"voila lecture page: rendered in {t_render - t0:.1f} s "
                        f"(server start included), "
                        f"apps {time.monotonic() - t_render:.1f} s; "
                        + "; ".join(lines))
    finally:
        try:
            if page is not None:
                _screenshot(page, None, ARTIFACTS / "voila-top.png")
                page.close()
        finally:
            server.stop()


# ------------------------------------------------------------ the playground, live
def _play_the_playground(page, app, where: str) -> str:
    """Press play, see the loss fall over three frames, move a slider, pause."""
    from browser.procs import wait_until

    app.scroll_into_view_if_needed()
    assert "step 0, untrained" in status_text(app), status_text(app)
    samples = watch_training(app, frames=3, apart=40)
    losses = [s.loss for s in samples]
    assert losses[0] > losses[1] > losses[2], f"{where}: the loss rose: {samples}"
    assert len({s.image for s in samples}) == 3, f"{where}: the picture stood still"

    # a control answers during play: a new width restarts from the seed, plays on
    handle = app.locator(".widget-slider").first.locator(".noUi-handle").first
    t0 = time.monotonic()
    handle.press("ArrowRight")  # hidden width 16 -> 18
    wait_until(lambda: "2 x 18 relu" in status_text(app), 20,
               f"{where}: the width change to show during play")
    answered = time.monotonic() - t0
    wait_until(lambda: "2 x 18 relu" in status_text(app)
               and (current_step(app) or 0) >= 40, 60,
               f"{where}: training to go on at the new width")

    play_button(app).click()  # pause
    time.sleep(1.0)  # ticks already on their way still land
    paused_at = current_step(app)
    time.sleep(1.5)
    assert current_step(app) == paused_at, f"{where}: it went on training after pause"
    assert not app_errors(app), f"{where}: the app shows an error:\n{app_errors(app)}"
    assert not problems(page), f"{where}: " + "\n".join(problems(page))
    seen = ", ".join(f"step {s.step} loss {s.loss:.3f} at {s.seconds:.1f} s"
                     for s in samples)
    return (f"{where} playground: {seen}; width change shown during play in "
            f"{answered:.2f} s; paused at step {paused_at}")


@pytest.mark.browser
@pytest.mark.skipif(SKIP is not None, reason=SKIP or "")
def test_playground_plays_live_in_jupyterlab_and_the_loss_falls_frame_by_frame(
    lab, chromium
):
    from browser.lab import open_notebook, run_all
    from browser.playground import write_notebook

    name = "playground_live.ipynb"  # in the server's copy, not in the repository
    write_notebook(lab.root / lab.folder / name)
    page = chromium.new_page()
    apps = page.locator(APP)
    try:
        open_notebook(page, lab, name)
        state = run_all(page, lab, name)
        errors = [e for c in state["cells"] for e in c["errors"]]
        assert not errors, f"the playground cell failed: {errors}"
        wait_widgets_rendered(page)
        assert apps.count() == 1, "the playground did not render"
        _TIMINGS.append(_play_the_playground(page, apps.first, "lab"))
    finally:
        _screenshot(page, apps.first if apps.count() else None,
                    ARTIFACTS / "lab-playground-live.png")
        try:
            lab.shutdown(name)
        finally:
            page.close()


def _voila_one_notebook(notebook: Path):
    """A `voila_command` for one notebook, as `browser.servers.Voila` expects."""

    def command(port: int, open_browser: bool = False, extra: tuple = ()):
        voila = Path(sys.executable).with_name("voila")
        argv = [str(voila) if voila.exists() else "voila", str(notebook),
                "--theme=light", "--Voila.ip=127.0.0.1", f"--port={port}",
                "--Voila.port_retries=0", f"--Voila.open_browser={open_browser}",
                *extra]
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)
        return argv, env

    return command


@pytest.mark.browser
@pytest.mark.skipif(SKIP is not None, reason=SKIP or "")
def test_playground_plays_live_in_voila(chromium, workdir):
    from browser.playground import write_notebook
    from browser.servers import Voila

    notebook = write_notebook(workdir / "voila-playground" / "playground.ipynb")
    server = Voila(_voila_one_notebook(notebook), workdir / "voila-play",
                   ARTIFACTS / "voila-playground.log", cwd=notebook.parent)
    page = None
    try:
        page = chromium.new_page()
        page.goto(server.base + "/", wait_until="domcontentloaded", timeout=180_000)
        page.wait_for_selector("img.widget-image", timeout=180_000)
        wait_widgets_rendered(page)
        apps = page.locator(APP)
        assert apps.count() == 1, "the playground did not render in Voila"
        _TIMINGS.append(_play_the_playground(page, apps.first, "voila"))
    finally:
        try:
            if page is not None:
                _screenshot(page, None, ARTIFACTS / "voila-playground-live.png")
                page.close()
        finally:
            server.stop()
