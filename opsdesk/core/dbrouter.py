"""Reports read from a replica: the `reports` database alias and the router that uses it.

A large company runs a streaming replica (docs/deploy.md, "Replicas") so that month-long KPI
queries, the process analysis and big exports do not compete with the desk's writes.
`OPSDESK_REPORTS_DATABASE_URL` adds the replica as the `reports` alias (config/settings.py).

- Without it there is no `reports` alias, every method of the router answers None, and Django
  reads and writes `default` exactly as it would without a router.
- With it, reads go to the replica only inside a reporting scope (`reporting_reads()`,
  `reporting_call()`, `@reporting_view`): the report pages, the exports and the scheduled
  reports. Everything else (the incident pages, queues, forms) reads `default`, so a person
  always sees their own change at once; a report may be a few seconds behind.
- Inside a scope, a read made in a transaction the code opened on `default` still reads
  `default`: such a read is part of a write (the audit log reads and locks its chain head before
  it appends an export's event), and must see what it is about to change.
- Every write goes to `default`, whatever database the object was read from. Migrations run on
  `default` only; objects from either alias may be related (they hold the same data).

The replica down: a scope checks the replica's connection when it opens. A replica that does not
answer is left alone for `OPSDESK_REPORTS_RETRY_SECONDS` (this process) and the report reads
`default`: slower, never a 500. A replica that fails halfway through a report (or cancels the
query for a conflict with recovery, as a hot standby may) makes `reporting_call` run the report
again on `default`. A report only reads, apart from its export's audit event (written to
`default`, mostly after the figures are read), so a run again is harmless; at worst the audit log
shows the export twice. A CSV that is already streaming cannot start again: it ends early, as
it would if `default` failed.
"""

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import FileResponse

REPORTS = "reports"
SAFE_METHODS = ("GET", "HEAD")
logger = logging.getLogger(__name__)

# The alias reads go to in the current scope; None outside every scope.
_scope: ContextVar[str | None] = ContextVar("opsdesk_reporting_reads", default=None)
_down_until = 0.0  # time.monotonic() before which this process does not try the replica


def replica_configured() -> bool:
    """Whether a `reports` alias is configured (OPSDESK_REPORTS_DATABASE_URL)."""
    return REPORTS in settings.DATABASES


class ReportingRouter:
    """Reads of a reporting scope to the replica; everything else to `default`."""

    def db_for_read(self, model, **hints):
        if not replica_configured():
            return None
        alias = _scope.get()
        if alias is None or _in_write_transaction():
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints):
        # Explicit, so an object read from the replica is saved to default, not back to its
        # own alias (Django's fallback without a router's answer).
        return DEFAULT_DB_ALIAS if replica_configured() else None

    def allow_relation(self, obj1, obj2, **hints):
        aliases = {DEFAULT_DB_ALIAS, REPORTS}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPORTS else None


def _in_write_transaction() -> bool:
    """Whether code opened a transaction on default (a test case's own wrapping ones aside)."""
    return any(not getattr(block, "_from_testcase", False)
               for block in connections[DEFAULT_DB_ALIAS].atomic_blocks)


@contextmanager
def reporting_reads():
    """Inside, reads go to the replica when one is configured and answering; yields the alias
    the reads go to (None: no replica configured). A nested scope keeps the outer decision."""
    alias = _scope.get() or _reports_alias()
    token = _scope.set(alias)
    try:
        yield alias
    finally:
        _scope.reset(token)


def _reports_alias() -> str | None:
    if not replica_configured():
        return None
    if time.monotonic() < _down_until or not _replica_answers():
        return DEFAULT_DB_ALIAS
    return REPORTS


def _replica_answers() -> bool:
    """Connect (or check the kept connection) once; a failure marks the replica down."""
    connection = connections[REPORTS]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as error:
        replica_down(error)
        return False
    connection.errors_occurred = False  # from here on, an error is this scope's
    return True


def replica_down(error: Exception) -> None:
    """Stop trying the replica for OPSDESK_REPORTS_RETRY_SECONDS; reports read default."""
    global _down_until
    _down_until = time.monotonic() + settings.OPSDESK_REPORTS_RETRY_SECONDS
    logger.warning("reporting replica unavailable, reports read the primary for %ss: %s",
                   settings.OPSDESK_REPORTS_RETRY_SECONDS, error)
    try:
        connections[REPORTS].close()
    except DatabaseError:
        pass


def replica_retry_now() -> None:
    """Forget that the replica was down (tests; an operator's check after fixing it)."""
    global _down_until
    _down_until = 0.0


def reporting_call(function: Callable, /, *args, **kwargs):
    """function(*args, **kwargs) with reporting reads. When the replica fails during it (the
    error was raised on the `reports` connection), the call runs again reading default."""
    with reporting_reads() as alias:
        try:
            return function(*args, **kwargs)
        except DatabaseError as error:
            if alias != REPORTS or not connections[REPORTS].errors_occurred:
                raise
            _after_replica_error(error)
    token = _scope.set(DEFAULT_DB_ALIAS)
    try:
        return function(*args, **kwargs)
    finally:
        _scope.reset(token)


def _after_replica_error(error: Exception) -> None:
    """A dead replica is marked down; a live one (a query cancelled for a conflict with
    recovery) is kept for the next report."""
    connection = connections[REPORTS]
    if connection.connection is None or not connection.is_usable():
        replica_down(error)
    else:
        logger.warning("report query failed on the replica, read again from the primary: %s",
                       error)
        connection.errors_occurred = False


def reporting_view(view: Callable) -> Callable:
    """A report page: GET and HEAD read in a reporting scope (a form's POST reads what it is
    about to write, so it reads default). The template is rendered inside the scope, and each
    part of a streamed download is read inside it too."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in SAFE_METHODS:
            return view(request, *args, **kwargs)
        return reporting_call(_rendered, view, request, *args, **kwargs)

    return wrapper


def _rendered(view: Callable, request, *args, **kwargs):
    """The view's response, complete: rendered, or streaming with the scope's reads."""
    response = view(request, *args, **kwargs)
    if callable(getattr(response, "render", None)) and not response.is_rendered:
        response.render()  # a TemplateResponse's lazy querysets are evaluated here
    if getattr(response, "streaming", False) and not isinstance(response, FileResponse):
        # A CSV is written while the server sends it, after the view has returned.
        response.streaming_content = _read_in_scope(response.streaming_content, _scope.get())
    return response


def _read_in_scope(chunks, alias: str | None) -> Iterator[bytes]:
    """The chunks of a streamed download, each made with reads going to `alias`."""
    iterator = iter(chunks)
    while True:
        token = _scope.set(alias)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _scope.reset(token)
        yield chunk
