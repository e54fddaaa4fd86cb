"""Renderers: pure functions from a resolved environment to files (manifests, monitoring, docs).

Renderers do not import each other; ``app`` joins them into a bundle. What several of them share
lives in neutral packages that are no renderer: ``common`` (standard labels and annotations, the
scrape convention) and ``signals`` (series, SLOs and alerts of the observing renderers).
"""
