"""The lecture page as a projector shows it: every app on one screen, nothing cut off.

Used by tests/test_lecture.py. A section (`.bpkit-section`, from lecture/projector.py)
holds a heading and `.bpkit-app`, the box the projector template zooms.
"""

from __future__ import annotations

import time
from pathlib import Path

from .procs import descendants, wait_until

__all__ = ["clipped", "kernel_pids", "settle_zoom", "zooms", "sharpness"]

# What a screen would cut off of one section scrolled to the top of the screen:
# the page scrolling sideways, the app leaving the screen (across, or below its
# bottom), and any box inside the app whose content is wider or taller than the
# box while the box hides or scrolls what does not fit (a dropdown squeezed
# under a neighbour, a label ending in "...").
_CLIPPED_JS = """
(section) => {
  const found = [];
  const vw = document.documentElement.clientWidth, vh = window.innerHeight;
  const page = document.documentElement.scrollWidth;
  if (page > vw + 1)
    found.push(`the page scrolls sideways: ${page} px wide, screen ${vw}`);
  const app = section.querySelector('.bpkit-app');
  if (!app) return ['no .bpkit-app in the section'];
  const r = app.getBoundingClientRect();
  if (r.left < -1 || r.right > vw + 1)
    found.push(`the app spans x ${r.left.toFixed(0)}..${r.right.toFixed(0)}, `
               + `screen 0..${vw}`);
  if (r.top < -1 || r.bottom > vh + 1)
    found.push(`the app spans y ${r.top.toFixed(0)}..${r.bottom.toFixed(0)}, `
               + `screen 0..${vh}`);
  const name = el => {
    const cls = String(el.className).split(' ')
      .filter(c => c.startsWith('widget') || c.startsWith('jupyter-widget'))
      .slice(0, 2);
    return `<${el.tagName.toLowerCase()} ${cls.join(' ')}> "`
      + (el.textContent || '').trim().slice(0, 40) + '"';
  };
  for (const el of [app, ...app.querySelectorAll('*')]) {
    if (!el.getClientRects().length) continue;  // not displayed
    const cs = getComputedStyle(el);
    if (cs.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1)
      found.push(`${name(el)} is cut off across: content ${el.scrollWidth} px, `
                 + `box ${el.clientWidth} px`);
    if (cs.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1)
      found.push(`${name(el)} is cut off below: content ${el.scrollHeight} px, `
                 + `box ${el.clientHeight} px`);
  }
  return found;
}
"""

_ZOOMS_JS = """
() => Array.from(document.querySelectorAll('.bpkit-section')).map(s => {
  const app = s.querySelector('.bpkit-app');
  return app ? parseFloat(getComputedStyle(app).zoom) : null;
})
"""

# each app image: its pixels, its 1x width on the page (the width attribute), and
# the device pixels it covers on the screen now (its zoomed width x devicePixelRatio)
_SHARPNESS_JS = """
(section) => Array.from(section.querySelectorAll('img.widget-image')).map(img => ({
  natural: img.naturalWidth,
  width: img.getAttribute('width'),
  shown: img.getBoundingClientRect().width * window.devicePixelRatio,
}))
"""


def clipped(section) -> list[str]:
    """What the screen cuts off of `section`, scrolled to the top (empty: nothing)."""
    section.evaluate("e => e.scrollIntoView({block: 'start'})")
    return section.evaluate(_CLIPPED_JS)


def zooms(page) -> list[float | None]:
    """The zoom of every section's app, in page order."""
    return page.evaluate(_ZOOMS_JS)


def settle_zoom(page, timeout: float = 20) -> list[float | None]:
    """Wait until the apps' zoom (fitted by the template's fit.js) stops changing."""
    last: list = []

    def steady():
        nonlocal last
        now = zooms(page)
        same = now == last and all(z is not None for z in now)
        last = now
        return now if same else None

    time.sleep(0.3)
    return wait_until(steady, timeout, "the apps' zoom to settle", interval=0.5)


def sharpness(section) -> list[dict]:
    """Each app image's pixel width, 1x width on the page and device pixels shown."""
    return section.evaluate(_SHARPNESS_JS)


def kernel_pids(server_pid: int) -> list[int]:
    """The kernels a server runs: its descendant processes running ipykernel."""
    found = []
    for pid in descendants(server_pid):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if b"ipykernel" in cmd:
            found.append(pid)
    return found
