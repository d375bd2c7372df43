"""Bad inputs to data, sequences, metrics, init and gradcheck stop at the call.

Each row is (call, exception type, message regex). The regex starts with the
argument's name as the caller wrote it, then what was expected and what came:
a learner's slip reads as a sentence, not a numpy traceback or a NaN result.
"""

from __future__ import annotations

import numpy as np
import pytest

from bpkit import data, gradcheck, init, metrics, sequences

NS = {"np": np, "data": data, "sequences": sequences, "metrics": metrics,
      "init": init, "gradcheck": gradcheck, "nan": float("nan"), "inf": float("inf"),
      "sq": lambda x: x ** 2}

XY = "np.zeros((10, 2)), np.zeros(10)"
V = "sequences.CharVocab('abc')."

CASES = [
    # ---------------------------------------------------------------- data
    ("data.make_moons(nan, R)", ValueError, r"n must be an integer >= 2, got nan"),
    ("data.make_moons(None, R)", ValueError, r"n must be an integer >= 2, got None"),
    ("data.make_circles(inf, R)", ValueError, r"n must be an integer >= 2, got inf"),
    ("data.make_moons(10, R, noise=nan)", ValueError,
     r"noise must be a finite number, got nan"),
    ("data.make_circles(10, R, noise=inf)", ValueError,
     r"noise must be a finite number, got inf"),
    ("data.make_xor(10, R, noise=None)", ValueError,
     r"noise must be a finite number, got None"),
    ("data.make_spirals(10, R, noise='0.1')", ValueError,
     r"noise must be a finite number, got '0.1'"),
    ("data.make_circles(10, R, factor=None)", ValueError,
     r"factor must be a finite number, got None"),
    ("data.make_spirals(10, R, classes=None)", ValueError,
     r"classes must be an integer >= 2, got None"),
    ("data.make_spirals(10, R, classes=100)", ValueError,
     r"classes must be at most n = 10 .*got 100"),
    ("data.load_digits(dtype='bogus')", TypeError,
     r"dtype must be a float dtype .*got 'bogus'"),
    ("data.train_test_split(None, None, R)", TypeError,
     r"X must be an array with one example per row, got None"),
    ("data.train_test_split(np.zeros((10, 2)), None, R)", TypeError,
     r"y must be an array with one example per row, got None"),
    (f"data.train_test_split({XY}, R, None)", ValueError,
     r"test_fraction must be a finite number, got None"),
    (f"data.train_test_split({XY}, R, '0.2')", ValueError,
     r"test_fraction must be a finite number, got '0.2'"),
    ("data.one_hot(np.array([0, 1]), 2.5)", ValueError,
     r"classes must be an integer >= 0, got 2.5"),
    ("data.one_hot(np.array([0, 1]), None)", ValueError,
     r"classes must be an integer >= 0, got None"),
    ("data.one_hot(np.zeros(0, int), -1)", ValueError,
     r"classes must be an integer >= 0, got -1"),
    # checked at the call, not when the first batch is drawn
    ("data.minibatches(np.zeros((10, 2)), np.zeros(9), 3)", ValueError,
     r"X has 10 rows but y has 9"),
    (f"data.minibatches({XY}, nan)", ValueError,
     r"batch_size must be a positive integer, got nan"),
    (f"data.minibatches({XY}, None)", ValueError,
     r"batch_size must be a positive integer, got None"),
    ("data.minibatches(None, None, 3)", TypeError,
     r"X must be a numpy array .*got NoneType"),
    ("data.minibatches([[0.0, 1.0]] * 10, [0, 1] * 5, 3)", TypeError,
     r"X must be a numpy array .*got list"),
    ("data.grid([[0.0, 1.0], [1.0, 0.0]])", TypeError,
     r"X must be a numpy array .*got list"),
    ("data.grid(np.zeros((0, 2)))", ValueError, r"X is empty \(shape \(0, 2\)\)"),
    ("data.grid(np.array([[nan, 0.0], [1.0, 1.0]]))", ValueError,
     r"X holds nan or inf"),
    ("data.grid(np.eye(2, dtype=complex))", TypeError,
     r"X must be a real numeric array, got dtype complex128"),
    ("data.grid(np.eye(2), steps=0)", ValueError,
     r"steps must be an integer >= 2, got 0"),
    ("data.grid(np.eye(2), steps=2.5)", ValueError,
     r"steps must be an integer >= 2, got 2.5"),
    ("data.grid(np.eye(2), steps=None)", ValueError,
     r"steps must be an integer >= 2, got None"),
    ("data.grid(np.eye(2), pad=nan)", ValueError,
     r"pad must be a finite number >= 0, got nan"),
    ("data.grid(np.eye(2), pad=-10)", ValueError,
     r"pad must be a finite number >= 0, got -10"),
    # ----------------------------------------------------------- sequences
    ("sequences.sine_next_step(3, 5, R, freq=None)", ValueError,
     r"freq must be \(lo, hi\) .*got None"),
    ("sequences.sine_next_step(3, 5, R, freq=(0.1,))", ValueError,
     r"freq must be \(lo, hi\) .*got \(0\.1,\)"),
    ("sequences.sine_next_step(3, 5, R, freq=(0.1, inf))", ValueError,
     r"freq must be \(lo, hi\) .*finite, got \(0\.1, inf\)"),
    ("sequences.sine_next_step(3, 5, R, noise=nan)", ValueError,
     r"noise must be a finite number, got nan"),
    ("sequences.sine_next_step(3, 5, R, noise=None)", ValueError,
     r"noise must be a finite number, got None"),
    ("sequences.delayed_recall(3, 3, R, noise=inf)", ValueError,
     r"noise must be a finite number, got inf"),
    ("sequences.leaky_sum_task(0, 5, R)", ValueError,
     r"N must be an integer >= 1, got 0"),
    ("sequences.leaky_sum_task(None, 5, R)", ValueError,
     r"N must be an integer >= 1, got None"),
    ("sequences.leaky_sum_task(3, 2.5, R)", ValueError,
     r"T must be an integer >= 1, got 2.5"),
    ("sequences.leaky_sum_task(3, 5, None)", TypeError,
     r"rng must be a numpy Generator, .*got NoneType"),
    ("sequences.leaky_sum_task(3, 5, R, decay=1.5)", ValueError,
     r"decay must be a number in \[0, 1\), got 1\.5"),
    ("sequences.leaky_sum_task(3, 5, R, decay=nan)", ValueError,
     r"decay must be a number in \[0, 1\), got nan"),
    ("sequences.leaky_sum_task(3, 5, R, decay=None)", ValueError,
     r"decay must be a number in \[0, 1\), got None"),
    ("sequences.leaky_sum_task(3, 5, R, scale=0)", ValueError,
     r"scale must be a finite number > 0, got 0"),
    ("sequences.leaky_sum_task(3, 5, R, scale=inf)", ValueError,
     r"scale must be a finite number > 0, got inf"),
    ("sequences.load_text(['genesis'])", ValueError,
     r"unknown text \['genesis'\]; choose one of"),
    ("sequences.CharVocab(None)", TypeError, r"text must be a str, got NoneType"),
    ("sequences.CharVocab(b'abc')", TypeError, r"text must be a str, got bytes"),
    ("sequences.CharVocab(['ab', 'c'])", TypeError, r"text must be a str, got list"),
    (V + "encode(None)", TypeError, r"text must be a str .*got NoneType"),
    (V + "decode([999])", ValueError, r"ids holds label 999, expected labels 0 .. 2"),
    (V + "decode([-1])", ValueError, r"ids holds label -1, expected labels 0 .. 2"),
    (V + "decode([1.7])", ValueError, r"ids must hold integer .*got \[1\.7\]"),
    (V + "decode(['a'])", TypeError, r"ids must hold integer .*got dtype <U1"),
    (V + "decode(None)", TypeError, r"ids must be a 1-d sequence .*got NoneType"),
    ("sequences.one_hot(np.array([0, 1]), nan)", ValueError,
     r"size must be an integer >= 0, got nan"),
    ("sequences.one_hot(np.array([0, 1]), None)", ValueError,
     r"size must be an integer >= 0, got None"),
    ("sequences.one_hot(np.zeros(0, int), -1)", ValueError,
     r"size must be an integer >= 0, got -1"),
    ("sequences.char_batches(np.arange(20) + 0.5, 2, 3, R)", ValueError,
     r"ids must hold integer .*got array\(\[ ?0\.5"),
    # ------------------------------------------------------------- metrics
    ("metrics.confusion_matrix(np.array([0.0, 1.0]), np.array([0.0, 1.0]), 2)",
     TypeError, r"y_true must hold integer class labels, got dtype float64"),
    ("metrics.confusion_matrix(np.array(['a', 'b']), np.array(['a', 'b']), 2)",
     TypeError, r"y_true must hold integer class labels, got dtype <U1"),
    ("metrics.confusion_matrix(np.array([0, 5]), np.array([0, 1]), 3)", ValueError,
     r"y_true holds label 5, expected labels 0 .. 2"),
    ("metrics.confusion_matrix(np.array([0, -1]), np.array([0, 1]), 3)", ValueError,
     r"y_true holds label -1, expected labels 0 .. 2"),
    ("metrics.confusion_matrix(np.array([0, 1]), np.array([0, 3]), 3)", ValueError,
     r"y_pred holds label 3, expected labels 0 .. 2"),
    ("metrics.confusion_matrix(np.array([0, 1]), np.array([0, 1]), 0)", ValueError,
     r"classes must be an integer >= 1, got 0"),
    ("metrics.confusion_matrix(np.array([0, 1]), np.array([0, 1]), 2.5)", ValueError,
     r"classes must be an integer >= 1, got 2\.5"),
    ("metrics.confusion_matrix(np.array([0, 1]), np.array([0, 1]), None)", ValueError,
     r"classes must be an integer >= 1, got None"),
    # ---------------------------------------------------------------- init
    ("init.normal((nan, 3), R)", ValueError,
     r"shape must be \(fan_in, fan_out\) .*nan"),
    ("init.he_normal((inf, 3), R)", ValueError,
     r"shape must be \(fan_in, fan_out\) .*inf"),
    ("init.xavier_uniform(None, R)", TypeError,
     r"shape must be \(fan_in, fan_out\) .*got NoneType"),
    ("init.he_uniform(3, R)", TypeError,
     r"shape must be \(fan_in, fan_out\) .*got int"),
    ("init.xavier_normal((2, 3), R, dtype='bogus')", TypeError,
     r"dtype must be float32 or float64, got 'bogus'"),
    ("init.gain(['relu'])", TypeError, r"activation must be a name .*got \['relu'\]"),
    ("init.gain('leaky_relu', slope=nan)", ValueError,
     r"slope must be a finite number, got nan"),
    ("init.gain('leaky_relu', slope=inf)", ValueError,
     r"slope must be a finite number, got inf"),
    ("init.gain('relu', slope=None)", ValueError,
     r"slope must be a finite number, got None"),
    ("init.gain('leaky_relu', slope='a')", ValueError,
     r"slope must be a finite number, got 'a'"),
] + [
    (f"init.{fn}((2, 3), R, {scale}={bad})", ValueError,
     rf"{scale} must be a finite number >= 0, got {shown}")
    for fn, scale in [("normal", "std"), ("xavier_uniform", "gain"),
                      ("xavier_normal", "gain"), ("he_uniform", "gain"),
                      ("he_normal", "gain")]
    for bad, shown in [("None", "None"), ("'0.1'", "'0.1'"), ("1j", r"1j")]
] + [
    # ----------------------------------------------------------- gradcheck
    ("gradcheck.numerical_grad(sq, 1.0, eps=0)", ValueError,
     r"eps must be a positive finite number, got 0"),
    ("gradcheck.numerical_grad(sq, 1.0, eps=nan)", ValueError,
     r"eps must be a positive finite number, got nan"),
    ("gradcheck.numerical_grad(sq, 1.0, eps=inf)", ValueError,
     r"eps must be a positive finite number, got inf"),
    ("gradcheck.numerical_grad(sq, 1.0, eps=None)", ValueError,
     r"eps must be a positive finite number, got None"),
    ("gradcheck.numerical_grad(sq, None)", TypeError,
     r"x must be a float or a float64 numpy array, got NoneType"),
    ("gradcheck.numerical_grad(sq, '1.5')", TypeError,
     r"x must be a float or a float64 numpy array, got str"),
    ("gradcheck.numerical_grad(sq, [1.0, 2.0])", TypeError,
     r"x must be a float or a float64 numpy array, got list"),
    ("gradcheck.numerical_grad(sq, 1j)", TypeError,
     r"x must be a float or a float64 numpy array, got complex"),
    ("gradcheck.numerical_grad(sq, nan)", ValueError,
     r"x must be a finite number, got nan"),
    ("gradcheck.numerical_grad(sq, np.array([1.0, 2.0]))", TypeError,
     r"f must return a scalar .*got an array of shape \(2,\)"),
    ("gradcheck.numerical_grad(None, 1.0)", TypeError,
     r"f must be a function, got NoneType"),
    ("gradcheck.rel_error(None, 1.0)", TypeError,
     r"a must be a real numeric array, got dtype object"),
    ("gradcheck.rel_error(1.0, 1j)", TypeError,
     r"b must be a real numeric array, got dtype complex128"),
    ("gradcheck.rel_error('abc', 1.0)", TypeError,
     r"a must be a real numeric array, got dtype <U3"),
    ("gradcheck.rel_error(np.array([nan]), np.array([1.0]))", ValueError,
     r"a holds nan or inf"),
    ("gradcheck.rel_error(np.array([1.0, 2.0]), np.array([1.0, inf]))", ValueError,
     r"b holds nan or inf \(first at index \[1\]\)"),
    ("gradcheck.rel_error(0.0, 0.0, floor=0)", ValueError,
     r"floor must be a finite number > 0, got 0"),
    ("gradcheck.rel_error(1.0, 1.0, floor=nan)", ValueError,
     r"floor must be a finite number > 0, got nan"),
    ("gradcheck.rel_error(0.0, 0.0, floor=-1)", ValueError,
     r"floor must be a finite number > 0, got -1"),
    ("gradcheck.rel_error(1.0, 2.0, floor=None)", ValueError,
     r"floor must be a finite number > 0, got None"),
]


def _run(code: str):
    return eval(code, {**NS, "R": np.random.default_rng(0)})


@pytest.mark.parametrize("code, err, pattern", CASES, ids=[c[0] for c in CASES])
def test_a_bad_argument_is_named_at_the_call(code, err, pattern):
    with pytest.raises(err, match=pattern) as info:
        _run(code)
    # the error is raised by bpkit itself, not from deep inside numpy or Python
    assert info.traceback[-1].path.parent.name == "bpkit"


def test_confusion_matrix_counts_bool_labels_as_zero_and_one():
    cm = metrics.confusion_matrix(np.array([True, False]), np.array([True, True]), 2)
    np.testing.assert_array_equal(cm, [[0, 1], [0, 1]])


def test_numerical_grad_of_an_empty_array_is_an_empty_gradient():
    g = gradcheck.numerical_grad(lambda a: float(np.sum(a)), np.zeros(0))
    assert g.shape == (0,) and g.dtype == np.float64
