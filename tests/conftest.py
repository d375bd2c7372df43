"""Shared test setup: hypothesis profiles, headless matplotlib, figures closed."""

import os

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

# `make test` and CI: the same examples on every run, and no example database, so
# a failure found once is not replayed forever and a fresh clone behaves like CI.
# HYPOTHESIS_PROFILE=explore searches with many more random examples (run it
# locally to find tolerances that fail at cancellation before CI does).
settings.register_profile("ci", derandomize=True, database=None, deadline=None,
                          print_blob=True)
settings.register_profile("explore", max_examples=2000, deadline=None,
                          database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# in this process only: an MPLBACKEND environment variable would leak into the
# notebook kernels nbval starts, and switch off their inline figures
matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(12345)
