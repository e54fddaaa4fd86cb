"""What several renderers share, in one neutral place (not a renderer; renderers do not import
each other): the standard labels and annotations every rendered object carries (``labels``), the
scrape convention by which Prometheus reaches a module's metrics (``scrape``), the Jinja2
environment of the text renderers (``templates``), and reviewable JSON (``jsonlines``). Imports
``buttress.model`` and Jinja2 only.
"""
