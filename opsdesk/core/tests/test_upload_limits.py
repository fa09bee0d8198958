"""Request bodies refused by size before they are read (core/upload_limits.py).

Through Django's test client (the form, the API, every database), through a real server with
a raw socket (the 413 arrives while the client has sent only the headers of a 10 GB body), and
through gunicorn, which de-chunks a body of unknown length (cut at the limit, or stored when
small).
"""

import http.client
import inspect
import io
import socket
import threading
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver

from opsdesk.accounts.services import api_token_create
from opsdesk.core.testing.factories import incident_factory
from opsdesk.core.upload_limits import body_refusal
from opsdesk.incidents.models import Attachment, Incident

MB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
HUGE = 10 * 1024 * MB  # 10 GB: never sent, only announced


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def small_limits(settings):
    settings.OPSDESK_ATTACHMENT_MAX_BYTES = 1 * MB
    settings.OPSDESK_UPLOAD_MAX_BYTES = 2 * MB


def _token(user) -> str:
    return api_token_create(user=user, name=f"uploads-{uuid.uuid4().hex[:6]}")[1]


# ---- the test client: the whole body is there, the Content-Length says it is too large -----

def test_a_portal_report_over_the_limit_is_refused_and_nothing_is_logged(org, small_limits):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.requester)
    files = [SimpleUploadedFile(f"log{n}.txt", b"x" * (MB - 10), "text/plain") for n in (1, 2, 3)]
    response = client.post(reverse("web:report"), {
        "short_description": "VPN drops", "description": "See the logs", "impact": "3",
        "urgency": "3", "attachments": files})
    assert response.status_code == 413
    page = response.content.decode()
    assert "at most 2 MB can be sent at once" in page and "at most 1 MB" in page
    assert "Nothing was saved" in page
    assert not Incident.objects.exists() and not Attachment.objects.exists()


def test_files_within_the_limit_still_pass(org, small_limits):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(org.requester)
    response = client.post(reverse("web:report"), {
        "short_description": "VPN drops", "description": "See the screenshot", "impact": "3",
        "urgency": "3", "attachments": [SimpleUploadedFile("screen.png", PNG, "image/png")]})
    assert response.status_code == 302
    assert Attachment.objects.get().filename == "screen.png"


def test_the_api_answers_413_in_its_json_shape(org, small_limits):
    incident = incident_factory(by=org.desk, requester=org.requester)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {_token(org.desk)}", HTTP_ACCEPT_LANGUAGE="en")
    response = api.post(f"/api/v1/incidents/{incident.number}/attachments",
                        {"file": SimpleUploadedFile("dump.log", b"x" * (3 * MB), "text/plain")})
    assert response.status_code == 413
    body = response.json()
    assert set(body) == {"detail", "errors"} and "at most 2 MB" in body["detail"]
    assert not Attachment.objects.exists()


