"""Ordering a service request from the catalogue, and approving or rejecting it.

A request is an incident of nature 02 (服务请求, numbers SR…) with a ServiceRequest row beside
it. It shares the incident lifecycle; a type that needs approval adds one step before it:

- ordered: the incident is logged, then put on hold by the system (`await_approval`: pending,
  reason 06) with no SLA clocks, and the approver (the requester's manager, else the head of
  their department or of the nearest organisation above it) is added as a watcher, so they see
  it, and mailed;
- approved by the approver: the clocks start at that moment (the type's SLA policy, else the
  matrix's) and the system assigns the request to the fulfilment group;
- rejected: the system cancels it with the approver's reason.

A type without approval is assigned to its fulfilment group at once, on its own SLA policy if
it names one. If nobody can approve (no manager, no head), ordering is refused with a message
that says whom to ask: silently sending it somewhere else would hide a gap in the directory.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from opsdesk.core import lookups
from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.incidents.choices import Action, Channel, Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import attachment_create, incident_create, incident_transition
from opsdesk.incidents.services.lifecycle import PENDING_AWAITING_APPROVAL
from opsdesk.reference.models import Nature, PendingReason
from opsdesk.sla.engine import sla_policy_apply
from opsdesk.sla.policies import policy_match

from . import notify
from .answers import CheckedAnswers, answers_check, answers_text
from .models import ApprovalState, RequestField, RequestType, ServiceRequest
from .selectors import NATURE_SERVICE_REQUEST, approver_for, may_order

SHORT_DESCRIPTION_MAX = 200


def request_order(*, by, request_type: RequestType, answers: dict, files: dict | None = None,
                  requester=None, channel: str = Channel.WEB, contact_phone: str = "",
                  idempotency_key: str = "", digest: str = "") -> tuple[Incident, bool]:
    """Order a request of this type for `requester` (default: `by`); return (incident, created).

    Everything (the incident, its details, answers and files, the hold or the assignment)
    commits together or not at all. With an idempotency key a retry returns the first request.
    Raises InvalidInput (per field), NotPermitted (logging for someone else is the desk's).
    """
    requester = requester or by
    if not request_type.is_active or not may_order(user=requester, request_type=request_type):
        raise InvalidInput(errors={"request_type": _(
            "%(type)s cannot be ordered for %(person)s.") % {
            "type": request_type.name, "person": requester}})
    fields = request_type.active_fields()
    checked = answers_check(fields=fields, answers=answers, files=files)
    approver = _approver(request_type=request_type, requester=requester)
    with transaction.atomic():
        incident, created = incident_create(
            by=by, data=_record(request_type, fields, checked, requester, approver,
                                contact_phone),
            channel=channel, idempotency_key=idempotency_key, digest=digest, route=False)
        if not created:
            return incident, False
        _attach(incident=incident, by=by, checked=checked, channel=channel)
        _mark_answered(request_type=request_type, entries=checked.entries)
        details = ServiceRequest.objects.create(
            incident=incident, request_type=request_type, answers=checked.entries,
            approver=approver, approval_state=ApprovalState.PENDING if approver
            else ApprovalState.NOT_NEEDED)
        if approver is not None:
            _hold_for_approval(incident=incident)
            notify.notify_approval_requested(details=details)
        else:
            _start_fulfilment(incident=incident, request_type=request_type, reason=_(
                "Service catalogue: %(type)s") % {"type": request_type.name})
    return Incident.objects.get(pk=incident.pk), True


def _approver(*, request_type: RequestType, requester):
    if not request_type.needs_approval:
        return None
    approver = approver_for(user=requester)
    if approver is None:
        raise InvalidInput(errors={"request_type": _(
            "%(type)s needs the approval of %(person)s's manager, but none is set (nor a head "
            "of the department). Ask the administrator to set the manager in the directory.")
            % {"type": request_type.name, "person": requester}})
    return approver


def _record(request_type, fields, checked: CheckedAnswers, requester, approver,
            contact_phone) -> dict:
    """The incident's fields: short description = the type's name and the key answers."""
    summary = [entry[_display_key()] for entry in checked.entries
               if any(f.key == entry["key"] and f.in_summary for f in fields)]
    short = " – ".join([request_type.name, *summary])[:SHORT_DESCRIPTION_MAX]
    data = {"requester": requester, "nature": lookups.lookup(Nature, NATURE_SERVICE_REQUEST),
            "short_description": short,
            "description": answers_text(checked.entries, language=get_language() or "zh-hans"),
            "category": request_type.category, "service": request_type.service,
            "impact": request_type.impact, "urgency": request_type.urgency}
    if contact_phone:
        data["contact_phone"] = contact_phone.strip()[:40]
    if approver is not None:
        data["watchers"] = [approver]
    return data


def _display_key() -> str:
    return "display_zh" if (get_language() or "zh-hans").lower().startswith("zh") \
        else "display_en"


def _attach(*, incident, by, checked: CheckedAnswers, channel) -> None:
    """Store each uploaded file and note its attachment id in its answer."""
    for entry in checked.entries:
        upload = checked.uploads.get(entry["key"])
        if upload is None:
            continue
        try:
            attachment = attachment_create(incident=incident, by=by, upload=upload,
                                           channel=channel)
        except InvalidInput as error:  # the file's own message, under its field
            raise InvalidInput(_("Some answers are missing or invalid."), errors={
                entry["key"]: " ".join(map(str, error.errors.values())) or error.message}
            ) from None
        entry["value"] = str(attachment.pk)
        entry["display_zh"] = entry["display_en"] = attachment.filename


def _mark_answered(*, request_type: RequestType, entries: list[dict]) -> None:
    """The fields answered now are never deleted from here on (one UPDATE)."""
    keys = [entry["key"] for entry in entries]
    if keys:
        RequestField.objects.filter(request_type=request_type, key__in=keys,
                                    answered=False).update(answered=True)


def _hold_for_approval(*, incident: Incident) -> None:
    """No clocks while the approver decides; the request waits in pending (reason 06)."""
    Incident.objects.filter(pk=incident.pk).update(
        **sla_policy_apply(incident=incident, policy=None, now=timezone.now()))
    incident_transition(incident=incident, action=Action.AWAIT_APPROVAL, by=None,
                        channel=Channel.SYSTEM,
                        pending_reason=lookups.lookup(PendingReason, PENDING_AWAITING_APPROVAL))


def _start_fulfilment(*, incident: Incident, request_type: RequestType, reason: str
                      ) -> Incident:
    """Clocks from now on the type's policy (else the matrix's), then to the fulfilment group."""
    policy = request_type.sla_policy or policy_match(
        priority_id=incident.priority_id, service_id=incident.service_id,
        department_id=incident.requester_department_id)
    if request_type.sla_policy_id or incident.status == Status.PENDING:
        Incident.objects.filter(pk=incident.pk).update(
            **sla_policy_apply(incident=incident, policy=policy, now=timezone.now()))
    return incident_transition(incident=incident, action=Action.ASSIGN, by=None,
                               channel=Channel.SYSTEM,
                               assignment_group=request_type.fulfilment_group, reason=reason)


def request_approve(*, incident: Incident, by, comment: str = "",
                    channel: str = Channel.WEB) -> ServiceRequest:
    """The approver approves: the clocks start, the fulfilment group gets the request, and
    the requester is mailed."""
    with transaction.atomic():
        details = _decidable(incident=incident, by=by)
        _decide(details, ApprovalState.APPROVED, comment)
        reason = _("Approved by %(person)s") % {"person": by.label}
        details.incident = _start_fulfilment(
            incident=details.incident, request_type=details.request_type,
            reason=f"{reason}: {comment.strip()}" if comment.strip() else reason)
        notify.notify_approved(details=details)
    return details


def request_reject(*, incident: Incident, by, comment: str,
                   channel: str = Channel.WEB) -> ServiceRequest:
    """The approver rejects, with a reason: the request is cancelled and the requester told."""
    if not (comment or "").strip():
        raise InvalidInput(errors={"comment": _("Say why you reject the request.")})
    with transaction.atomic():
        details = _decidable(incident=incident, by=by)
        _decide(details, ApprovalState.REJECTED, comment)
        incident_transition(incident=details.incident, action=Action.CANCEL, by=None,
                            channel=Channel.SYSTEM, reason=_(
                                "Rejected by %(person)s: %(comment)s") % {
                                "person": by.label, "comment": comment.strip()})
    return details


def _decidable(*, incident: Incident, by) -> ServiceRequest:
    """The request's details, locked, if `by` is its approver and it still awaits approval."""
    details = (ServiceRequest.objects.select_for_update()
               .select_related("incident", "request_type").filter(incident=incident).first())
    if details is None:
        raise NotFound(_("%(number)s is not a service request.") % {"number": incident.number})
    if details.approver_id != by.pk:
        raise NotPermitted(_("Only the approver of this request may decide on it."))
    if details.approval_state != ApprovalState.PENDING or \
            details.incident.status != Status.PENDING:
        raise Conflict(_("This request does not await approval (it is %(state)s).") % {
            "state": details.get_approval_state_display()})
    return details


def _decide(details: ServiceRequest, state: str, comment: str) -> None:
    details.approval_state = state
    details.decided_at = timezone.now()
    details.decision_comment = (comment or "").strip()
    details.save(update_fields=["approval_state", "decided_at", "decision_comment"])
