"""What a learner sees in the browser: widgets rendered, no errors, plots that respond.

Shared by the JupyterLab and the Voila tests: both render outputs with JupyterLab's
output area (`.jp-OutputArea-output`) and ipywidgets' views. An *app* is an output
holding an `img.widget-image`: every bpkit app is an `AppView`, whose figure is a
PNG in an ipywidgets Image.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .procs import wait_until

__all__ = [
    "APP", "exercise_app", "image_digest", "problems", "wait_widgets_rendered",
]

APP = ".jp-OutputArea-output:has(img.widget-image)"
WIDGET_FAILURES = ("Error displaying widget", "Loading widget")

# the text of outputs that tell of a failure; stderr is where errors (and warnings,
# which a lesson should not show either) land in JupyterLab and Voila alike
_PROBLEMS_JS = """
() => {
  const found = [];
  for (const el of document.querySelectorAll('.jp-OutputArea-output')) {
    const text = (el.textContent || '').trim();
    const mime = el.getAttribute('data-mime-type') || '';
    if (text.startsWith('Error displaying widget'))
      found.push('widget failed to render: ' + text.slice(0, 300));
    else if (mime === 'application/vnd.jupyter.stderr' && text)
      found.push('error/stderr output: ' + text.slice(0, 600));
  }
  // ipywidgets 8 draws a view that failed to load (a missing module, a front-end
  // exception) as an icon and "Click to show javascript error.", which never says
  // "Error displaying widget": look for its error view instead
  for (const el of document.querySelectorAll('.jupyter-widgets-error-widget'))
    found.push('widget failed to render (ipywidgets error view): '
               + ((el.textContent || '').trim().slice(0, 300) || '(no text)'));
  const body = document.body ? document.body.innerText : '';
  for (const msg of ['There was an error when executing cell',
                     'Cell execution timed out'])
    if (body.includes(msg)) found.push('page says: ' + msg);
  return found;
}
"""

_LOADING_JS = """
() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))
  .filter(el => (el.textContent || '').trim().startsWith('Loading widget')).length
"""

# SHA-256 of the bytes behind an <img>: "the plot changed" means these differ
_DIGEST_JS = """
async (img) => {
  if (!img.src || !img.complete || img.naturalWidth === 0) return null;
  const buf = await (await fetch(img.src)).arrayBuffer();
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
  return Array.from(d, b => b.toString(16).padStart(2, '0')).join('')
    + ' ' + img.naturalWidth + 'x' + img.naturalHeight;
}
"""


def problems(page) -> list[str]:
    """Failures shown on the page: widget errors, error/stderr outputs, cell errors."""
    return page.evaluate(_PROBLEMS_JS)


def wait_widgets_rendered(page, timeout: float = 60) -> None:
    """Wait until no output still says "Loading widget...", nor any image is loading."""
    wait_until(lambda: page.evaluate(_LOADING_JS) == 0, timeout,
               "every widget to finish loading")
    images = page.locator("img.widget-image")
    for i in range(images.count()):
        img = images.nth(i)
        wait_until(lambda: img.evaluate("i => i.complete && i.naturalWidth > 0"),
                   timeout, f"app image {i} to load")


def image_digest(img) -> str | None:
    return img.evaluate(_DIGEST_JS)


# The kernel behind the page: JupyterLab's notebook session, or Voila's widget
# manager. A watch armed before a key press is "done" once the page has seen the
# kernel go busy and back to idle: the kernel has run the app's handler, and the
# browser has applied the widget updates that came before that idle message.
_KERNEL = """
const a = window.jupyterapp;
let k = null;
if (a && a.widgetManager && a.widgetManager.kernel) k = a.widgetManager.kernel;
else if (a && a.shell && a.shell.currentWidget && a.shell.currentWidget.sessionContext
         && a.shell.currentWidget.sessionContext.session)
  k = a.shell.currentWidget.sessionContext.session.kernel;
