"""``python -m buttress``: the same as the ``buttress`` command."""

from buttress.cli.main import run

run()
