"""Sentences in the notebooks that name something outside them stay true."""

import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _markdown(name: str) -> str:
    nb = json.loads((ROOT / "notebooks" / name).read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_lesson03_names_the_network_bench_mlp_times():
    bench = (ROOT / "benchmarks" / "bench_mlp.py").read_text()
    sizes = re.search(r"^SIZES = \(([\d, ]+)\)", bench, re.M).group(1)
    named = "-".join(s.strip() for s in sizes.split(","))
    assert named == "784-256-256-10"
    assert f"{named} network" in _markdown("03_vectorised_backprop.ipynb")


def test_lesson03_no_longer_claims_thousands_of_times():
    assert "thousands of times" not in _markdown("03_vectorised_backprop.ipynb")
