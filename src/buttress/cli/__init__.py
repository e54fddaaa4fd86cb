"""The command line: one module per command group, registered explicitly in ``cli.main``."""
