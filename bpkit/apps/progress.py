"""A progress bar for training loops: a widget in Jupyter, silent elsewhere."""

from __future__ import annotations

import sys
from typing import Iterable, Iterator, TypeVar

from .threads import one_blas_thread

T = TypeVar("T")

__all__ = ["progress"]


def _in_notebook() -> bool:
    ip = sys.modules.get("IPython")
    if ip is None:
        return False
    shell = ip.get_ipython()
    return shell is not None and "ZMQ" in type(shell).__name__


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "") -> Iterator[T]:
    """Yield from `iterable`, showing an `IntProgress` bar when run in a notebook.

    The loop body runs on one BLAS thread (`threads.one_blas_thread`): training
    loops multiply small matrices, which one thread does faster. ipywidgets is
    imported only here, and only in a notebook kernel.
    """
    with one_blas_thread():
        yield from _progress(iterable, total, desc)


def _progress(iterable: Iterable[T], total: int | None, desc: str) -> Iterator[T]:
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    if not _in_notebook() or not total:
        yield from iterable
        return
    import ipywidgets as widgets
    from IPython.display import display

    bar = widgets.IntProgress(min=0, max=total, description=desc)
    label = widgets.Label(f"0/{total}")
    display(widgets.HBox([bar, label]))
    every = max(1, total // 100)
    for i, item in enumerate(iterable, 1):
        yield item
        if i % every == 0 or i == total:
            bar.value = i
            label.value = f"{i}/{total}"
    bar.bar_style = "success"
