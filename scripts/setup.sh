#!/usr/bin/env bash
# Creates .venv with the CPU build of torch and hfsynth (editable, with test extras).
# Usage: bash scripts/setup.sh            (idempotent: re-running only refreshes the install)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# torch first, pinned: here it resolves to the local CPU wheel; unpinned it would pull CUDA packages.
"$VENV/bin/python" -m pip install -q "torch==${TORCH_VERSION:-2.13.0}"
"$VENV/bin/python" -m pip install -q -e ".[dev]"
echo "hfsynth installed in $VENV (activate with: . $VENV/bin/activate)"
