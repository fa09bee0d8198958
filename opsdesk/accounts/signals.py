"""Signals other apps (the audit log) listen to; accounts sends them, nothing here listens.

- ``sessions_revoked(sender=User, user, by, request)``: every other session of ``user`` was
  ended ("sign out everywhere", by the person or by an administrator, ``by``).
- ``password_changed(sender=User, user)``: a local password was set, by any path (admin,
  profile page, createsuperuser, changepassword, set_password + save).
- ``directory_synced(sender=User, user, created, changes)``: an LDAP sign-in or ``ldap_sync``
  updated the account; ``changes`` maps field names (and "roles", "support_groups") to
  (old, new) pairs, empty when nothing changed.

Lock-outs are django-axes' own ``axes.signals.user_locked_out(request, username, ip_address)``;
failed sign-ins of every kind (wrong password, LDAP refusal, locked out) are Django's
``user_login_failed`` with the user name in ``credentials`` and the request.
"""

from django.dispatch import Signal

sessions_revoked = Signal()
password_changed = Signal()
directory_synced = Signal()
