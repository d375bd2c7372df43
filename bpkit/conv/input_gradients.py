"""Gradients with respect to the input: saliency maps and a prediction flipped.

Backprop gives dL/dx for free (the last step of the backward pass), and with
it two experiments: which pixels the class score is most sensitive to (a
saliency map, |d score / d pixel|), and gradient steps on the pixels, with
the weights fixed, that push an image towards another class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import integer, number
from ..losses import softmax, softmax_cross_entropy

__all__ = ["saliency", "flip_prediction", "FlipResult"]


def saliency(net, x: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """|d logit[class] / d x|, the largest over channels: (N, C, H, W) -> (N, H, W).

    Backprops a one-hot gradient on each image's class score. The network's
    parameter gradients are left at zero afterwards.
    """
    logits = net(x)
    classes = np.asarray(classes)
    if classes.shape != (len(x),):
        raise ValueError(f"classes has shape {classes.shape}, expected ({len(x)},)")
    K = logits.shape[1]
    if classes.dtype.kind not in "iu" or classes.size and not (
            0 <= classes.min() and classes.max() < K):
        raise ValueError(f"classes must be integers in [0, {K - 1}] (the network has "
                         f"{K} outputs), got {classes.tolist()}")
    d = np.zeros_like(logits)
    d[np.arange(len(x)), classes] = 1.0
    net.zero_grad()
    dx = net.backward(d)
    net.zero_grad()
    return np.abs(dx).max(axis=1)


@dataclass
class FlipResult:
    """The changed image, and how the prediction moved step by step."""

    x: np.ndarray  # (1, C, H, W), the changed image
    steps: int  # gradient steps taken
    flipped: bool  # the network now predicts the target
    probs: np.ndarray  # (steps + 1, classes): softmax after each step
    prediction: int


def flip_prediction(net, x: np.ndarray, target: int, lr: float = 0.05,
                    max_steps: int = 100, lo: float = 0.0, hi: float = 1.0
                    ) -> FlipResult:
    """Gradient steps on the pixels of one image until the net predicts `target`.

    Each step lowers the cross-entropy of `target` by x <- x - lr * sign(dL/dx)
    (fixed-size steps on every pixel), kept in [lo, hi]; the weights do not move
    (their gradients are zeroed afterwards).

    Inputs:  x (1, C, H, W)
    """
    x = np.array(x, dtype=np.float64)
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"x has shape {x.shape}, expected (1, C, H, W): one image")
    number("lr", lr, 0, lo_open=True)
    if number("lo", lo) >= number("hi", hi):
        raise ValueError(f"lo must be smaller than hi (the pixel range), got lo = {lo}, "
                         f"hi = {hi}")
    integer("max_steps", max_steps, 0)
    y = np.array([integer("target", target, 0)])
    probs = []
    steps = 0
    while True:
        logits = net(x)
        probs.append(softmax(logits)[0])
        if logits[0].argmax() == y[0] or steps == max_steps:
            break
        _, d = softmax_cross_entropy(logits, y)
        dx = net.backward(d)
        x = np.clip(x - lr * np.sign(dx), lo, hi)
        steps += 1
    net.zero_grad()
    pred = int(probs[-1].argmax())
    return FlipResult(x, steps, pred == y[0], np.array(probs), pred)
