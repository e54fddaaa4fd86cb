#!/usr/bin/env bash
# The whole test suite from a clean clone: set up, then lint, type-check, layer check and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --system
echo "== ruff"; .venv/bin/ruff check src tests benchmarks
echo "== mypy"; .venv/bin/mypy src
echo "== import layers"; .venv/bin/lint-imports --no-cache
echo "== pytest"; .venv/bin/python -m pytest -n 2 "$@"
