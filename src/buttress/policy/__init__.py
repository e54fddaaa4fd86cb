"""Policy: the built-in control catalog, organisation Rego policies, waivers, enforcement and reports.

Pure functions over the resolved model and rendered objects; ``buttress.app.check`` joins them.
Only this package imports the Rego engine.
"""
