"""Pictures of classifiers: probability-shaded boundaries, confusion matrices, digits."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from matplotlib.colors import to_rgb

from ..data import grid

__all__ = [
    "CLASS_COLORS",
    "probability_image",
    "boundary_image",
    "draw_boundary",
    "plot_confusion_matrix",
    "plot_digits",
]

# one colour per class, the same in every lesson's figures and apps
CLASS_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple",
                "tab:brown", "tab:pink", "tab:gray", "tab:olive", "tab:cyan")


def probability_image(
    probs: np.ndarray, shape: tuple[int, int], colors: Sequence[str] = CLASS_COLORS
) -> np.ndarray:
    """An RGB image: each pixel in its predicted class's colour, pale where unsure.

    Inputs:
        probs: (M, C) class probabilities of M = rows * cols grid points
        shape: (rows, cols)
    Returns:
        (rows, cols, 3) floats in [0, 1]. Confidence runs from 1/C (white-ish)
        to 1 (a light tint of the class colour), so points stay visible on top.
    """
    probs = np.asarray(probs)
    m, c = probs.shape
    if m != shape[0] * shape[1]:
        raise ValueError(f"probs has {m} rows, expected {shape[0]} x {shape[1]}")
    if c > len(colors):
        raise ValueError(f"{c} classes but only {len(colors)} colours")
    palette = np.array([to_rgb(col) for col in colors[:c]])  # (C, 3)
    label = probs.argmax(axis=1)
    conf = (probs.max(axis=1) - 1 / c) / (1 - 1 / c) if c > 1 else np.ones(m)
    tint = (0.12 + 0.4 * np.clip(conf, 0, 1))[:, None]  # (M, 1)
    rgb = (1 - tint) * 1.0 + tint * palette[label]
    return rgb.reshape(shape[0], shape[1], 3)


def boundary_image(model) -> np.ndarray:
    """The plane of a `PlaygroundModel` coloured by predicted class, pale where unsure.

    Returns: (rows, cols, 3) uint8 pixels over `model.xx`'s grid; a plane of
    grey when the net has diverged (non-finite probabilities).
    """
    probs = model.predict_proba(model.grid_points)
    if not np.isfinite(probs).all():  # a diverged net: show a grey plane
        return np.full(model.xx.shape + (3,), 217, dtype=np.uint8)
    # uint8 pixels: matplotlib resamples them faster than floats
    return (255 * probability_image(probs, model.xx.shape)).astype(np.uint8)


def draw_boundary(
    ax,
    predict_proba: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    steps: int = 100,
    pad: float = 0.3,
    s: float = 10,
):
    """Shade the plane by `predict_proba(points) -> (M, C)` and scatter X by class.

    Returns the `AxesImage` (update it with `set_data(probability_image(...))`).
    """
    xx, yy, pts = grid(X, steps, pad)
    img = ax.imshow(
        probability_image(predict_proba(pts), xx.shape),
        origin="lower", extent=(xx.min(), xx.max(), yy.min(), yy.max()),
        aspect="auto", interpolation="bilinear",
    )
    colors = np.array(CLASS_COLORS)[np.asarray(y)]
    ax.scatter(X[:, 0], X[:, 1], c=list(colors), s=s, edgecolors="k", linewidths=0.3)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_xticks([])
    ax.set_yticks([])
    return img


def plot_confusion_matrix(ax, cm: np.ndarray, labels: Sequence[str] | None = None):
    """Draw counts as a heat map, numbers written in each cell; returns the image."""
    c = cm.shape[0]
    labels = [str(i) for i in range(c)] if labels is None else list(labels)
    img = ax.imshow(cm, cmap="Blues")
    top = cm.max() if cm.size else 0
    for i in range(c):
        for j in range(c):
            if cm[i, j]:
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if cm[i, j] > top / 2 else "black")
    ax.set_xticks(range(c), labels)
    ax.set_yticks(range(c), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return img


def plot_digits(axes, images: np.ndarray, titles: Sequence[str] = ()) -> None:
    """Show 8x8 (or (64,)) images, one per axis, in grey, with optional titles."""
    axes = np.ravel(axes)
    for k, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= len(images):
            ax.set_visible(False)
            continue
        ax.imshow(np.asarray(images[k]).reshape(8, 8), cmap="gray_r",
                  interpolation="nearest")
        if k < len(titles):
            ax.set_title(titles[k], fontsize=9)
