#!/usr/bin/env bash
# The Python package's tests: builds the package into a virtual environment under target/
# (with the workspace's dev profile, so it reuses what `cargo test` compiled), then runs pytest
# against it and against the command-line tools in target/debug.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${RELVIS_VENV:-target/python-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q -r python/tests/requirements.txt
cargo build -q -p xai-text -p xai-video
MATURIN_PEP517_ARGS="--profile dev" "$venv/bin/pip" install -q --force-reinstall --no-deps ./python
RELVIS_BIN="${RELVIS_BIN:-target/debug}" "$venv/bin/python" -m pytest -q python/tests "$@"
