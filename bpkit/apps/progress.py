"""A progress bar for training loops: a widget in Jupyter and Voila, text elsewhere."""

from __future__ import annotations

from typing import Iterable, Iterator, TypeVar

from .threads import one_blas_thread

T = TypeVar("T")

__all__ = ["progress"]


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "") -> Iterator[T]:
    """Yield from `iterable` behind a tqdm bar.

    `tqdm.auto` picks the bar: a widget in a Jupyter kernel (JupyterLab, Voila),
    text on stderr anywhere else (a script, a CI log). `total` defaults to
    `len(iterable)`; a loop left early leaves its widget bar red. The loop body
    runs on one BLAS thread (`threads.one_blas_thread`): training loops multiply
    small matrices, which one thread does faster.
    """
    # imported on first use: importing an app module stays light
    from tqdm.auto import tqdm

    with one_blas_thread(), tqdm(iterable, total=total, desc=desc) as bar:
        yield from bar
