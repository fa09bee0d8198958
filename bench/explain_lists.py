"""EXPLAIN ANALYZE of the list queries the API benchmark sends, as the selectors build them.

    python bench/explain_lists.py [--only TEXT] [--no-analyze]

Runs each list scenario of bench/api_bench.py through the same code as the API
(filters_from_query, then selectors.incident_list), captures the SQL of the page query and
prints its plan (PostgreSQL: EXPLAIN (ANALYZE, BUFFERS); others: EXPLAIN).
"""

import argparse
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))


def explain_all(*, only: str = "", analyze: bool = True) -> str:
    """The plans of every list scenario, one section each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.api_bench import list_queries
    from bench.fixtures import fixtures_prepare, fixtures_release
    from opsdesk.accounts.models import User
    from opsdesk.api.v1.filters import filters_from_query
    from opsdesk.api.v1.incidents import ListQuery
    from opsdesk.incidents import selectors

    fx = fixtures_prepare(sample=10)
    users = {role: User.objects.get(username=name) for role, name in
             (("desk", fx.desk), ("engineer", fx.engineer), ("requester", fx.requester))}
    try:
        query = ListQuery(status=["open"], group=[fx.group])
        _rows, cursor = selectors.incident_list(
            user=users["desk"], filters=filters_from_query(query=query, user=users["desk"]))
        sections = []
        for name, caller, params in list_queries(fx, cursor):
            if only not in name:
                continue
            query = ListQuery(**{k: v if k in ("sort", "cursor") or not _is_list(k) else [v]
                                 for k, v in params.items()})
            user = users[caller]
            with CaptureQueriesContext(connection) as captured:
                selectors.incident_list(user=user, filters=filters_from_query(query=query,
                                                                              user=user),
                                        sort=query.sort, cursor=query.cursor)
            sql = [q["sql"] for q in captured.captured_queries if "LIMIT" in q["sql"]][-1]
            sections.append(f"== {name} (as {caller})\n{sql}\n\n{_plan(sql, analyze)}")
        return "\n\n".join(sections)
    finally:
        fixtures_release(fx)


def _is_list(field: str) -> bool:
    return field in ("status", "priority", "group")


def _plan(sql: str, analyze: bool) -> str:
    from django.db import connection

    prefix = "EXPLAIN"
    if connection.vendor == "postgresql":
        prefix = "EXPLAIN (ANALYZE, BUFFERS)" if analyze else "EXPLAIN"
    with connection.cursor() as cursor:
        cursor.execute(f"{prefix} {sql}")
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="Only scenarios whose name contains this.")
    parser.add_argument("--no-analyze", action="store_true", help="Plan only, don't run.")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print(explain_all(only=args.only, analyze=not args.no_analyze))


if __name__ == "__main__":
    main()
