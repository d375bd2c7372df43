"""One BLAS thread for the small matrices of the lessons' loops and apps.

The lessons multiply small matrices: a batch of 32 through a 64-wide layer, a
128-unit RNN step. Handing those to several BLAS threads costs more in start-up
and synchronisation than it saves, and on a busy machine (a shared JupyterHub, a
second kernel) the threads wait for cores: `benchmarks/bench_threads.py`
measures the difference. The apps' handlers and the loops that `progress` drives
run inside `one_blas_thread()`, whoever calls them; each lesson's first cell calls
`use_one_blas_thread()` for the rest of its kernel.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

__all__ = ["one_blas_thread", "use_one_blas_thread"]

_controller = None
_kernel_limit = None  # the limit use_one_blas_thread() set, kept alive


def _get_controller():
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # an optional speed-up, never a requirement
            return None
        import numpy  # noqa: F401  (the BLAS must be loaded to be found)

        _controller = ThreadpoolController()
    return _controller


def use_one_blas_thread() -> int | None:
    """From now on, in this kernel, numpy's BLAS uses one thread. Returns the old count.

    Each lesson calls it in its first cell: all its matrices are small. Returns
    None (and changes nothing) without threadpoolctl or a BLAS it can find.
    """
    global _kernel_limit
    controller = _get_controller()
    if controller is None:
        return None
    blas = [lib for lib in controller.lib_controllers if lib.user_api == "blas"]
    if not blas:
        return None
    old = blas[0].num_threads
    _kernel_limit = controller.limit(limits=1, user_api="blas")
    return old


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the body with numpy's BLAS on one thread, then restore the old count.

    Without threadpoolctl installed it does nothing.
    """
    controller = _get_controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=1, user_api="blas"):
        yield
