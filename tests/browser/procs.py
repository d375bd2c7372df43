"""Child processes the browser tests start, and how they end: by PID, always."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["Child", "descendants", "free_port", "kill_tree", "wait_until"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.2):
    """Poll `condition()` until it is truthy (and return it); TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # the command name may contain spaces or parentheses: split after the last ')'
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[1])


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie has already exited


def descendants(pid: int) -> list[int]:
    """PIDs of every process below `pid` (children, grandchildren, ...)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            ppid = _parent_of(int(entry))
            if ppid is not None:
                parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pids: list[int], grace: float = 10.0) -> None:
    """SIGTERM `pids` and everything below them; SIGKILL whatever is left after `grace`.

    The tree is listed before any signal is sent: once a server dies, its kernels
    are re-parented and could no longer be found from its PID.
    """
    targets = list(dict.fromkeys(p for pid in pids for p in [pid, *descendants(pid)]))
    for pid in targets:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in targets):
        time.sleep(0.1)
    for pid in targets:
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Child:
    """A server process with its output in a log file; `stop()` ends its whole tree."""

    def __init__(self, argv: list[str], env: dict, cwd: Path, log: Path) -> None:
        self.argv, self.log = argv, log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = open(log, "wb")
        self.proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
            stdout=self._log_file, stderr=subprocess.STDOUT,
        )
        self.pid = self.proc.pid

    def log_tail(self, lines: int = 40) -> str:
        self._log_file.flush()
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def check_running(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(
                f"{Path(self.argv[0]).name} exited with code {self.proc.returncode}; "
                f"log {self.log}:\n{self.log_tail()}"
            )

    def wait_for_http(
        self, url: str, timeout: float, headers: dict | None = None
    ) -> None:
        """Poll `url` until it answers 200, failing early if the process dies."""

        def answered() -> bool:
            self.check_running()
            try:
                req = urllib.request.Request(url, headers=headers or {})
                with urllib.request.urlopen(req, timeout=5) as resp:
                    return resp.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        try:
            wait_until(answered, timeout, f"{url} to answer")
        except TimeoutError as err:
            raise TimeoutError(f"{err}; log {self.log}:\n{self.log_tail()}") from None

    def stop(self) -> None:
        try:
            kill_tree([self.pid])
            self.proc.wait(timeout=10)  # reap it
        finally:
            self._log_file.close()
