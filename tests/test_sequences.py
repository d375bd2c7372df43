"""bpkit.sequences: shapes, seeding, what each task's target means, the shipped text."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

from bpkit.sequences import (
    TEXTS,
    CharVocab,
    adding_problem,
    char_batches,
    delayed_recall,
    load_text,
    one_hot,
    sine_next_step,
)

GENESIS_SHA256 = "70c1cd33eced214f4c2559190bd6dd44e0b193fed7bb6175f740666d8264e15a"


def test_sine_target_is_the_next_input_without_noise(rng):
    x, y = sine_next_step(5, 30, rng)
    assert x.shape == y.shape == (5, 30, 1)
    np.testing.assert_allclose(y[:, :-1], x[:, 1:])
    assert np.all(np.abs(x) <= 1)
    noisy, clean = sine_next_step(5, 30, np.random.default_rng(1), noise=0.1)
    assert not np.allclose(noisy[:, 1:], clean[:, :-1])


def test_datasets_are_reproducible_from_the_rng():
    for make in (lambda r: sine_next_step(3, 10, r), lambda r: adding_problem(3, 10, r),
                 lambda r: delayed_recall(3, 6, r)):
        a, b = make(np.random.default_rng(4)), make(np.random.default_rng(4))
        c = make(np.random.default_rng(5))
        assert all(np.array_equal(u, v) for u, v in zip(a, b))
        assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("lag", [None, 1, 5, 19])
def test_adding_problem_target_is_the_sum_of_the_two_marked_values(rng, lag):
    T = 20
    x, y = adding_problem(50, T, rng, lag=lag)
    assert x.shape == (50, T, 2) and y.shape == (50, 1)
    marks = x[..., 1]
    assert np.all(marks.sum(axis=1) == 2)
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * marks).sum(axis=1))
    first = marks.argmax(axis=1)
    if lag is None:
        assert np.all(first < T // 2)
    else:
        assert np.all(first == T - 1 - lag)


def test_delayed_recall_shows_the_symbol_then_noise_then_the_cue(rng):
    x, y = delayed_recall(40, 7, rng, symbols=3, distractors=2)
    assert x.shape == (40, 8, 6) and y.shape == (40,)
    np.testing.assert_array_equal(x[:, 0, :3].argmax(axis=1), y)
    assert np.all(x[:, 0].sum(axis=1) == 1)
    assert np.all(x[:, 1:7, :3] == 0) and np.all(x[:, 1:7, 5] == 0)
    assert np.std(x[:, 1:7, 3:5]) == pytest.approx(1, abs=0.2)
    assert np.all(x[:, 7, 5] == 1) and np.all(x[:, 7, :5] == 0)
    assert set(np.unique(y)) == {0, 1, 2}


def test_bad_arguments_raise_clear_errors(rng):
    with pytest.raises(ValueError, match="lag = 10 needs T >= lag \\+ 1"):
        adding_problem(3, 10, rng, lag=10)
    with pytest.raises(ValueError, match="T must be an integer >= 1"):
        sine_next_step(3, 0, rng)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        delayed_recall(3, 5, 0)
    with pytest.raises(ValueError, match="unknown text 'bible'"):
        load_text("bible")
    with pytest.raises(ValueError, match="expected \\(L,\\) with L >= T \\+ 1 = 11"):
        char_batches(np.arange(5), 2, 10, rng)


def test_the_shipped_text_is_intact_and_a_few_tens_of_kb():
    path = Path(__file__).resolve().parents[1] / "bpkit" / "datasets" / TEXTS["genesis"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == GENESIS_SHA256
    text = load_text("genesis")
    assert 20_000 < len(text) < 100_000
    assert text.startswith("CHAPTER 1\n\nIn the beginning God created the heaven")


def test_vocab_round_trips_the_text_and_rejects_unknown_characters():
    text = load_text()
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    assert vocab.decode(ids) == text
    assert len(vocab) == vocab.size == len(set(text))
    assert vocab.chars == sorted(vocab.chars)
    with pytest.raises(ValueError, match="character '~' is not in the vocabulary"):
        vocab.encode("a~")


def test_char_batches_targets_are_the_next_characters(rng):
    ids = np.arange(100)
    x, y = char_batches(ids, 8, 12, rng)
    assert x.shape == y.shape == (8, 12)
    np.testing.assert_array_equal(y, x + 1)
    np.testing.assert_array_equal(np.diff(x, axis=1), 1)


def test_one_hot_puts_a_single_one_at_each_id():
    ids = np.array([[0, 3], [2, 1]])
    oh = one_hot(ids, 4)
    assert oh.shape == (2, 2, 4) and oh.sum() == 4
    np.testing.assert_array_equal(oh.argmax(axis=-1), ids)
    with pytest.raises(ValueError, match="ids must lie in 0..3"):
        one_hot(np.array([4]), 4)
