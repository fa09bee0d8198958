"""Keeping the search index fresh: explicit calls from the services that change searchable text.

Each call is one upsert (INSERT … ON CONFLICT DO UPDATE / ON DUPLICATE KEY UPDATE) in the
caller's transaction, so the document commits or rolls back with the change it describes. The
database's own index follows by itself (PostgreSQL's generated column, SQLite's triggers).
"""

from django.db.models import Q, Value
from django.db.models.functions import Concat

from .models import IncidentDocument
from .text import document_text


def document_build(*, document_model, target_pk, title: str, body: str = "", extra: str = "",
                   keys: dict | None = None):
    """An unsaved document of target_pk holding the terms of the given texts (and the keys
    copied from the record, document_model.key_fields)."""
    pk_name = document_model._meta.pk.attname
    return document_model(**{pk_name: target_pk}, title=document_text(title),
                          body=document_text(body), extra=document_text(extra), **(keys or {}))


def documents_save(*, document_model, documents: list, batch_size: int = 1000) -> None:
    """Insert or replace documents (one statement per batch)."""
    if not documents:
        return
    from django.db import connection

    # MySQL's ON DUPLICATE KEY UPDATE names no conflict target (the primary key is the only
    # unique key of a document table anyway).
    unique = [] if connection.vendor == "mysql" else [document_model._meta.pk.name]
    document_model.objects.bulk_create(
        documents, batch_size=batch_size, update_conflicts=True,
        update_fields=["title", "body", "extra", *document_model.key_fields],
        unique_fields=unique)


def document_index(*, document_model, target, title: str, body: str = "",
                   extra: str = "") -> None:
    """Index (or re-index) one record from its texts as people wrote them: one upsert."""
    documents_save(document_model=document_model, documents=[document_build(
        document_model=document_model, target_pk=target.pk, title=title, body=body,
        extra=extra)])


def document_delete(*, document_model, target) -> None:
    """Take a record out of the index (e.g. an article that is retired)."""
    document_model.objects.filter(pk=target.pk).delete()


def documents_index(*, document_model, targets: list, batch_size: int = 1000) -> int:
    """Index many records with document_model.texts_for (a few queries per batch); count."""
    texts = document_model.texts_for(targets)
    by_pk = {target.pk: target for target in targets}
    documents = [document_build(document_model=document_model, target_pk=pk, title=t,
                                body=b, extra=e, keys=document_model.keys_for(by_pk[pk]))
                 for pk, (t, b, e) in texts.items()]
    documents_save(document_model=document_model, documents=documents, batch_size=batch_size)
    return len(documents)


def incident_index(incident, *, new: bool = False) -> None:
    """Upsert the incident's document: short description; description, resolution, replies.

    new=True (just created: no replies yet) saves the query for public replies.
    """
    if new:
        documents_save(document_model=IncidentDocument, documents=[document_build(
            document_model=IncidentDocument, target_pk=incident.pk,
            title=incident.short_description,
            body=f"{incident.description or ''}\n{incident.resolution or ''}",
            keys=IncidentDocument.keys_for(incident))])
        return
    documents_index(document_model=IncidentDocument, targets=[incident])


def incident_index_reply(comment) -> None:
    """Add a public reply's terms to its incident's document (one UPDATE; internal: nothing)."""
    from opsdesk.incidents.choices import Visibility

    if comment.visibility != Visibility.PUBLIC:
        return
    terms = document_text(comment.body)
    if not terms:
        return
    updated = IncidentDocument.objects.filter(pk=comment.incident_id).update(
        body=Concat("body", Value(terms)))
    if not updated:  # indexed before documents existed: build it whole
        documents_index(document_model=IncidentDocument, targets=[comment.incident])


def incident_keys_refresh(incident) -> None:
    """Copy who may see the incident (group, assignee, requester, department) to its document:
    one UPDATE, which writes nothing when they did not change."""
    keys = IncidentDocument.keys_for(incident)
    changed = Q()
    for key, value in keys.items():
        changed |= Q(**{f"{key}__isnull": False}) if value is None else ~Q(**{key: value})
    IncidentDocument.objects.filter(Q(pk=incident.pk) & changed).update(**keys)


# Incident hooks (registered in apps.SearchConfig.ready), in the change's transaction.

KEY_ACTIONS = frozenset({"assign", "hand_back", "accept", "start"})  # change group / assignee


def on_incident_transition(*, incident, action, event, **_kwargs) -> None:
    """assign and hand_back move an incident between groups; accept and start may take it."""
    data = getattr(event, "data", None) or {}
    if action in KEY_ACTIONS or "group" in data or "assignee" in data:
        incident_keys_refresh(incident)


def on_incident_update(*, incident, changed: set, **_kwargs) -> None:
    """A new requester (and with them their department) changes who sees the incident."""
    if changed & {"requester"}:
        incident_keys_refresh(incident)
