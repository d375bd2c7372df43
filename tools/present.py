"""Lecture mode: serve lecture/apps.ipynb with Voila, one app per screen, no code.

    python tools/present.py                 # http://127.0.0.1:8866/ in your browser
    python tools/present.py --port 9000 --no-browser
    python tools/present.py --install-template   # only install the template (Binder)

The page uses the `projector` Voila template in lecture/voila/templates/ (large
fonts, one app per full-height section, each app zoomed to fit the screen). The
tests start Voila through `voila_command`, so what they check is what an
instructor runs.

A lecture lasts: a kernel whose page is closed (a closed laptop, a crashed tab)
is shut down after CULL_IDLE_TIMEOUT idle seconds; one with its page open is
kept however long it idles. The page draws app figures at 2x their resolution
(lecture/projector.py), sharp where the projector template zooms them;
`--pixel-ratio 1` on a slow machine.

The notebook names the template in its metadata, so Voila's server extension
(/voila/render/lecture/apps.ipynb in JupyterLab, on Binder or JupyterHub) uses it
too, once it is installed where that server looks: every run of this script
links it into the environment's Jupyter data directory (`install_template`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LECTURE = ROOT / "lecture"
PAGE = LECTURE / "apps.ipynb"
TEMPLATE = "projector"
TEMPLATE_DIR = LECTURE / "voila" / "templates" / TEMPLATE
# nbclient-based runners have been seen to stall on widget cells until their
# timeout: bound every cell (an app builds in about a second) and, on a timeout,
# interrupt that cell and carry on, so one stuck app cannot blank the lecture
CELL_TIMEOUT = 120
KERNEL_STARTUP_TIMEOUT = 120
# each page load starts a ~140 MB kernel, and with Voila 0.5.13 neither a
# reload nor closing the tab shut one down (measured: 10 page loads, 10
# kernels). A kernel with no page connected is culled after half an hour idle
# (a lecture break with the laptop closed survives); one whose page is open
# never is
CULL_IDLE_TIMEOUT = 30 * 60
CULL_INTERVAL = 60

__all__ = ["voila_command", "install_template", "main"]


def voila_command(
    port: int,
    open_browser: bool = True,
    extra: tuple[str, ...] = (),
    cull_idle_timeout: int = CULL_IDLE_TIMEOUT,
    cull_interval: int = CULL_INTERVAL,
    pixel_ratio: float | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that serve the lecture page on 127.0.0.1:`port`.

    `pixel_ratio` overrides the page's figure resolution (BPKIT_PIXEL_RATIO).
    """
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
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_timeout}",
        f"--MappingKernelManager.cull_interval={cull_interval}",
        "--MappingKernelManager.cull_connected=False",
        *extra,
    ]
    env = dict(os.environ)
    # the projector template lives in lecture/voila/templates/projector
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(LECTURE), env.get("JUPYTER_PATH", "")) if p
    )
    # a test runner's headless backend must not leak into the kernel
    env.pop("MPLBACKEND", None)
    if pixel_ratio is not None:
        env["BPKIT_PIXEL_RATIO"] = str(pixel_ratio)  # read by bpkit.apps.base
    return argv, env


def install_template(data_dir: Path | None = None) -> Path:
    """Link the projector template into `data_dir`/voila/templates/; return the link.

    `data_dir` is a Jupyter data directory; by default this environment's
    (sys.prefix/share/jupyter), which every Jupyter server run from it searches.
    Where links cannot be made, the template is copied (marked, so a later run
    replaces the copy). A `projector` template that is not ours is left alone.
    """
    data_dir = Path(sys.prefix) / "share" / "jupyter" if data_dir is None else data_dir
    target = Path(data_dir) / "voila" / "templates" / TEMPLATE
    marker = target / ".installed-by-bpkit"
    if target.is_symlink():
        if target.resolve() == TEMPLATE_DIR.resolve():
            return target
        target.unlink()
    elif target.is_dir() and marker.exists():
        shutil.rmtree(target)
    elif target.exists():
        raise FileExistsError(
            f"{target} exists and is not bpkit's projector template: "
            "remove it, or serve the lecture with `make present`")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        target.symlink_to(TEMPLATE_DIR, target_is_directory=True)
    except OSError:  # no symlinks here (Windows without developer mode)
        shutil.copytree(TEMPLATE_DIR, target)
        marker.write_text(f"a copy of {TEMPLATE_DIR}; tools/present.py replaces it\n")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the lecture apps with Voila.")
    parser.add_argument("--port", type=int, default=8866)
    parser.add_argument("--no-browser", action="store_true",
                        help="do not open a browser tab")
    parser.add_argument("--pixel-ratio", type=float, default=None,
                        help="figure pixels per CSS pixel (default 2, set by "
                             "lecture/projector.py; 1 is faster and softer)")
    parser.add_argument("--install-template", action="store_true",
                        help="only install the projector template for Voila's server "
                             "extension (/voila/render/lecture/apps.ipynb) and exit")
    parser.add_argument("voila_args", nargs="*",
                        help="more Voila options after --, "
                             "e.g. -- --show_tracebacks=True")
    args = parser.parse_args(argv)
    if args.pixel_ratio is not None and not 1 <= args.pixel_ratio <= 4:
        parser.error(f"--pixel-ratio must be from 1 to 4, got {args.pixel_ratio}")
    try:
        where = install_template()
    except OSError as err:  # a read-only environment: lecture mode works without it
        print(f"projector template not installed for the server extension: {err}",
              file=sys.stderr)
        if args.install_template:
            return 1
    else:
        if args.install_template:
            print(f"projector template: {where}")
            return 0
    cmd, env = voila_command(args.port, not args.no_browser, tuple(args.voila_args),
                             pixel_ratio=args.pixel_ratio)
    print(f"lecture mode: http://127.0.0.1:{args.port}/  (Ctrl-C to stop)", flush=True)
    os.chdir(LECTURE)
    # become Voila, so Ctrl-C reaches it directly and it shuts its kernels down
    os.execvpe(cmd[0], cmd, env)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
