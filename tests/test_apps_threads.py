"""Apps' handlers and progress-driven loops run numpy's BLAS on one thread."""

import numpy as np  # noqa: F401  (loads the BLAS)
import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")
pytest.importorskip("ipywidgets")

from bpkit.apps.base import AppView  # noqa: E402
from bpkit.apps.progress import progress  # noqa: E402
from bpkit.apps.threads import one_blas_thread  # noqa: E402


def blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpoolctl.threadpool_info()
            if i["user_api"] == "blas"]


@pytest.fixture
def two_threads():
    if not blas_threads():
        pytest.skip("threadpoolctl finds no BLAS here")
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        assert set(blas_threads()) == {2}
        yield


def test_one_blas_thread_limits_and_restores(two_threads):
    with one_blas_thread():
        assert set(blas_threads()) == {1}
    assert set(blas_threads()) == {2}


def test_restored_after_an_exception(two_threads):
    with pytest.raises(ZeroDivisionError):
        with one_blas_thread():
            1 / 0
    assert set(blas_threads()) == {2}


def test_progress_loop_body_runs_on_one_thread(two_threads):
    seen = [blas_threads() for _ in progress(range(3))]
    assert seen == [[1]] * 3 and set(blas_threads()) == {2}


def test_progress_left_early_restores(two_threads):
    for _ in progress(range(5)):
        break
    assert set(blas_threads()) == {2}


def test_app_handler_runs_on_one_thread(two_threads):
    view = AppView(figsize=(2, 2))
    seen = []
    view.handler(lambda: seen.append(blas_threads()))()
    assert seen == [[1]] and set(blas_threads()) == {2}
    view.close()


def test_use_one_blas_thread_sets_the_kernel_and_reports_the_old_count(two_threads):
    from bpkit.apps import threads
    old = threads.use_one_blas_thread()
    try:
        assert old == 2 and set(blas_threads()) == {1}
        with one_blas_thread():
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {1}          # still set after a nested limit
    finally:
        threads._kernel_limit.restore_original_limits()
