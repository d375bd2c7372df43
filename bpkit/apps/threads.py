"""One BLAS thread for the small matrices of the lessons' loops and apps.

The lessons multiply small matrices: a batch of 32 through a 64-wide layer, a
128-unit RNN step. Handing those to several BLAS threads costs more in start-up
and synchronisation than it saves, and on a busy machine (a shared JupyterHub, a
second kernel) the threads wait for cores: `benchmarks/bench_threads.py`
measures the difference. The apps' handlers and the loops that `progress` drives
run inside `one_blas_thread()`; everything else keeps numpy's default.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

__all__ = ["one_blas_thread"]

_controller = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the body with numpy's BLAS on one thread, then restore the old count.

    Without threadpoolctl installed it does nothing.
    """
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # an optional speed-up, never a requirement
            yield
            return
        import numpy  # noqa: F401  (the BLAS must be loaded to be found)

        _controller = ThreadpoolController()
    with _controller.limit(limits=1, user_api="blas"):
        yield
