"""Lesson 02 checks accept the solution and name each anticipated mistake."""

import math

import pytest

from bpkit import Value
from bpkit.exercises import lesson02 as ex


def unattempted(*args):
    raise NotImplementedError()


# ------------------------------------------------------------ exercise 1
def test_predict_grad_accepts_the_two_paths_added_up():
    fb = ex.check_predict_grad(lambda: (2 * (3 * -0.5) + 1) * -0.5)
    assert fb.ok and "= 1" in fb.message


def test_predict_grad_agrees_with_the_engine():
    L = ex.exercise_graph()
    L.backward()
    x = next(n for n in L.topo_order() if n.label == "x")
    assert ex.check_predict_grad(lambda: x.grad).ok


@pytest.mark.parametrize(
    "answer,clue",
    [
        (2 * (3 * -0.5) * -0.5, "only the path through s"),
        (-0.5, "only the direct path"),
        ((3 * -0.5 + 1) * -0.5, "both slots"),
        (2 * (3 * -0.5) + 1, "that is dL/da"),
        ((2 * (3 * -0.5) + 1) * 3, "*other* factor"),
        (-1.0, "wrong sign"),
        (3.25, "naive recursion"),
        (7.0, "you give 7"),
    ],
)
def test_predict_grad_names_each_mistake(answer, clue):
    fb = ex.check_predict_grad(lambda: answer)
    assert not fb.ok and clue in fb.message


def test_predict_grad_wants_a_number():
    assert "not a Value" in ex.check_predict_grad(lambda: Value(1.0)).message
    assert "return a number" in ex.check_predict_grad(lambda: "1").message


def test_naive_recursion_gives_the_value_the_hint_names():
    L = ex.exercise_graph()
    L.grad = 1.0
    ex.naive_backward(L)
    x = next(n for n in L.topo_order() if n.label == "x")
    assert x.grad == pytest.approx(3.25)


# ------------------------------------------------------------ exercise 2
def good_topo(root):
    order, seen = [], set()

    def visit(n):
        if id(n) in seen:
            return
        seen.add(id(n))
        for p in n._prev:
            visit(p)
        order.append(n)

    visit(root)
    return order


def no_visited_set(root):
    order = []

    def visit(n):
        for p in n._prev:
            visit(p)
        order.append(n)

    visit(root)
    return order


def preorder(root):
    order, seen = [], set()

    def visit(n):
        if id(n) in seen:
            return
        seen.add(id(n))
        order.append(n)
        for p in n._prev:
            visit(p)

    visit(root)
    return order


def test_topo_order_accepts_a_post_order_depth_first_search():
    assert ex.check_topo_order(good_topo).ok


def test_topo_order_that_calls_the_engines_own_is_told_so():
    fb = ex.check_topo_order(lambda root: root.topo_order())
    assert not fb.ok and "the engine's own root.topo_order()" in fb.message
    assert Value.topo_order.__name__ == "topo_order"   # the engine is restored


def keyed_on_label(root):
    order, seen = [], set()

    def visit(n):
        if n.label in seen:
            return
        seen.add(n.label)
        for p in n._prev:
            visit(p)
        order.append(n)

    visit(root)
    return order


@pytest.mark.parametrize(
    "wrong,clue",
    [
        (no_visited_set, "keep a set of visited"),
        (lambda root: list(reversed(good_topo(root))), "that is the reverse"),
        (preorder, "comes before its input"),
        (preorder, "in one of the test graphs"),
        (keyed_on_label, "keyed on a node's label or value"),
        (lambda root: good_topo(root)[1:], "missing"),
        (lambda root: good_topo(root) + [Value(1.0)], "not in this graph"),
        (lambda root: "x y a L", "return a list"),
    ],
)
def test_topo_order_names_each_mistake(wrong, clue):
    fb = ex.check_topo_order(wrong)
    assert not fb.ok and clue in fb.message


# ------------------------------------------------------------ exercise 3
def good_backward(root):
    order = root.topo_order()
    root.grad = 1.0
    for node in reversed(order):
        for child, local in zip(node._prev, node._local):
            child.grad += local * node.grad


