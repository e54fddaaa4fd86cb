#!/usr/bin/env bash
# The main job on the example, from a clean clone: set up .venv, then validate the
# fraud-detection blueprint and print its module graph.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
example=examples/fraud-detection
.venv/bin/buttress validate "$example"
.venv/bin/buttress graph "$example" --env prod --format mermaid
