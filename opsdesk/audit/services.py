"""Writing the audit log: `audit_record` is the one writer (also importable as `record`)."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import chain, context
from .models import AuditChainHead, AuditEvent, AuditKind

TARGET_TEXT_MAX = 255
HEAD_PK = 1


def audit_record(*, kind: str, actor=None, actor_username: str = "", target=None,
                 target_text: str = "", details: dict | None = None,
                 request=None) -> AuditEvent:
    """Append one event to the audit log and return it.

    `actor` defaults to the signed-in person of the current request (None: the system or an
    anonymous caller); `actor_username` names someone without an account (a failed sign-in).
    `request` defaults to the current one (context.py), for the IP address and user agent.

    Runs in the caller's transaction when there is one, so the event commits (or rolls back)
    with the change it records. The chain's head row is locked from here to that commit:
    call this as the last step of a transaction, after the change itself.
    """
    request = request if request is not None else context.current_request()
    actor = actor if actor is not None else context.request_actor(request)
    event = AuditEvent(
        kind=kind, actor=actor,
        actor_username=_text(getattr(actor, "username", "") or actor_username or "")[:150],
        ip=context.client_ip(request), user_agent=_text(context.user_agent(request)),
        details=_text(chain.json_roundtrip(details or {})), **_target(target, target_text))
    with transaction.atomic():
        _append(event)
    return event


record = audit_record


def _text(value):
    """Value with NUL characters replaced: a failed sign-in's user name is the attacker's
    text, and PostgreSQL refuses NUL in text and JSON (the event must still be written)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_text(k): _text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value


def _target(target, text: str) -> dict:
    if target is None:
        return {"target_text": _text(str(text))[:TARGET_TEXT_MAX]}
    return {"target_type": ContentType.objects.get_for_model(target, for_concrete_model=False),
            "target_id": _text(str(target.pk))[:64],
            "target_text": _text(str(text or target))[:TARGET_TEXT_MAX]}


def _append(event: AuditEvent) -> None:
    """Link event after the chain's head (locked), insert it, and move the head onto it."""
    head = _head_locked()
    event.seq, event.prev_hash, event.at = head.seq + 1, head.hash, timezone.now()
    event.hash = chain.link_hash(event.prev_hash, event.chain_content())
    event.save(force_insert=True)
    AuditChainHead.objects.filter(pk=HEAD_PK).update(seq=event.seq, hash=event.hash)


def head_ensure(*, using: str = "default", **_kwargs) -> None:
    """post_migrate: make the head row from the last entry when it is missing."""
    from django.db import connections

    if AuditChainHead._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated back before the audit app
    if not AuditChainHead.objects.using(using).filter(pk=HEAD_PK).exists():
        last = (AuditEvent.objects.using(using).order_by("-seq").values_list("seq", "hash")
                .first() or (0, ""))
        AuditChainHead.objects.using(using).get_or_create(
            pk=HEAD_PK, defaults={"seq": last[0], "hash": last[1]})


def _head_locked() -> AuditChainHead:
    """The head row, locked (SELECT … FOR UPDATE; SQLite's write lock is already held).

    The migration creates it; a flushed test database has lost it, so it is made again from
    the last entry (two makers at once: one insert wins, the other waits on its key).
    """
    head = AuditChainHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    if head is not None:
        return head
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first() or (0, "")
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(pk=HEAD_PK, seq=last[0], hash=last[1])
    except IntegrityError:
        pass
    return AuditChainHead.objects.select_for_update().get(pk=HEAD_PK)


def audit_token_used(*, token) -> bool:
    """Record that an API token was used, at most once per AUDIT_TOKEN_USED_INTERVAL seconds
    per token (the shared cache decides, so every web process agrees when it is Redis).

    Called where the token's last-used stamp is written (at most once a minute), so the API's
    request path pays nothing more than it did. Returns whether an event was written.
    """
    key = f"opsdesk:audit:token_used:{token.digest[:24]}"
    if not cache.add(key, 1, timeout=settings.AUDIT_TOKEN_USED_INTERVAL):
        return False
    audit_record(kind=AuditKind.TOKEN_USED, actor=token.user, target=token,
                 details={"name": token.name, "prefix": token.prefix})
    return True
