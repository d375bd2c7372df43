"""Optimizers, learning-rate schedules, gradient clipping and a quiet training loop.

The optimizers follow PyTorch's documented algorithms (``torch.optim``) with
the same argument names, so what you learn here transfers: ``SGD``,
``Adagrad``, ``RMSprop``, ``Adam``, ``AdamW``. Each works on any list of
parameters exposing ``.data`` and ``.grad``: vectorised ``layers.Parameter``s
(numpy arrays, updated in place) and scalar ``engine.Value``s (Python floats,
which stay Python floats).

Every optimizer's rule sits in one method, ``_update(group, state, x, g)``:
given a parameter's value ``x`` and gradient ``g`` it returns the new value,
and reads like the pseudo-code in PyTorch's documentation.

A diverging run produces ``inf``/``nan`` quietly: ``step()`` silences numpy's
overflow warnings, and ``train`` stops at the first non-finite loss and says
"diverged at step k".

The package, one idea per file (everything is re-exported here, so
``from bpkit.optim import Adam`` is the way in):

- ``optimizer.py``: the ``Optimizer`` base class (parameter groups,
  ``step()``, ``zero_grad()``, ``state_of``) and its private helpers;
- ``optimizers.py``: the update rules ``SGD``, ``Adagrad``, ``RMSprop``,
  ``Adam``, ``AdamW``;
- ``schedules.py``: ``LRScheduler`` and ``StepLR``, ``ExponentialLR``,
  ``CosineAnnealingLR``, ``LinearLR``, ``LinearWarmup``;
- ``clipping.py``: ``clip_grad_norm_``, ``clip_grad_value_``;
- ``training.py``: ``train`` and its ``TrainResult``;
- ``lr_finder.py``: ``lr_range_test`` and its ``LRRangeResult``;
- ``rates.py``: convergence rates on a quadratic, ``gd_best_step``,
  ``heavy_ball_best`` and ``measured_rate``.
"""

from .clipping import clip_grad_norm_, clip_grad_value_
from .lr_finder import LRRangeResult, lr_range_test
from .optimizer import Optimizer
from .optimizers import SGD, Adagrad, Adam, AdamW, RMSprop
from .rates import gd_best_step, heavy_ball_best, measured_rate
from .schedules import (
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    LinearWarmup,
    LRScheduler,
    StepLR,
)
from .training import TrainResult, train

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "LinearWarmup",
    "clip_grad_norm_",
    "clip_grad_value_",
    "TrainResult",
    "train",
    "LRRangeResult",
    "lr_range_test",
    "gd_best_step",
    "heavy_ball_best",
    "measured_rate",
]

