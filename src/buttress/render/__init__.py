"""Renderers: pure functions from a resolved environment to files (manifests, monitoring, docs).

Renderers do not import each other; ``app`` joins them into a bundle.
"""