def test_backward_accepts_reverse_topological_accumulation():
    assert ex.check_backward(good_backward).ok


def no_seed(root):
    for node in reversed(root.topo_order()):
        for child, local in zip(node._prev, node._local):
            child.grad += local * node.grad


def assign(root):
    root.grad = 1.0
    for node in reversed(root.topo_order()):
        for child, local in zip(node._prev, node._local):
            child.grad = local * node.grad


def inputs_first(root):
    root.grad = 1.0
    for node in root.topo_order():
        for child, local in zip(node._prev, node._local):
            child.grad += local * node.grad


def naive(root):
    root.grad = 1.0
    ex.naive_backward(root)


def no_local(root):
    root.grad = 1.0
    for node in reversed(root.topo_order()):
        for child in node._prev:
            child.grad += node.grad


def seed_late(root):
    no_seed(root)
    root.grad = 1.0


def subtracting(root):
    root.grad = 1.0
    for node in reversed(root.topo_order()):
        for child, local in zip(node._prev, node._local):
            child.grad -= local * node.grad


def swapped_local(root):
    root.grad = 1.0
    for node in reversed(root.topo_order()):
        for child, local in zip(node._prev, node._local[::-1]):
            child.grad += local * node.grad


def over_preorder(root):
    root.grad = 1.0
    for node in reversed(preorder(root)):
        for child, local in zip(node._prev, node._local):
            child.grad += local * node.grad


def returns_a_dict(root):
    return {id(root): 1.0}


def off_by_a_bit(root):
    good_backward(root)
    root.topo_order()[0].grad += 0.5


@pytest.mark.parametrize(
    "wrong,clue",
    [
        (no_seed, "seed the output"),
        (assign, "(+=)"),
        (inputs_first, "inputs first"),
        (naive, "plain recursion"),
        (no_local, "*local*"),
        (off_by_a_bit, "expected"),
        (seed_late, "*before* the loop"),
        (subtracting, "contributions add"),
        (swapped_local, "its own local derivative"),
        (over_preorder, "your topo_order (exercise 2) lists a node before"),
        (returns_a_dict, "returns a dict"),
        (lambda root: root.backward(), "the engine's own root.backward()"),
        (lambda root: list(root.backward_trace()), "root.backward_trace()"),
    ],
)
def test_backward_names_each_mistake(wrong, clue):
    fb = ex.check_backward(wrong)
    assert not fb.ok and clue in fb.message


@pytest.mark.parametrize(
    "check", [ex.check_predict_grad, ex.check_topo_order, ex.check_backward]
)
def test_unattempted_stub_says_so_instead_of_failing(check):
    fb = check(unattempted)
    assert fb.status == "not attempted" and "not attempted yet" in repr(fb)


def test_backward_written_over_an_unwritten_topo_order_is_told_so_not_unattempted():
    def topo_order(root):
        raise NotImplementedError()

    def backward(root):
        root.grad = 1.0
        for node in reversed(topo_order(root)):
            for child, local in zip(node._prev, node._local):
                child.grad += local * node.grad

    fb = ex.check_backward(backward)
    assert fb.status == "hint", repr(fb)
    assert "topo_order()" in repr(fb) and "exercise 2" in repr(fb)


# ------------------------------------------------------------ exercise 5: your own Value
from bpkit.exercises.lesson02 import (  # noqa: E402
    check_my_add, check_my_backward, check_my_exp, check_my_mul, check_my_pow,
    check_my_tanh,
)


