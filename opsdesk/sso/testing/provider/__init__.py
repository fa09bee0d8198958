"""A tiny OpenID Connect provider for tests: django-oauth-toolkit with OIDC on, in its own process.

It is a separate Django project (its own settings, URLs and SQLite file), so nothing of opsdesk
is loaded in it and opsdesk talks to it only over HTTP, as it would to Keycloak or Entra ID.
Run it with `python -m opsdesk.sso.testing.provider --port N --data-dir DIR`; tests use
`opsdesk.sso.testing.server.OidcProvider`, which starts it and drives its pages.

Besides the standard endpoints (discovery, JWKS, authorize, token, userinfo, end session) it
has /control/* JSON endpoints so tests can add users with claims and groups, register redirect
URIs, ask for the consent page, and make the next ID tokens wrong (audience, issuer, expiry,
signature) the way a misconfigured or hostile provider would.
"""
