"""Convolutions: the layer, pooling, and their backward passes.

A convolution slides a kernel over the image and takes a dot product at every
position. Its backward pass is made of convolutions too:

    dL/dx  = a "full" convolution of dL/dy with the kernel turned by 180 degrees
    dL/dw  = the correlation of the input with dL/dy (summed over the batch)
    dL/db  = dL/dy summed over the batch and every position

and because one weight is used at every position, its gradient is a sum over
all of them (weight sharing). Max pooling routes the gradient to each window's
argmax; average pooling spreads it evenly.

Everything is imported from `bpkit.conv`; the files are
- `conv2d.py`: `conv2d_forward` / `conv2d_backward` (im2col), the `Conv2d` layer;
- `reference.py`: the same with plain loops, to read (and to test against);
- `as_convolutions.py`: dx and dw computed as convolutions with `conv2d_forward`;
- `pooling.py`: max and average pooling, functions and layers; `flatten.py`;
- `cnn.py`: the small digits CNN; `input_gradients.py`: saliency, a flipped prediction;
- `explorer.py`: the model behind lesson 09's backward explorer app;
- `_shapes.py`: the output-size formula and the shape checks (errors name N, C, H, W).

Shape letters: N batch, C input channels, H rows, W columns, F filters (output
channels), KH x KW kernel, OH x OW output positions.
"""

from __future__ import annotations

from ._shapes import output_size
from .as_convolutions import (
    dilate,
    flip,
    input_grad_by_full_convolution,
    weight_grad_by_correlation,
)
from .cnn import count_parameters, digits_cnn, to_images
from .conv2d import Conv2d, ConvCache, conv2d_backward, conv2d_forward
from .flatten import Flatten
from .input_gradients import FlipResult, flip_prediction, saliency
from .pooling import (
    AvgPool2d,
    MaxPool2d,
    PoolCache,
    avgpool_backward,
    avgpool_forward,
    maxpool_backward,
    maxpool_forward,
)
from .reference import conv2d_backward_loop, conv2d_forward_loop

__all__ = [
    "output_size",
    "conv2d_forward",
    "conv2d_backward",
    "ConvCache",
    "Conv2d",
    "conv2d_forward_loop",
    "conv2d_backward_loop",
    "flip",
    "dilate",
    "input_grad_by_full_convolution",
    "weight_grad_by_correlation",
    "maxpool_forward",
    "maxpool_backward",
    "avgpool_forward",
    "avgpool_backward",
    "PoolCache",
    "MaxPool2d",
    "AvgPool2d",
    "Flatten",
    "digits_cnn",
    "to_images",
    "count_parameters",
    "saliency",
    "flip_prediction",
    "FlipResult",
]
