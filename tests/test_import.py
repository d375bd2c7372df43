"""The three layers: the core is numpy-only, viz adds matplotlib, apps add ipywidgets.

import-linter (`lint-imports`, run by `make test`) holds the arrows between the
layers; these tests check what a user sees: what each import pulls into
`sys.modules`, and that no core module escapes the contracts.
"""

import ast
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bpkit"
UPPER = {"viz", "apps"}  # the two layers above the core


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer_files(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


# every module of the core: the package root, its modules and subpackages
# (optim, rnn, exercises), everything outside viz/ and apps/
CORE_FILES = sorted(
    p for p in PACKAGE.rglob("*.py")
    if p.relative_to(PACKAGE).parts[0] not in UPPER
)
CORE = [_module(p) for p in CORE_FILES]
VIZ = [_module(p) for p in _layer_files("viz")]


def _imported_after(modules: list[str], heavy: list[str]) -> list[str]:
    """Import `modules` in a fresh interpreter; which of `heavy` got loaded."""
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return eval(out.stdout.strip())


def test_the_core_is_found_in_subpackages_too():
    assert {"bpkit.optim", "bpkit.rnn.layers", "bpkit.exercises.lesson01"} <= set(CORE)
    assert not any(m.startswith(("bpkit.viz", "bpkit.apps")) for m in CORE)


def test_core_imports_pull_in_no_plotting_widget_or_torch_module():
    heavy = ["matplotlib", "ipywidgets", "IPython", "PIL", "torch"]
    assert _imported_after(CORE, heavy) == []


def test_viz_imports_pull_in_no_widget_module():
    assert _imported_after(VIZ, ["ipywidgets", "IPython", "bpkit.apps"]) == []


def test_every_core_module_imports_only_numpy_outside_the_stdlib():
    for path in CORE_FILES:
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
                assert top == "numpy", f"{path.relative_to(ROOT)} imports {name}"


def test_every_core_module_is_named_in_the_import_contracts():
    """A new core module must be added to the contracts, or nothing checks it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = {c["id"]: c for c in config["contracts"]}
    layers = contracts["layers"]["layers"]
    assert layers[:2] == ["bpkit.apps", "bpkit.viz"]
    named = {m.strip() for m in layers[2].split(":")}
    assert named == set(contracts["core"]["source_modules"])
    # the contract names top-level modules and subpackages; each covers its children
    top = {".".join(m.split(".")[:2]) for m in CORE if m != "bpkit"}
    assert top == named, f"not in the contracts: {sorted(top - named)}"
