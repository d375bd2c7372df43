"""Write student copies of the notebooks: solutions out, stubs in, outputs cleared.

    python tools/student.py                       # notebooks/NN_*.ipynb -> student/
    python tools/student.py --out handout         # somewhere else
    python tools/student.py --nbgrader source/bpkit   # nbgrader source copies too
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
# nbgrader's delimiters: a line containing one is a marker, however it is commented
BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"
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


def _targets(sources: list[Path], out: Path, nbgrader: Path | None) -> list[Path]:
    targets = [out / p.name for p in sources]
    if nbgrader is not None:
        targets += [nbgrader / p.name for p in sources]
    return targets


def check_targets(
    sources: list[Path], out: Path, nbgrader: Path | None = None, force: bool = False
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
                "its solutions; choose another --out")
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        shown = ", ".join(os.path.relpath(t) for t in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        raise ValueError(
            f"{shown}{more} already exist (a learner's edits there would be lost); "
            "pass --force to overwrite them, or choose another --out")


def write_copies(
    sources: list[Path], out: Path, nbgrader: Path | None = None,
    force: bool = False,
) -> dict[str, int]:
    """Write the student copy of each notebook into `out` (and nbgrader sources).

    Every copy is made in memory first, so a notebook with a bad marker writes
    nothing. Returns {notebook file name: solution regions replaced}.
    """
    check_targets(sources, out, nbgrader, force)
    made = []
    for path in sources:
        nb = nbformat.read(path, as_version=4)
        student, n = student_notebook(nb, path.name)
        made.append((path, nb, student, n))
    out.mkdir(parents=True, exist_ok=True)
    replaced = {}
    for path, nb, student, n in made:
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
    parser.add_argument("--force", action="store_true",
                        help="overwrite existing copies (never a source notebook)")
    args = parser.parse_args(argv)
    sources = args.notebooks or notebooks()
    if not sources:
        parser.error("no notebooks found")
    try:
        replaced = write_copies(sources, args.out, args.nbgrader, args.force)
    except (ValueError, OSError, nbformat.reader.NotJSONError) as err:
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
