"""nbgrader end to end: tools/student.py --nbgrader, generate_assignment, autograde.

In a throwaway course folder (nbgrader_config.py naming the course, as nbgrader's
own tests set one up), `tools/student.py --nbgrader source/bpkit` writes the
sources and `nbgrader generate_assignment bpkit` releases all seven lessons. Two
submissions are autograded: one with the instructor's solutions typed into the
answer cells, which scores full marks, and the untouched release, which scores
zero. Lessons 01 and 02 are autograded (each run executes the whole lesson);
BPKIT_NBGRADER_ALL=1 autogrades all seven. Skipped without nbgrader.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bpkit.exercises import Feedback
from tests._tools import load_tool

pytest.importorskip("nbgrader")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
GRADED = NOTEBOOKS if os.environ.get("BPKIT_NBGRADER_ALL") else NOTEBOOKS[:2]
ASSIGNMENT = "bpkit"
CHECK_CALL = re.compile(r"^check_\w+\(", re.M)

student = load_tool("student")


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `nbgrader ARGS` in the course folder, as an instructor would."""
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the kernel draws with its inline backend
    # nbgrader runs the `alembic` command of its own environment
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"nbgrader {' '.join(args)}:\n{result.stderr[-4000:]}"
    return result


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _completed(release: Path, source: Path):
    """The release with each answer cell holding the instructor's solution."""
    answers = {_meta(c)["grade_id"]: c.source
               for c in nbformat.read(source, as_version=4).cells if _meta(c).get("solution")}
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        if _meta(cell).get("solution"):
            typed = answers[_meta(cell)["grade_id"]].splitlines()
            cell.source = "\n".join(line for line in typed if "SOLUTION" not in line)
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course with every lesson's source generated into release/bpkit/."""
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(
        f'c = get_config()\nc.CourseDirectory.course_id = "{ASSIGNMENT}"\n')
    assert student.main(["--nbgrader", str(course / "source" / ASSIGNMENT)]) == 0
    _nbgrader(course, "generate_assignment", ASSIGNMENT)
    return course


@pytest.fixture(scope="module")
def graded(course) -> Path:
    """Two submissions autograded: "complete" (the solutions) and "untouched"."""
    for path in GRADED:
        release = course / "release" / ASSIGNMENT / path.name
        for who, nb in (("complete", _completed(release, course / "source" / ASSIGNMENT
                                                / path.name)),
                        ("untouched", nbformat.read(release, as_version=4))):
            target = course / "submitted" / who / ASSIGNMENT / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
    _nbgrader(course, "autograde", ASSIGNMENT)
    return course


def _scores(course: Path, who: str, monkeypatch) -> dict[str, tuple[float, float]]:
    """{notebook: (score, max score)} of one student, from nbgrader's Gradebook."""
    from nbgrader.api import Gradebook

    # opening a gradebook runs `alembic` too
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep
                       + os.environ.get("PATH", ""))
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT) as gb:
        found = {p.stem: gb.find_submission_notebook(p.stem, ASSIGNMENT, who)
                 for p in GRADED}
        return {name: (nb.score, nb.max_score) for name, nb in found.items()}


# ------------------------------------------------------------ the sources
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_source_splits_every_exercise_into_answer_and_graded_tests_cells(notebook):
    nb = student.nbgrader_notebook(nbformat.read(notebook, as_version=4), notebook.stem)
    answers = [c for c in nb.cells if _meta(c).get("solution")]
    tests = [c for c in nb.cells if _meta(c).get("grade")]
    assert answers and len(answers) == len(tests)
    for cell in answers:
        assert _meta(cell)["grade"] is False and "### BEGIN SOLUTION" in cell.source
        assert not CHECK_CALL.search(cell.source), "the check must sit in a tests cell"
    for cell in tests:
        meta = _meta(cell)
        assert meta["solution"] is False and meta["locked"] is True
        assert meta["points"] > 0
        assert CHECK_CALL.search(cell.source) and "BEGIN SOLUTION" not in cell.source
        hidden = cell.source[cell.source.index("### BEGIN HIDDEN TESTS"):]
        assert "assert _verdict.ok" in hidden and hidden.rstrip().endswith(
            "### END HIDDEN TESTS"), "the assert must come last: no partial credit"
    for cell in nb.cells:
        if "BEGIN SOLUTION" in cell.source:
            assert _meta(cell).get("solution"), "nbgrader refuses a region elsewhere"
        if cell.cell_type == "code":
            assert cell.outputs == []
    ids = [_meta(c)["grade_id"] for c in nb.cells if _meta(c)]
    assert len(ids) == len(set(ids))
    assert "widgets" not in nb.metadata


