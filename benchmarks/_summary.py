"""One summary table for `make bench`: each benchmark records its headline numbers.

A benchmark calls `record(bench, what, value, target)`; when the environment
variable BPKIT_BENCH_SUMMARY names a file, the row is appended to it as JSON.
`python benchmarks/_summary.py FILE` prints the rows as one table. Run on its
own, a benchmark just prints its own report.
"""

from __future__ import annotations

import json
import os
import sys


def record(bench: str, what: str, value: str, target: str = "") -> None:
    path = os.environ.get("BPKIT_BENCH_SUMMARY")
    if not path:
        return
    with open(path, "a") as f:
        f.write(json.dumps({"bench": bench, "what": what, "value": value,
                            "target": target}) + "\n")


def show(path: str) -> None:
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    print("\nmake bench: summary")
    if not rows:
        print("  (no benchmark recorded a result)")
        return
    w = [max(len(r[k]) for r in rows) for k in ("bench", "what", "value")]
    for r in rows:
        target = f"   target {r['target']}" if r["target"] else ""
        print(f"  {r['bench']:<{w[0]}}  {r['what']:<{w[1]}}  {r['value']:>{w[2]}}{target}")


if __name__ == "__main__":
    show(sys.argv[1])
