"""The blueprint model: loading with a source map, the typed spec, resolve, graph and units.

The lowest layer; it imports nothing else from buttress but ``errors``.
"""
