"""Write student copies of the notebooks: solutions out, stubs in, outputs cleared.

    python tools/student.py                       # notebooks/NN_*.ipynb -> student/
    python tools/student.py --out handout         # somewhere else
    python tools/student.py --nbgrader source/bpkit   # nbgrader sources instead
    python tools/student.py --force               # overwrite existing copies

It never writes over a source notebook, and never over an existing copy (a
learner's edits would be lost) unless `--force` is given; it checks every
target before writing any.

Every exercise answer in the instructor notebooks sits between nbgrader's markers,
``### BEGIN SOLUTION`` / ``### END SOLUTION``. As in nbgrader, any line that
contains ``BEGIN SOLUTION`` (``# BEGIN SOLUTION``, ``###BEGIN SOLUTION``, ...) opens
a region and any line containing ``END SOLUTION`` closes it, in every cell type
(code, markdown, raw); an unbalanced marker is an error. A student copy replaces each marked
region with nbgrader's stub (``raise NotImplementedError()`` in code, ``YOUR ANSWER
HERE`` in markdown), keeps everything else, and clears every output. The ``check_...``
calls stay: on a stub they print "not attempted yet" instead of failing.

``--nbgrader DIR`` writes nbgrader source notebooks into DIR instead (add ``--out``
to write the student copies as well); ``nbgrader generate_assignment`` makes the
release from them. Each exercise cell is split in up to three cells: the imports
above the answer (read-only), the answer (an "autograded answer" cell) and the
``check_...`` calls (an "autograder tests" cell worth `POINTS` per check). A check
returns a verdict and never raises, so the tests cell also holds a hidden
``assert`` on the verdict: ``nbgrader generate_assignment`` removes it from the
release (learners see the check's hint, never a traceback) and ``nbgrader
autograde`` puts it back, so a wrong or missing answer scores 0.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
# nbgrader's delimiters: a line containing one is a marker, however it is commented
BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"
# nbgrader's ClearSolutions stubs, so a student copy is what nbgrader would release
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
POINTS = 1  # per check_... call in an nbgrader tests cell

__all__ = ["strip_solutions", "student_notebook", "nbgrader_notebook", "write_copies"]


def strip_solutions(source: str, stub: str = CODE_STUB) -> tuple[str, int]:
    """Replace every BEGIN/END SOLUTION region (markers included) by `stub`.

    The stub takes the indentation of its BEGIN marker. Returns the new source and
    the number of regions replaced; a region left open or closed twice is a
    ValueError naming the line.
    """
    out: list[str] = []
    inside, regions = False, 0
    for number, line in enumerate(source.splitlines(), 1):
        if BEGIN in line:
            if inside:
                raise ValueError(
                    f"line {number}: {line.strip()} inside an open solution region")
            inside, regions = True, regions + 1
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + s for s in stub.splitlines()]
        elif END in line:
            if not inside:
                raise ValueError(
                    f"line {number}: {line.strip()} without a {BEGIN} before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN} is never closed by {END}")
    return "\n".join(out) + ("\n" if source.endswith("\n") else ""), regions


def _solution_regions(cell) -> int:
    return sum(BEGIN in line for line in cell.source.splitlines())


def student_notebook(nb: nbformat.NotebookNode, name: str = "notebook"):
    """A copy of `nb` with solutions replaced by stubs and all outputs cleared.

    Returns the copy and the number of solution regions replaced.
    """
    nb = copy.deepcopy(nb)
    total = 0
    for index, cell in enumerate(nb.cells):
        # every cell type: a marker in a raw cell would ship the answer too
        stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
        try:
            cell.source, n = strip_solutions(cell.source, stub)
        except ValueError as err:
            raise ValueError(f"{name}, cell {index}: {err}") from None
        total += n
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)  # nbconvert's timings
    nb.metadata.pop("widgets", None)  # saved widget state of the instructor's run
    return nb, total


def _first_line(stmt: ast.stmt) -> int:
    """0-based first line of a top-level statement, decorators included."""
    decorators = getattr(stmt, "decorator_list", [])
    return min([stmt.lineno] + [d.lineno for d in decorators]) - 1


def _is_check(stmt: ast.stmt) -> bool:
    """A top-level `check_...(...)` call, the way the notebooks grade an answer."""
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name)
            and stmt.value.func.id.startswith("check_"))


def _hidden_asserts(source: str, checks: list[ast.stmt]) -> str:
    """An nbgrader hidden-tests block that fails unless every check says correct."""
    lines = ["### BEGIN HIDDEN TESTS"]
    for stmt in checks:
        call = ast.get_source_segment(source, stmt.value)
        lines += [f"_verdict = {call}", "assert _verdict.ok, _verdict.message"]
    return "\n".join(lines + ["### END HIDDEN TESTS"])


def split_exercise(source: str) -> list[tuple[str, str]]:
    """Split a code cell into (role, source) pieces for nbgrader.

    Roles: "setup" (the statements above the answer), "answer" (from the statement
    holding the first BEGIN SOLUTION to the check calls), "tests" (the top-level
    `check_...(...)` calls after the last END SOLUTION, followed by their hidden
    asserts) and "plain" (a cell with neither). A check call above the end of a
    solution region is a ValueError: nbgrader grades a cell as a whole.

    The asserts come last so that, once nbgrader puts them back, the cell ends
    in a statement: an expression's value there would be read as partial credit.
    """
    if BEGIN not in source and "check_" not in source:
        return [("plain", source)]  # not parsed: it may hold IPython magics
    tree = ast.parse(source)
    lines = source.splitlines()
    begins = [i for i, line in enumerate(lines) if BEGIN in line]
    checks = [s for s in tree.body if _is_check(s)]
    if not begins:
        if not checks:
            return [("plain", source)]
        return [("tests", source.rstrip("\n") + "\n" + _hidden_asserts(source, checks))]
    last_end = max(i for i, line in enumerate(lines) if END in line)
    early = [s for s in checks if s.lineno - 1 < last_end]
    if early:
        raise ValueError(
            f"line {early[0].lineno}: a check_... call above a solution's end; "
            "put the checks after the answer (or in a cell of their own)")
    holding = [_first_line(s) for s in tree.body
               if _first_line(s) <= begins[0] <= s.end_lineno - 1]
    answer_from = min(holding + [begins[0]])
    setup_to = max([s.end_lineno for s in tree.body if s.end_lineno - 1 < answer_from],
                   default=0)
    tests_from = checks[0].lineno - 1 if checks else len(lines)
    pieces = [
        ("setup", "\n".join(lines[:setup_to]).strip("\n")),
        ("answer", "\n".join(lines[setup_to:tests_from]).strip("\n")),
        ("tests", "\n".join(lines[tests_from:]).strip("\n")),
    ]
    if checks:
        pieces[2] = ("tests", pieces[2][1] + "\n" + _hidden_asserts(source, checks))
    return [(role, text) for role, text in pieces if text.strip()]


def _nbgrader_meta(role: str, grade_id: str, points: int) -> dict:
    """nbgrader's cell metadata (schema 3) for a setup, answer or tests cell."""
    meta = {"grade": role in ("tests", "written"), "grade_id": grade_id,
            "locked": role in ("setup", "tests"), "schema_version": 3,
            "solution": role in ("answer", "written"), "task": False}
    if meta["grade"]:
        meta["points"] = points
    return meta


