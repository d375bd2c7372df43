"""JupyterLab and Voila servers for the browser tests, apart from the user's setup."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from .procs import Child, free_port, wait_until

__all__ = ["JupyterLab", "Voila", "LAB_SETTINGS"]

# JupyterLab user settings for the test profile: no dialogs, no network, no
# autosave (the notebooks are copies, but a save would still be noise), and every
# cell kept in the DOM (windowing would leave off-screen widgets unrendered)
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension:tracker": {
        "autoStartDefaultKernel": True,
        "windowingMode": "none",
    },
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/extensionmanager-extension:plugin": {"enabled": False},
}


def _clean_env(workdir: Path) -> dict[str, str]:
    """The environment of a server: the venv first, Jupyter's dirs all temporary."""
    env = dict(os.environ)
    # conftest.py sets Agg for the test process; kernels must use the inline backend
    env.pop("MPLBACKEND", None)
    env.pop("JUPYTER_PATH", None)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bindir, env.get("PATH", "")])
    for var, sub in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
    ]:
        path = workdir / sub
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    return env


class JupyterLab:
    """JupyterLab on 127.0.0.1 with a token, a free port and throw-away settings.

    It serves a copy of the notebooks folder, so nothing a test does (outputs,
    checkpoints) touches the repository.
    """

    def __init__(self, notebooks: Path, workdir: Path, log: Path) -> None:
        self.workdir = workdir
        self.root = workdir / "root"
        shutil.copytree(notebooks, self.root / notebooks.name,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        self.folder = notebooks.name
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        settings = workdir / "lab-settings"
        workspaces = workdir / "lab-workspaces"
        for plugin, values in LAB_SETTINGS.items():
            package, name = plugin.split(":")
            path = settings / package / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values, indent=2))
        workspaces.mkdir(parents=True, exist_ok=True)
        env = _clean_env(workdir)
        env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
        env["JUPYTERLAB_WORKSPACES_DIR"] = str(workspaces)
        argv = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.terminals_enabled=False",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={workspaces}",
            "--LabApp.news_url=",
            "--LabApp.extension_manager=readonly",
            # window.jupyterapp: lets a test run the same commands as the menus
            "--LabApp.expose_app_in_browser=True",
        ]
        if os.geteuid() == 0:  # CI containers run as root
            argv.append("--allow-root")
        self.child = Child(argv, env, self.root, log)
        try:
            self.child.wait_for_http(f"{self.base}/api/status", 120, self._auth)
        except BaseException:
            self.child.stop()
            raise

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    @property
    def pid(self) -> int:
        return self.child.pid

    def url(self, notebook: str) -> str:
        """The address that opens `notebook` in a fresh workspace."""
        path = urllib.parse.quote(f"{self.folder}/{notebook}")
        return f"{self.base}/lab/tree/{path}?reset&token={self.token}"

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(f"{self.base}{path}", method=method,
                                     headers=self._auth)
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def session(self, notebook: str) -> dict | None:
        """The server's session of `notebook`, with its kernel's execution state."""
        path = f"{self.folder}/{notebook}"
        for s in self.api("/api/sessions"):
            if s.get("path") == path and s.get("kernel"):
                return s
        return None

    def wait_kernel_idle(self, notebook: str, timeout: float) -> dict:
        """Wait until /api/sessions reports the notebook's kernel idle."""

        def idle():
            self.child.check_running()
            s = self.session(notebook)
            return s if s and s["kernel"]["execution_state"] == "idle" else None

        return wait_until(idle, timeout, f"the kernel of {notebook} to be idle")

    def shutdown(self, notebook: str) -> None:
        """End the notebook's session and its kernel, freeing its memory."""
        s = self.session(notebook)
        if s is not None:
            self.api(f"/api/sessions/{s['id']}", method="DELETE")

    def stop(self) -> None:
        self.child.stop()


class Voila:
    """Voila serving the lecture page exactly as `make present` does."""

    def __init__(self, voila_command, workdir: Path, log: Path, cwd: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        argv, env = voila_command(
            self.port, open_browser=False, extra=("--show_tracebacks=True",)
        )
        clean = _clean_env(workdir)
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                    "IPYTHONDIR", "PATH"):
            env[var] = clean[var]
        env.pop("MPLBACKEND", None)
        self.child = Child(argv, env, cwd, log)
        try:
            # a static file: asking for the page itself would start a kernel
            self.child.wait_for_http(f"{self.base}/voila/static/voila.js", 120)
        except BaseException:
            self.child.stop()
            raise

    @property
    def pid(self) -> int:
        return self.child.pid

    def stop(self) -> None:
        self.child.stop()
