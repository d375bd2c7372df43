"""The environments agree with pyproject.toml: conda's, Binder's and `make`'s.

pyproject.toml's extras are the one list of what each kind of user installs:
`lab` for a learner, `present` for lecture mode, `test`, `bench` and `dev` for a
developer, `ref` (PyTorch) only when asked for. The conda files name the same
packages under conda-forge's names, and the Makefile installs the learner's
extras alone until the test stack is asked for.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
META = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

# PyPI name -> conda-forge name, where they differ. conda-forge's `matplotlib`
# also pulls in a Qt toolkit; its `playwright` is the Node driver, not the
# Python package; PyTorch is `pytorch` there.
CONDA_NAME = {
    "matplotlib": "matplotlib-base",
    "playwright": "playwright-python",
    "torch": "pytorch",
}
# a package not on conda-forge goes in the file's `pip:` section; none is today
PIP_ONLY: set[str] = set()

# which extras each conda file holds
ENVIRONMENTS = {
    "environment.yml": ("lab", "present"),
    "binder/environment.yml": ("lab", "present"),
    "environment-dev.yml": ("lab", "present", "test", "bench", "dev"),
}


def _split(requirement: str) -> tuple[str, str]:
    """'numpy>=1.24' -> ('numpy', '>=1.24'); an environment marker is dropped."""
    requirement = requirement.split(";")[0].replace(" ", "")
    name, spec = re.match(r"([A-Za-z0-9_.\-]+)(.*)", requirement).groups()
    return name.lower(), spec


def _extras(names) -> dict[str, str]:
    """Package -> version spec for the core dependencies plus the named extras."""
    reqs = list(META["dependencies"])
    for extra in names:
        reqs += META["optional-dependencies"][extra]
    return dict(_split(r) for r in reqs)


def _load(path: str) -> dict:
    return yaml.safe_load((ROOT / path).read_text())


def _conda(path: str) -> tuple[dict[str, str], list[str]]:
    """A conda file's packages (name -> spec, python and pip left out) and pip lines."""
    conda, pip = {}, []
    for dep in _load(path)["dependencies"]:
        if isinstance(dep, dict):
            pip += dep.get("pip", [])
        else:
            name, spec = _split(dep)
            conda[name] = spec
    conda.pop("python")
    conda.pop("pip")
    return conda, pip


def test_every_extra_is_named_by_an_environment_or_is_optional():
    covered = {e for extras in ENVIRONMENTS.values() for e in extras}
    assert set(META["optional-dependencies"]) - covered == {"ref"}


@pytest.mark.parametrize("path", ENVIRONMENTS)
def test_environment_names_pyprojects_packages_by_their_conda_forge_names(path):
    conda, pip = _conda(path)
    wanted = {CONDA_NAME.get(n, n): spec for n, spec in _extras(ENVIRONMENTS[path]).items()
              if n not in PIP_ONLY}
    assert conda == wanted, (
        f"{path}: only in the conda file: {sorted(conda.items() - wanted.items())}; "
        f"only in pyproject.toml: {sorted(wanted.items() - conda.items())}"
    )
    on_pip = {_split(line)[0] for line in pip if not line.startswith("-")}
    assert on_pip == PIP_ONLY & set(_extras(ENVIRONMENTS[path]))


@pytest.mark.parametrize("path", ENVIRONMENTS)
def test_environment_is_on_conda_forge_with_pyprojects_python_floor(path):
    env = _load(path)
    assert env["channels"] == ["conda-forge"]
    floor = META["requires-python"].removeprefix(">=")
    assert f"python>={floor}" in env["dependencies"]


def test_local_conda_environments_install_bpkit_itself_editable():
    for path in ("environment.yml", "environment-dev.yml"):
        assert "-e ." in _conda(path)[1], path


def test_binder_environment_is_the_learners_and_names_released_packages_only():
    # a `-e .` line would make repo2docker rebuild the environment on every commit
    assert _conda("binder/environment.yml") == _conda("environment.yml")[:1] + ([],)
    assert {"jupyterlab", "ipywidgets", "matplotlib-base", "voila"} <= set(
        _conda("binder/environment.yml")[0]
    )


def test_binder_postbuild_installs_bpkit_and_the_course_settings():
    post = ROOT / "binder" / "postBuild"
    assert os.access(post, os.X_OK), "binder/postBuild must be executable"
    text = post.read_text()
    assert text.startswith("#!/bin/bash\n") and "set -euo pipefail" in text
    assert "pip install --quiet --no-deps -e ." in text
    assert "binder/overrides.json" in text and "share/jupyter/lab/settings" in text


def test_jupyterlab_settings_turn_off_the_news_and_update_popups():
    overrides = json.loads((ROOT / "binder" / "overrides.json").read_text())
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    # the schema's values: fetchNews is the string "false" ("none" asks)
    assert notification == {"fetchNews": "false", "checkForUpdates": False}


# ------------------------------------------------------------------ the Makefile
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="no make here")


def _make_dry_run(*args: str, tmp_path: Path) -> str:
    """The commands `make -n` would run on a fresh clone (.venv in tmp_path)."""
    venv = tmp_path / "venv"
    # a `make test WITH_TORCH=1` above us passes its variables down through
    # MAKEFLAGS (and MAKEOVERRIDES): drop them, this is a fresh clone's make
    env = {k: v for k, v in os.environ.items()
           if k not in ("WITH_TORCH", "MAKEFLAGS", "MAKEOVERRIDES", "MFLAGS", "MAKELEVEL")}
    out = subprocess.run(["make", "-n", "-C", str(ROOT), f"VENV={venv}", *args],
                         capture_output=True, text=True, check=True, env=env)
    return out.stdout.replace("\\\n", " ")  # one line per command


def _installs(commands: str) -> list[str]:
    return re.findall(r'pip install .*?(?:"\.\[([a-z,]+)\]"|--upgrade pip)', commands)


@needs_make
def test_make_lab_installs_the_learners_extra_only(tmp_path):
    commands = _make_dry_run("lab", tmp_path=tmp_path)
    assert _installs(commands) == ["", "lab"]  # pip itself, then bpkit[lab]
    assert "overrides.json" in commands


@needs_make
def test_make_lab_serves_the_repository_root_and_opens_lesson_01(tmp_path):
    commands = _make_dry_run("lab", tmp_path=tmp_path)
    lab = next(line for line in commands.splitlines() if "/jupyter lab " in line)
    assert "--ServerApp.root_dir=." in lab
    assert lab.rstrip().endswith("notebooks/01_single_neuron.ipynb")
    assert (ROOT / "notebooks" / "01_single_neuron.ipynb").exists()


@needs_make
def test_make_test_adds_the_test_stack_and_torch_only_when_asked(tmp_path):
    commands = _make_dry_run("test", tmp_path=tmp_path)
    assert _installs(commands) == ["", "lab", "lab,present,test,bench,dev"]
    with_torch = _make_dry_run("test", "WITH_TORCH=1", tmp_path=tmp_path)
    assert "ref" in _installs(with_torch)


@needs_make
def test_make_test_fast_runs_no_notebook_and_no_browser(tmp_path):
    commands = _make_dry_run("test-fast", tmp_path=tmp_path)
    pytest_line = next(line for line in commands.splitlines() if " -m pytest" in line)
    assert "--nbval" not in pytest_line
    assert '-m "not browser and not notebook"' in pytest_line
