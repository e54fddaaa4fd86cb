"""What several renderers share, in one neutral place (not a renderer; renderers do not import
each other): the standard labels and annotations every rendered object carries (``labels``), and
the scrape convention by which Prometheus reaches a module's metrics (``scrape``). Imports
``buttress.model`` only.
"""
