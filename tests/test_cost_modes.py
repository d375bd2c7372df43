"""Forward mode (Dual, jvp) against reverse mode (Value, vjp) and finite differences."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpkit.cost import (
    Dual, Passes, derivative, forward_gradient, forward_jacobian, jacobian_forward,
    jacobian_reverse, jvp, reverse_gradient, reverse_jacobian, vjp,
)
from bpkit.engine import Value
from bpkit.gradcheck import numerical_grad
from bpkit.layers import LeakyReLU, Linear, Sequential, Sigmoid, Tanh, mlp

# ------------------------------------------------------------ random expressions
UNARY = ["tanh", "sigmoid", "exp_small", "neg", "square", "log_pos", "relu"]
BINARY = ["+", "-", "*", "/"]


@st.composite
def expressions(draw, n_inputs: int = 3, depth: int = 4):
    """A random expression tree over x0..x{n-1}, as nested tuples."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            return ("x", draw(st.integers(0, n_inputs - 1)))
        return ("c", draw(st.floats(-2, 2, allow_nan=False)))
    if draw(st.booleans()):
        return (draw(st.sampled_from(UNARY)), draw(expressions(n_inputs, depth - 1)))
    return (draw(st.sampled_from(BINARY)), draw(expressions(n_inputs, depth - 1)),
            draw(expressions(n_inputs, depth - 1)))


def evaluate(e, xs):
    """The expression on Values, Duals or floats (one code path for all three)."""
    op = e[0]
    if op == "x":
        return xs[e[1]]
    if op == "c":  # a constant of the inputs' own type
        kind = type(xs[0])
        return kind(e[1]) if kind is not Dual else Dual(e[1], 0.0)
    if op in BINARY:
        a, b = evaluate(e[1], xs), evaluate(e[2], xs)
        if op == "/":
            return a / (b * b + 1.0)  # a divisor that cannot be 0
        return {"+": a + b, "-": a - b, "*": a * b}[op]
    a = evaluate(e[1], xs)
    if op == "exp_small":
        return (a * 0.1).tanh().exp()  # bounded, so no overflow
    if op == "log_pos":
        return (a * a + 1.0).log()
    if op == "square":
        return a**2
    if op == "neg":
        return -a
    return getattr(a, op)()


class _Float(float):
    """A float with the ops' method names, for finite differences."""

    def tanh(self): return _Float(math.tanh(self))
    def exp(self): return _Float(math.exp(self))
    def log(self): return _Float(math.log(self))
    def sigmoid(self): return _Float(1 / (1 + math.exp(-self)))
    def relu(self): return _Float(max(self, 0.0))
    def __mul__(self, o): return _Float(float(self) * o)
    def __rmul__(self, o): return _Float(o * float(self))
    def __add__(self, o): return _Float(float(self) + o)
    def __radd__(self, o): return _Float(o + float(self))
    def __sub__(self, o): return _Float(float(self) - o)
    def __rsub__(self, o): return _Float(o - float(self))
    def __truediv__(self, o): return _Float(float(self) / o)
    def __pow__(self, k): return _Float(float(self) ** k)
    def __neg__(self): return _Float(-float(self))