def make_value(slip=None):
    """The learner's MyValue; `slip` switches one classic mistake on."""

    class MyValue:
        def __init__(self, data, _inputs=()):
            self.data = float(data)
            self.grad = 0.0
            self._inputs = _inputs
            self._backward = lambda: None

        def __add__(self, other):
            other = other if isinstance(other, MyValue) else MyValue(other)
            out = MyValue(self.data + other.data, (self, other))

            def _backward():
                if slip == "add=":
                    self.grad = out.grad
                    other.grad = out.grad
                elif slip == "add-no-upstream":
                    self.grad += 1.0
                    other.grad += 1.0
                elif slip == "add-one-side":
                    self.grad += out.grad
                elif slip == "add-self-missing":
                    other.grad += out.grad
                else:
                    self.grad += out.grad
                    other.grad += out.grad

            out._backward = _backward
            return out

        def __mul__(self, other):
            other = other if isinstance(other, MyValue) else MyValue(other)
            out = MyValue(self.data * other.data, (self, other))

            def _backward():
                if slip == "mul-own-value":
                    self.grad += self.data * out.grad
                    other.grad += other.data * out.grad
                elif slip == "mul=":
                    self.grad = other.data * out.grad
                    other.grad = self.data * out.grad
                elif slip == "mul-no-upstream":
                    self.grad += other.data
                    other.grad += self.data
                else:
                    self.grad += other.data * out.grad
                    other.grad += self.data * out.grad

            out._backward = _backward
            return out

        def __pow__(self, k):
            out = MyValue(self.data**k, (self,))

            def _backward():
                if slip == "pow-3":
                    self.grad += 3 * self.data**2 * out.grad
                elif slip == "pow-k":
                    self.grad += k * self.data**k * out.grad
                elif slip == "pow-no-k":
                    self.grad += self.data ** (k - 1) * out.grad
                elif slip == "pow-no-upstream":
                    self.grad += k * self.data ** (k - 1)
                else:
                    self.grad += k * self.data ** (k - 1) * out.grad

            out._backward = _backward
            return out

        def tanh(self):
            t = math.tanh(self.data)
            out = MyValue(t, (self,))

            def _backward():
                if slip == "tanh-input":
                    self.grad += (1 - self.data**2) * out.grad
                elif slip == "tanh=":
                    self.grad = (1 - t**2) * out.grad
                else:
                    self.grad += (1 - t**2) * out.grad

            out._backward = _backward
            return out

        def exp(self):
            e = math.exp(self.data)
            out = MyValue(e, (self,))

            def _backward():
                if slip == "exp-input":
                    self.grad += self.data * out.grad
                elif slip == "exp-power":
                    self.grad += self.data * math.exp(self.data - 1) * out.grad
                elif slip == "exp-no-upstream":
                    self.grad += out.data
                else:
                    self.grad += out.data * out.grad

            if slip != "not-attached":
                out._backward = _backward
            return out

        def backward(self, _kept=set()):
            if slip == "root-only":
                self.grad = 1.0
                self._backward()
                return
            if slip == "preorder":
                order, seen = [], set()

                def pre(n):
                    if n not in seen:
                        seen.add(n)
                        order.append(n)
                        for c in n._inputs:
                            pre(c)

                pre(self)
                self.grad = 1.0
                for n in order:
                    n._backward()
                return
            if slip == "naive":
                self.grad = 1.0

                def go(n):
                    n._backward()
                    for c in n._inputs:
                        go(c)

                go(self)
                return
            order, seen = [], (_kept if slip == "kept-seen" else set())

            def visit(n):
                if slip != "no-seen":
                    if n in seen:
                        return
                    seen.add(n)
                for c in n._inputs:
                    visit(c)
                order.append(n)

            visit(self)
            if slip != "no-seed":
                self.grad = 1.0
            for n in (order if slip == "forward-order" else reversed(order)):
                n._backward()

    MyValue.__name__ = "MyValue"
    return MyValue


CHECKS = [check_my_add, check_my_mul, check_my_pow, check_my_tanh, check_my_exp,
          check_my_backward]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_each_check_accepts_the_solution(check):
    fb = check(make_value())
    assert fb.ok, fb


def test_op_checks_say_they_compared_with_bpkit_and_differences():
    fb = check_my_mul(make_value())
    assert "bpkit.Value" in fb.message and "central differences" in fb.message


