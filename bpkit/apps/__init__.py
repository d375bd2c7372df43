"""Interactive widget apps, one module per lesson.

Each app is a pure-numpy model class (state, `step()`, `reset()`) and a view
class that owns its widgets as attributes. Importing this package imports
ipywidgets and matplotlib; `import bpkit` alone does not.
"""
