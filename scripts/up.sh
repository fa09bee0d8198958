#!/usr/bin/env bash
# Start opsdesk on this machine: ./scripts/up.sh --demo
# Creates .venv on first use, installs the project, then runs `opsdesk up` with your options
# (--demo, --host, --port, --workers; see `.venv/bin/opsdesk up --help`). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -e .
exec .venv/bin/opsdesk up "$@"
