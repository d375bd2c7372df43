"""Input scaling: standardised features and the condition number they change.

For a linear layer fed x, the loss's curvature in the weights goes with the
second-moment matrix of its input, C = [x, 1]^T [x, 1] / N (exactly the
Hessian of a least-squares fit; softmax regression's is C weighted by
p(1 - p)). Its condition number, largest over smallest eigenvalue, is lesson
05's kappa: gradient descent needs about kappa steps per factor e along the
flattest direction. Raw pixels (0..16, all positive, with mean far from 0)
give a huge kappa; standardising each feature shrinks it.
"""

from __future__ import annotations

import numpy as np

from .._validate import float_array

__all__ = ["standardize", "input_condition_number"]


def standardize(X_train: np.ndarray, *others: np.ndarray
                ) -> tuple[np.ndarray, ...]:
    """(X - mean) / std with the *training* set's statistics, applied to every array.

    Constant features (std 0) are only centred. Returns one array per input.
    """
    X_train = float_array("X_train", X_train, ndim=2)
    d = X_train.shape[1]
    rest = [float_array(f"others[{i}]", X, ndim=2) for i, X in enumerate(others)]
    for i, X in enumerate(rest):
        if X.shape[1] != d:
            raise ValueError(f"others[{i}] has {X.shape[1]} features (shape {X.shape}); "
                             f"X_train has {d}: every array must have the same columns")
    mean = X_train.mean(axis=0)  # (D,)
    std = X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return tuple((X - mean) / std for X in (X_train, *rest))


def input_condition_number(X: np.ndarray) -> float:
    """kappa of [X, 1]^T [X, 1] / N over the features that vary (constants dropped).

    Inputs: X (N, D). Returns: largest / smallest eigenvalue, a float >= 1, or
    inf when the matrix is singular to rounding (fewer rows than varying
    features, or collinear columns): never a negative number from rounding.
    """
    X = float_array("X", X, ndim=2, allow_empty=False)
    X = X[:, X.std(axis=0) > 0]  # a constant pixel adds a zero eigenvalue to both
    A = np.column_stack([X, np.ones(len(X))])  # (N, D' + 1)
    eig = np.linalg.eigvalsh(A.T @ A / len(X))
    if eig[0] <= eig[-1] * len(eig) * np.finfo(float).eps:  # zero up to rounding
        return float("inf")
    return float(eig[-1] / eig[0])
