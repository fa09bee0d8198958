"""Where security events come from: Django's auth and model signals, and other apps' signals.

STYLE.md prefers explicit calls to signals between domain apps; the audit log is the
exception it allows, because it must hear every path that changes a role, a membership or a
token (the admin, the settings pages, LDAP sync, commands) without each of them knowing it.
Receivers only record; they never change what they observe. Signals of apps that may be
absent (django-axes, the accounts app's own signals) are connected when they exist.
"""

import importlib

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from opsdesk.accounts.models import ApiToken, SupportGroup
from opsdesk.accounts.roles import ROLE_FIELDS

from .models import AuditKind
from .services import audit_record

# The flags that grant power: the roles, and Django's own superuser and staff flags.
POWER_FIELDS = (*ROLE_FIELDS.values(), "is_superuser", "is_staff")
WATCHED_USER_FIELDS = frozenset((*POWER_FIELDS, "is_active"))


def connect() -> None:
    """Connect every receiver (AuditConfig.ready); idempotent thanks to dispatch_uid."""
    user = get_user_model()
    user_logged_in.connect(on_signed_in, dispatch_uid="audit_sign_in")
    user_login_failed.connect(on_sign_in_failed, dispatch_uid="audit_sign_in_failed")
    user_logged_out.connect(on_signed_out, dispatch_uid="audit_sign_out")
    pre_save.connect(user_before_save, sender=user, dispatch_uid="audit_user_pre")
    post_save.connect(user_saved, sender=user, dispatch_uid="audit_user_post")
    m2m_changed.connect(membership_changed, sender=SupportGroup.members.through,
                        dispatch_uid="audit_membership")
    pre_save.connect(token_before_save, sender=ApiToken, dispatch_uid="audit_token_pre")
    post_save.connect(token_saved, sender=ApiToken, dispatch_uid="audit_token_post")
    post_delete.connect(token_deleted, sender=ApiToken, dispatch_uid="audit_token_delete")
    post_save.connect(admin_logged, sender=LogEntry, dispatch_uid="audit_admin_log")
    _connect_optional()


def _connect_optional() -> None:
    """Signals of apps that may not be installed (or not written yet)."""
    optional = [
        ("opsdesk.mfa.signals", "mfa_enabled", AuditKind.MFA_ENABLED),
        ("opsdesk.mfa.signals", "mfa_disabled", AuditKind.MFA_DISABLED),
        ("opsdesk.mfa.signals", "mfa_reset", AuditKind.MFA_RESET),
        ("opsdesk.accounts.signals", "sessions_revoked", AuditKind.SESSIONS_REVOKED),
    ]
    for module, name, kind in optional:
        if signal := _signal(module, name):
            signal.connect(_person_event(kind), dispatch_uid=f"audit_{name}", weak=False)
    if apps.is_installed("axes") and (locked_out := _signal("axes.signals", "user_locked_out")):
        locked_out.connect(on_locked_out, dispatch_uid="audit_lockout")


def _signal(module: str, name: str):
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


# ---- signing in and out -------------------------------------------------------------------

def on_signed_in(sender, request, user, **kwargs):
    audit_record(kind=AuditKind.SIGN_IN, actor=user, request=request, target=user,
                 details={"backend": getattr(user, "backend", "") or ""})


def on_sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the secrets in credentials; only the name is kept.
    username = str(credentials.get("username") or credentials.get("email") or "")[:150]
    audit_record(kind=AuditKind.SIGN_IN_FAILED, actor_username=username, request=request,
                 target_text=username)


def on_signed_out(sender, request, user, **kwargs):
    audit_record(kind=AuditKind.SIGN_OUT, actor=user, request=request,
                 target=user if user is not None else None)


def on_locked_out(sender, request, username, ip_address=None, **kwargs):
    audit_record(kind=AuditKind.LOCKOUT, actor_username=str(username or "")[:150],
                 request=request, target_text=str(username or ""),
                 details={"ip_address": ip_address or ""})


def _person_event(kind: str):
    """A receiver for the signals that carry (user, by, request): MFA, sessions revoked."""
    def receiver(sender, user, by=None, request=None, **kwargs):
        details = {k: v for k, v in kwargs.items() if k in ("method", "session") and v}
        audit_record(kind=kind, actor=by if by is not None else None, request=request,
                     target=user, details=details)
    return receiver


# ---- accounts: roles, activation, password ------------------------------------------------

