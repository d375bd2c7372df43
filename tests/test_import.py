"""`import bpkit` stays fast and headless: no matplotlib, no ipywidgets, no torch."""

import subprocess
import sys

HEAVY = ["matplotlib", "ipywidgets", "IPython", "torch"]

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1] / "bpkit"
# every top-level module of the package: the core, which must stay numpy-only
CORE = ["bpkit"] + sorted(f"bpkit.{p.stem}" for p in ROOT.glob("*.py") if p.stem != "__init__")


def test_core_imports_pull_in_no_plotting_widget_or_torch_module():
    code = (
        "import importlib, sys\n"
        f"for m in {CORE!r}:\n"
        "    importlib.import_module(m)\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_every_core_module_imports_only_numpy_outside_the_stdlib():
    import ast

    allowed_third_party = {"numpy"}
    for path in ROOT.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "bpkit":
                    continue
                # progress.py imports ipywidgets lazily, inside the notebook-only path
                if path.name == "progress.py" and top in {"ipywidgets", "IPython"}:
                    continue
                assert top in allowed_third_party, f"{path.name} imports {name}"
