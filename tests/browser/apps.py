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
    """Failures visible on the page: widget errors, error/stderr outputs, cell errors."""
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


@dataclass
class Response:
    control: str        # what was pressed, e.g. "slider 'input x' ArrowRight"
    seconds: float      # from key press to new image bytes in the page
    image: str          # the new image's digest and size


def _label(control) -> str:
    label = control.locator(".widget-label")
    text = label.first.inner_text().strip() if label.count() else ""
    return text or "(no label)"


def exercise_app(app, per_control: float = 8.0, final_wait: float = 60.0) -> Response:
    """Move a slider by keyboard (else press a button) until the app's plot changes.

    Sliders come first, in the order the app shows them, then buttons: a slider
    such as "steps per second" may rightly not redraw anything. Each control gets
    `per_control` seconds to change the image bytes before the next is tried;
    a change that arrives later still counts, up to `final_wait`.
    """
    img = app.locator("img.widget-image").first
    img.scroll_into_view_if_needed()
    before = image_digest(img)
    assert before, "the app's image never loaded"
    tried: list[str] = []

    def changed():
        now = image_digest(img)
        return now if now and now != before else None

    sliders = app.locator(".widget-slider:not(.mod-disabled)")
    buttons = app.locator("button.jupyter-button:not([disabled])")
    controls = [("slider", sliders.nth(i)) for i in range(sliders.count())]
    controls += [("button", buttons.nth(i)) for i in range(buttons.count())]
    assert controls, "the app has neither a slider nor a button to operate"
    for kind, control in controls:
        if kind == "slider":
            handle = control.locator(".noUi-handle").first
            handle.scroll_into_view_if_needed()
            start = handle.get_attribute("aria-valuenow")
            key = "ArrowRight"
            handle.press(key)
            if handle.get_attribute("aria-valuenow") == start:  # at the top end
                key = "ArrowLeft"
                handle.press(key)
            name = f"slider '{_label(control)}' {key} ({start} -> "
            name += f"{handle.get_attribute('aria-valuenow')})"
        else:
            control.scroll_into_view_if_needed()
            control.focus()
            control.press("Enter")  # a keyboard user's click
            name = f"button '{control.inner_text().strip()}' Enter"
        tried.append(name)
        t0 = time.monotonic()
        try:
            digest = wait_until(changed, per_control, "a new image", interval=0.1)
            return Response(name, time.monotonic() - t0, digest)
        except TimeoutError:
            continue
    t0 = time.monotonic()
    try:
        digest = wait_until(changed, final_wait, "a new image", interval=0.25)
    except TimeoutError:
        raise AssertionError(
            "the plot never changed after operating the app by keyboard; tried: "
            + "; ".join(tried)
        ) from None
    return Response(tried[-1] + " (or an earlier control)", time.monotonic() - t0, digest)


def app_errors(app) -> str:
    """Text in the app's error panel (AppView.errors, an ipywidgets Output)."""
    panels = app.locator(".widget-output")
    return "\n".join(
        panels.nth(i).inner_text().strip() for i in range(panels.count())
    ).strip()
