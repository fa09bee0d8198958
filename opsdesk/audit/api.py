"""REST API: the audit log, read-only, for administrators and process owners (others: 403).

Registered in opsdesk/api/v1/api.py at /api/v1/audit. Newest first; page with `before` (the
`next_before` of the previous page).
"""

from datetime import date, datetime

from ninja import Query, Router, Schema
from pydantic import Field

from opsdesk.api.v1.schemas import ERRORS
from opsdesk.core.exceptions import NotPermitted

from . import selectors
from .models import AuditKind

router = Router()


class AuditQuery(Schema):
    kind: str = Field("", description="One of: " + ", ".join(AuditKind.values))
    actor: str = Field("", description="The actor's user name (exact)")
    since: date | None = Field(None, description="From this day (the caller's time zone)")
    until: date | None = Field(None, description="To this day, inclusive")
    before: int | None = Field(None, ge=1, description="Entries before this seq (next page)")
    limit: int = Field(50, ge=1, le=500)


class AuditEventOut(Schema):
    seq: int = Field(description="Place in the hash chain (1, 2, 3 …)")
    at: datetime
    kind: str
    actor: str = Field(description="User name; empty: the system or an anonymous caller")
    ip: str
    user_agent: str
    target_type: str | None = Field(description="app_label.model of the target, if a record")
    target_id: str
    target: str
    details: dict
    prev_hash: str
    hash: str


class AuditPageOut(Schema):
    events: list[AuditEventOut]
    next_before: int | None = Field(description="Pass as `before` for the next page; null: "
                                                "this is the last page")


@router.get("", response={200: AuditPageOut, **ERRORS}, summary="List audit events")
def audit_event_list(request, query: Query[AuditQuery]):
    """Security events, newest first, filtered by kind, actor and days."""
    if not selectors.may_read_audit(request.auth):
        raise NotPermitted(selectors.not_permitted_message())
    params = {k: (v.isoformat() if isinstance(v, date) else str(v))
              for k, v in query.dict().items() if v not in (None, "") and k != "limit"}
    filters = selectors.audit_filters_parse(params)
    rows = list(selectors.audit_event_list(user=request.auth, filters=filters)[:query.limit + 1])
    more = len(rows) > query.limit
    rows = rows[:query.limit]
    return {"events": [_event(e) for e in rows],
            "next_before": rows[-1].seq if more else None}


def _event(event) -> dict:
    target_type = event.target_type
    return {"seq": event.seq, "at": event.at, "kind": event.kind,
            "actor": event.actor_username, "ip": event.ip, "user_agent": event.user_agent,
            "target_type": f"{target_type.app_label}.{target_type.model}" if target_type
            else None, "target_id": event.target_id, "target": event.target_text,
            "details": event.details, "prev_hash": event.prev_hash, "hash": event.hash}
