"""Outgoing requests cannot reach internal addresses (core/netguard.py): checked when a URL is
saved and again when connecting, with real HTTP servers on 127.0.0.1 and the real name
`localhost`, which resolves to loopback."""

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.utils import translation

from opsdesk.core.netguard import OutboundBlocked, is_internal, outbound_client, outbound_url_error
from opsdesk.intake.oauth import token_url_error
from opsdesk.notifications.admin import EndpointForm
from opsdesk.notifications.channels.base import SendError, post_json
from opsdesk.notifications.tests.conftest import HttpReceiver

TIMEOUT = httpx.Timeout(5.0)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def server():
    receiver = HttpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def redirector(server):
    """An HTTP server on 127.0.0.1 whose every POST answers 307 to `server`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(307)
            self.send_header("Location", server.url("/after-redirect"))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=http.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{http.server_address[1]}/hook"
    http.shutdown()
    http.server_close()


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.8.8", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1",
    "169.254.169.254", "0.0.0.0", "224.0.0.251", "239.255.255.250", "255.255.255.255",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1",
])
def test_internal_addresses(address):
    assert is_internal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "203.208.60.1", "2400:3200::1", "::ffff:8.8.8.8"])
def test_public_addresses(address):
    assert not is_internal(ipaddress.ip_address(address))


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9000/hook", "http://localhost/hook", "https://169.254.169.254/latest/",
    "http://[::1]:8080/", "http://[::ffff:7f00:1]/", "http://2130706433/", "http://0x7f.1/",
    "http://10.0.0.5/",
])
def test_internal_urls_cannot_be_saved(url):
    assert "is an internal address" in outbound_url_error(url)


def test_the_allow_list_takes_cidrs_addresses_and_names(settings):
    settings.OPSDESK_OUTBOUND_ALLOW = ["10.20.0.0/16", "::1", "localhost"]
    assert outbound_url_error("http://10.20.3.4/hook") == ""
    assert outbound_url_error("http://[::1]/hook") == ""
    assert outbound_url_error("http://localhost:8080/hook") == ""
    assert "internal" in outbound_url_error("http://10.21.0.1/hook")
    assert "internal" in outbound_url_error("http://127.0.0.1/hook")


def test_a_public_or_unresolvable_name_can_be_saved():
    assert outbound_url_error("https://8.8.8.8/hook") == ""
    # No answer now (this machine may have no DNS): checked again at every connection.
    assert outbound_url_error("https://robot.invalid/send?key=1") == ""
    assert outbound_url_error("ftp://example.com/") == "Enter an http:// or https:// address."


def test_the_endpoint_form_shows_the_reason(db):
    form = EndpointForm(data={"kind": "wecom", "name_zh": "群", "name_en": "Group",
                              "url": "http://169.254.169.254/latest/meta-data/",
                              "is_active": "on"})
    assert not form.is_valid()
    assert "169.254.169.254 is an internal address" in form.errors["url"][0]


def test_the_oauth_token_endpoint_is_checked_too(settings):
    assert "internal address" in token_url_error("http://localhost:8080/token")
    assert "internal address" in token_url_error("https://10.0.0.8/oauth2/token")
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1"]
    assert token_url_error("http://127.0.0.1:8080/token") == ""


def test_connecting_checks_again_what_the_name_resolves_to(server, settings):
    # `localhost` is a real name that resolves to loopback: a URL that passed at saving (say
    # the allow-list then had it, or DNS answered differently) is refused at connect time.
    settings.OPSDESK_OUTBOUND_ALLOW = []
    url = f"http://localhost:{server.port}/hook"
    with outbound_client(timeout=TIMEOUT) as client, pytest.raises(OutboundBlocked):
        client.post(url, content=b"{}")
    assert server.requests == []


def test_a_robot_post_to_an_internal_address_fails_for_good(server, settings):
    settings.OPSDESK_OUTBOUND_ALLOW = []
    with pytest.raises(SendError) as failed:
        post_json(server.url("/cgi-bin/webhook/send"), b"{}")
    assert failed.value.permanent and "internal address" in str(failed.value)
    assert server.requests == []


def test_an_allowed_address_is_reached(server, settings):
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    post_json(f"http://localhost:{server.port}/hook", b'{"ok": 1}')
    [request] = server.requests
    assert request.path == "/hook" and request.json == {"ok": 1}


def test_redirects_are_not_followed(server, redirector, settings):
    settings.OPSDESK_OUTBOUND_ALLOW = ["127.0.0.1"]
    with pytest.raises(SendError) as failed:
        post_json(redirector, b"{}")
    assert "HTTP 307" in str(failed.value)
    assert server.requests == []
