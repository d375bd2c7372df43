"""Lecture mode lasts a lecture (tools/present.py, lecture/).

- Kernels: Voila culls a kernel whose page is gone and keeps one whose page is open
  (a short cull timeout, a real page opened and closed, the kernel's process and
  /api/kernels/<id> watched).
- Screens: at 1024 x 768 and 1920 x 1080 every app is on the screen whole: no
  sideways scrolling, nothing below the bottom, no box that cuts off its content.
  Screenshots in artifacts/browser/lecture-<W>x<H>-<NN>.png.
- Sharp plots: figures have 2x the pixels of their size on the page, and the
  projector never shows one larger than its pixels.
- The server extension: /voila/render/lecture/apps.ipynb in a Jupyter server
  renders with the projector template once tools/present.py installed it.

The browser tests are marked `browser` (skipped without /usr/bin/chromium or
Playwright); the server-extension test runs the lecture notebook and is marked
`notebook`. Every server and browser is ended by PID in a `finally`.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import os
import re
import secrets
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
import PIL.Image
import pytest

from tests._tools import load_tool

from test_browser import SKIP as SKIP_BROWSER
from test_browser import _lecture_lessons as _sections
from test_browser import chromium, workdir  # noqa: F401  (fixtures: one browser each)

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT / "lecture"
ARTIFACTS = ROOT / "artifacts" / "browser"
SIZES = [(1024, 768), (1920, 1080)]
MARKER = '<meta name="bpkit-voila-template" content="projector">'

present = load_tool("present")


def _import_projector(monkeypatch):
    """lecture/projector.py, imported as the page does; the environment is restored."""
    monkeypatch.setenv("BPKIT_PIXEL_RATIO", "")  # recorded, so undone at teardown
    monkeypatch.delenv("BPKIT_PIXEL_RATIO")
    spec = importlib.util.spec_from_file_location("projector", LECTURE / "projector.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LECTURE_RATIO = 2  # lecture/projector.py's PIXEL_RATIO, checked below
NO_VOILA = None if importlib.util.find_spec("voila") else "Voila is not installed"
_NOTES: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _write_notes():
    """What the tests measured, in artifacts/browser/lecture.txt."""
    yield
    if _NOTES:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "lecture.txt").write_text("\n".join(_NOTES) + "\n")


def _png_size(png: bytes) -> tuple[int, int]:
    return PIL.Image.open(io.BytesIO(png)).size


# ------------------------------------------------------------ without a server
def test_lecture_mode_culls_idle_kernels_without_a_page_and_keeps_connected_ones():
    argv, env = present.voila_command(8866, open_browser=False)
    assert (f"--MappingKernelManager.cull_idle_timeout={present.CULL_IDLE_TIMEOUT}"
            in argv)
    assert f"--MappingKernelManager.cull_interval={present.CULL_INTERVAL}" in argv
    assert "--MappingKernelManager.cull_connected=False" in argv
    # long enough for a lecture break, short enough that reloads do not pile up
    assert 10 * 60 <= present.CULL_IDLE_TIMEOUT <= 60 * 60
    assert 0 < present.CULL_INTERVAL < present.CULL_IDLE_TIMEOUT


def test_lecture_page_draws_at_2x_unless_the_instructor_asks_for_another(monkeypatch):
    assert _import_projector(monkeypatch).PIXEL_RATIO == LECTURE_RATIO
    assert os.environ["BPKIT_PIXEL_RATIO"] == "2"
    monkeypatch.setenv("BPKIT_PIXEL_RATIO", "1")  # `present.py --pixel-ratio 1`
    spec = importlib.util.spec_from_file_location("projector", LECTURE / "projector.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert os.environ["BPKIT_PIXEL_RATIO"] == "1", "the page overrode the instructor"

    monkeypatch.delenv("BPKIT_PIXEL_RATIO")
    assert "BPKIT_PIXEL_RATIO" not in present.voila_command(8866, False)[1]
    _, env = present.voila_command(8866, False, pixel_ratio=2)
    assert env["BPKIT_PIXEL_RATIO"] == "2"
    with pytest.raises(SystemExit):
        present.main(["--pixel-ratio", "0.5", "--no-browser"])


def test_lecture_notebook_names_the_projector_template_for_every_route():
    nb = nbformat.read(LECTURE / "apps.ipynb", as_version=4)
    assert nb.metadata.get("voila", {}).get("template") == present.TEMPLATE
    first_code = next(c.source for c in nb.cells if c.cell_type == "code")
    # projector.py sets the figure resolution: it must come before any app
    assert first_code.strip() == "from projector import section"


def test_install_template_links_it_again_idempotently_and_leaves_others_alone(tmp_path):
    link = present.install_template(tmp_path / "a")
    assert link == tmp_path / "a" / "voila" / "templates" / "projector"
    assert link.resolve() == present.TEMPLATE_DIR.resolve()
    assert (link / "index.html.j2").exists() and (link / "conf.json").exists()
    assert present.install_template(tmp_path / "a") == link  # a second run: same link

    stale = tmp_path / "b" / "voila" / "templates" / "projector"
    stale.parent.mkdir(parents=True)
    stale.symlink_to(tmp_path, target_is_directory=True)  # a moved checkout
    assert present.install_template(tmp_path / "b").resolve() == \
        present.TEMPLATE_DIR.resolve()

    theirs = tmp_path / "c" / "voila" / "templates" / "projector"
    theirs.mkdir(parents=True)
    (theirs / "conf.json").write_text("{}")
    with pytest.raises(FileExistsError, match="not bpkit's projector template"):
        present.install_template(tmp_path / "c")
    assert (theirs / "conf.json").read_text() == "{}"


def test_a_higher_pixel_ratio_draws_more_pixels_shown_at_the_same_size(monkeypatch):
    from bpkit.apps.graph_stepper import GraphStepperApp
    from bpkit.apps.single_weight import SingleWeightApp

    for cls in (SingleWeightApp, GraphStepperApp):  # base render(), and its own
        monkeypatch.delenv("BPKIT_PIXEL_RATIO", raising=False)
        one = cls()
        w1, h1 = _png_size(one.image.value)
        assert one.image.width == "", "at 1x the notebooks' images are as before"
        monkeypatch.setenv("BPKIT_PIXEL_RATIO", "2")
        two = cls()
        w2, h2 = _png_size(two.image.value)
        assert abs(w2 - 2 * w1) <= 2 and abs(h2 - 2 * h1) <= 2, (cls, w1, h1, w2, h2)
        assert abs(int(two.image.width) - w1) <= 1, (cls, two.image.width, w1)
        one.close()
        two.close()


def _app_classes():
    from tests.test_apps_render import APPS

    return APPS


@pytest.mark.parametrize("cls", _app_classes(), ids=lambda c: c.__name__)
def test_at_the_lecture_ratio_every_fast_redraw_matches_a_full_redraw(monkeypatch, cls):
    from tests.test_apps_render import (
        test_fast_redraw_matches_a_full_redraw_after_every_control as check,
    )

    monkeypatch.setenv("BPKIT_PIXEL_RATIO", str(LECTURE_RATIO))
    check(cls)


@pytest.mark.parametrize("text", ["0.5", "5", "two", "nan"])
def test_a_pixel_ratio_out_of_range_is_refused_by_name(monkeypatch, text):
    from bpkit.apps.base import pixel_ratio

    monkeypatch.setenv("BPKIT_PIXEL_RATIO", text)
    with pytest.raises(ValueError, match="BPKIT_PIXEL_RATIO must be a number from"):
        pixel_ratio()


def test_png_bytes_decode_to_exactly_the_pixels_drawn(rng):
    from bpkit.apps.base import png_bytes

    for shape in [(1, 1, 4), (7, 5, 4), (64, 97, 4)]:
        rgba = rng.integers(0, 256, shape, dtype=np.uint8)
        back = np.asarray(PIL.Image.open(io.BytesIO(png_bytes(rgba))).convert("RGB"))
        np.testing.assert_array_equal(back, rgba[..., :3])


# ------------------------------------------------------------ the server extension
@pytest.mark.notebook
@pytest.mark.skipif(NO_VOILA is not None, reason=NO_VOILA or "")
def test_server_extension_route_renders_the_lecture_with_the_projector_template(
    tmp_path,
):
    from browser.procs import Child, free_port
    from browser.servers import _clean_env

    env = _clean_env(tmp_path)  # Jupyter's paths all temporary: nothing of ours
    assert "projector" not in str(env.get("JUPYTER_PATH", ""))
    present.install_template(Path(env["JUPYTER_DATA_DIR"]))
    port, token = free_port(), secrets.token_hex(16)
    argv = [
        sys.executable, "-m", "jupyter_server", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={ROOT}",
        "--ServerApp.jpserver_extensions={'voila': True}",
        "--allow-root",
    ]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = Child(argv, env, ROOT, ARTIFACTS / "voila-extension.log")
    auth = {"Authorization": f"token {token}"}
    try:
        server.wait_for_http(f"http://127.0.0.1:{port}/api/status", 120, auth)
        url = f"http://127.0.0.1:{port}/voila/render/lecture/apps.ipynb"
        t0 = time.monotonic()
        # a missing template stalls the stream instead of failing: bounded reads
        with urllib.request.urlopen(urllib.request.Request(url, headers=auth),
                                    timeout=240) as resp:
            status, page = resp.status, resp.read().decode()
        seconds = time.monotonic() - t0
    finally:
        server.stop()
    assert status == 200
    assert MARKER in page, "the page was not rendered with the projector template"
    assert ".bpkit-section" in page and "MIN_ZOOM" in page  # its CSS and fit.js
    views = page.count("application/vnd.jupyter.widget-view+json")
    assert views >= len(_sections()), f"{views} widget outputs on the page"
    assert not re.search(r"There was an error when executing cell|Traceback", page)
    _NOTES.append(f"server extension /voila/render/lecture/apps.ipynb: projector "
                  f"template, rendered in {seconds:.1f} s")


# ------------------------------------------------------------ in a browser
def _open_lecture(page, server, sections: int) -> None:
    page.goto(server.base + "/", wait_until="domcontentloaded",
              timeout=present.CELL_TIMEOUT * sections * 1000 + 120_000)
    page.wait_for_function(
        "n => document.querySelectorAll('.bpkit-section').length >= n "
        "&& !document.querySelector('#loading')", arg=sections, timeout=300_000)


@pytest.mark.browser
@pytest.mark.skipif(SKIP_BROWSER is not None, reason=SKIP_BROWSER or "")
def test_every_app_fits_a_1024x768_and_a_1920x1080_screen_whole_and_sharp(
    chromium, workdir
):
    from browser.apps import problems, wait_widgets_rendered
    from browser.lecture import clipped, settle_zoom, sharpness
    from browser.servers import Voila

    lessons = _sections()
    server = Voila(present.voila_command, workdir / "voila-fit",
                   ARTIFACTS / "voila-fit.log", cwd=LECTURE)
    page = None
    failures = []
    try:
        page = chromium.new_page()
        page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
        _open_lecture(page, server, len(lessons))
        wait_widgets_rendered(page)
        assert not problems(page), "lecture page: " + "\n".join(problems(page))
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            zoom = settle_zoom(page)
            for lesson in lessons:
                section = page.locator(f".bpkit-lesson-{lesson}")
                where = f"{width}x{height} lesson {lesson}"
                failures += [f"{where}: {p}" for p in clipped(section)]
                page.screenshot(path=str(ARTIFACTS /
                                         f"lecture-{width}x{height}-{lesson}.png"))
                for img in sharpness(section):
                    ratio = img["natural"] / int(img["width"] or img["natural"])
                    if abs(ratio - LECTURE_RATIO) > 0.02:
                        failures.append(f"{where}: a figure has {ratio:.2f}x the "
                                        f"pixels of its size, not {LECTURE_RATIO}")
                    if img["shown"] > img["natural"] + 1:
                        failures.append(f"{where}: a figure of {img['natural']} px "
                                        f"is stretched to {img['shown']:.0f} px")
            _NOTES.append(f"{width}x{height}: app zoom per lesson "
                          + ", ".join(f"{n} {z:.2f}" for n, z in zip(lessons, zoom)))
        assert not problems(page), "lecture page: " + "\n".join(problems(page))
    finally:
        try:
            if page is not None:
                page.close()
        finally:
            server.stop()
    assert not failures, "cut off or soft on the screen:\n" + "\n".join(failures)


def _kernel_status(server, kernel_id: str) -> int:
    try:
        with urllib.request.urlopen(f"{server.base}/api/kernels/{kernel_id}",
                                    timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@pytest.mark.browser
@pytest.mark.skipif(SKIP_BROWSER is not None, reason=SKIP_BROWSER or "")
def test_a_closed_pages_kernel_is_culled_and_an_open_pages_kernel_is_kept(
    chromium, workdir
):
    from browser.apps import wait_widgets_rendered
    from browser.lecture import kernel_pids
    from browser.procs import wait_until
    from browser.servers import Voila

    timeout, interval = 10, 2  # seconds; the lecture's are 30 min and 1 min
    command = functools.partial(present.voila_command, cull_idle_timeout=timeout,
                                cull_interval=interval)
    server = Voila(command, workdir / "voila-cull", ARTIFACTS / "voila-cull.log",
                   cwd=LECTURE)
    try:
        assert kernel_pids(server.pid) == [], "a kernel before any page was opened"
        page = chromium.new_page()
        _open_lecture(page, server, len(_sections()))
        wait_widgets_rendered(page)
        kernel_id = page.evaluate(
            "() => JSON.parse(document.getElementById('jupyter-config-data')"
            ".textContent).kernelId")
        kernels = kernel_pids(server.pid)
        assert len(kernels) == 1, f"one page, kernels {kernels}"
        rss = _rss_mb(kernels[0])

        time.sleep(timeout + 2 * interval + 2)  # idle past the timeout, page open
        assert _kernel_status(server, kernel_id) == 200, \
            "the kernel of an open page was culled"
        assert kernel_pids(server.pid) == kernels

        page.close()  # as a crashed tab or a closed laptop: no goodbye
        t0 = time.monotonic()
        wait_until(lambda: _kernel_status(server, kernel_id) == 404
                   and not kernel_pids(server.pid),
                   timeout + 4 * interval + 60, "the closed page's kernel to be culled")
        culled = time.monotonic() - t0
        _NOTES.append(f"kernel culling: a {rss:.0f} MB kernel kept "
                      f"{timeout + 2 * interval + 2} s idle with its page open; "
                      f"culled {culled:.1f} s after its page closed (timeout "
                      f"{timeout} s, checked every {interval} s)")
    finally:
        server.stop()
