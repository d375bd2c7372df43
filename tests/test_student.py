"""Student copies (`make student`): solutions out, stubs in, every check still runs.

- tools/student.py writes a copy of every notebooks/NN_*.ipynb with each
  `### BEGIN SOLUTION` ... `### END SOLUTION` region replaced by nbgrader's stub and
  all outputs cleared; each copy executes top to bottom without an error and every
  `check_...` in it says "not attempted yet".
- The instructor notebooks' checks accept the solutions (their committed outputs say
  "correct"), and every lesson has tests/test_exercises_lessonNN.py exercising each
  of its checks against the solution and the anticipated mistakes.
- `--nbgrader DIR` writes nbgrader sources instead (tests/test_nbgrader.py runs
  nbgrader on them).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from tests._tools import load_tool

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
CHECK_CALL = re.compile(r"(?<!def )(?<![\w.])(check_\w+)\s*\(")


student = load_tool("student")
ids = [p.stem for p in NOTEBOOKS]


def _code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def _text(outputs) -> str:
    parts = []
    for out in outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    return "\n".join(parts)


# ------------------------------------------------------------ the stripping itself
def test_strip_solutions_replaces_each_region_with_the_stub_at_its_indentation():
    source = (
        "def f(x):\n"
        "    ### BEGIN SOLUTION\n"
        "    y = 2 * x\n"
        "    return y\n"
        "    ### END SOLUTION\n"
        "\n"
        "def g():\n"
        "    ### BEGIN SOLUTION\n"
        "    return 1\n"
        "    ### END SOLUTION\n"
        "check_f(f)"
    )
    out, n = student.strip_solutions(source)
    assert n == 2
    assert out == (
        "def f(x):\n"
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()\n"
        "\n"
        "def g():\n"
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()\n"
        "check_f(f)"
    )
    namespace = {}
    exec(out.replace("check_f(f)", ""), namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


def test_strip_solutions_leaves_a_cell_without_markers_alone():
    source = "x = 1\nprint(x)\n"
    assert student.strip_solutions(source) == (source, 0)


@pytest.mark.parametrize("source, problem", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "line 2: ### END SOLUTION without"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "line 2"),
])
def test_unbalanced_markers_are_an_error_naming_the_line(source, problem):
    with pytest.raises(ValueError, match=problem):
        student.strip_solutions(source)


def test_markdown_solutions_become_nbgraders_answer_stub():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(
            "Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION")
    ])
    copy, n = student.student_notebook(nb)
    assert n == 1 and copy.cells[0].source == "Why?\n\nYOUR ANSWER HERE"
    assert nb.cells[0].source.endswith("### END SOLUTION"), "the original is untouched"


def test_nbgrader_source_marks_answer_cells_and_graded_tests_cells():
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    marked = student.nbgrader_notebook(nb, NOTEBOOKS[0].stem)
    ids_, kinds = [], []
    for cell in marked.cells:
        meta = cell.metadata.get("nbgrader")
        if "### BEGIN SOLUTION" in cell.source:
            assert meta["solution"] is True and meta["grade"] is False
        if CHECK_CALL.search(cell.source):
            assert meta["grade"] is True and meta["points"] > 0
        if meta:
            assert meta["schema_version"] == 3
            ids_.append(meta["grade_id"])
            kinds.append((meta["solution"], meta["grade"]))
        else:
            assert cell.cell_type != "code" or not CHECK_CALL.search(cell.source)
    assert kinds.count((True, False)) == kinds.count((False, True)) >= 1
    assert ids_ and len(ids_) == len(set(ids_)), ids_
    # the student view is unchanged: check cells there still only show the hint
    assert "assert" not in "".join(c.source for c in student.student_notebook(nb)[0].cells
                                   if CHECK_CALL.search(c.source))


def test_command_line_writes_copies_and_reports_counts(tmp_path, capsys):
    assert student.main([str(NOTEBOOKS[0]), "--out", str(tmp_path / "s"),
                         "--nbgrader", str(tmp_path / "src")]) == 0
    assert (tmp_path / "s" / NOTEBOOKS[0].name).exists()
    assert (tmp_path / "src" / NOTEBOOKS[0].name).exists()
    out = capsys.readouterr().out
    assert "replaced by stubs" in out and "tests cells" in out and "points" in out


def test_nbgrader_alone_writes_only_the_nbgrader_sources(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert student.main([str(NOTEBOOKS[0]), "--nbgrader", "source/bpkit"]) == 0
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.ipynb")] == [
        f"source/bpkit/{NOTEBOOKS[0].name}"]
    # one line, for the one file written: no student/ copy beside it
    assert capsys.readouterr().out.splitlines() == [
        f"source/bpkit/{NOTEBOOKS[0].name}: 3 answer cells, 3 tests cells, 3 points"]


# ------------------------------------------------------------ every notebook
@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """Student copies of every notebook, written the way `make student` does."""
    out = tmp_path_factory.mktemp("student")
    assert student.main(["--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def executed(copies):
    """Every student copy executed top to bottom in a fresh kernel (two at a time)."""
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the kernel draws with its inline backend

    def run(path: Path):
        result = subprocess.run(
            [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
             "--ExecutePreprocessor.timeout=300", "--output-dir", str(copies / "run"),
             str(path)],
            capture_output=True, text=True, env=env, cwd=copies,
        )
        return path.name, result

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, sorted(copies.glob("*.ipynb"))))


def test_every_notebook_gets_a_student_copy(copies):
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb"
    assert sorted(p.name for p in copies.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_student_copy_has_stubs_instead_of_solutions_and_no_outputs(notebook, copies):
    original = nbformat.read(notebook, as_version=4)
    copy = nbformat.read(copies / notebook.name, as_version=4)
    regions = sum(c.source.count("### BEGIN SOLUTION") for c in original.cells)
    assert regions >= 1, f"{notebook.name} has no exercise with solution markers"
    text = "\n".join(c.source for c in copy.cells)
    assert "### BEGIN SOLUTION" not in text and "### END SOLUTION" not in text
    assert text.count("raise NotImplementedError()") >= regions
    for cell in _code_cells(copy):
        assert cell.outputs == [] and cell.execution_count is None
    assert "widgets" not in copy.metadata
    # only the solution regions changed: the check calls and everything else stay
    checks = [CHECK_CALL.findall(c.source) for c in _code_cells(original)]
    assert checks == [CHECK_CALL.findall(c.source) for c in _code_cells(copy)]
    assert len(copy.cells) == len(original.cells)


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_student_copy_runs_and_every_check_says_not_attempted(
    notebook, executed, copies
):
    result = executed[notebook.name]
    assert result.returncode == 0, (
        f"the student copy of {notebook.name} fails to execute:\n"
        f"{result.stderr[-3000:]}"
    )
    nb = nbformat.read(copies / "run" / notebook.name, as_version=4)
    check_cells = [c for c in _code_cells(nb) if CHECK_CALL.search(c.source)]
    assert check_cells, f"{notebook.name} calls no check_... helper"
    for cell in check_cells:
        shown = _text(cell.outputs)
        assert "not attempted yet" in shown, (
            f"{notebook.name}: a check on a stub should say 'not attempted yet':\n"
            f"{cell.source}\n--- output ---\n{shown}"
        )
        assert "correct:" not in shown and "not yet:" not in shown, shown
    errors = [_text([o]) for c in _code_cells(nb) for o in c.outputs
              if o.output_type == "error"]
    assert not errors, errors


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_instructor_notebook_checks_accept_the_solutions(notebook):
    nb = nbformat.read(notebook, as_version=4)
    check_cells = [c for c in _code_cells(nb) if CHECK_CALL.search(c.source)]
    assert check_cells, f"{notebook.name} calls no check_... helper"
    for cell in check_cells:
        shown = _text(cell.outputs)
        assert shown.strip().startswith("correct:"), (
            f"{notebook.name}: the committed output of a check on the solution should "
            f"start with 'correct:':\n{cell.source}\n--- output ---\n{shown}"
        )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_every_check_a_lesson_uses_has_tests_of_its_hints(notebook):
    lesson = notebook.name[:2]
    checks_module = ROOT / "bpkit" / "exercises" / f"lesson{lesson}.py"
    tests = ROOT / "tests" / f"test_exercises_lesson{lesson}.py"
    assert checks_module.exists(), f"missing {checks_module.relative_to(ROOT)}"
    assert tests.exists(), (
        f"missing {tests.relative_to(ROOT)}: it must show that each check accepts the "
        "solution and rejects each anticipated mistake with its specific hint"
    )
    used = {name for c in _code_cells(nbformat.read(notebook, as_version=4))
            for name in CHECK_CALL.findall(c.source)}
    untested = sorted(name for name in used if name not in tests.read_text())
    assert not untested, f"{tests.name} never exercises {untested}"


# ------------------------------------------------------------ never lose a file
def _main_error(capsys, argv) -> tuple[int, str]:
    code = student.main(argv)
    return code, capsys.readouterr().err


def test_an_out_folder_holding_the_sources_is_refused_and_nothing_changes(capsys):
    before = NOTEBOOKS[0].read_bytes()
    for out in (ROOT / "notebooks", ROOT / "notebooks" / ".." / "notebooks"):
        code, err = _main_error(capsys, [str(NOTEBOOKS[0]), "--out", str(out)])
        assert code == 1 and "is a source notebook" in err
    assert NOTEBOOKS[0].read_bytes() == before


def test_an_existing_copy_is_kept_unless_forced(tmp_path, capsys):
    out = tmp_path / "student"
    assert student.main([str(NOTEBOOKS[0]), "--out", str(out)]) == 0
    target = out / NOTEBOOKS[0].name
    target.write_text('{"a learner": "edits"}')
    code, err = _main_error(capsys, [str(NOTEBOOKS[0]), "--out", str(out)])
    assert code == 1 and "already exist" in err and "--force" in err
    assert target.read_text() == '{"a learner": "edits"}'
    assert student.main([str(NOTEBOOKS[0]), "--out", str(out), "--force"]) == 0
    assert "BEGIN SOLUTION" not in target.read_text()


def test_a_missing_notebook_is_a_one_line_error(tmp_path, capsys):
    code, err = _main_error(capsys, [str(tmp_path / "nope.ipynb"), "--out",
                                     str(tmp_path / "s")])
    assert code == 1 and err.strip().count("\n") == 0 and "no such notebook" in err
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("begin, end", [
    ("# BEGIN SOLUTION", "# END SOLUTION"),
    ("###BEGIN SOLUTION", "###END SOLUTION"),
    ("## BEGIN SOLUTION ##", "## END SOLUTION ##"),
])
@pytest.mark.parametrize("cell_type", ["code", "markdown", "raw"])
def test_every_marker_spelling_nbgrader_accepts_is_stripped_in_every_cell_type(
    begin, end, cell_type
):
    make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
            "raw": nbformat.v4.new_raw_cell}[cell_type]
    nb = nbformat.v4.new_notebook(cells=[make(f"before\n{begin}\nthe answer 42\n{end}\n")])
    copy_, n = student.student_notebook(nb)
    assert n == 1 and "42" not in copy_.cells[0].source
    assert copy_.cells[0].source.startswith("before\n")


def test_a_marker_it_cannot_pair_fails_loudly_and_writes_nothing(tmp_path, capsys):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# BEGIN SOLUTION\nthe answer")])
    src = tmp_path / "01_x.ipynb"
    nbformat.write(nb, src)
    code, err = _main_error(capsys, [str(src), "--out", str(tmp_path / "s")])
    assert code == 1 and "never closed" in err
    assert not (tmp_path / "s").exists()