@pytest.mark.parametrize("check, slip, words", [
    (check_my_add, "add=", "sets the input's grad with `=`"),
    (check_my_add, "add-no-upstream", "multiplies it by the upstream gradient"),
    (check_my_add, "add-one-side", "to both inputs"),
    (check_my_mul, "mul-own-value", "the slope of a * b with respect to a is b's value"),
    (check_my_mul, "mul=", "use +="),
    (check_my_mul, "mul-no-upstream", "out.grad"),
    (check_my_pow, "pow-k", "lowers the exponent"),
    (check_my_pow, "pow-no-k", "brings k down in front"),
    (check_my_pow, "pow-no-upstream", "upstream gradient"),
    (check_my_tanh, "tanh-input", "not 1 - a**2 from the input"),
    (check_my_tanh, "tanh=", "use +="),
    (check_my_exp, "exp-input", "exp is its own slope"),
    (check_my_exp, "exp-power", "not a * e**(a - 1)"),
    (check_my_exp, "exp-no-upstream", "upstream gradient"),
    (check_my_backward, "naive", "before all of its consumers"),
    (check_my_backward, "no-seen", "keep a set of visited nodes"),
    (check_my_backward, "no-seed", "root.grad = 1.0"),
    (check_my_backward, "forward-order", "reverse topological order (root first)"),
    (check_my_backward, "root-only", "only the root's _backward ran"),
    (check_my_backward, "preorder", "where the walk first reaches it"),
    (check_my_backward, "kept-seen", "a second one on the same graph"),
    (check_my_pow, "pow-3", "written for one exponent"),
    (check_my_add, "add-one-side", "other is missing"),
    (check_my_add, "add-self-missing", "self is missing"),
    (check_my_exp, "not-attached", "is out._backward = _backward still there"),
])
def test_each_check_names_the_classic_mistake(check, slip, words):
    fb = check(make_value(slip))
    assert not fb.ok and words in fb.message, fb


def test_a_slip_in_one_op_does_not_fail_another_ops_check():
    broken = make_value("mul-own-value")
    assert check_my_add(broken).ok and check_my_tanh(broken).ok
    assert check_my_backward(make_value("exp-input")).ok


def test_breadth_first_backward_is_named():
    V = make_value()

    def bfs(self):
        self.grad, queue, seen = 1.0, [self], {id(self)}
        while queue:
            n = queue.pop(0)
            n._backward()
            for c in n._inputs:
                if id(c) not in seen:
                    seen.add(id(c))
                    queue.append(c)

    V.backward = bfs
    fb = check_my_backward(V)
    assert not fb.ok and "breadth-first" in fb.message, fb


def test_stubs_say_not_attempted_and_the_rest_of_the_class_still_checks():
    V = make_value()

    def stub(self, *args):
        raise NotImplementedError()

    V.backward = stub
    assert check_my_backward(V).status == "not attempted"
    assert check_my_add(V).ok  # the op checks never call backward()

    W = make_value()
    orig = W.tanh

    def tanh(self):
        out = orig(self)

        def _backward():
            raise NotImplementedError()

        out._backward = _backward
        return out

    W.tanh = tanh
    fb = check_my_tanh(W)
    assert fb.status == "not attempted" and "MyValue.tanh" in fb.message


def test_hard_coded_class_and_broken_classes_get_one_line_hints():
    V = make_value()
    one = V(0.7)
    fb = check_my_add(lambda *a: one)
    assert not fb.ok and "does not depend on the inputs" in fb.message

    class NoGrad:
        def __init__(self, data, _inputs=()):
            self.data = data

    fb = check_my_mul(NoGrad)
    assert not fb.ok and "missing .grad, ._backward" in fb.message

    class Forgets(V):
        def exp(self):
            V.exp(self)  # no return

    fb = check_my_exp(Forgets)
    assert not fb.ok and "did the op return out?" in fb.message

    class Raises(V):
        def __pow__(self, k):
            out = V.__pow__(self, k)

            def _backward():
                return 1 / 0

            out._backward = _backward
            return out

    fb = check_my_pow(Raises)
    assert not fb.ok and "ZeroDivisionError" in fb.message
    fb = check_my_backward(V(2.0))
    assert not fb.ok and "needs your class MyValue(data) itself" in fb.message

    class OneArg(V):
        def __init__(self, data):
            super().__init__(data)

    fb = check_my_backward(OneArg)
    assert not fb.ok and "keep the skeleton's __init__(self, data, _inputs=())" in (
        fb.message), fb
    assert math.isfinite(V(1.0).data)
