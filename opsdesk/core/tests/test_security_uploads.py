"""Attachment checks (core/security_files.py) through every way in: the portal's form, the API
and a mail; and how a stored file is served (core/downloads.py)."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from opsdesk.accounts.services import api_token_create
from opsdesk.core.exceptions import InvalidInput
from opsdesk.core.security_files import NAME_MAX_BYTES, safe_filename, upload_check
from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.models import Attachment, Comment
from opsdesk.intake.models import InboundMail
from opsdesk.intake.services.mail import inbound_mail_process, inbound_mail_store
from opsdesk.intake.testing.mails import with_attachments

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
WINDOWS_PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
LINUX_PROGRAM = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("logs/app.log", "ERROR 42\n")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def english():
    with translation.override("en"):
        yield


# ---- names -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\boot.ini", "boot.ini"),
    ("/var/www/html/index.txt", "index.txt"),
    ("C:\\Users\\li\\Desktop\\故障截图.png", "故障截图.png"),
    ("..／..／etc／shadow", "shadow"),                   # full-width solidus
    ("report\x00.pdf.txt", "report.pdf.txt"),           # NUL
    ("line\r\nbreak.txt", "linebreak.txt"),              # CR LF (header injection)
    ("invoice\u202efdp.exe", "invoicefdp.exe"),          # right-to-left override
    ("zero\u200bwidth.txt", "zerowidth.txt"),
    ("CON", "_CON"), ("con.txt", "_con.txt"), ("LPT1.log", "_LPT1.log"),
    ("aux.tar.gz", "_aux.tar.gz"),
    ("trailing. . .", "trailing"),
    (".bashrc", "bashrc"),
    ("..", "attachment"), ("", "attachment"), ("\u202e", "attachment"),
])
def test_file_names_are_made_safe(name, expected):
    assert safe_filename(name) == expected


def test_an_overly_long_name_is_shortened_keeping_its_extension():
    name = safe_filename("报" * 300 + ".pdf")
    assert name.endswith(".pdf") and len(name.encode("utf-8")) <= NAME_MAX_BYTES
    assert safe_filename("a" * 1000) == "a" * NAME_MAX_BYTES


# ---- types and content -----------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "content_type"), [
    ("screen.png", PNG, "image/png"),
    ("report.pdf", PDF, "application/pdf"),
    ("logs.zip", _zip(), "application/zip"),
    ("app.log", b"ERROR 42 <b>not html</b>\n", "text/plain"),
    ("crash.xyz1", b"\x00\x01\x02 core", "application/octet-stream"),  # unknown: a download
])
def test_files_whose_content_matches_their_name_pass(name, content, content_type):
    checked = upload_check(SimpleUploadedFile(name, content, content_type=content_type))
    assert (checked.filename, checked.content_type) == (name, content_type)


@pytest.mark.parametrize(("name", "content", "says"), [
    ("screen.png", HTML, "is not what its extension says (image/png)"),
    ("photo.jpg", PNG[:4] + b"<svg onload=alert(1)>", "is not what its extension says"),
    ("report.pdf", b"just text", "is not what its extension says (application/pdf)"),
    ("book.xlsx", b"plain text, no zip", "is not what its extension says"),
    ("setup.pdf", WINDOWS_PROGRAM, "is a program"),
    ("notes.txt", WINDOWS_PROGRAM, "is a program"),
    ("dump.bin", LINUX_PROGRAM, "is a program"),
    ("tool.exe", WINDOWS_PROGRAM, "are not accepted"),
    ("run.sh", b"#!/bin/sh\nrm -rf /\n", "are not accepted"),
    ("empty.txt", b"", "The file is empty"),
])
def test_files_that_lie_about_their_type_are_refused(english, name, content, says):
    with pytest.raises(InvalidInput) as refused:
        upload_check(SimpleUploadedFile(name, content))
    assert says in refused.value.errors["file"]


def test_the_size_limit_holds(english, settings):
    settings.OPSDESK_ATTACHMENT_MAX_BYTES = 1024 * 1024
    with pytest.raises(InvalidInput) as refused:
        upload_check(SimpleUploadedFile("big.txt", b"x" * (1024 * 1024 + 1)))
    assert "larger than 1 MB" in refused.value.errors["file"]


# ---- through the web form, the API and a mail ------------------------------------------------

def _report(client, upload):
    return client.post(reverse("web:report"), {
        "short_description": "Printer prints blank pages", "description": "Since this morning",
        "impact": "3", "urgency": "3", "attachments": [upload]}, HTTP_ACCEPT_LANGUAGE="en")


def test_the_portal_form_refuses_a_disguised_file_with_a_message(org, client):
    client.force_login(org.requester)
    response = _report(client, SimpleUploadedFile("screen.png", HTML, "image/png"))
    assert response.status_code == 422
    assert "is not what its extension says" in response.content.decode()
    assert not Attachment.objects.exists()


def test_the_portal_form_stores_a_traversal_name_safely(org, client, settings):
    client.force_login(org.requester)
    response = _report(client, SimpleUploadedFile("..\\..\\con.png", PNG, "image/png"))
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.filename == "_con.png"
    stored = (settings.MEDIA_ROOT / attachment.file.name).resolve()
    assert stored.is_relative_to(settings.MEDIA_ROOT.resolve()) and "con" not in stored.name


@pytest.fixture
def api(org):
    _token, secret = api_token_create(user=org.desk)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="en")


def test_the_api_refuses_a_program_and_an_oversized_file(org, api, settings):
    incident = incident_factory(by=org.desk, requester=org.requester)
    url = f"/api/v1/incidents/{incident.number}/attachments"
    program = api.post(url, {"file": SimpleUploadedFile("manual.pdf", WINDOWS_PROGRAM)})
    assert program.status_code == 422, program.content
    assert "is a program" in program.json()["errors"]["file"]
    settings.OPSDESK_ATTACHMENT_MAX_BYTES = 1024
    big = api.post(url, {"file": SimpleUploadedFile("big.log", b"x" * 2048)})
    assert big.status_code == 422 and "larger than" in big.json()["errors"]["file"]
    assert not Attachment.objects.exists()


def test_the_api_download_is_an_attachment_that_cannot_run(org, api):
    incident = incident_factory(by=org.desk, requester=org.requester)
    url = f"/api/v1/incidents/{incident.number}/attachments"
    created = api.post(url, {"file": SimpleUploadedFile("page.html", HTML)})
    assert created.status_code == 201, created.content
    download = api.get(f"{url}/{created.json()['id']}")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_a_mail_keeps_its_good_files_and_names_the_refused_ones(db, org, settings):
    settings.OPSDESK_ATTACHMENT_MAX_BYTES = 64 * 1024
    raw = with_attachments(sender=org.requester.email or "requester@example.com", files={
        "../../screen.png": PNG, "fake.png": HTML, "setup.txt": WINDOWS_PROGRAM,
        "huge.log": b"x" * (65 * 1024), "con.pdf\u202e": PDF})
    mail, created = inbound_mail_store(mailbox=None, raw=raw)
    assert created
    mail = inbound_mail_process(mail=mail)
    assert mail.state == InboundMail.State.PROCESSED, mail.note
    names = sorted(a.filename for a in mail.incident.attachments.all())
    assert names == ["_con.pdf", "screen.png"]
    note = Comment.objects.get(incident=mail.incident).body
    assert "fake.png" in note and "setup.txt" in note and "huge.log" in note
