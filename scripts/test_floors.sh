#!/usr/bin/env bash
# Installs hfsynth with every dependency at the lower bound pyproject.toml declares, in a fresh venv
# outside .venv, and runs the default (fast) test run there.
# Usage: bash scripts/test_floors.sh [pytest args]     (VENV=... to choose where the venv goes)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-build/floors-venv}
PYTHON=${PYTHON:-python3}
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
CONSTRAINTS=$(mktemp)
trap 'rm -f "$CONSTRAINTS"' EXIT
"$PYTHON" scripts/floors.py > "$CONSTRAINTS"
echo "lower bounds:"; sed 's/^/  /' "$CONSTRAINTS"
"$VENV/bin/python" -m pip install -q -c "$CONSTRAINTS" -e ".[dev]"
"$VENV/bin/python" -m pytest -q "$@"
