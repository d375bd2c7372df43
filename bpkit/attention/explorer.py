"""The attention explorer's model: one query's weights and the gradient it sends back.

A fixed random q, k, v (T, d) and one query position t. The loss reads only
output row t, L = out[t] . g, so the backward pass shows what that single
query sends to each key and each value: value s receives p[t, s] * g, key s
receives (p[t, s] * (g . v_s - g . out[t]) / sqrt(d)) * q_t. A masked key
(causal: s > t) gets weight 0 and no gradient.
"""

from __future__ import annotations

import numpy as np

from .._validate import integer, positive_integer
from .scaled_dot import attention_backward, attention_forward

__all__ = ["AttentionExplorer"]


class AttentionExplorer:
    """Pick `query` (0..T-1) and `causal`; read `weights`, `dk_norms`, `dk_along`
    (dk's signed component along q_t), `dv_norms` (T,)."""

    def __init__(self, T: int = 10, d: int = 4, seed: int = 0, query: int | None = None,
                 causal: bool = True) -> None:
        self.T, self.d = positive_integer("T", T), positive_integer("d", d)
        rng = np.random.default_rng(seed)
        self.q, self.k, self.v = (rng.standard_normal((self.T, self.d)) for _ in range(3))
        self.g = rng.standard_normal(self.d)  # dL/dout[query]
        self.query = self.T - 1 if query is None else integer("query", query, 0, self.T - 1)
        self.causal = bool(causal)
        self.update()

    def set_query(self, query: int) -> None:
        self.query = integer("query", query, 0, self.T - 1)
        self.update()

    def set_causal(self, causal: bool) -> None:
        self.causal = bool(causal)
        self.update()

    def update(self) -> None:
        """Recompute the weights and gradients for the current query and mask."""
        out, cache = attention_forward(self.q, self.k, self.v, causal=self.causal)
        dout = np.zeros_like(out)
        dout[self.query] = self.g
        dq, dk, dv = attention_backward(dout, cache)
        self.weights = cache.p[self.query]  # (T,)
        self.dk, self.dv, self.dq = dk, dv, dq[self.query]
        self.dk_norms = np.linalg.norm(dk, axis=1)
        # every row of dk is a multiple of q_t: its signed length along q_t
        qt = self.q[self.query]
        self.dk_along = dk @ qt / max(float(np.linalg.norm(qt)), 1e-300)
        self.dv_norms = np.linalg.norm(dv, axis=1)

    @property
    def visible(self) -> int:
        """How many keys the query may look at."""
        return self.query + 1 if self.causal else self.T
