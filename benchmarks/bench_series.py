"""Seconds to execute each notebook of the series, as nbval runs it: a fresh kernel each.

Target: at most 8 s per notebook on average on 2 cores. Prints each notebook's
time and the mean; never asserts. `--notebooks 03 07` times a subset.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from _summary import record  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def time_notebook(path: pathlib.Path) -> float:
    nb = nbformat.read(path, as_version=4)
    ep = ExecutePreprocessor(timeout=600, kernel_name="python3")
    t0 = time.perf_counter()
    ep.preprocess(nb, {"metadata": {"path": str(path.parent)}})
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebooks", nargs="*", default=None,
                    help="lesson numbers to time (default: all)")
    args = ap.parse_args()
    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.notebooks:
        paths = [p for p in paths if p.name[:2] in args.notebooks]
    print("bench_series: seconds to execute each notebook in a fresh kernel "
          "(kernel start included)")
    times = []
    for p in paths:
        s = time_notebook(p)
        times.append(s)
        print(f"  {p.name:<36s} {s:6.1f} s")
    mean = statistics.mean(times)
    print(f"  mean {mean:.1f} s per notebook, total {sum(times):.0f} s   (target <= 8 s)")
    record("series", f"{len(times)} notebooks, mean per notebook",
           f"{mean:.1f} s", "<= 8 s")


if __name__ == "__main__":
    main()