def nbgrader_notebook(nb: nbformat.NotebookNode, name: str = "notebook"):
    """A copy of `nb` as an nbgrader source notebook, solutions kept.

    Every code cell with a solution region or a check call is split by
    `split_exercise`: its setup becomes a read-only cell, its answer an
    autograded answer cell (solution, not graded) and its check calls an
    autograder tests cell (graded, `POINTS` per check, locked). A markdown or raw
    cell with a solution region becomes a manually graded answer. Other cells
    carry no nbgrader metadata. Outputs and saved widget state are dropped.
    """
    nb = copy.deepcopy(nb)
    cells, used = [], set()

    def unique(grade_id: str) -> str:
        while grade_id in used:
            grade_id += "-b"
        used.add(grade_id)
        return grade_id

    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)  # nbconvert's timings
        if cell.cell_type != "code":
            if _solution_regions(cell):
                cell.metadata["nbgrader"] = _nbgrader_meta(
                    "written", unique(f"{name}-written{index}"), POINTS)
            cells.append(cell)
            continue
        cell.outputs, cell.execution_count = [], None
        try:
            pieces = split_exercise(cell.source)
        except (SyntaxError, ValueError) as err:
            raise ValueError(f"{name}, cell {index}: {err}") from None
        if pieces == [("plain", cell.source)]:
            cells.append(cell)
            continue
        match = re.search(r"^\s*def\s+(\w+)", cell.source, re.M)
        stem = f"{name}-{match.group(1) if match else f'cell{index}'}"
        for role, source in pieces:
            piece = copy.deepcopy(cell)
            piece.source = source
            if "id" in cell and role != "answer":
                piece.id = f"{cell.id}-{role}"[:64]  # stable ids, one per piece
            n_checks = source.count("assert _verdict.ok")
            piece.metadata["nbgrader"] = _nbgrader_meta(
                role, unique(stem if role == "answer" else f"{stem}-{role}"),
                POINTS * n_checks)
            cells.append(piece)
    nb.cells = cells
    nb.metadata.pop("widgets", None)  # saved widget state of the instructor's run
    return nb


