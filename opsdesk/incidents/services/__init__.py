"""Incident services: every change to an incident goes through one of these functions."""

from .bulk import BulkResult, incidents_bulk_assign, incidents_bulk_update
from .comments import attachment_create, comment_create, people_add, people_remove
from .lifecycle import allowed_actions, incident_transition
from .records import (StaleVersion, incident_create, incident_update, incident_version,
                      request_digest)
from .relations import actor_relations, can_edit, can_write_notes

__all__ = [
    "BulkResult", "incidents_bulk_assign", "incidents_bulk_update",
    "actor_relations", "allowed_actions", "attachment_create", "can_edit", "can_write_notes",
    "comment_create", "incident_create", "incident_transition", "incident_update",
    "people_add", "people_remove", "request_digest", "StaleVersion", "incident_version",
]