@settings(max_examples=150)
@given(expressions(), st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_dual_gradient_equals_value_gradient_on_random_expressions(e, xs):
    fv, gf, nf = forward_gradient(lambda *d: evaluate(e, d), xs)
    rv, gr, nr = reverse_gradient(lambda *v: evaluate(e, v), xs)
    assert (nf, nr) == (3, 1)
    assert fv == pytest.approx(rv, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(gf, gr, rtol=1e-9, atol=1e-12)


@settings(max_examples=100)
@given(expressions(), st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_dual_gradient_matches_central_differences(e, xs):
    xs = [x + 0.01 if abs(x) < 1e-3 else x for x in xs]  # off ReLU's kink at 0
    _, g, _ = forward_gradient(lambda *d: evaluate(e, d), xs)

    def f_at(i):
        def f(t):
            pt = [_Float(v) for v in xs]
            pt[i] = _Float(t)
            return float(evaluate(e, pt))
        return f

    fd = [numerical_grad(f_at(i), xs[i]) for i in range(3)]
    ok = np.isclose(g, fd, rtol=1e-5, atol=1e-6)
    # a ReLU kink inside the expression (not only at the inputs) can sit within eps
    relu = "relu" in repr(e)
    assert ok.all() or relu


def test_dual_ops_follow_their_rules():
    x = Dual(3.0, 1.0)
    assert (x * x).eps == 6.0  # product rule: 1*3 + 3*1
    assert (x / 2).eps == 0.5
    assert (1 / x).eps == pytest.approx(-1 / 9)
    assert (x**3).eps == 27.0
    assert Dual(0.0, 1.0).relu().eps == 0.0
    assert Dual(1000.0, 1.0).sigmoid().val == 1.0  # no overflow
    assert derivative(lambda d: d.exp(), 0.0) == (1.0, 1.0)


def test_dual_refuses_bad_inputs_with_clear_messages():
    with pytest.raises(TypeError, match="Dual and 'str'"):
        Dual(1.0) + "a"
    with pytest.raises(TypeError, match=r"Dual\(val\) takes a real number"):
        Dual(np.zeros(3))
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        Dual(1.0) / 0
    with pytest.raises(ValueError, match="log is defined for positive numbers"):
        Dual(-1.0).log()
    with pytest.raises(ValueError, match=r"xs\[1\] must be a finite real number"):
        forward_gradient(lambda a, b: a * b, [1.0, float("nan")])
    with pytest.raises(ValueError, match="xs is empty"):
        forward_gradient(lambda: Dual(1.0), [])
    with pytest.raises(TypeError, match="f must return a Dual"):
        forward_gradient(lambda a: "x", [1.0])


def test_jacobians_of_scalar_functions_cost_n_forward_or_m_reverse_passes():
    def f_dual(a, b):  # R^2 -> R^3
        return [a * b, a.tanh(), b * b + a]

    J_f, n_f = forward_jacobian(f_dual, [0.3, -1.2])
    J_r, n_r = reverse_jacobian(f_dual, [0.3, -1.2])
    assert (n_f, n_r) == (2, 3)
    np.testing.assert_allclose(J_f, J_r, rtol=1e-12)
    np.testing.assert_allclose(J_f, [[-1.2, 0.3], [1 - math.tanh(0.3) ** 2, 0],
                                     [1, -2.4]], rtol=1e-12)


# ------------------------------------------------------------ vectorised JVP / VJP
def _net(rng, sizes, act="tanh"):
    return mlp(sizes, rng, activation=act)


@settings(max_examples=40)
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 5),
       st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"]),
       st.integers(0, 2**31))
def test_u_dot_Jv_equals_JTu_dot_v(N, D, M, act, seed):
    rng = np.random.default_rng(seed)
    net = _net(rng, [D, 6, 5, M], act)
    x, v = rng.standard_normal((N, D)), rng.standard_normal((N, D))
    dps = [rng.standard_normal(p.shape) for p in net.parameters()]
    u = rng.standard_normal((N, M))
    y, Jv = jvp(net, x, v, dps)
    y2, JTu, gps = vjp(net, x, u)
    np.testing.assert_allclose(y, y2, rtol=1e-12)
    lhs = np.sum(u * Jv)
    rhs = np.sum(JTu * v) + sum(np.sum(g * d) for g, d in zip(gps, dps))
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-9)


def test_jvp_matches_central_differences_along_the_tangent(rng):
    net = Sequential(Linear(4, 6, rng), Tanh(), Linear(6, 5, rng), Sigmoid(),
                     Linear(5, 3, rng), LeakyReLU(0.1))
    x, v = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    u = rng.standard_normal((2, 3))
    _, Jv = jvp(net, x, v)
    fd = numerical_grad(lambda t: float(np.sum(u * net.forward(x + t * v))), 0.0)
    assert np.sum(u * Jv) == pytest.approx(fd, rel=1e-6)


