"""environment.yml (conda, Binder) and pyproject.toml must describe one environment."""

import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
# installed only where a local CPU wheel exists; never part of the conda env
OPTIONAL_EXTRAS = {"ref"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject_packages() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra, deps in meta["optional-dependencies"].items():
        if extra not in OPTIONAL_EXTRAS:
            reqs += deps
    return {_name(r) for r in reqs}


def _conda_packages() -> tuple[set[str], list]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names, pip = set(), []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip += dep.get("pip", [])
        else:
            names.add(_name(dep))
    return names - {"python", "pip"}, pip


def test_environment_yml_parses_with_name_and_channel():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["name"] == "bpkit"
    assert "conda-forge" in env["channels"]


def test_environment_yml_names_the_same_packages_as_pyproject():
    conda, _ = _conda_packages()
    pyproject = _pyproject_packages()
    assert conda == pyproject, (
        f"only in environment.yml: {sorted(conda - pyproject)}; "
        f"only in pyproject.toml: {sorted(pyproject - conda)}"
    )


def test_environment_yml_installs_bpkit_itself_editable():
    _, pip = _conda_packages()
    assert "-e ." in pip


def test_python_floor_is_the_same_in_both():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    floor = meta["requires-python"].removeprefix(">=")
    assert f"python>={floor}" in env["dependencies"]


def test_binder_builds_from_this_file_with_jupyterlab_and_the_widgets():
    # repo2docker ignores top-level files as soon as binder/ or .binder/ exists; it
    # opens JupyterLab by default (the README badge's urlpath=lab/tree/... too)
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()
    conda, pip = _conda_packages()
    assert {"jupyterlab", "ipywidgets", "matplotlib", "voila"} <= conda
    assert "-e ." in pip  # repo2docker then copies the repository before installing
