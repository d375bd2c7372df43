"""What backprop costs (lesson 11): passes, time and the memory it keeps.

- `dual.py`: `Dual`, forward mode on scalars (`derivative`, `forward_gradient`,
  `forward_jacobian`); `reverse.py`: the same with the engine's `Value`.
- `jvp.py`: `jvp` / `vjp` through a `Sequential` of Linear and activation
  layers, Jacobians column by column or row by row, `Passes` counted.
- `memory.py`: `array_bytes`, `kept_bytes`, `parameter_bytes`, `traced_peak`,
  `step_peak`: what a forward pass keeps for backward, measured.
- `checkpoint.py`: `Checkpointed`, gradient checkpointing with bit-identical
  gradients; `checkpoint_peak`, its memory model.
- `half.py`: `store_caches_as`, float16 storage of the kept activations.
- `explorer.py`: `CostExplorerModel`, the app's memory and time model.
"""

from .checkpoint import Checkpointed, checkpoint_peak, checkpoint_positions
from .dual import Dual, derivative, forward_gradient, forward_jacobian
from .jvp import Passes, jacobian_forward, jacobian_reverse, jvp, vjp
from .memory import (
    array_bytes, clear_caches, kept_bytes, parameter_bytes, step_peak, traced_peak,
)
from .reverse import reverse_gradient, reverse_jacobian

__all__ = [
    "Checkpointed", "checkpoint_peak", "checkpoint_positions",
    "Dual", "derivative", "forward_gradient", "forward_jacobian",
    "Passes", "jacobian_forward", "jacobian_reverse", "jvp", "vjp",
    "array_bytes", "clear_caches", "kept_bytes", "parameter_bytes", "step_peak",
    "traced_peak", "reverse_gradient", "reverse_jacobian",
]