def test_other_endpoints_keep_djangos_limit(org, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1 * MB
    api = Client(HTTP_AUTHORIZATION=f"Bearer {_token(org.desk)}", HTTP_ACCEPT_LANGUAGE="en")
    response = api.post("/api/v1/incidents", {"short_description": "x" * (2 * MB)},
                        content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"] == "The request is too large: at most 1 MB can be sent here."
    assert not Incident.objects.exists()


def test_a_form_cut_at_the_limit_never_reaches_the_view(org, small_limits):
    """A body of unknown length, already de-chunked by the server (wsgi.input_terminated):
    the upload handler stops it past the limit, and the view never sees half a form."""
    boundary = "opsdeskboundary"
    body = _multipart(boundary, {"short_description": "VPN drops", "impact": "3",
                                 "urgency": "3"}, ("attachments", "big.log", b"y" * (3 * MB)))
    request = RequestFactory().generic(
        "POST", reverse("web:report"), data=b"-",
        content_type=f"multipart/form-data; boundary={boundary}",
        HTTP_TRANSFER_ENCODING="chunked", HTTP_ACCEPT_LANGUAGE="en")
    request.META.pop("CONTENT_LENGTH", None)
    request.environ["wsgi.input"] = io.BytesIO(body)
    request.environ["wsgi.input_terminated"] = True
    request.user = org.requester
    response = body_refusal(request)
    assert response is not None and response.status_code == 413
    assert request.upload_refused  # the upload handler stopped reading
    assert all(f.closed for f in request.FILES.values())


# ---- a real server: the refusal comes before the body ---------------------------------------

def _send_headers(url: str, *, method="POST", path: str, headers: dict) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    return sock


def _answer(sock: socket.socket) -> tuple[int, str]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, response.read().decode("utf-8")


def _multipart(boundary: str, fields: dict, file: tuple[str, str, bytes]) -> bytes:
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             .encode() for name, value in fields.items()]
    name, filename, content = file
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                 f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                 .encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


@pytest.mark.django_db(transaction=True)
def test_a_huge_api_upload_gets_413_before_its_body_is_sent(live_server, reference_data, org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    sock = _send_headers(live_server.url, path=f"/api/v1/incidents/{incident.number}/attachments",
                         headers={"Authorization": f"Bearer {_token(org.desk)}",
                                  "Accept-Language": "en", "Content-Length": HUGE,
                                  "Content-Type": "multipart/form-data; boundary=b"})
    with sock:
        status, body = _answer(sock)  # not a byte of the body was sent
    assert status == 413
    assert "at most 25 MB can be sent at once" in body and "at most 20 MB" in body
    assert not Attachment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_huge_web_form_gets_a_page_saying_the_limit(live_server, reference_data, org):
    client = Client()
    client.force_login(org.requester)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    sock = _send_headers(live_server.url, path=reverse("web:report"), headers={
        "Cookie": f"{django_settings.SESSION_COOKIE_NAME}={cookie}", "Accept-Language": "en",
        "Content-Length": HUGE, "Content-Type": "multipart/form-data; boundary=b"})
    with sock:
        status, page = _answer(sock)
    assert status == 413
    assert "Your form was not sent" in page and "at most 25 MB" in page
    assert not Incident.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_upload_of_unknown_length_is_refused_where_it_cannot_be_read(live_server, org):
    """Django's own server does not de-chunk: the length is unknown, 411 says what to do."""
    sock = _send_headers(live_server.url, path="/api/v1/incidents/INC202601010001/attachments",
                         headers={"Authorization": f"Bearer {_token(org.desk)}",
                                  "Accept-Language": "en", "Transfer-Encoding": "chunked",
                                  "Content-Type": "multipart/form-data; boundary=b"})
    with sock:
        status, body = _answer(sock)
    assert status == 411 and "Content-Length" in body


@pytest.mark.django_db(transaction=True)
def test_gunicorn_cuts_a_chunked_upload_at_the_limit_and_stores_a_small_one(
        reference_data, org, tmp_path):
    from .faults.support import Gunicorn, subprocess_env

    incident = incident_factory(by=org.desk, requester=org.requester)
    token, spool = _token(org.desk), tmp_path / "spool"
    spool.mkdir()
    env = subprocess_env(OPSDESK_ATTACHMENT_MAX_MB="1", OPSDESK_UPLOAD_MAX_MB="2",
                         OPSDESK_DATA_DIR=str(tmp_path / "data"), TMPDIR=str(spool))
    path = f"/api/v1/incidents/{incident.number}/attachments"
    with Gunicorn(env=env, workers=1, threads=2) as server:
        big_status, big_body = _chunked_upload(server.url, path, token, b"z" * (8 * MB))
        small_status, small_body = _chunked_upload(server.url, path, token, PNG, name="s.png")
    assert big_status == 413 and "at most 2 MB can be sent at once" in big_body
    assert small_status == 201, small_body
    assert list(Attachment.objects.values_list("filename", flat=True)) == ["s.png"]
    assert not list(spool.iterdir())  # the cut upload's temporary file is gone


def _chunked_upload(url: str, path: str, token: str, content: bytes, *, name="dump.log"):
    """POST a multipart body with Transfer-Encoding: chunked, 64 KiB a chunk, from a thread
    (the server stops reading the big one: the sender then meets a closed connection)."""
    boundary = "opsdeskchunked"
    body = _multipart(boundary, {}, ("file", name, content))
    sock = _send_headers(url, path=path, headers={
        "Authorization": f"Bearer {token}", "Accept-Language": "en",
        "Transfer-Encoding": "chunked",
        "Content-Type": f"multipart/form-data; boundary={boundary}"})

    def send():
        try:
            for start in range(0, len(body), 64 * 1024):
                chunk = body[start:start + 64 * 1024]
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # refused: the server closed the connection

    sender = threading.Thread(target=send)
    sender.start()
    try:
        return _answer(sock)
    finally:
        sock.close()
        sender.join(timeout=30)


# ---- every view that reads files is one of the upload views ---------------------------------

def _patterns(resolver: URLResolver, namespace: str = "", prefix: str = ""):
    """(full route, name with namespace, view) of every named URL."""
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else (
                entry.namespace or namespace)
            yield from _patterns(entry, inner, route)
        elif isinstance(entry, URLPattern) and entry.name:
            yield route, (f"{namespace}:{entry.name}" if namespace else entry.name), entry.callback


def _reads_files(func, depth: int = 3) -> bool:
    """The function, a function of its module it calls, or the view a decorator wraps reads
    files (request.FILES, or a django-ninja File parameter)."""
    func = inspect.unwrap(func)
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        return False
    if "request.FILES" in source or "File[" in source:
        return True
    module = inspect.getmodule(func)
    inner = [getattr(module, name, None) for name in func.__code__.co_names]
    inner += [cell.cell_contents for cell in func.__closure__ or ()]
    return depth > 0 and any(inspect.isfunction(f) and f is not func
                             and _reads_files(f, depth - 1) for f in inner)


def _operations(callback):
    """django-ninja: the operations behind one URL (its view is a closure over the PathView)."""
    for cell in getattr(callback, "__closure__", None) or ():
        if hasattr(cell.cell_contents, "operations"):
            return cell.cell_contents.operations
    return []


def test_every_view_that_reads_files_is_an_upload_view():
    readers, first_name = set(), {}
    for route, name, callback in _patterns(get_resolver()):
        name = first_name.setdefault(route, name)  # what resolve() answers for that route
        if name.startswith("admin:"):
            continue  # the admin reads request.FILES for every model form; none takes files
        views = [op.view_func for op in _operations(callback)] or [callback]
        if any(_reads_files(view) for view in views):
            readers.add(name)
    assert readers == set(django_settings.OPSDESK_UPLOAD_VIEWS)
