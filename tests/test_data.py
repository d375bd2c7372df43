"""Datasets: shapes, labels, determinism, the shipped digits, and the split helpers."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from bpkit import data

TOYS = [data.make_moons, data.make_circles, data.make_spirals, data.make_xor]


@pytest.mark.parametrize("make", TOYS)
def test_toy_sets_have_the_documented_shapes_and_labels(make):
    X, y = make(101, np.random.default_rng(0))
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    k = 3 if make is data.make_spirals else 2
    assert set(np.unique(y)) == set(range(k))
    assert np.abs(np.bincount(y) - 101 / k).max() <= 1  # balanced classes


@pytest.mark.parametrize("make", TOYS)
def test_toy_sets_are_deterministic_in_the_rng(make):
    a = make(50, np.random.default_rng(4))
    b = make(50, np.random.default_rng(4))
    c = make(50, np.random.default_rng(5))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("make", TOYS)
def test_toy_sets_reject_bad_arguments(make):
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        make(10, 0)
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        make(1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="noise must be >= 0"):
        make(10, np.random.default_rng(0), noise=-1)


def test_spirals_take_a_number_of_classes():
    X, y = data.make_spirals(60, np.random.default_rng(0), classes=5)
    assert set(y) == set(range(5))
    with pytest.raises(ValueError, match="classes must be an integer >= 2"):
        data.make_spirals(60, np.random.default_rng(0), classes=1)


def test_circles_put_the_inner_class_inside():
    X, y = data.make_circles(400, np.random.default_rng(0), noise=0.0, factor=0.3)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 1], 0.3)
    np.testing.assert_allclose(r[y == 0], 1.0)


def test_xor_labels_are_one_where_the_signs_differ():
    X, y = data.make_xor(200, np.random.default_rng(0), noise=0.1)
    np.testing.assert_array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(int))


# ------------------------------------------------------------------ digits
def test_digits_are_the_1797_uci_images_bit_for_bit():
    X, y = data.load_digits(scale=False, dtype=np.float64)
    assert X.shape == (1797, 64) and y.shape == (1797,) and y.dtype == np.int64
    raw_X, raw_y = X.astype(np.uint8), y.astype(np.uint8)
    # the hashes written in bpkit/datasets/README.md
    assert hashlib.sha256(raw_X.tobytes()).hexdigest() == (
        "8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3")
    assert hashlib.sha256(raw_y.tobytes()).hexdigest() == (
        "8ba4f891220f5e4c9c819638d1602d74b83618f167043c6da52a2a247841ddf0")
    assert X.min() == 0 and X.max() == 16
    np.testing.assert_array_equal(
        np.bincount(y), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])


def test_digits_scale_to_unit_interval_in_the_dtype_asked_for():
    X, y = data.load_digits(dtype=np.float32)
    assert X.dtype == np.float32 and X.min() == 0.0 and X.max() == 1.0
    X16, _ = data.load_digits(scale=False)
    np.testing.assert_allclose(X * 16, X16)
    with pytest.raises(ValueError, match="float dtype"):
        data.load_digits(dtype=np.int64)


def test_the_first_digit_is_a_zero_with_a_hole_in_the_middle():
    X, y = data.load_digits(scale=False)
    img = X[0].reshape(8, 8)
    assert y[0] == 0
    assert img[3:5, 3:5].max() <= 1 and img[3:5, 1:3].max() >= 8  # ring around a hole


def test_digits_ship_inside_the_package():
    from pathlib import Path

    import bpkit

    path = Path(bpkit.__file__).parent / "datasets" / "digits.npz"
    assert path.exists()
    assert "CC BY 4.0" in (path.parent / "README.md").read_text()


# ------------------------------------------------------------------ splits
def test_split_is_disjoint_complete_and_deterministic():
    X = np.arange(40).reshape(20, 2)
    y = np.arange(20)
    a = data.train_test_split(X, y, np.random.default_rng(0), test_fraction=0.25)
    b = data.train_test_split(X, y, np.random.default_rng(0), test_fraction=0.25)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    Xtr, Xte, ytr, yte = a
    assert len(yte) == 5 and len(ytr) == 15
    assert sorted(np.concatenate([ytr, yte])) == list(range(20))
    np.testing.assert_array_equal(Xtr[:, 0] // 2, ytr)  # rows stay with their labels


def test_stratified_split_keeps_every_class_share():
    _, y = data.load_digits()
    idx = np.arange(len(y))
    itr, ite, ytr, yte = data.train_test_split(
        idx, y, np.random.default_rng(0), test_fraction=0.25, stratify=True)
    share = np.bincount(yte) / np.bincount(y)
    assert np.abs(share - 0.25).max() < 0.01
    assert sorted(np.concatenate([itr, ite])) == list(idx)  # disjoint and complete
    np.testing.assert_array_equal(y[ite], yte)
    # a plain split of the same data misses the 25 % share by more
    _, _, _, yte_plain = data.train_test_split(idx, y, np.random.default_rng(0))
    plain = np.abs(np.bincount(yte_plain) / np.bincount(y) - 0.25).max()
    assert plain > np.abs(share - 0.25).max()


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(test_fraction=1.0), ValueError, r"test_fraction must be in \(0, 1\)"),
    (dict(rng=0), TypeError, "rng must be a numpy Generator"),
])
def test_split_rejects_bad_arguments(kwargs, err, match):
    args = dict(X=np.zeros((4, 2)), y=np.zeros(4), rng=np.random.default_rng(0))
    args.update(kwargs)
    with pytest.raises(err, match=match):
        data.train_test_split(**args)


def test_split_names_mismatched_lengths():
    with pytest.raises(ValueError, match="X has 4 rows but y has 3"):
        data.train_test_split(np.zeros((4, 2)), np.zeros(3), np.random.default_rng(0))


# ----------------------------------------------------------------- helpers
def test_one_hot_puts_a_single_one_per_row():
    np.testing.assert_array_equal(
        data.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"labels must be in 0..2, got values from 0 to 3"):
        data.one_hot(np.array([0, 3]), 3)


def test_minibatches_visit_every_example_once_per_epoch():
    X, y = np.arange(10).reshape(10, 1), np.arange(10)
    batches = list(data.minibatches(X, y, 4, np.random.default_rng(0)))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    seen = np.concatenate([b[1] for b in batches])
    assert sorted(seen) == list(range(10)) and list(seen) != list(range(10))
    for xb, yb in batches:
        np.testing.assert_array_equal(xb[:, 0], yb)
    in_order = np.concatenate([b[1] for b in data.minibatches(X, y, 3)])
    np.testing.assert_array_equal(in_order, np.arange(10))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        next(data.minibatches(X, y, 0))