def test_a_tests_cell_raises_exactly_when_the_check_is_not_ok():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\ncheck_f(f)"
    tests = dict(student.split_exercise(source))["tests"]
    for status, raises in (("correct", False), ("hint", True), ("not attempted", True)):
        namespace = {"f": None, "check_f": lambda fn: Feedback(status, "the hint")}
        if raises:
            with pytest.raises(AssertionError, match="the hint"):
                exec(tests, namespace)
        else:
            exec(tests, namespace)


def test_imports_above_an_answer_go_to_a_read_only_cell():
    source = ("from m import check_f\nimport math\n\ndef f(x):\n"
              "    ### BEGIN SOLUTION\n    return math.pi\n    ### END SOLUTION\n\n"
              "check_f(f)\n")
    pieces = student.split_exercise(source)
    assert [role for role, _ in pieces] == ["setup", "answer", "tests"]
    assert pieces[0][1] == "from m import check_f\nimport math"
    assert pieces[1][1].startswith("def f(x):")
    assert pieces[2][1].startswith("check_f(f)\n### BEGIN HIDDEN TESTS")


def test_a_written_answer_becomes_a_manually_graded_cell_and_prose_stays_plain():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
    ])
    prose, written = student.nbgrader_notebook(nb, "x").cells
    assert "nbgrader" not in prose.metadata
    meta = written.metadata["nbgrader"]
    assert meta["solution"] and meta["grade"] and meta["points"] > 0


def test_a_check_inside_the_answer_is_refused():
    source = "### BEGIN SOLUTION\ncheck_f(f)\n### END SOLUTION\n"
    with pytest.raises(ValueError, match="line 2: a check_... call above"):
        student.split_exercise(source)


# ------------------------------------------------------------ nbgrader itself
def test_every_lesson_generates_a_release_without_answers_asserts_or_widget_state(
    course,
):
    release = course / "release" / ASSIGNMENT
    assert sorted(p.name for p in release.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        text = (release / path.name).read_text()
        nb = nbformat.reads(text, as_version=4)
        assert "SOLUTION" not in text and "HIDDEN TESTS" not in text
        assert "assert _verdict" not in text, "learners see the hint, not a traceback"
        assert "widgets" not in nb.metadata
        assert all(c.outputs == [] for c in nb.cells if c.cell_type == "code")
        tests = [c for c in nb.cells if _meta(c).get("grade")]
        assert tests and all(CHECK_CALL.search(c.source) for c in tests)
        assert sum(_meta(c)["points"] for c in tests) == len(tests)
        answers = [c for c in nb.cells if _meta(c).get("solution")]
        assert all("raise NotImplementedError()" in c.source for c in answers)


@pytest.mark.notebook  # autograde executes the lessons
def test_completed_copy_scores_full_marks_and_untouched_copy_scores_zero(
    graded, monkeypatch
):
    complete = _scores(graded, "complete", monkeypatch)
    untouched = _scores(graded, "untouched", monkeypatch)
    for name, (score, max_score) in complete.items():
        assert max_score > 0 and score == max_score, (name, score, max_score)
    for name, (score, max_score) in untouched.items():
        assert max_score > 0 and score == 0, (name, score, max_score)


@pytest.mark.notebook  # autograde executes the lessons
def test_completed_copy_runs_without_an_error_in_any_cell(graded):
    # nbgrader scores only the tests cells: an error elsewhere would go unnoticed
    for path in GRADED:
        nb = nbformat.read(graded / "autograded" / "complete" / ASSIGNMENT / path.name,
                           as_version=4)
        errors = [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code"
                  for o in c.outputs if o.output_type == "error"]
        assert not errors, f"{path.name}: {errors}"


@pytest.mark.notebook  # autograde executes the lessons
def test_untouched_copy_fails_every_tests_cell_with_the_checks_words(graded):
    for path in GRADED:
        nb = nbformat.read(graded / "autograded" / "untouched" / ASSIGNMENT / path.name,
                           as_version=4)
        for cell in nb.cells:
            if _meta(cell).get("grade"):
                errors = [o for o in cell.outputs if o.output_type == "error"]
                assert [e.ename for e in errors] == ["AssertionError"], cell.source
                assert errors[0].evalue.startswith("not attempted yet")


@pytest.mark.notebook  # autograde executes the lessons
def test_nbgrader_export_reports_the_same_scores(graded):
    _nbgrader(graded, "export", "--to", "grades.csv")
    with open(graded / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    points = {p.name: sum(_meta(c).get("points", 0) for c in nbformat.read(
        graded / "release" / ASSIGNMENT / p.name, as_version=4).cells) for p in NOTEBOOKS}
    # lessons not submitted score zero
    assert float(rows["complete"]["raw_score"]) == sum(points[p.name] for p in GRADED)
    assert float(rows["untouched"]["raw_score"]) == 0
    assert float(rows["complete"]["max_score"]) == sum(points.values()) > 0
