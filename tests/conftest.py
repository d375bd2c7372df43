"""Shared test setup: headless matplotlib, figures closed after every test."""

import matplotlib
import pytest

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
