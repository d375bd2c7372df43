"""Write student copies of the notebooks: solutions out, stubs in, outputs cleared.

    python tools/student.py                       # notebooks/NN_*.ipynb -> student/
    python tools/student.py --out handout         # somewhere else
    python tools/student.py --nbgrader source/bpkit   # nbgrader source copies too

Every exercise answer in the instructor notebooks sits between nbgrader's markers,
``### BEGIN SOLUTION`` / ``### END SOLUTION``. A student copy replaces each marked
region with nbgrader's stub (``raise NotImplementedError()`` in code, ``YOUR ANSWER
HERE`` in markdown), keeps everything else, and clears every output. The ``check_...``
calls stay: on a stub they print "not attempted yet" instead of failing.

``--nbgrader DIR`` also writes instructor copies whose solution cells carry nbgrader's
cell metadata, ready for ``nbgrader generate_assignment``.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
# nbgrader's ClearSolutions stubs, so a student copy is what nbgrader would release
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"

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
        text = line.strip()
        if text.startswith(BEGIN):
            if inside:
                raise ValueError(
                    f"line {number}: {BEGIN} inside an open solution region")
            inside, regions = True, regions + 1
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + s for s in stub.splitlines()]
        elif text.startswith(END):
            if not inside:
                raise ValueError(f"line {number}: {END} without a {BEGIN} before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN} is never closed by {END}")
    return "\n".join(out) + ("\n" if source.endswith("\n") else ""), regions


def _solution_regions(cell) -> int:
    return sum(line.strip().startswith(BEGIN) for line in cell.source.splitlines())


def student_notebook(nb: nbformat.NotebookNode, name: str = "notebook"):
    """A copy of `nb` with solutions replaced by stubs and all outputs cleared.

    Returns the copy and the number of solution regions replaced.
    """
    nb = copy.deepcopy(nb)
    total = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type in ("code", "markdown"):
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


def nbgrader_notebook(nb: nbformat.NotebookNode, name: str = "notebook"):
    """A copy of `nb`, solutions kept, with nbgrader metadata on every solution cell."""
    nb = copy.deepcopy(nb)
    used: set[str] = set()
    for index, cell in enumerate(nb.cells):
        if not _solution_regions(cell):
            continue
        match = re.search(r"^\s*def\s+(\w+)", cell.source, re.M)
        grade_id = f"{name}-{match.group(1) if match else f'cell{index}'}"
        while grade_id in used:
            grade_id += "-b"
        used.add(grade_id)
        cell.metadata["nbgrader"] = {
            "grade": False, "grade_id": grade_id, "locked": False,
            "schema_version": 3, "solution": True, "task": False,
        }
    return nb


def notebooks(root: Path = ROOT) -> list[Path]:
    """The lesson notebooks, in teaching order."""
    return sorted((root / "notebooks").glob("[0-9]*.ipynb"))


def write_copies(
    sources: list[Path], out: Path, nbgrader: Path | None = None
) -> dict[str, int]:
    """Write the student copy of each notebook into `out` (and nbgrader sources).

    Returns {notebook file name: solution regions replaced}.
    """
    out.mkdir(parents=True, exist_ok=True)
    replaced = {}
    for path in sources:
        nb = nbformat.read(path, as_version=4)
        student, n = student_notebook(nb, path.name)
        nbformat.write(student, out / path.name)
        replaced[path.name] = n
        if nbgrader is not None:
            nbgrader.mkdir(parents=True, exist_ok=True)
            nbformat.write(nbgrader_notebook(nb, path.stem), nbgrader / path.name)
    return replaced


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to copy (default: notebooks/[0-9]*.ipynb)")
    parser.add_argument("--out", type=Path, default=ROOT / "student",
                        help="folder for the student copies (default: student/)")
    parser.add_argument("--nbgrader", type=Path, metavar="DIR",
                        help="also write nbgrader source copies "
                             "(solution cells marked)")
    args = parser.parse_args(argv)
    sources = args.notebooks or notebooks()
    if not sources:
        parser.error("no notebooks found")
    try:
        replaced = write_copies(sources, args.out, args.nbgrader)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for name, n in replaced.items():
        shown = os.path.relpath(args.out / name)
        print(f"{shown}: {n} solution{'s' * (n != 1)} replaced by stubs")
    if args.nbgrader is not None:
        print(f"nbgrader source copies in {os.path.relpath(args.nbgrader)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
