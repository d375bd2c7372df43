"""Interactive widget apps, one module per lesson: views only.

Each app is a view class that owns its widgets as attributes and drives a
pure-numpy model from the core (`bpkit.single_weight.SingleWeightModel` for
`bpkit.apps.single_weight.SingleWeightApp`, and so on). The app modules import
ipywidgets and matplotlib; `import bpkit` alone does not.
"""
