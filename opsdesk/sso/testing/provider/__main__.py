"""Start the test provider: migrate its SQLite file, register the client, serve on 127.0.0.1.

python -m opsdesk.sso.testing.provider --port 8765 --data-dir /tmp/idp \
    --client-id opsdesk --client-secret s3cret --redirect-uri http://testserver/sso/callback/
"""

import argparse
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _write_key(data_dir: Path) -> None:
    """The RSA key that signs ID tokens (a fresh one per run, as a provider's rotation would)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    (data_dir / "oidc.key").write_bytes(pem)


def _register_client(args) -> None:
    from oauth2_provider.models import get_application_model

    application = get_application_model()
    application.objects.update_or_create(client_id=args.client_id, defaults={
        "name": "opsdesk", "client_secret": args.client_secret,
        "client_type": application.CLIENT_CONFIDENTIAL,
        "authorization_grant_type": application.GRANT_AUTHORIZATION_CODE,
        "redirect_uris": " ".join(args.redirect_uri),
        "post_logout_redirect_uris": " ".join(args.post_logout_redirect_uri),
        "algorithm": application.RS256_ALGORITHM, "skip_authorization": True,
    })


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--client-id", default="opsdesk")
    parser.add_argument("--client-secret", default="opsdesk-secret")
    parser.add_argument("--redirect-uri", action="append", default=[])
    parser.add_argument("--post-logout-redirect-uri", action="append", default=[])
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    _write_key(args.data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "opsdesk.sso.testing.provider.settings"
    os.environ["OIDC_TEST_PROVIDER_PORT"] = str(args.port)
    os.environ["OIDC_TEST_PROVIDER_DIR"] = str(args.data_dir)

    import django
    from django.core.management import call_command
    from django.core.servers.basehttp import WSGIServer, run
    from django.core.wsgi import get_wsgi_application

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    _register_client(args)
    run("127.0.0.1", args.port, get_wsgi_application(), threading=True, server_cls=WSGIServer)


if __name__ == "__main__":
    main()
