"""Start the test OpenID Connect provider in a subprocess and act as a person's browser at it.

`OidcProvider().start()` runs `python -m opsdesk.sso.testing.provider` on a free port of
127.0.0.1 and waits for its discovery document. `sign_in(authorize_url, ...)` follows the
authorization request the way a browser does: the provider's login form, its consent page
when shown, and returns the URL the provider sends the browser back to (our callback, with
code and state, or with an error).
"""

import atexit
import html
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx

from opsdesk.intake.testing.dovecot import free_port

START_SECONDS = 120  # migrating its SQLite file takes a while on a busy CI machine
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HIDDEN_FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


class OidcProvider:
    """One running provider with one registered client; `start()`, then `stop()`."""

    def __init__(self, *, client_id: str = "opsdesk", client_secret: str = "opsdesk-secret",
                 redirect_uris: tuple[str, ...] = ("http://testserver/sso/callback/",),
                 post_logout_redirect_uris: tuple[str, ...] = ("http://testserver/login/",)):
        self.client_id, self.client_secret = client_id, client_secret
        self.redirect_uris = redirect_uris
        self.post_logout_redirect_uris = post_logout_redirect_uris
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="opsdesk-oidc-"))
        self.process: subprocess.Popen | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/o"

    def start(self) -> "OidcProvider":
        command = [sys.executable, "-m", "opsdesk.sso.testing.provider", "--port", str(self.port),
                   "--data-dir", str(self.directory), "--client-id", self.client_id,
                   "--client-secret", self.client_secret]
        for uri in self.redirect_uris:
            command += ["--redirect-uri", uri]
        for uri in self.post_logout_redirect_uris:
            command += ["--post-logout-redirect-uri", uri]
        with (self.directory / "provider.log").open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        atexit.register(self.stop)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"the OIDC provider did not start: {self.log()}")

    def log(self) -> str:
        return (self.directory / "provider.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        shutil.rmtree(self.directory, ignore_errors=True)

    def _control(self, name: str, data: dict) -> dict:
        response = httpx.post(f"http://127.0.0.1:{self.port}/control/{name}", json=data, timeout=10)
        response.raise_for_status()
        return response.json()

    def user_set(self, username: str, password: str = "secret", **claims) -> str:
        """Add or change a user at the provider; returns its `sub`."""
        return self._control("user", {"username": username, "password": password,
                                      "claims": claims})["sub"]

    def client_set(self, **fields) -> None:
        """redirect_uris, post_logout_redirect_uris, skip_authorization (False: consent page)."""
        self._control("client", {"client_id": self.client_id, **fields})

    def tamper(self, **spoil) -> None:
        """claims={...}, exp_offset=-3600, bad_signature=True; `tamper()` alone restores."""
        self._control("tamper", spoil)

    def logout_token(self, claims: dict, *, key_pem: bytes | None = None, alg: str = "RS256",
                     kid: str | None = None) -> str:
        """A back-channel logout token signed with the provider's own ID-token key, whose key
        id its JWKS publishes (django-oauth-toolkit cannot send these itself); `key_pem`
        signs with another key instead, under the same key id (a forgery)."""
        from joserfc import jwt
        from joserfc.jwk import RSAKey

        key = RSAKey.import_key(key_pem or (self.directory / "oidc.key").read_bytes())
        if kid is None:
            jwks = httpx.get(f"{self.issuer}/.well-known/jwks.json", timeout=10).json()
            kid = jwks["keys"][0]["kid"]
        return jwt.encode({"alg": alg, "kid": kid, "typ": "logout+jwt"}, claims, key)

    def browser(self) -> httpx.Client:
        """A cookie-keeping client that follows no redirects by itself, like our test client."""
        return httpx.Client(timeout=10, follow_redirects=False)

    def sign_in(self, authorize_url: str, username: str, password: str = "secret", *,
                consent: bool = True, browser: httpx.Client | None = None) -> str:
        """Follow `authorize_url` as a browser; the URL the provider sends the browser back to."""
        browser = browser or self.browser()
        url = authorize_url
        for _ in range(10):
            if not url.startswith(f"http://127.0.0.1:{self.port}/"):
                return url
            response = browser.get(url)
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
            elif 'name="password"' in response.text:
                url = self._post_login(browser, response, username, password)
            elif 'id="authorizationForm"' in response.text:
                url = self._post_consent(browser, response, consent)
            else:
                raise AssertionError(f"unexpected page at the provider: {response.text[:500]}")
        raise AssertionError("the provider never sent the browser back")

    def _post_login(self, browser, page, username, password) -> str:
        form = {"csrfmiddlewaretoken": CSRF_FIELD.search(page.text).group(1),
                "username": username, "password": password,
                "next": html.unescape(dict(HIDDEN_FIELD.findall(page.text)).get("next", ""))}
        response = browser.post(str(page.url), data=form)
        if not response.is_redirect:
            raise AssertionError(f"the provider refused the sign-in: {response.text[:500]}")
        return urljoin(str(page.url), response.headers["location"])

    def _post_consent(self, browser, page, consent: bool) -> str:
        form = {name: html.unescape(value) for name, value in HIDDEN_FIELD.findall(page.text)}
        form["csrfmiddlewaretoken"] = CSRF_FIELD.search(page.text).group(1)
        if consent:
            form["allow"] = "Authorize"
        response = browser.post(str(page.url), data=form)
        return urljoin(str(page.url), response.headers["location"])
