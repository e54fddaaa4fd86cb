"""What is observed of a module: its series, SLOs, burn-rate tiers and alerts, as plain data.

Not a renderer: the shared model the observing renderers (``monitoring``, ``dashboards``,
``runbooks``) read, so that rule names, alert names and runbook anchors are defined once.
Imports ``buttress.model`` only.
"""
