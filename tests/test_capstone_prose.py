"""Sentences in the capstone (notebook 12) that name something outside it stay true."""

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _cells(name: str, kind: str) -> list[str]:
    nb = json.loads((ROOT / "notebooks" / name).read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind]


def test_lesson04s_exercise_5_is_the_batchnorm_backward_the_capstone_names():
    assert any("Lesson 04's exercise 5" in t
               for t in _cells("12_backprop_by_hand.ipynb", "markdown"))
    lesson04 = _cells("04_vanishing_gradients.ipynb", "markdown")
    assert any(t.startswith("**5.** Write batch norm's backward") for t in lesson04)
    assert any("check_batchnorm_backward(" in t
               for t in _cells("04_vanishing_gradients.ipynb", "code"))


def test_the_capstone_is_the_last_notebook_of_the_series():
    numbers = sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert numbers[-1] == "12"
    assert any("the last lesson of the series" in t
               for t in _cells("12_backprop_by_hand.ipynb", "markdown"))


def test_the_forward_pass_names_every_tensor_the_checks_measure():
    from bpkit.exercises.lesson12 import BACKWARD_ORDER, PARAMS

    code = "\n".join(_cells("12_backprop_by_hand.ipynb", "code"))
    for name in BACKWARD_ORDER:
        if name not in PARAMS:
            assert f"f.{name} = " in code, name
        assert f"def d{name}(f, d):" in code, name
