#!/usr/bin/env bash
# Run the test suite on every core: ./scripts/test.sh [pytest options]
# Creates .venv on first use and installs the project with its test extra.
# Set DATABASE_URL=postgres://… to run against PostgreSQL instead of SQLite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
exec .venv/bin/pytest -n auto "$@"