def user_before_save(sender, instance, update_fields=None, raw=False, **kwargs):
    """Remember the flags before an update that may change them (one read, only then)."""
    if raw or instance.pk is None:
        return
    if update_fields is not None and not WATCHED_USER_FIELDS.intersection(update_fields):
        return
    instance._audit_before = (sender._base_manager.filter(pk=instance.pk)
                              .values(*WATCHED_USER_FIELDS).first())


def user_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        audit_record(kind=AuditKind.ACCOUNT_CREATED, target=instance,
                     details={"roles": _powers(instance)})
        return
    before = instance.__dict__.pop("_audit_before", None)
    if before:
        _flags_compare(instance, before)
    if getattr(instance, "_password", None) is not None:  # set_password(), not a re-hash
        audit_record(kind=AuditKind.PASSWORD_CHANGED, target=instance)


def _powers(user) -> list[str]:
    return [field for field in POWER_FIELDS if getattr(user, field, False)]


def _flags_compare(user, before: dict) -> None:
    added = [f for f in POWER_FIELDS if getattr(user, f) and not before[f]]
    removed = [f for f in POWER_FIELDS if before[f] and not getattr(user, f)]
    if added or removed:
        audit_record(kind=AuditKind.ROLE_CHANGED, target=user,
                     details={"added": added, "removed": removed, "roles": _powers(user)})
    if bool(before["is_active"]) != bool(user.is_active):
        audit_record(kind=AuditKind.ACCOUNT_ACTIVE_CHANGED, target=user,
                     details={"active": bool(user.is_active)})


def membership_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Support-group members added or removed, from either side (group.members, user.groups)."""
    if action == "pre_clear":
        instance._audit_cleared = list(_related_ids(instance, reverse))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    ids = instance.__dict__.pop("_audit_cleared", []) if action == "post_clear" else pk_set
    if not ids:
        return
    names = sorted(str(o) for o in _related_names(model, ids))
    change = "added" if action == "post_add" else "removed"
    if reverse:  # user.support_groups.add(groups): the user is the target, groups listed
        details = {change: names, "user": instance.get_username()}
    else:
        details = {change: names, "group": instance.code}
    audit_record(kind=AuditKind.GROUP_MEMBERSHIP_CHANGED, target=instance, details=details)


def _related_ids(instance, reverse: bool):
    related = instance.support_groups if reverse else instance.members
    return related.values_list("pk", flat=True)


def _related_names(model, ids):
    field = "code" if model is SupportGroup else model.USERNAME_FIELD
    return model._base_manager.filter(pk__in=ids).values_list(field, flat=True)


# ---- API tokens ---------------------------------------------------------------------------

def token_before_save(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None or instance.revoked_at is None:
        return
    if update_fields is not None and "revoked_at" not in update_fields:
        return
    instance._audit_was_revoked = (sender._base_manager.filter(pk=instance.pk)
                                   .values_list("revoked_at", flat=True).first() is not None)


def token_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        audit_record(kind=AuditKind.TOKEN_CREATED, target=instance, details=_token(instance))
    elif instance.__dict__.pop("_audit_was_revoked", True) is False:
        audit_record(kind=AuditKind.TOKEN_REVOKED, target=instance, details=_token(instance))


def token_deleted(sender, instance, **kwargs):
    audit_record(kind=AuditKind.TOKEN_REVOKED, target_text=str(instance),
                 details={**_token(instance), "deleted": True})


def _token(token) -> dict:
    return {"name": token.name, "prefix": token.prefix,
            "owner": getattr(token.user, "username", "") if token.user_id else ""}


# ---- the admin ----------------------------------------------------------------------------

ADMIN_ACTIONS = {1: "add", 2: "change", 3: "delete"}


def admin_logged(sender, instance, created, raw=False, **kwargs):
    """Every add, change or delete in the Django admin writes a LogEntry: record it too."""
    if raw or not created:
        return
    audit_record(kind=AuditKind.CONFIG_CHANGED, actor=instance.user,
                 target_text=instance.object_repr,
                 details={"admin": ADMIN_ACTIONS.get(instance.action_flag, ""),
                          "model": _model_label(instance.content_type_id),
                          "object_id": instance.object_id or "",
                          "change": instance.change_message})


def _model_label(type_id) -> str:
    from django.contrib.contenttypes.models import ContentType

    if type_id is None:
        return ""
    ct = ContentType.objects.get_for_id(type_id)
    return f"{ct.app_label}.{ct.model}"
