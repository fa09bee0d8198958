"""A small OAuth2 authorization server for tests, on 127.0.0.1: what Microsoft 365 or Google
would be to a mailbox that signs in with XOAUTH2.

Two endpoints, each a real HTTP endpoint on a free port:

- `/token` (RFC 6749 §4.4 and §6): the client-credentials grant and the refresh-token grant.
  The client authenticates with client_id and client_secret in the body or with HTTP Basic.
  Each client is allowed one mailbox user, as a Microsoft 365 app is allowed its mailboxes;
  a refresh token carries its own user. With `rotate_refresh_tokens`, every refresh answers
  with a new refresh token and the old one stops working, as Microsoft's do. Errors are the
  JSON objects of §5.2: {"error": "invalid_client", "error_description": …}.
- `/introspect` (RFC 7662): Dovecot's oauth2 passdb posts `token=…` here, authenticated with
  HTTP Basic as the resource server, and learns whether the token is active and whose it is.

Tests can expire every access token at once (`expire_access_tokens`), revoke a refresh token,
or make the token endpoint slow, and read what was asked (`token_requests`).
"""

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from .dovecot import free_port

RESOURCE_SERVER = ("dovecot", "introspect-secret")  # how Dovecot authenticates to /introspect


@dataclass
class Grant:
    """An access token the server has issued."""

    username: str
    client_id: str
    scope: str
    expires_at: float  # time.time()


@dataclass
class OAuthServer:
    """The server's state and its HTTP listener; `start()`, then `stop()`."""

    client_id: str = "opsdesk-intake"
    client_secret: str = "client-s3cret"
    username: str = "desk"
    scope: str = "https://outlook.office365.com/.default"
    lifetime: int = 3600
    rotate_refresh_tokens: bool = True
    token_delay: float = 0.0
    port: int = field(default_factory=free_port)
    access_tokens: dict = field(default_factory=dict)
    refresh_tokens: dict = field(default_factory=dict)   # token → (client_id, username)
    token_requests: list = field(default_factory=list)   # the form of each /token request
    introspections: list = field(default_factory=list)   # the tokens Dovecot asked about

    def __post_init__(self):
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    @property
    def introspection_url(self) -> str:
        """The URL Dovecot is given, with the resource server's credentials in it."""
        user, password = RESOURCE_SERVER
        return f"http://{user}:{password}@127.0.0.1:{self.port}/introspect"

    def start(self) -> "OAuthServer":
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # ---- what tests change ---------------------------------------------------------------

    def reset(self) -> None:
        """Back to the settings it was made with, with no tokens: one server serves a session."""
        fresh = OAuthServer(port=self.port)
        with self._lock:
            for name in ("client_id", "client_secret", "username", "scope", "lifetime",
                         "rotate_refresh_tokens", "token_delay"):
                setattr(self, name, getattr(fresh, name))
            self.access_tokens, self.refresh_tokens = {}, {}
            self.token_requests, self.introspections = [], []

    def refresh_token_issue(self, *, username: str | None = None) -> str:
        """A refresh token for the client, as the consent screen would have given one."""
        token = "rt-" + secrets.token_urlsafe(16)
        with self._lock:
            self.refresh_tokens[token] = (self.client_id, username or self.username)
        return token

    def refresh_token_revoke(self, token: str) -> None:
        with self._lock:
            self.refresh_tokens.pop(token, None)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired from now on (introspection: inactive)."""
        with self._lock:
            for grant in self.access_tokens.values():
                grant.expires_at = 0.0

    def issued(self, grant_type: str) -> int:
        """How many successful /token answers of this grant type were given."""
        with self._lock:
            return sum(1 for r in self.token_requests
                       if r.get("grant_type") == grant_type and r.get("_ok"))

    # ---- the endpoints -------------------------------------------------------------------

    def token(self, form: dict, basic: tuple[str, str] | None) -> tuple[int, dict]:
        """The token endpoint's answer (status, JSON object) to one request."""
        if self.token_delay:
            time.sleep(self.token_delay)
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        with self._lock:
            record = {**form, "_ok": False}
            self.token_requests.append(record)
            if client_id != self.client_id or secret != self.client_secret:
                return 401, _error("invalid_client", "Client authentication failed.")
            status, answer = self._grant(form)
            record["_ok"] = status == 200
            return status, answer

    def _grant(self, form: dict) -> tuple[int, dict]:
        grant_type = form.get("grant_type", "")
        if grant_type == "client_credentials":
            if form.get("scope", "") != self.scope:
                return 400, _error("invalid_scope", f"The scope must be {self.scope}.")
            return 200, self._access(self.username, form["scope"])
        if grant_type == "refresh_token":
            owner = self.refresh_tokens.get(form.get("refresh_token", ""))
            if owner is None:
                return 400, _error("invalid_grant", "The refresh token is expired or revoked.")
            answer = self._access(owner[1], form.get("scope", ""))
            if self.rotate_refresh_tokens:
                del self.refresh_tokens[form["refresh_token"]]
                new = "rt-" + secrets.token_urlsafe(16)
                self.refresh_tokens[new] = owner
                answer["refresh_token"] = new
            return 200, answer
        return 400, _error("unsupported_grant_type", f"Grant type {grant_type!r} is unknown.")

    def _access(self, username: str, scope: str) -> dict:
        token = "at-" + secrets.token_urlsafe(24)
        self.access_tokens[token] = Grant(username=username, client_id=self.client_id,
                                          scope=scope, expires_at=time.time() + self.lifetime)
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime,
                "scope": scope}

    def introspect(self, form: dict, basic: tuple[str, str] | None) -> tuple[int, dict]:
        """RFC 7662: whether the token is active, and whose it is."""
        if basic != RESOURCE_SERVER:
            return 401, _error("invalid_client", "Introspection needs the resource server's "
                                                 "credentials.")
        with self._lock:
            token = form.get("token", "")
            self.introspections.append(token)
            grant = self.access_tokens.get(token)
            if grant is None or grant.expires_at <= time.time():
                return 200, {"active": False}
            return 200, {"active": True, "username": grant.username, "scope": grant.scope,
                         "client_id": grant.client_id, "exp": int(grant.expires_at),
                         "token_type": "Bearer"}


def _error(code: str, description: str) -> dict:
    return {"error": code, "error_description": description}


def _handler(server: OAuthServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the http.server name)
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            basic = _basic(self.headers.get("Authorization", ""))
            endpoint = {"/token": server.token, "/introspect": server.introspect}.get(self.path)
            status, answer = endpoint(form, basic) if endpoint else (404, _error("not_found", ""))
            body = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # quiet: pytest shows failures, not every request
            pass

    return Handler


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _space, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    user, _colon, password = base64.b64decode(value).decode().partition(":")
    return user, password
