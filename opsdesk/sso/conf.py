"""The single sign-on configuration, read from settings (which read the environment)."""

from dataclasses import dataclass

from django.conf import settings

# Our user fields an ID token or userinfo claim may fill, and the claims that fill them by
# default (OpenID Connect's standard claims). OPSDESK_OIDC_CLAIMS overrides entries; an empty
# claim name leaves that field alone.
DEFAULT_CLAIMS = {
    "first_name": "given_name",
    "last_name": "family_name",
    "display_name": "name",
    "email": "email",
    "phone": "phone_number",
    "department": "",
}
MATCH_CLAIMS = ("email", "preferred_username")


@dataclass(frozen=True)
class OidcConfig:
    """One provider: where it is, who we are to it, and how its users become ours."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    label: str
    claims: tuple[tuple[str, str], ...]           # (user field, claim name)
    groups_claim: str
    group_roles: tuple[tuple[str, tuple[str, ...]], ...]  # (group, roles)
    create_users: bool
    match_claim: str
    only: bool
    timeout: float
    roles_recheck_seconds: int = 0  # 0: roles are synced at sign-in only

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def managed_roles(self) -> set[str]:
        """Roles that sign-in grants and revokes; the others stay as an admin set them."""
        return {role for _, roles in self.group_roles for role in roles}

    def roles_for(self, groups: list[str]) -> set[str]:
        mapping = dict(self.group_roles)
        return {role for group in groups for role in mapping.get(group, ())}


def _roles_tuple(value) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def oidc_config() -> OidcConfig | None:
    """The configured provider, or None when single sign-on is off (no issuer or client id)."""
    issuer = getattr(settings, "OPSDESK_OIDC_ISSUER", "")
    client_id = getattr(settings, "OPSDESK_OIDC_CLIENT_ID", "")
    if not (issuer and client_id):
        return None
    claims = {**DEFAULT_CLAIMS, **getattr(settings, "OPSDESK_OIDC_CLAIMS", {})}
    group_roles = getattr(settings, "OPSDESK_OIDC_GROUP_ROLES", {})
    return OidcConfig(
        issuer=issuer,
        client_id=client_id,
        client_secret=getattr(settings, "OPSDESK_OIDC_CLIENT_SECRET", ""),
        scopes=getattr(settings, "OPSDESK_OIDC_SCOPES", "openid email profile"),
        label=getattr(settings, "OPSDESK_OIDC_LABEL", "") or "SSO",
        claims=tuple(sorted((field, claim) for field, claim in claims.items() if claim)),
        groups_claim=getattr(settings, "OPSDESK_OIDC_GROUPS_CLAIM", "groups"),
        group_roles=tuple(sorted((g, _roles_tuple(r)) for g, r in group_roles.items())),
        create_users=getattr(settings, "OPSDESK_OIDC_CREATE_USERS", True),
        match_claim=getattr(settings, "OPSDESK_OIDC_MATCH_CLAIM", "email"),
        only=getattr(settings, "OPSDESK_OIDC_ONLY", False),
        timeout=float(getattr(settings, "OPSDESK_OIDC_TIMEOUT", 10)),
        roles_recheck_seconds=int(getattr(settings, "OPSDESK_OIDC_ROLES_RECHECK_SECONDS", 0)),
    )
