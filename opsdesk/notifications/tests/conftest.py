"""Real receivers for the notification tests: an SMTP server and an HTTP server on 127.0.0.1."""

import json
import logging
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller

from opsdesk.notifications.models import Endpoint

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailStore:
    """aiosmtpd handler: keeps every message; refuses recipients at refused.example."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.original_content or envelope.content,
                                    policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can be stopped and started on the same port."""

    def __init__(self):
        self.store = MailStore()
        self.port = free_port()
        self.controller = None

    @property
    def messages(self):
        return self.store.messages

    def start(self):
        self.controller = Controller(self.store, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(settings):
    """Django's SMTP backend pointed at a fresh aiosmtpd server (pytest-django swaps in locmem)."""
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "opsdesk <desk@opsdesk.example>"
    yield server
    server.stop()


@dataclass
class Received:
    """One request the HTTP receiver got."""

    path: str
    query: dict
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class HttpReceiver:
    """A real HTTP server in a thread; answers with `status` and `answer` (JSON), records requests."""

    port: int = field(default_factory=free_port)
    status: int = 200
    answer: dict = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    requests: list = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parts = urlsplit(self.path)
                receiver.requests.append(Received(parts.path, parse_qs(parts.query),
                                                  dict(self.headers.items()), body))
                reply = json.dumps(receiver.answer).encode()
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver(settings):
    """A running HTTP receiver; stop() and start() it to take the channel down and up again.
    It listens on 127.0.0.1, an internal address: outgoing posts there must be allowed."""
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1"]
    server = HttpReceiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def webhook(receiver, db):
    return Endpoint.objects.create(kind="webhook", url=receiver.url("/hook"),
                                   secret="whsec-test-0123456789", name_zh="工单系统",
                                   name_en="Ticket sync")