def notebooks(root: Path = ROOT) -> list[Path]:
    """The lesson notebooks, in teaching order."""
    return sorted((root / "notebooks").glob("[0-9]*.ipynb"))


def _targets(sources: list[Path], out: Path | None, nbgrader: Path | None) -> list[Path]:
    return [folder / p.name for folder in (out, nbgrader) if folder is not None
            for p in sources]


def check_targets(
    sources: list[Path], out: Path | None, nbgrader: Path | None = None,
    force: bool = False,
) -> None:
    """Refuse, before writing anything, what would lose a file.

    A missing source, two sources with one name, a target that is a source
    notebook (whatever the path spelling), or an existing target without
    `force` is a ValueError naming the file.
    """
    for path in sources:
        if not path.is_file():
            raise ValueError(f"{path}: no such notebook")
    names = [p.name for p in sources]
    if len(set(names)) != len(names):
        raise ValueError("two notebooks share a file name; their copies would collide")
    originals = {p.resolve() for p in sources} | {p.resolve() for p in notebooks()}
    targets = _targets(sources, out, nbgrader)
    for target in targets:
        if target.resolve() in originals:
            raise ValueError(
                f"{target} is a source notebook: writing its copy there would strip "
                "its solutions; choose another folder")
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        shown = ", ".join(os.path.relpath(t) for t in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        raise ValueError(
            f"{shown}{more} already exist (a learner's edits there would be lost); "
            "pass --force to overwrite them, or choose another folder")


def _grading(nb: nbformat.NotebookNode) -> tuple[int, int, int]:
    """(answer cells, tests cells, points) of an nbgrader source notebook."""
    metas = [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]
    return (sum(m["solution"] for m in metas), sum(m["grade"] for m in metas),
            sum(m.get("points", 0) for m in metas))


def write_copies(
    sources: list[Path], out: Path | None, nbgrader: Path | None = None,
    force: bool = False,
) -> list[str]:
    """Write the student copy of each notebook into `out` and/or nbgrader sources.

    Every copy is made in memory first, so a notebook with a bad marker writes
    nothing. Returns one line per file written, saying what it holds.
    """
    check_targets(sources, out, nbgrader, force)
    made = []  # (target, notebook, what it holds)
    for path in sources:
        nb = nbformat.read(path, as_version=4)
        if out is not None:
            student, n = student_notebook(nb, path.name)
            made.append((out / path.name, student,
                         f"{n} solution{'s' * (n != 1)} replaced by stubs"))
        if nbgrader is not None:
            source = nbgrader_notebook(nb, path.stem)
            answers, tests, points = _grading(source)
            made.append((nbgrader / path.name, source,
                         f"{answers} answer cells, {tests} tests cells, "
                         f"{points} points"))
    report = []
    for target, nb, what in made:
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        report.append(f"{os.path.relpath(target)}: {what}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to copy (default: notebooks/[0-9]*.ipynb)")
    parser.add_argument("--out", type=Path,
                        help="folder for the student copies (default: student/, "
                             "none with --nbgrader)")
    parser.add_argument("--nbgrader", type=Path, metavar="DIR",
                        help="write nbgrader source notebooks into DIR, e.g. "
                             "source/bpkit (answer cells and graded tests cells)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite existing copies (never a source notebook)")
    args = parser.parse_args(argv)
    sources = args.notebooks or notebooks()
    if not sources:
        parser.error("no notebooks found")
    out = args.out if args.out or args.nbgrader else ROOT / "student"
    try:
        report = write_copies(sources, out, args.nbgrader, args.force)
    except (ValueError, OSError, nbformat.reader.NotJSONError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
