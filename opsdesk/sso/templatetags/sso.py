"""{% sso_config as sso %}: the provider for the sign-in button, or None when SSO is off."""

from django import template

from opsdesk.sso.conf import oidc_config

register = template.Library()


@register.simple_tag
def sso_config():
    return oidc_config()
