"""Headless Chromium (the Debian package) driven by Playwright, with a fresh profile."""

from __future__ import annotations

import os
from pathlib import Path

from .procs import descendants, kill_tree

__all__ = ["CHROMIUM", "FLAGS", "Chromium"]

CHROMIUM = Path("/usr/bin/chromium")
# what was needed on the course machines (no GPU, no sandbox, no network beyond
# localhost); the profile is a fresh --user-data-dir, passed by Playwright
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # pages load CSS from CDNs (Voila's lab template does): fail those at once
    # instead of waiting on a network that is not there
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


class Chromium:
    """One persistent browser context; `stop()` ends the driver and browser by PID."""

    def __init__(self, profile: Path, viewport: tuple[int, int] = (1400, 1000)) -> None:
        from playwright.sync_api import sync_playwright

        before = set(descendants(os.getpid()))
        self._playwright = sync_playwright().start()
        self.pids: list[int] = []
        try:
            self.context = self._playwright.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(CHROMIUM),
                headless=True,
                args=FLAGS,
                viewport={"width": viewport[0], "height": viewport[1]},
                timeout=120_000,
            )
        except BaseException:
            self.pids = [p for p in descendants(os.getpid()) if p not in before]
            self.stop()
            raise
        # the Playwright driver and the browser it started: ours to end
        self.pids = [p for p in descendants(os.getpid()) if p not in before]
        self.context.set_default_timeout(60_000)
        self.console_errors: list[str] = []

    def new_page(self):
        page = self.context.new_page()
        page.on("pageerror", lambda exc: self.console_errors.append(str(exc)))
        return page

    def stop(self) -> None:
        """Close politely, then end every process Playwright started, by PID."""
        pids = list(self.pids)
        for p in list(pids):
            pids += descendants(p)  # renderers and helpers started since launch
        try:
            if getattr(self, "context", None) is not None:
                self.context.close()
        except Exception:
            pass  # the browser may already be gone; the kill below still runs
        finally:
            try:
                self._playwright.stop()
            except Exception:
                pass
            kill_tree(sorted(set(pids)), grace=5.0)
