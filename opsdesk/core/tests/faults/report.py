"""The fault tests' figures: what docs/reliability.md reports, written where asked.

With OPSDESK_FAULTS_REPORT=path each test appends one JSON line (test, database, figures);
the figures are printed as well, so `pytest -s` shows them.
"""

import json
import os

from django.db import connection


def record(test: str, figures: dict) -> None:
    line = {"test": test, "database": connection.vendor, **figures}
    print("fault figures:", json.dumps(line))
    if path := os.environ.get("OPSDESK_FAULTS_REPORT"):
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
