"""Bad arguments to the networks, layers, losses, blocks and diagnostics.

Each case is a call that used to return garbage silently, or fail deep inside
numpy/Python; it must now raise at the public call with a message that names
the argument, what was expected and what came.
"""

from __future__ import annotations

import numpy as np
import pytest

from bpkit import Value, blocks, diagnostics, layers, losses, nn, scalar_bridge

nan, inf = float("nan"), float("inf")


def R() -> np.random.Generator:
    return np.random.default_rng(0)


def _neuron() -> nn.Neuron:
    return nn.Neuron(2, R())


def _rows() -> list[list[Value]]:
    return [[Value(1.0), Value(2.0)], [Value(0.5), Value(0.0)]]


def _net() -> layers.Sequential:
    return layers.mlp([2, 4, 3], R())


def _flow(**kwargs):
    x = kwargs.pop("x", np.ones((5, 2)))
    return diagnostics.gradient_flow(_net(), x, **kwargs)


def _bn(x):
    return blocks.BatchNorm1d(3)(x)


NIN = r"nin must be an integer >= 1, got "
NOUT = r"nout must be an integer >= 1, got "
SCALAR_MLP = r"model must be a scalar bpkit\.nn\.MLP .*, got "

CASES = [
    # ------------------------------------------------------------- engine
    ("array*Value", lambda: np.array([1.0, 2.0]) * Value(2.0), TypeError,
     r"Value and 'ndarray'.*a Value holds one number"),
    ("array+Value", lambda: np.array([1.0, 2.0]) + Value(2.0), TypeError,
     r"Value and 'ndarray'.*a Value holds one number"),
    # ----------------------------------------------------------------- nn
    ("Neuron nin=0", lambda: nn.Neuron(0, R()), ValueError, NIN + "0"),
    ("Neuron nin=-1", lambda: nn.Neuron(-1, R()), ValueError, NIN + "-1"),
    ("Neuron nin=2.5", lambda: nn.Neuron(2.5, R()), ValueError, NIN + "2.5"),
    ("Neuron nin=nan", lambda: nn.Neuron(nan, R()), ValueError, NIN + "nan"),
    ("Neuron nin=None", lambda: nn.Neuron(None, R()), ValueError, NIN + "None"),
    ("Neuron nin=str", lambda: nn.Neuron("3", R()), ValueError, NIN + "'3'"),
    ("Neuron nin=True", lambda: nn.Neuron(True, R()), ValueError, NIN + "True"),
    ("Neuron x=None", lambda: _neuron()(None), TypeError,
     r"x must be a sequence of 2 numbers or Values, got NoneType"),
    ("Neuron x=str", lambda: _neuron()("ab"), TypeError,
     r"x must be a sequence of 2 numbers or Values, got str"),
    ("Neuron x=[str]", lambda: _neuron()(["a", "b"]), TypeError,
     r"x must hold real numbers or Values, got str 'a' at index 0"),
    ("Neuron x=[complex]", lambda: _neuron()([1.0, 1j]), TypeError,
     r"x must hold real numbers or Values, got complex 1j at index 1"),
    ("Neuron x=2-d", lambda: _neuron()(np.ones((2, 2))), TypeError,
     r"x must hold real numbers or Values, got ndarray .* at index 0"),
    ("Layer nout=0", lambda: nn.Layer(2, 0, R()), ValueError, NOUT + "0"),
    ("Layer nout=-1", lambda: nn.Layer(2, -1, R()), ValueError, NOUT + "-1"),
    ("Layer nout=2.5", lambda: nn.Layer(2, 2.5, R()), ValueError, NOUT + "2.5"),
    ("Layer nout=None", lambda: nn.Layer(2, None, R()), ValueError, NOUT + "None"),
    ("Layer nout=True", lambda: nn.Layer(2, True, R()), ValueError, NOUT + "True"),
    ("Layer nin=0", lambda: nn.Layer(0, 3, R()), ValueError, NIN + "0"),
    ("MLP nin=0", lambda: nn.MLP(0, [3, 1], R()), ValueError, NIN + "0"),
    ("MLP nin=nan", lambda: nn.MLP(nan, [3, 1], R()), ValueError, NIN + "nan"),
    ("MLP nouts=int", lambda: nn.MLP(2, 3, R()), TypeError,
     r"nouts must be a list of layer sizes, e\.g\. \[16, 1\], got int"),
    ("MLP nouts=None", lambda: nn.MLP(2, None, R()), TypeError,
     r"nouts must be a list of layer sizes.*got NoneType"),
    ("MLP nouts=str", lambda: nn.MLP(2, "31", R()), TypeError,
     r"nouts must be a list of layer sizes.*got str"),
    ("MLP nouts=[]", lambda: nn.MLP(2, [], R()), ValueError,
     r"nouts must list at least one layer size.*got \[\]"),
    ("MLP nouts=[0]", lambda: nn.MLP(2, [0], R()), ValueError,
     r"nouts\[0\] must be an integer >= 1, got 0"),
    ("MLP nouts=[3,-1]", lambda: nn.MLP(2, [3, -1], R()), ValueError,
     r"nouts\[1\] must be an integer >= 1, got -1"),
    ("MLP nouts=[2.5]", lambda: nn.MLP(2, [2.5], R()), ValueError,
     r"nouts\[0\] must be an integer >= 1, got 2\.5"),
    ("MLP nouts=[3,None]", lambda: nn.MLP(2, [3, None], R()), ValueError,
     r"nouts\[1\] must be an integer >= 1, got None"),
    ("MLP x=None", lambda: nn.MLP(2, [3, 1], R())(None), TypeError,
     r"x must be a sequence of 2 numbers or Values, got NoneType"),
    # ------------------------------------------------------------- layers
    ("Linear in=nan", lambda: layers.Linear(nan, 3, R()), ValueError,
     r"in_features must be a positive integer, got nan"),
    ("Linear in=inf", lambda: layers.Linear(inf, 3, R()), ValueError,
     r"in_features must be a positive integer, got inf"),
    ("Linear in=None", lambda: layers.Linear(None, 3, R()), ValueError,
     r"in_features must be a positive integer, got None"),
    ("Linear out=nan", lambda: layers.Linear(2, nan, R()), ValueError,
     r"out_features must be a positive integer, got nan"),
    ("Linear out=None", lambda: layers.Linear(2, None, R()), ValueError,
     r"out_features must be a positive integer, got None"),
    ("Linear init->nan",
     lambda: layers.Linear(2, 3, R(), init=lambda s, r: np.full(s, nan)),
     ValueError, r"init returned 6 non-finite weight\(s\)"),
    ("Linear init->complex",
     lambda: layers.Linear(2, 3, R(), init=lambda s, r: np.ones(s, complex)),
     TypeError, r"init must return real numbers, got dtype complex128"),
    ("Linear init->str",
     lambda: layers.Linear(2, 3, R(), init=lambda s, r: np.full(s, "a")),
     TypeError, r"init must return real numbers, got dtype <U1"),
    ("Linear dtype=str", lambda: layers.Linear(2, 3, R(), dtype="bogus"), ValueError,
     r"dtype must be float32 or float64, got 'bogus'"),
    ("LeakyReLU slope=None", lambda: layers.LeakyReLU(None), ValueError,
     r"slope must be a finite number >= 0, got None"),
    ("LeakyReLU slope=str", lambda: layers.LeakyReLU("0.1"), ValueError,
     r"slope must be a finite number >= 0, got '0\.1'"),
    ("LeakyReLU slope=complex", lambda: layers.LeakyReLU(1j), ValueError,
     r"slope must be a finite number >= 0, got 1j"),
    ("LeakyReLU slope=True", lambda: layers.LeakyReLU(True), ValueError,
     r"slope must be a finite number >= 0, got True"),
    ("mlp sizes=int", lambda: layers.mlp(3, R()), TypeError,
     r"sizes must be a list of layer sizes.*got int"),
    ("mlp sizes=None", lambda: layers.mlp(None, R()), TypeError,
     r"sizes must be a list of layer sizes.*got NoneType"),
    ("mlp sizes=str", lambda: layers.mlp("23", R()), TypeError,
     r"sizes must be a list of layer sizes.*got str"),
    ("mlp sizes=[2,0,3]", lambda: layers.mlp([2, 0, 3], R()), ValueError,
     r"sizes\[1\] must be a positive integer, got 0"),
    ("mlp sizes=[2,2.5,3]", lambda: layers.mlp([2, 2.5, 3], R()), ValueError,
     r"sizes\[1\] must be a positive integer, got 2\.5"),
    ("mlp sizes=[2,nan,3]", lambda: layers.mlp([2, nan, 3], R()), ValueError,
     r"sizes\[1\] must be a positive integer, got nan"),
    ("mlp sizes=[2,None,3]", lambda: layers.mlp([2, None, 3], R()), ValueError,
     r"sizes\[1\] must be a positive integer, got None"),
    ("mlp activation=list", lambda: layers.mlp([2, 3], R(), activation=["relu"]),
     TypeError, r"activation must be one of .* \(a name\), got \['relu'\]"),
    ("from_scalar_mlp None", lambda: scalar_bridge.from_scalar_mlp(None), TypeError,
     SCALAR_MLP + "NoneType"),
    ("from_scalar_mlp int", lambda: scalar_bridge.from_scalar_mlp(5), TypeError,
     SCALAR_MLP + "int"),
    ("from_scalar_mlp Linear", lambda: scalar_bridge.from_scalar_mlp(layers.Linear(2, 3, R())),
     TypeError, SCALAR_MLP + "Linear"),
    ("from_scalar_mlp nn.Layer", lambda: scalar_bridge.from_scalar_mlp(nn.Layer(2, 3, R())),
     TypeError, SCALAR_MLP + "Layer .*wrap it as an MLP"),
    ("from_scalar_mlp Sequential", lambda: scalar_bridge.from_scalar_mlp(_net()), TypeError,
     SCALAR_MLP + "Sequential"),
    ("scalar_grads None", lambda: scalar_bridge.scalar_grads(None), TypeError,
     SCALAR_MLP + "NoneType"),
    ("scalar_grads Sequential", lambda: scalar_bridge.scalar_grads(_net()), TypeError,
     SCALAR_MLP + "Sequential"),
    ("scalar_grads Neuron", lambda: scalar_bridge.scalar_grads(_neuron()), TypeError,
     SCALAR_MLP + "Neuron"),
    # ------------------------------------------------------------- losses
    ("logsumexp (3,0)", lambda: losses.logsumexp(np.zeros((3, 0))), ValueError,
     r"z has shape \(3, 0\): logsumexp needs at least one entry along axis -1"),
    ("logsumexp (0,)", lambda: losses.logsumexp(np.zeros(0)), ValueError,
     r"z has shape \(0,\): logsumexp needs"),
    ("softmax (3,0)", lambda: losses.softmax(np.zeros((3, 0))), ValueError,
     r"z has shape \(3, 0\): softmax needs"),
    ("log_softmax (0,)", lambda: losses.log_softmax(np.zeros(0)), ValueError,
     r"z has shape \(0,\): log_softmax needs"),
    ("logsumexp axis=1.5", lambda: losses.logsumexp(np.zeros((2, 3)), axis=1.5),
     TypeError, r"axis must be an integer or None, got 1\.5"),
    ("softmax axis=1.5", lambda: losses.softmax(np.zeros((2, 3)), axis=1.5),
     TypeError, r"axis must be an integer or None, got 1\.5"),
    ("log_softmax axis=str", lambda: losses.log_softmax(np.zeros((2, 3)), axis="1"),
     TypeError, r"axis must be an integer or None, got '1'"),
    ("mse_loss empty", lambda: losses.mse_loss(np.zeros(0), np.zeros(0)), ValueError,
     r"pred is empty \(shape \(0,\)\)"),
    ("mse_loss (3,0)", lambda: losses.mse_loss(np.zeros((3, 0)), np.zeros((3, 0))),
     ValueError, r"pred is empty \(shape \(3, 0\)\)"),
    ("MSELoss empty", lambda: losses.MSELoss()(np.zeros((0, 2)), np.zeros((0, 2))),
     ValueError, r"pred is empty"),
    ("softmax_cross_entropy empty",
     lambda: losses.softmax_cross_entropy(np.zeros((0, 3)), np.zeros(0, int)),
     ValueError, r"logits is empty \(shape \(0, 3\)\)"),
    ("bce empty",
     lambda: losses.binary_cross_entropy_with_logits(np.zeros(0), np.zeros(0)),
     ValueError, r"logits is empty \(shape \(0,\)\)"),
    ("scalar_ce y=1.5", lambda: losses.scalar_cross_entropy(_rows(), [1.5, 0]),
     ValueError, r"y must hold integer class labels, got \[1\.5, 0\]"),
    ("scalar_ce y=nan", lambda: losses.scalar_cross_entropy(_rows(), [nan, 0]),
     ValueError, r"y must hold integer class labels, got \[nan, 0\]"),
    ("scalar_ce y=str", lambda: losses.scalar_cross_entropy(_rows(), ["a", 0]),
     TypeError, r"y must hold integer class labels, got dtype <U"),
    ("scalar_ce y=None", lambda: losses.scalar_cross_entropy(_rows(), None),
     TypeError, r"y must hold integer class labels, got dtype object"),
    ("scalar_ce logits=None", lambda: losses.scalar_cross_entropy(None, [0, 1]),
     TypeError, r"logits must be N rows of C Values, got NoneType"),
    ("scalar_ce logits=floats",
     lambda: losses.scalar_cross_entropy([[1.0, 2.0], [0.5, 0.0]], [0, 1]),
     TypeError, r"logits\[0\]\[0\] must be a Value, got float"),
    # ------------------------------------------------------------- blocks
    ("BatchNorm1d n=nan", lambda: blocks.BatchNorm1d(nan), ValueError,
     r"num_features must be a positive integer, got nan"),
    ("BatchNorm1d n=inf", lambda: blocks.BatchNorm1d(inf), ValueError,
     r"num_features must be a positive integer, got inf"),
    ("BatchNorm1d n=None", lambda: blocks.BatchNorm1d(None), ValueError,
     r"num_features must be a positive integer, got None"),
    ("BatchNorm1d n=True", lambda: blocks.BatchNorm1d(True), ValueError,
     r"num_features must be a positive integer, got True"),
    ("BatchNorm1d eps=nan", lambda: blocks.BatchNorm1d(3, eps=nan), ValueError,
     r"eps must be a finite number > 0, got nan"),
    ("BatchNorm1d eps=inf", lambda: blocks.BatchNorm1d(3, eps=inf), ValueError,
     r"eps must be a finite number > 0, got inf"),
    ("BatchNorm1d eps=None", lambda: blocks.BatchNorm1d(3, eps=None), ValueError,
     r"eps must be a finite number > 0, got None"),
    ("BatchNorm1d momentum=None", lambda: blocks.BatchNorm1d(3, momentum=None),
     ValueError, r"momentum must be a number in \[0, 1\], got None"),
    ("BatchNorm1d dtype=str", lambda: blocks.BatchNorm1d(3, dtype="bogus"),
     ValueError, r"dtype must be float32 or float64, got 'bogus'"),
    ("BatchNorm1d x complex", lambda: _bn(np.ones((4, 3), complex) * (1 + 1j)),
     TypeError, r"BatchNorm1d: x must be a real numeric array, got dtype complex128"),
    ("BatchNorm1d x str", lambda: _bn(np.array([["a", "b", "c"]] * 2)), TypeError,
     r"BatchNorm1d: x must be a real numeric array, got dtype <U1"),
    ("deep_mlp in=nan", lambda: blocks.deep_mlp(nan, 4, 2, 2, R()), ValueError,
     r"in_features must be a positive integer, got nan"),
    ("deep_mlp width=0", lambda: blocks.deep_mlp(2, 0, 2, 2, R()), ValueError,
     r"width must be a positive integer, got 0"),
    ("deep_mlp width=2.5", lambda: blocks.deep_mlp(2, 2.5, 2, 2, R()), ValueError,
     r"width must be a positive integer, got 2\.5"),
    ("deep_mlp width=nan", lambda: blocks.deep_mlp(2, nan, 2, 2, R()), ValueError,
     r"width must be a positive integer, got nan"),
    ("deep_mlp out=nan", lambda: blocks.deep_mlp(2, 4, nan, 2, R()), ValueError,
     r"out_features must be a positive integer, got nan"),
    ("deep_mlp depth=nan", lambda: blocks.deep_mlp(2, 4, 2, nan, R()), ValueError,
     r"depth must be a positive integer, got nan"),
    ("deep_mlp depth=None", lambda: blocks.deep_mlp(2, 4, 2, None, R()), ValueError,
     r"depth must be a positive integer, got None"),
    ("deep_mlp init=list", lambda: blocks.deep_mlp(2, 4, 2, 2, R(), init=["he"]),
     TypeError, r"init must be one of .* \(a name\), got \['he'\]"),
    ("deep_mlp activation=list",
     lambda: blocks.deep_mlp(2, 4, 2, 2, R(), activation=["relu"]),
     TypeError, r"activation must be one of .* \(a name\), got \['relu'\]"),
    # -------------------------------------------------------- diagnostics
    ("gradient_flow lr=nan", lambda: _flow(lr=nan), ValueError,
     r"lr must be a finite number >= 0, got nan"),
    ("gradient_flow lr=-1", lambda: _flow(lr=-1), ValueError,
     r"lr must be a finite number >= 0, got -1"),
    ("gradient_flow lr=None", lambda: _flow(lr=None), ValueError,
     r"lr must be a finite number >= 0, got None"),
    ("gradient_flow lr=str", lambda: _flow(lr="0.1"), ValueError,
     r"lr must be a finite number >= 0, got '0\.1'"),
    ("gradient_flow x empty", lambda: _flow(x=np.zeros((0, 2))), ValueError,
     r"x has shape \(0, 2\): gradient_flow needs a batch of at least one row"),
    ("gradient_flow x nan", lambda: _flow(x=np.full((5, 2), nan)), ValueError,
     r"x has 10 non-finite value\(s\)"),
    ("gradient_flow x complex", lambda: _flow(x=np.ones((5, 2), complex)), TypeError,
     r"x must be a real numeric array, got dtype complex128"),
    ("gradient_flow dout nan", lambda: _flow(dout=np.full((5, 3), nan)), ValueError,
     r"dout has 15 non-finite value\(s\)"),
    ("gradient_flow loss->float", lambda: _flow(loss=lambda h: 1.0), TypeError,
     r"loss must return a pair \(loss value, dL/d\(output\)\), got float"),
    ("gradient_flow loss=str", lambda: _flow(loss="ce"), TypeError,
     r"loss must be a function, got str"),
    ("gradient_flow loss->bad grad", lambda: _flow(loss=lambda h: (0.0, np.ones(3))),
     ValueError, r"loss returned a gradient of shape \(3,\), expected .*\(5, 3\)"),
    ("flatten None", lambda: diagnostics.flatten(None), TypeError,
     r"model must be a bpkit Layer, got NoneType"),
    ("flatten int", lambda: diagnostics.flatten(5), TypeError,
     r"model must be a bpkit Layer, got int"),
    ("flatten list", lambda: diagnostics.flatten([layers.ReLU()]), TypeError,
     r"model must be a bpkit Layer, got list"),
]


@pytest.mark.parametrize(
    "call, exc, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_refused_at_the_call_naming_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