"""
_ARM_JS = "() => {" + _KERNEL + """
  const old = window.__bpkitWatch;
  if (old) old.kernel.statusChanged.disconnect(old.handler);
  if (!k) { window.__bpkitWatch = null; return false; }
  const watch = {kernel: k, busy: false, done: false};
  watch.handler = (_, status) => {
    if (status === 'busy') watch.busy = true;
    else if (status === 'idle' && watch.busy) watch.done = true;
  };
  k.statusChanged.connect(watch.handler);
  window.__bpkitWatch = watch;
  return true;
}"""
_DONE_JS = "() => !!(window.__bpkitWatch && window.__bpkitWatch.done)"


@dataclass
class Response:
    control: str        # what was pressed, e.g. "slider 'input x' ArrowRight"
    seconds: float      # from key press to new image bytes in the page
    image: str          # the new image's digest and size


def _label(control) -> str:
    label = control.locator(".widget-label")
    text = label.first.inner_text().strip() if label.count() else ""
    return text or "(no label)"


def _slider_position(control) -> tuple:
    # aria-valuenow is rounded (a log slider's exponent to 0.1): add the readout
    handle = control.locator(".noUi-handle").first
    readout = control.locator(".widget-readout")
    return (handle.get_attribute("aria-valuenow"),
            readout.first.inner_text() if readout.count() else None)


def exercise_app(
    app, handled: float = 20.0, delivered: float = 1.5, final_wait: float = 60.0
) -> Response:
    """Move a slider by keyboard (else press a button) until the app's plot changes.

    Sliders come first, in the order the app shows them, then buttons: a slider
    such as "steps per second" may rightly redraw nothing. After each key press
    the page waits for the kernel to have handled it (busy, then idle, up to
    `handled` s) and then up to `delivered` s for new image bytes before it tries
    the next control. A change that arrives later still counts, up to `final_wait`.
    """
    page = app.page
    img = app.locator("img.widget-image").first
    img.scroll_into_view_if_needed()
    before = image_digest(img)
    assert before, "the app's image never loaded"
    tried: list[str] = []

    def changed():
        now = image_digest(img)
        return now if now and now != before else None

    def press(target, *keys) -> float:
        """Press keys on `target`; wait until the kernel handled them. Start time."""
        watched = page.evaluate(_ARM_JS)
        t0 = time.monotonic()
        for key in keys:
            target.press(key)
        if watched:
            try:
                wait_until(lambda: page.evaluate(_DONE_JS), handled,
                           "the kernel to handle the key press", interval=0.05)
            except TimeoutError:
                pass  # no message went out, or a slow kernel: final_wait covers it
        return t0

    def responded(t0: float, wait: float):
        try:
            digest = wait_until(changed, wait, "a new image", interval=0.05)
        except TimeoutError:
            return None
        return digest, time.monotonic() - t0

    sliders = app.locator(".widget-slider:not(:has(.noUi-target[disabled]))")
    buttons = app.locator("button.jupyter-button:not([disabled])")
    controls = [("slider", sliders.nth(i)) for i in range(sliders.count())]
    controls += [("button", buttons.nth(i)) for i in range(buttons.count())]
    if not controls:  # a live display (e.g. a training curve): rendering is its test
        return Response("display only, no controls", 0.0, before)
    for kind, control in controls:
        control.scroll_into_view_if_needed()
        if kind == "slider":
            handle = control.locator(".noUi-handle").first
            start = _slider_position(control)
            name = f"slider '{_label(control)}' ArrowRight ({start[1]} -> "
            t0 = press(handle, "ArrowRight")
            got = responded(t0, delivered)
            if got is None and _slider_position(control) == start:
                # at the top of its range: come down instead (twice, in case the
                # move was too small for the readout to show it)
                name = f"slider '{_label(control)}' ArrowLeft x2 ({start[1]} -> "
                t0 = press(handle, "ArrowLeft", "ArrowLeft")
                got = responded(t0, delivered)
            name += f"{_slider_position(control)[1]})"
        else:
            name = f"button '{control.inner_text().strip()}' Enter"
            control.focus()
            t0 = press(control, "Enter")  # a keyboard user's click
            got = responded(t0, delivered)
        tried.append(name)
        if got is not None:
            return Response(name, got[1], got[0])
    got = responded(time.monotonic(), final_wait)
    if got is None:
        raise AssertionError(
            "the plot never changed after operating the app by keyboard; tried: "
            + "; ".join(tried)
        )
    return Response(tried[-1] + " (or an earlier control)", got[1], got[0])


def app_errors(app) -> str:
    """Text in the app's error panel (AppView.errors, an ipywidgets Output)."""
    panels = app.locator(".widget-output")
    return "\n".join(
        panels.nth(i).inner_text().strip() for i in range(panels.count())
    ).strip()
