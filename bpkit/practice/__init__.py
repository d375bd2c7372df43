"""Backprop in practice (lesson 08): regularisation, batch size, input scaling,
gradient accumulation, float16 with loss scaling, frozen layers.

One idea per file, re-exported here:

- ``dropout.py``: ``Dropout``, inverted dropout whose backward is the mask;
- ``l2.py``: ``l2_penalty``, the L2 term and its gradient; ``weights_only``;
- ``early_stopping.py``: ``EarlyStopping`` (patience, restores the best weights);
- ``freezing.py``: ``freeze``, ``unfreeze``, ``trainable_parameters``,
  ``backward_trainable`` (no gradient computed below the last trainable layer);
- ``accumulation.py``: ``accumulated_gradient`` against ``full_batch_gradient``;
- ``batch_size.py``: ``gradient_noise`` and ``per_example_variance``;
- ``scaling.py``: ``standardize``, ``input_condition_number``;
- ``mixed_precision.py``: ``half_gradients``, ``underflow_count``,
  ``DynamicLossScaler``, ``activation_bytes``, ``lost_update_fraction``;
- ``overfitting.py``: ``digits_subsets``, ``dropout_mlp``, ``TrainingRun``,
  ``fit``, ``evaluate`` and ``OverfitModel`` (the app's model).
"""

from .accumulation import accumulated_gradient, full_batch_gradient, max_rel_difference
from .batch_size import gradient_noise, per_example_variance
from .dropout import Dropout
from .early_stopping import EarlyStopping
from .freezing import backward_trainable, freeze, trainable_parameters, unfreeze
from .l2 import l2_penalty, weights_only
from .mixed_precision import (
    FLOAT16_TINY, DynamicLossScaler, activation_bytes, half_gradients,
    lost_update_fraction, underflow_count,
)
from .overfitting import (
    VAL_SIZE, OverfitModel, TrainingRun, digits_subsets, dropout_mlp, evaluate, fit,
)
from .scaling import input_condition_number, standardize

__all__ = [
    "Dropout", "l2_penalty", "weights_only", "EarlyStopping", "freeze", "unfreeze",
    "trainable_parameters", "backward_trainable", "full_batch_gradient",
    "accumulated_gradient", "max_rel_difference", "gradient_noise",
    "per_example_variance", "standardize", "input_condition_number",
    "half_gradients", "underflow_count", "DynamicLossScaler", "activation_bytes",
    "lost_update_fraction", "FLOAT16_TINY", "digits_subsets", "dropout_mlp",
    "evaluate", "TrainingRun", "fit", "OverfitModel", "VAL_SIZE",
]
