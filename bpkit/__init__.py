"""bpkit: backpropagation you can run, see and check.

The core (every module outside `bpkit.viz` and `bpkit.apps`) imports numpy
only; plotting (`bpkit.viz`) and widget apps (`bpkit.apps`) import matplotlib
and ipywidgets when you import them, not before.
"""

from .engine import Value
from .gradcheck import numerical_grad, rel_error

__version__ = "0.1.0"
__all__ = ["Value", "numerical_grad", "rel_error", "__version__"]
