"""Plotting helpers (matplotlib only). Imported on demand, never by `import bpkit`."""
