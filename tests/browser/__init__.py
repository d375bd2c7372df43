"""Helpers for the real-browser tests in tests/test_browser.py.

- `procs`: start servers as child processes; end them and all they started, by PID.
- `servers`: JupyterLab (token, free port, temporary settings) and Voila.
- `chromium`: headless Chromium through Playwright, with a fresh profile.
- `apps`: what the learner sees: widgets rendered, no errors, plots that respond.
- `playground`: the MLP playground played live: press play, read the status.
"""
