"""Attention, layer norm and a small transformer, forward and backward.

Everything is imported from `bpkit.attention`; the files are
- `scaled_dot.py`: `softmax`, `softmax_backward`, `causal_mask`,
  `attention_forward`, `attention_backward` (the three steps of its backward);
- `layer_norm.py`: `LayerNorm`, `layer_norm_forward`, `layer_norm_backward`;
- `multi_head.py`: `MultiHeadAttention` (h heads, an output projection);
- `block.py`: `TransformerBlock` (pre-LN: attention and an MLP, with residuals);
- `embedding.py`: `Embedding` (token plus position);
- `model.py`: `TransformerLM`, a causal character model;
- `gradient_path.py`: `gradient_over_lag` (attention against an RNN and an
  LSTM) and `block_gradient_norms` (with and without residuals);
- `memory.py`: `pass_memory`, peak bytes against sequence length;
- `explorer.py`: `AttentionExplorer`, the model of lesson 10's app.

Layers follow `bpkit.layers`: forward keeps what backward needs; backward
returns dL/dx and adds into the parameters' `.grad`, so `bpkit.optim` trains them.

Shape letters: N batch, T queries (time), S keys, D features, d per-head size,
V vocabulary.
"""

from __future__ import annotations

from .block import TransformerBlock
from .embedding import Embedding
from .explorer import AttentionExplorer
from .gradient_path import (
    KINDS,
    BlockGradients,
    block_gradient_norms,
    gradient_over_lag,
    make_sequence_layer,
)
from .layer_norm import LayerNorm, layer_norm_backward, layer_norm_forward
from .memory import pass_memory
from .model import TransformerLM
from .multi_head import MultiHeadAttention
from .scaled_dot import (
    AttentionCache,
    attention_backward,
    attention_forward,
    causal_mask,
    softmax,
    softmax_backward,
)

__all__ = [
    "softmax", "softmax_backward", "causal_mask", "attention_forward",
    "attention_backward", "AttentionCache", "LayerNorm", "layer_norm_forward",
    "layer_norm_backward", "MultiHeadAttention", "TransformerBlock", "Embedding",
    "TransformerLM", "KINDS", "make_sequence_layer", "gradient_over_lag",
    "block_gradient_norms", "BlockGradients", "pass_memory", "AttentionExplorer",
]
