"""Chunked backward passes: chunk size, blocks of steps, batched weight grads."""

from __future__ import annotations

import numpy as np

from .._validate import positive_integer


def _chunk_size(T: int, chunk: int | None) -> int:
    """Steps whose gradients are gathered before the big weight products.

    About a tenth of the sequence, 8 to 32 steps: big enough for fast matrix
    products, small enough that the buffer adds ~10% to the stored states.
    """
    if chunk is None:
        return min(32, max(8, T // 10))
    return positive_integer("chunk", chunk)


def _batch_major(a: np.ndarray | None) -> np.ndarray | None:
    """(T, N, ...) -> an (N, T, ...) view; None stays None."""
    return None if a is None else a.transpose(1, 0, 2)


def _chunks(T: int, chunk: int):
    """(start, stop) of blocks of `chunk` steps, last block first."""
    for stop in range(T, 0, -chunk):
        yield max(stop - chunk, 0), stop


def _weight_grads_(dWx, dWh, db, dX, x, h0, h, start, stop, dXh=None) -> None:
    """Add a chunk's weight gradients: dWx += x^T dX, dWh += h_prev^T dXh, db += sum.

    dX (c, N, G) are dL/d(pre-activations) of steps start..stop-1, dXh the part
    that meets Wh (defaults to dX). One product per chunk, not one per step.
    """
    G = dX.shape[2]
    dXh = dX if dXh is None else dXh
    flat = dX.reshape(-1, G)
    xs = x[:, start:stop].transpose(1, 0, 2).reshape(-1, x.shape[2])  # (c*N, D)
    dWx += xs.T @ flat
    db += flat.sum(axis=0)
    Gh = dXh.shape[2]
    dWh += h0.T @ dXh[0] if start == 0 else h[start - 1].T @ dXh[0]
    if stop - start > 1:  # h_prev of steps start+1..stop-1 is h[start..stop-2]
        hp = h[start : stop - 1].reshape(-1, h.shape[2])
        dWh += hp.T @ dXh[1:].reshape(-1, Gh)
