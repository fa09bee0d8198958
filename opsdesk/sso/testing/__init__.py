"""Test helpers of opsdesk.sso: a real OpenID Connect provider run in a subprocess."""
