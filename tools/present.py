"""Lecture mode: serve lecture/apps.ipynb with Voila, one app per screen, no code.

    python tools/present.py                 # http://127.0.0.1:8866/ in your browser
    python tools/present.py --port 9000 --no-browser

The page uses the `projector` Voila template in lecture/voila/templates/ (large
fonts, one app per full-height section). The tests start Voila through
`voila_command`, so what they check is what an instructor runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT / "lecture"
PAGE = LECTURE / "apps.ipynb"
TEMPLATE = "projector"
# nbclient-based runners have been seen to stall on widget cells until their
# timeout: bound every cell (an app builds in about a second) and, on a timeout,
# interrupt that cell and carry on, so one stuck app cannot blank the lecture
CELL_TIMEOUT = 120
KERNEL_STARTUP_TIMEOUT = 120

__all__ = ["voila_command", "main"]


def voila_command(
    port: int, open_browser: bool = True, extra: tuple[str, ...] = ()
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that serve the lecture page on 127.0.0.1:`port`."""
    voila = Path(sys.executable).with_name("voila")
    argv = [
        str(voila) if voila.exists() else "voila",
        str(PAGE),
        f"--template={TEMPLATE}",
        "--theme=light",
        "--Voila.ip=127.0.0.1",
        f"--port={port}",
        "--Voila.port_retries=0",
        f"--Voila.open_browser={open_browser}",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.show_margins=False",
        f"--VoilaExecutor.timeout={CELL_TIMEOUT}",
        f"--VoilaExecutor.startup_timeout={KERNEL_STARTUP_TIMEOUT}",
        "--VoilaExecutor.interrupt_on_timeout=True",
        *extra,
    ]
    env = dict(os.environ)
    # the projector template lives in lecture/voila/templates/projector
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(LECTURE), env.get("JUPYTER_PATH", "")) if p
    )
    # a test runner's headless backend must not leak into the kernel
    env.pop("MPLBACKEND", None)
    return argv, env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the lecture apps with Voila.")
    parser.add_argument("--port", type=int, default=8866)
    parser.add_argument("--no-browser", action="store_true",
                        help="do not open a browser tab")
    parser.add_argument("voila_args", nargs="*",
                        help="more Voila options after --, "
                             "e.g. -- --show_tracebacks=True")
    args = parser.parse_args(argv)
    cmd, env = voila_command(args.port, not args.no_browser, tuple(args.voila_args))
    print(f"lecture mode: http://127.0.0.1:{args.port}/  (Ctrl-C to stop)", flush=True)
    os.chdir(LECTURE)
    # become Voila, so Ctrl-C reaches it directly and it shuts its kernels down
    os.execvpe(cmd[0], cmd, env)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
