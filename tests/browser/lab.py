"""Drive a notebook in JupyterLab: open it fresh, Run All, wait until it is done."""

from __future__ import annotations

from .procs import wait_until

__all__ = ["open_notebook", "run_all", "notebook_state"]

# the notebook in the main area, through window.jupyterapp (--expose-app-in-browser)
_PANEL = "const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"

_READY_JS = _PANEL + """
const k = w && w.sessionContext && w.sessionContext.session
          && w.sessionContext.session.kernel;
return !!(w && w.content && w.context && w.context.isReady && k
          && k.connectionStatus === 'connected' && k.status === 'idle');
"""

# per code cell: has it run (an execution count), and did it end in an error
_STATE_JS = _PANEL + """
if (!w || !w.content || !w.content.model) return null;
const cells = [];
for (const cell of w.content.model.cells) {
  if (cell.type !== 'code') continue;
  const j = cell.toJSON();
  if (![].concat(j.source).join('').trim()) continue;  // JupyterLab skips empty cells
  const errors = (j.outputs || []).filter(o => o.output_type === 'error')
    .map(o => o.ename + ': ' + o.evalue);
  const stderr = (j.outputs || [])
    .filter(o => o.output_type === 'stream' && o.name === 'stderr')
    .map(o => [].concat(o.text).join(''));
  cells.push({count: j.execution_count, errors, stderr,
              source: [].concat(j.source).join('').slice(0, 120)});
}
return {cells, kernel: w.sessionContext.session
        ? w.sessionContext.session.kernel.status : 'none'};
"""


def _js(body: str) -> str:
    return "() => {" + body + "}"


def open_notebook(page, lab, notebook: str, timeout: float = 120) -> None:
    """Open `notebook` with ?reset and wait for its kernel (auto-started) to be idle."""
    page.goto(lab.url(notebook), wait_until="domcontentloaded", timeout=timeout * 1000)
    wait_until(lambda: page.evaluate(_js(_READY_JS)), timeout,
               f"{notebook} to open with a connected, idle kernel")
    lab.wait_kernel_idle(notebook, timeout)


def notebook_state(page) -> dict:
    return page.evaluate(_js(_STATE_JS))


def run_all(page, lab, notebook: str, timeout: float = 300) -> dict:
    """Clear every output, Run All, and wait for the last cell and an idle kernel.

    Clearing first makes "every code cell has an execution count" mean "ran in
    this kernel". A cell that fails stops the run (JupyterLab skips the rest), so
    an error output also ends the wait. Returns the final `notebook_state`.
    """
    page.evaluate("() => window.jupyterapp.commands.execute("
                  "'notebook:clear-all-cell-outputs')")
    wait_until(lambda: all(c["count"] is None for c in notebook_state(page)["cells"]),
               30, "outputs to clear")
    # the command behind Run > Run All Cells; not awaited: the wait is below
    page.evaluate("() => { window.jupyterapp.commands.execute("
                  "'notebook:run-all-cells'); }")

    def finished():
        state = notebook_state(page)
        cells = state["cells"]
        done = all(c["count"] is not None for c in cells)
        failed = any(c["errors"] for c in cells)
        if (done or failed) and state["kernel"] == "idle":
            return state
        return None

    state = wait_until(finished, timeout, f"Run All of {notebook} to finish",
                       interval=0.5)
    # and the server agrees: /api/sessions reports the kernel idle
    lab.wait_kernel_idle(notebook, timeout)
    return state
