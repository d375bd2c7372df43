"""The MLP playground in a real browser: press play, read the status as it trains.

The playground's status line reads "... step 40, loss 0.712, train accuracy ...".
`watch_training` presses play and reads it (and the image bytes) until it has
seen several frames far enough apart, so a test can check that the loss falls
while the kernel trains, frame by frame, with nothing but the Play clock.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .apps import image_digest
from .procs import wait_until

__all__ = ["SOURCE", "Sample", "write_notebook", "status_text", "watch_training"]

SOURCE = "from bpkit.apps.mlp_playground import MLPPlayground\n\nMLPPlayground()"
_STEP_LOSS = re.compile(r"step (\d+), loss (\d+\.\d+)")
_STEP = re.compile(r"step (\d+)")


@dataclass
class Sample:
    seconds: float  # since play was pressed
    step: int
    loss: float
    image: str  # the digest of the picture shown with it


def write_notebook(path: Path) -> Path:
    """A one-cell notebook that shows the playground."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SOURCE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def status_text(app) -> str:
    return app.locator(".widget-html").first.inner_text().strip()


def current_step(app) -> int | None:
    found = _STEP.search(status_text(app))
    return int(found.group(1)) if found else None


def play_button(app):
    """Play's play/pause toggle (the first of its buttons)."""
    return app.locator(".widget-play button").first


def watch_training(app, frames: int = 3, apart: int = 40,
                   timeout: float = 90.0) -> list[Sample]:
    """Press play; return `frames` readings of the status, `apart` steps apart."""
    img = app.locator("img.widget-image").first
    play_button(app).click()
    t0 = time.monotonic()
    samples: list[Sample] = []

    def enough():
        found = _STEP_LOSS.search(status_text(app))
        if found:
            step, loss = int(found.group(1)), float(found.group(2))
            if not samples or step >= samples[-1].step + apart:
                samples.append(Sample(time.monotonic() - t0, step, loss,
                                      image_digest(img) or ""))
        return len(samples) >= frames

    try:
        wait_until(enough, timeout, f"{frames} frames, {apart} steps apart",
                   interval=0.1)
    except TimeoutError as err:
        raise AssertionError(f"{err}; seen {samples}; status now: "
                             f"{status_text(app)!r}") from None
    return samples
