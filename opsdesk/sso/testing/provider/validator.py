"""The provider's claims: each user's from the test's control calls, and spoilt ones on request."""

import base64
import hashlib
import json
import time

from oauth2_provider.oauth2_validators import OAuth2Validator

from . import state


class Validator(OAuth2Validator):
    """django-oauth-toolkit's validator with the claims a corporate IdP would send."""

    # Every claim goes out whatever the scopes: tests decide the claims, the client its scopes.
    oidc_claim_scope = None

    def get_additional_claims(self, request):
        user = request.user
        return {"preferred_username": user.get_username(), **state.claims_for(user.get_username())}

    def get_id_token_dictionary(self, token, token_handler, request):
        """The standard claims, then whatever the test asked to change (aud, iss, exp)."""
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        claims["sid"] = self._session_id(request.user)
        tamper = state.tamper()
        claims.update(tamper.get("claims", {}))
        if "exp_offset" in tamper:
            claims["exp"] = int(time.time()) + int(tamper["exp_offset"])
            claims["iat"] = claims["exp"] - 3600
        return claims, expiration_time

    @staticmethod
    def _session_id(user) -> str:
        """The provider's session id (`sid`): one per sign-in at the provider, as Keycloak's.

        Derived from the sign-in time, which Django's login sets, to the microsecond.
        """
        seed = f"{user.pk}:{user.last_login.isoformat() if user.last_login else ''}"
        return hashlib.sha256(seed.encode()).hexdigest()[:32]

    def finalize_id_token(self, id_token, token, token_handler, request):
        """With `bad_signature`, the payload is changed after signing, as an attacker would."""
        serialized = super().finalize_id_token(id_token, token, token_handler, request)
        if not state.tamper().get("bad_signature"):
            return serialized
        header, payload, signature = serialized.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["email"] = "attacker@example.com"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{forged}.{signature}"
