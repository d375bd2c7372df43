"""A small digits training set, a training run with the lesson's regularisers, and
the model behind the overfitting explorer.

`digits_subsets(n_train, rng)` gives a training set of `n_train` digits and a
fixed validation set of 600. `TrainingRun` trains an MLP on them one epoch at a
time (mini-batch SGD with momentum; optional dropout, L2 and early stopping)
and records the train and validation loss and accuracy after every epoch.
`fit(...)` runs it to the end; `OverfitModel` is the app's model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validate import integer, number
from .._validate import rng as _check_rng
from ..data import load_digits, minibatches
from ..layers import Layer, Linear, ReLU, Sequential
from ..losses import softmax_cross_entropy
from ..optim import SGD
from .dropout import Dropout
from .early_stopping import EarlyStopping
from .freezing import backward_trainable
from .l2 import l2_penalty, weights_only

__all__ = ["digits_subsets", "dropout_mlp", "evaluate", "TrainingRun", "fit",
           "OverfitModel", "VAL_SIZE"]

VAL_SIZE = 600


def digits_subsets(n_train: int, rng: np.random.Generator, scale: bool = True
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`n_train` training digits and 600 validation digits, disjoint.

    Returns: X_train (n, 64), y_train (n,), X_val (600, 64), y_val (600,).
    """
    _check_rng(rng)
    X, y = load_digits(scale=scale)
    n_train = integer("n_train", n_train, 10, len(X) - VAL_SIZE)
    order = rng.permutation(len(X))
    val, train = order[:VAL_SIZE], order[VAL_SIZE:VAL_SIZE + n_train]
    return X[train], y[train], X[val], y[val]


def dropout_mlp(sizes: list[int], rng: np.random.Generator, p: float = 0.0
                ) -> Sequential:
    """Linear -> ReLU -> [Dropout(p)] -> ... -> Linear (logits); no dropout if p = 0.

    sizes: [inputs, hidden..., outputs], at least 2 positive integers; p in [0, 1).
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least 2 layer sizes (inputs and outputs), got {sizes}")
    sizes = [integer(f"sizes[{i}]", s, 1) for i, s in enumerate(sizes)]
    p = number("p", p, 0.0, 1.0, hi_open=True)
    layers: list[Layer] = []
    for i, (d, h) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(d, h, rng))
        if i < len(sizes) - 2:
            layers.append(ReLU())
            if p > 0:
                layers.append(Dropout(p, rng))
    return Sequential(*layers)


def evaluate(net: Layer, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of `net` on X, y in eval mode."""
    was = net.training
    net.eval()
    logits = net(X)
    net.train(was)
    loss, _ = softmax_cross_entropy(logits, y)
    return float(loss), float(np.mean(logits.argmax(1) == y))


@dataclass
class History:
    """Per-epoch curves; index 0 is before training."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)


class TrainingRun:
    """Mini-batch SGD (momentum 0.9) on one net, an epoch per `epoch()` call.

    `l2` adds (l2 / 2) * sum(W**2) over the weight matrices; `patience` turns on
    early stopping (the run stops and restores the best weights).
    """

    def __init__(self, net: Sequential, data: tuple, rng: np.random.Generator,
                 lr: float = 0.05, batch_size: int = 32, l2: float = 0.0,
                 patience: int | None = None) -> None:
        self.net, self.rng = net, _check_rng(rng)
        self.X, self.y, self.Xv, self.yv = data
        self.lr = number("lr", lr, 0.0, lo_open=True)
        self.batch_size = integer("batch_size", batch_size, 1)
        self.l2 = number("l2", l2, 0.0)
        self.stopper = None if patience is None else EarlyStopping(patience)
        params = [p for p in net.parameters() if p.requires_grad]
        self.opt = SGD(params or net.parameters(), lr=self.lr, momentum=0.9)
        self.history = History()
        self.stopped_at: int | None = None
        self._record()

    @property
    def epochs(self) -> int:
        return len(self.history.train_loss) - 1

    @property
    def done(self) -> bool:
        return self.stopped_at is not None

    def _record(self) -> None:
        h = self.history
        for loss_list, acc_list, X, y in ((h.train_loss, h.train_acc, self.X, self.y),
                                          (h.val_loss, h.val_acc, self.Xv, self.yv)):
            loss, acc = evaluate(self.net, X, y)
            loss_list.append(loss)
            acc_list.append(acc)
        if self.stopper is not None and self.stopper.update(
                h.val_loss[-1], self.net.parameters()):
            self.stopper.restore(self.net.parameters())
            self.stopped_at = self.epochs

    def epoch(self) -> None:
        """One pass over the training set, then the curves' next point."""
        if self.done:
            return
        self.net.train()
        for xb, yb in minibatches(self.X, self.y, self.batch_size, self.rng):
            self.opt.zero_grad()
            _, dlogits = softmax_cross_entropy(self.net(xb), yb)
            backward_trainable(self.net, dlogits)
            if self.l2:
                l2_penalty(weights_only(self.opt.param_groups[0]["params"]), self.l2)
            self.opt.step()
        self._record()

    @property
    def best_epoch(self) -> int:
        """The epoch of the lowest validation loss (the restored one if stopped)."""
        return int(np.argmin(self.history.val_loss))


