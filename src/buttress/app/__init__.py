"""Use cases that join the layers below: validate, check, render, plan, release. Called by the CLI and server."""