def test_forward_and_reverse_jacobians_agree_and_count_their_passes(rng):
    net = _net(rng, [5, 8, 3])
    x = rng.standard_normal(5)
    pf, pr = Passes(), Passes()
    Jf, Jr = jacobian_forward(net, x, pf), jacobian_reverse(net, x, pr)
    np.testing.assert_allclose(Jf, Jr, rtol=1e-10, atol=1e-12)
    assert (pf.tangent, pf.forward, pf.backward) == (5, 0, 0)
    assert (pr.tangent, pr.forward, pr.backward) == (0, 1, 3)


def test_vjp_leaves_the_parameters_grads_alone(rng):
    net = _net(rng, [3, 4, 2])
    for p in net.parameters():
        p.grad[...] = 7.0
    vjp(net, rng.standard_normal((2, 3)), rng.standard_normal((2, 2)))
    assert all((p.grad == 7.0).all() for p in net.parameters())


def test_jvp_and_vjp_refuse_bad_inputs_clearly(rng):
    net = _net(rng, [3, 4, 2])
    with pytest.raises(ValueError, match=r"dx has shape \(2, 4\), expected \(2, 3\)"):
        jvp(net, np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="dparams has 1 arrays, expected one per"):
        jvp(net, np.zeros((2, 3)), dparams=[np.zeros(3)])
    with pytest.raises(ValueError, match=r"x has shape \(2, 5\), expected \(N, 3\)"):
        jvp(net, np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"u has shape \(2, 3\), expected \(2, 2\)"):
        vjp(net, np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(TypeError, match="must be a bpkit.layers.Sequential"):
        jvp(Linear(3, 2, rng), np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"x has shape \(2, 3\), expected \(D,\)"):
        jacobian_forward(net, np.zeros((2, 3)))


def test_jvp_agrees_with_torch_forward_ad(rng):
    torch = pytest.importorskip("torch")
    net = _net(rng, [4, 5, 3])
    x, v = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    _, Jv = jvp(net, x, v)
    W1, b1, W2, b2 = (torch.tensor(p.data) for p in net.parameters())

    def f(t):
        return torch.tanh(t @ W1 + b1) @ W2 + b2

    _, tJv = torch.func.jvp(f, (torch.tensor(x),), (torch.tensor(v),))
    np.testing.assert_allclose(Jv, tJv.numpy(), rtol=1e-10)


# ------------------------------------------------------------------ the reader's findings
def test_jacobian_reverse_and_vjp_work_after_an_earlier_forward(rng):
    net = _net(rng, [3, 5, 2])
    x = rng.standard_normal(3)
    J = jacobian_reverse(net, x)
    net.forward(rng.standard_normal((4, 3)))  # a forward the learner ran beforehand
    assert np.array_equal(jacobian_reverse(net, x), J)
    net.forward(rng.standard_normal((4, 3)))
    y, dx, _ = vjp(net, x[None, :], np.ones((1, 2)))
    assert np.allclose(dx[0], J.sum(axis=0), rtol=1e-12)


def test_errors_name_the_function_and_argument_they_are_about(rng):
    from bpkit.practice.dropout import Dropout

    net = Sequential(Linear(3, 4, rng), Dropout(0.5, rng))
    with pytest.raises(TypeError, match="vjp: layer 1 is a Dropout; vjp here knows"):
        vjp(net, np.zeros((1, 3)), np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"^x must be a finite real number, got '1.2'"):
        derivative(lambda d: d * d, "1.2")
    with pytest.raises(TypeError, match="jvp: x must be a real array, got dtype complex128"):
        jvp(_net(rng, [3, 2]), np.zeros((1, 3)) + 1j)
