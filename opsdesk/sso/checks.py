"""System checks: a wrong SSO setting is reported by `manage.py check`, not at sign-in time."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from opsdesk.accounts.roles import Role

from .conf import DEFAULT_CLAIMS, MATCH_CLAIMS, oidc_config


@register(Tags.security)
def sso_settings_check(app_configs, **kwargs):
    config = oidc_config()
    if config is None:
        return []
    errors = []
    if "openid" not in config.scopes.split():
        errors.append(Error("OPSDESK_OIDC_SCOPES must include 'openid'.", id="sso.E001"))
    if config.match_claim not in MATCH_CLAIMS:
        errors.append(Error(f"OPSDESK_OIDC_MATCH_CLAIM must be one of {', '.join(MATCH_CLAIMS)}.",
                            id="sso.E002"))
    unknown_roles = config.managed_roles - set(Role.values)
    if unknown_roles:
        errors.append(Error(f"OPSDESK_OIDC_GROUP_ROLES names unknown roles: "
                            f"{sorted(unknown_roles)}",
                            hint=f"Roles are {', '.join(Role.values)}.", id="sso.E003"))
    unknown_fields = set(getattr(settings, "OPSDESK_OIDC_CLAIMS", {})) - set(DEFAULT_CLAIMS)
    if unknown_fields:
        errors.append(Error(f"OPSDESK_OIDC_CLAIMS names unknown fields: {sorted(unknown_fields)}",
                            hint=f"Fields are {', '.join(DEFAULT_CLAIMS)}.", id="sso.E004"))
    return errors


@register(Tags.security, deploy=True)
def sso_deploy_check(app_configs, **kwargs):
    config = oidc_config()
    if config is not None and not config.issuer.startswith("https://"):
        return [Warning("OPSDESK_OIDC_ISSUER is not an https:// URL: tokens and the discovery "
                        "document would travel unprotected.", id="sso.W001")]
    return []
