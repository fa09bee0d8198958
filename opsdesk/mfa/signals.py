"""Signals of multi-factor sign-in, for the audit log (opsdesk.audit listens to them).

STYLE.md keeps domain apps from talking through custom signals; these are the exception the
audit log needs: it records security events of several apps without each of them importing it.
Every signal is sent once per change, inside the transaction that makes it (so an audit entry
written by a receiver commits with the change, or neither does), with these arguments:

- ``sender``: the user model class;
- ``user``: the person whose multi-factor sign-in changed;
- ``by``: who did it (the person themself, or the administrator for a reset);
- ``request``: the HTTP request it came from (None from a command or a test), for the IP
  address and user agent;
- ``method``: "totp" (the only kind of device so far).
"""

from django.dispatch import Signal

# The person confirmed an authenticator app (and got recovery codes).
mfa_enabled = Signal()
# The person switched multi-factor sign-in off, proving it with a current code.
mfa_disabled = Signal()
# An administrator removed someone's authenticator and recovery codes (a lost phone).
mfa_reset = Signal()
