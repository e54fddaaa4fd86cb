"""The team server (``buttress serve``): a FastAPI application over the ledger's use cases.

``server.app.create_app`` builds it; the ``api_*`` routers serve JSON, ``web`` serves Jinja2 pages,
``auth`` authenticates tokens and sessions, ``security`` adds the response headers. The server keeps no
state of its own: everything lives in the ledger database, so several instances can serve one team.
"""
