"""Replies, work notes, attachments, collaborators and watchers."""

import hashlib
import uuid

from django.db import transaction
from django.utils.translation import gettext as _

from opsdesk.core.services import text_clean
from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.security_files import safe_filename, upload_check
from opsdesk.search.services import incident_index_reply
from opsdesk.sla.engine import sla_on_first_response, sla_on_requester_reply

from .. import events, hooks, notify
from ..choices import FINAL_STATUSES, Action, Actor, Channel, Status, Visibility
from ..models import Attachment, Comment, Incident
from .lifecycle import incident_transition
from .relations import NOTE_WRITERS, actor_relations, check_collaborators, user_is_staff

# Pending reason whose wait ends when the requester answers (default table: awaiting user).
PENDING_AWAITING_USER = "01"


def comment_create(*, incident: Incident, by, body: str, visibility: str = Visibility.PUBLIC,
                   channel: str = Channel.WEB) -> Comment:
    """Add a public reply or an internal work note.

    A requester's reply to an incident pending on the user resumes it; a support person's first
    public reply counts as the first response.
    """
    body = text_clean(body)
    if not body:
        raise InvalidInput(errors={"body": _("Write something.")})
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        relations = actor_relations(user=by, incident=incident)
        _check_may_comment(incident=incident, by=by, relations=relations, visibility=visibility)
        comment = Comment.objects.create(incident=incident, author=by, body=body,
                                         visibility=visibility, channel=channel)
        incident_index_reply(comment)
        events.event_comment(incident=incident, by=by, channel=channel, comment=comment)
        notify.notify_comment(incident=incident, by=by, comment=comment)
        _claim_ownership(incident=incident, by=by, channel=channel)
        _after_comment(incident=incident, by=by, relations=relations, comment=comment)
        hooks.commented(incident=incident, comment=comment, by=by, channel=channel)
    return comment


def _check_may_comment(*, incident, by, relations, visibility) -> None:
    if visibility not in Visibility.values:
        raise InvalidInput(errors={"visibility": _("Choose public or internal.")})
    if not _may_see(user=by, incident=incident):
        raise NotPermitted(_("You may not add to this incident."))
    is_staff = bool(relations & NOTE_WRITERS) or user_is_staff(by)
    if visibility == Visibility.INTERNAL and not is_staff:
        raise NotPermitted(_("Only support staff may write internal work notes."))
    if incident.status in FINAL_STATUSES and not is_staff:
        raise Conflict(_("This incident is finished. Report a new incident if the problem is back."))


def _may_see(*, user, incident) -> bool:
    """Whether the incident is visible to user (the same rule as every list and lookup)."""
    return Incident.objects.restrict(user).filter(pk=incident.pk).exists()


def _claim_ownership(*, incident, by, channel) -> None:
    """The first service-desk agent to handle an incident reported elsewhere becomes its owner."""
    if incident.owner_id is None and by.is_service_desk:
        Incident.objects.filter(pk=incident.pk).update(owner=by)
        events.event_field_changed(incident=incident, by=by, channel=channel, field="owner",
                                   old=None, new=by)
        incident.owner = by


def _after_comment(*, incident, by, relations, comment) -> None:
    if comment.visibility != Visibility.PUBLIC:
        return
    staff_relations = relations & {Actor.DESK, Actor.MANAGER, Actor.ASSIGNEE, Actor.GROUP,
                                   Actor.COLLABORATOR}
    if staff_relations and Actor.REQUESTER not in relations and incident.first_response_at is None:
        Incident.objects.filter(pk=incident.pk).update(  # the response clock stops
            **sla_on_first_response(incident=incident, at=comment.created_at))
    if Actor.REQUESTER in relations and incident.status == Status.RESOLVED:
        Incident.objects.filter(pk=incident.pk).update(  # the auto-close wait restarts
            **sla_on_requester_reply(incident=incident, at=comment.created_at))
    if (Actor.REQUESTER in relations and incident.status == Status.PENDING
            and incident.pending_reason_id == PENDING_AWAITING_USER):
        incident_transition(incident=incident, action=Action.RESUME, by=None,
                            channel=Channel.SYSTEM)


def attachment_create(*, incident: Incident, by, upload, visibility: str = Visibility.PUBLIC,
                      channel: str = Channel.WEB, comment: Comment | None = None) -> Attachment:
    """Store an uploaded file on the incident after checking its size and type."""
    checked = upload_check(upload)  # name, size, type and content (core/security_files.py)
    filename, content_type = checked.filename, checked.content_type
    if comment is not None and comment.incident_id != incident.pk:
        raise InvalidInput(errors={"comment": _("The comment belongs to another incident.")})
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        relations = actor_relations(user=by, incident=incident)
        _check_may_comment(incident=incident, by=by, relations=relations, visibility=visibility)
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        attachment = Attachment(
            incident=incident, comment=comment, uploaded_by=by, filename=filename,
            content_type=content_type, size=upload.size, sha256=digest.hexdigest(),
            visibility=visibility, storage_key=uuid.uuid4().hex,
        )
        attachment.file.save(attachment.storage_key, upload, save=False)
        # If saving the row fails after the file was written, don't leave an orphan behind.
        try:
            attachment.save()
            events.event_attachment(incident=incident, by=by, channel=channel,
                                    attachment=attachment)
        except Exception:
            attachment.file.delete(save=False)
            raise
        _claim_ownership(incident=incident, by=by, channel=channel)
    return attachment


def attachment_filename(name: str) -> str:
    """A safe file name: no path, no control or shell characters; Chinese letters are kept."""
    return safe_filename(name)


def people_add(*, incident: Incident, by, field: str, users: list,
               channel: str = Channel.WEB) -> None:
    """Add collaborators or watchers. Anyone who may edit the incident may add them;
    a person may always add or remove themselves as a watcher."""
    _people_change(incident=incident, by=by, field=field, users=users, add=True, channel=channel)


def people_remove(*, incident: Incident, by, field: str, users: list,
                  channel: str = Channel.WEB) -> None:
    """Remove collaborators or watchers."""
    _people_change(incident=incident, by=by, field=field, users=users, add=False, channel=channel)


def _people_change(*, incident, by, field, users, add, channel) -> None:
    if field not in ("collaborators", "watchers"):
        raise InvalidInput(errors={"field": _("Choose collaborators or watchers.")})
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        relations = actor_relations(user=by, incident=incident)
        self_watch = field == "watchers" and all(u.pk == by.pk for u in users)
        # Watching makes an incident visible, so only someone who already sees it may watch it.
        if not _may_see(user=by, incident=incident) or (
                not (relations & NOTE_WRITERS - {Actor.COLLABORATOR}) and not self_watch):
            raise NotPermitted(_("You may not change the people on this incident."))
        if field == "collaborators" and add:
            check_collaborators(users)
        manager = getattr(incident, field)
        current = set(manager.all())
        changed = [u for u in users if (u in current) != add]
        if not changed:
            return
        (manager.add if add else manager.remove)(*changed)
        events.event_people_changed(incident=incident, by=by, channel=channel, field=field,
                                    added=changed if add else [], removed=[] if add else changed)