def fit(net: Sequential, data: tuple, rng: np.random.Generator, epochs: int,
        **kwargs) -> TrainingRun:
    """Run `TrainingRun(net, data, rng, **kwargs)` for `epochs` epochs (or until stopped)."""
    run = TrainingRun(net, data, rng, **kwargs)
    for _ in range(integer("epochs", epochs, 0)):
        if run.done:
            break
        run.epoch()
    return run


class OverfitModel:
    """The overfitting explorer's model: one digits MLP trained epoch by epoch.

    Settings: hidden `width`, training-set size `n_train`, dropout `p`, L2
    `strength`, `early_stopping` (patience 15). Changing one rebuilds the run
    from the same seed.
    """

    PATIENCE = 15

    def __init__(self, width: int = 128, n_train: int = 100, p: float = 0.0,
                 l2: float = 0.0, early_stopping: bool = False, seed: int = 0,
                 max_epochs: int = 300, epochs_per_frame: int = 5) -> None:
        self.seed = seed
        self.max_epochs = integer("max_epochs", max_epochs, 1)
        self.epochs_per_frame = integer("epochs_per_frame", epochs_per_frame, 1)
        self.width, self.n_train, self.p, self.l2 = 0, 0, 0.0, 0.0
        self.early_stopping = False
        self._data_n: int | None = None
        self.set(width=width, n_train=n_train, p=p, l2=l2,
                 early_stopping=early_stopping)

    def set(self, width: int, n_train: int, p: float, l2: float,
            early_stopping: bool) -> None:
        """New settings; a new run from the same seed."""
        self.width = integer("width", width, 1)
        self.n_train = integer("n_train", n_train, 10)
        self.p = number("p", p, 0.0, 1.0, hi_open=True)
        self.l2 = number("l2", l2, 0.0)
        self.early_stopping = bool(early_stopping)
        self.reset()

    def reset(self) -> None:
        """Fresh weights and data order from the seed; epoch 0."""
        if self._data_n != self.n_train:
            self.data = digits_subsets(self.n_train, np.random.default_rng(self.seed))
            self._data_n = self.n_train
        rng = np.random.default_rng(self.seed + 1)
        net = dropout_mlp([64, self.width, 10], rng, self.p)
        self.run = TrainingRun(net, self.data, rng, lr=0.05, batch_size=32, l2=self.l2,
                               patience=self.PATIENCE if self.early_stopping else None)

    @property
    def finished(self) -> bool:
        return self.run.done or self.run.epochs >= self.max_epochs

    def step(self, epochs: int | None = None) -> int:
        """Train up to `epochs` more epochs (default: one frame's); returns how many ran."""
        n = self.epochs_per_frame if epochs is None else integer("epochs", epochs, 0)
        ran = 0
        while ran < n and not self.finished:
            self.run.epoch()
            ran += 1
        return ran

    @property
    def message(self) -> str:
        h, r = self.run.history, self.run
        if r.epochs == 0:
            return f"epoch 0: validation accuracy {h.val_acc[0]:.1%}"
        if r.done:
            b = r.best_epoch
            return (f"stopped at epoch {r.epochs}: no better validation loss for "
                    f"{self.PATIENCE} epochs; the weights of epoch {b} restored "
                    f"(validation loss {h.val_loss[b]:.3f}, accuracy {h.val_acc[b]:.1%})")
        gap = h.val_loss[-1] - h.train_loss[-1]
        text = (f"epoch {r.epochs}: train loss {h.train_loss[-1]:.2g}, validation "
                f"{h.val_loss[-1]:.3f} (gap {gap:.3f}); validation accuracy "
                f"{h.val_acc[-1]:.1%}, best loss at epoch {r.best_epoch}")
        return text
