"""Replies, internal work notes and attachments (SPEC §3.4): who writes and who reads what."""

import hashlib
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.testing.matrix import incident_in
from opsdesk.incidents.choices import EventKind, Status
from opsdesk.incidents.models import Attachment, Comment, IncidentEvent
from opsdesk.incidents.selectors import (incident_attachments, incident_comments,
                                         incident_history)
from opsdesk.incidents.services import attachment_create, comment_create


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def incident(org):
    return incident_in(Status.IN_PROGRESS, org)


def upload(name="screen.png", content=b"\x89PNG\r\n\x1a\n fake image", content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- Work notes and replies -------------------------------------------------------------------

def test_requester_cannot_write_a_work_note(org, incident):
    with pytest.raises(NotPermitted):
        comment_create(incident=incident, by=org.requester, body="Let me in", visibility="internal")
    assert not Comment.objects.filter(incident=incident).exists()
    assert not IncidentEvent.objects.filter(incident=incident, kind=EventKind.COMMENT).exists()


def test_requester_cannot_attach_an_internal_file(org, incident, media):
    with pytest.raises(NotPermitted):
        attachment_create(incident=incident, by=org.requester, upload=upload(),
                          visibility="internal")
    assert not Attachment.objects.filter(incident=incident).exists()
    assert not media.exists() or not any(media.rglob("*.*"))


def test_requester_sees_replies_but_not_work_notes(org, incident, media):
    comment_create(incident=incident, by=org.engineer, body="Please restart the PC")
    comment_create(incident=incident, by=org.engineer, body="Suspect the NIC driver",
                   visibility="internal")
    comment_create(incident=incident, by=org.requester, body="Restarted, still broken")
    attachment_create(incident=incident, by=org.engineer, upload=upload("driver-log.txt",
                      b"secret log", "text/plain"), visibility="internal")
    attachment_create(incident=incident, by=org.requester, upload=upload())

    seen = [c.body for c in incident_comments(user=org.requester, incident=incident)]
    assert seen == ["Please restart the PC", "Restarted, still broken"]
    assert [a.filename for a in incident_attachments(user=org.requester,
                                                     incident=incident)] == ["screen.png"]
    timeline = incident_history(user=org.requester, incident=incident)
    texts = [e.new_value for e in timeline]
    assert "Suspect the NIC driver" not in texts and "driver-log.txt" not in texts
    assert "Please restart the PC" in texts and "screen.png" in texts
    assert not any(e.is_internal for e in timeline)

    for staff in (org.engineer, org.desk, org.manager):
        assert [c.body for c in incident_comments(user=staff, incident=incident)] == [
            "Please restart the PC", "Suspect the NIC driver", "Restarted, still broken"]
        assert len(incident_attachments(user=staff, incident=incident)) == 2
        staff_texts = [e.new_value for e in incident_history(user=staff, incident=incident)]
        assert "Suspect the NIC driver" in staff_texts and "driver-log.txt" in staff_texts


def test_colleague_with_department_view_sees_no_work_notes_either(org, incident):
    org.colleague.can_view_department = True
    org.colleague.save()
    comment_create(incident=incident, by=org.desk, body="Internal only", visibility="internal")
    assert incident_comments(user=org.colleague, incident=incident) == []
    with pytest.raises(NotPermitted):
        comment_create(incident=incident, by=org.colleague, body="x", visibility="internal")


def test_collaborator_writes_work_notes(org, incident):
    from opsdesk.incidents.services import people_add

    people_add(incident=incident, by=org.manager, field="collaborators", users=[org.expert])
    note = comment_create(incident=incident, by=org.expert, body="BGP flap upstream",
                          visibility="internal")
    assert note.visibility == "internal"


def test_empty_comment_and_unknown_visibility_are_invalid(org, incident):
    with pytest.raises(InvalidInput) as raised:
        comment_create(incident=incident, by=org.engineer, body="   ")
    assert "body" in raised.value.errors
    with pytest.raises(InvalidInput) as raised:
        comment_create(incident=incident, by=org.engineer, body="Hi", visibility="secret")
    assert "visibility" in raised.value.errors
    assert not Comment.objects.filter(incident=incident).exists()


def test_requester_cannot_write_on_a_finished_incident(org, media):
    incident = incident_in(Status.CLOSED, org)
    with pytest.raises(Conflict):
        comment_create(incident=incident, by=org.requester, body="It is back")
    with pytest.raises(Conflict):
        attachment_create(incident=incident, by=org.requester, upload=upload())
    # Support staff may still add a note to the record.
    comment_create(incident=incident, by=org.desk, body="Linked to INC-new", visibility="internal")


# --- Attachments --------------------------------------------------------------------------------

def test_attachment_is_stored_under_media_root_with_its_checksum(org, incident, media, settings):
    content = b"\x89PNG\r\n\x1a\n" + b"x" * 100
    attachment = attachment_create(incident=incident, by=org.requester,
                                   upload=upload("screen.png", content))
    attachment.refresh_from_db()
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(media.resolve())
    assert not stored.is_relative_to(Path(settings.STATIC_ROOT).resolve())
    assert stored.read_bytes() == content
    assert "screen" not in stored.name  # stored under a random key, not the user's name
    assert (attachment.filename, attachment.size, attachment.content_type) == (
        "screen.png", len(content), "image/png")
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.uploaded_by == org.requester


FILE_NAMES = [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\windows\\system.ini", "system.ini"),
    ("/var/www/html/shell.txt", "shell.txt"),
    ("故障截图.png", "故障截图.png"),
    ("网络 拓扑图 v2.pdf", "网络_拓扑图_v2.pdf"),
    ("report;rm -rf ~.csv", "reportrm_-rf_.csv"),
    (".htaccess.txt", "htaccess.txt"),
    ("..", "attachment"),
    ("", "attachment"),
]


# Django's upload object keeps only the base name (and refuses ".."); other intake paths (mail,
# integrations) hand over files named exactly as the sender wrote, so both kinds are tried.
CASES = [pytest.param(name, expected, kind, id=f"{kind}:{name}")
         for name, expected in FILE_NAMES for kind in ("upload", "raw")
         if kind == "raw" or name not in ("..", "")]


@pytest.mark.parametrize(("name", "expected", "kind"), CASES)
def test_file_names_are_sanitised(org, incident, media, name, expected, kind):
    # The content matches the type the name claims (core/security_files.py sniffs it).
    content = {".png": b"\x89PNG\r\n\x1a\n content", ".pdf": b"%PDF-1.4\n content"}.get(
        Path(expected).suffix, b"content")
    file = (upload(name, content, "text/plain") if kind == "upload"
            else ContentFile(content, name=name))
    attachment = attachment_create(incident=incident, by=org.requester, upload=file)
    assert attachment.filename == expected
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(media.resolve())
    assert stored.read_bytes() == content
    assert not (media.parent / "etc").exists()


def test_size_limit(org, incident, media, settings):
    settings.OPSDESK_ATTACHMENT_MAX_BYTES = 10
    attachment_create(incident=incident, by=org.requester,
                      upload=upload("ten.txt", b"0123456789", "text/plain"))
    with pytest.raises(InvalidInput) as raised:
        attachment_create(incident=incident, by=org.requester,
                          upload=upload("eleven.txt", b"0123456789A", "text/plain"))
    assert "file" in raised.value.errors
    assert [a.filename for a in Attachment.objects.filter(incident=incident)] == ["ten.txt"]
    assert len([p for p in media.rglob("*") if p.is_file()]) == 1


def test_empty_files_are_refused(org, incident, media):
    with pytest.raises(InvalidInput):
        attachment_create(incident=incident, by=org.requester, upload=upload("empty.txt", b""))


@pytest.mark.parametrize(("name", "declared"), [
    ("setup.exe", "application/x-msdownload"),
    ("setup.exe", "image/png"),  # the declared type does not override the name
    ("run.sh", "text/plain"),
    ("payload.xyz", "application/x-evil"),
    ("noextension", "application/x-msdownload"),
])
def test_content_types_outside_the_allow_list_are_refused(org, incident, media, name, declared):
    with pytest.raises(InvalidInput) as raised:
        attachment_create(incident=incident, by=org.requester,
                          upload=upload(name, b"MZ\x90\x00", declared))
    assert "file" in raised.value.errors
    assert not Attachment.objects.filter(incident=incident).exists()


def test_allow_list_is_the_setting(org, incident, media, settings):
    settings.OPSDESK_ATTACHMENT_CONTENT_TYPES = ["text/plain"]
    attachment_create(incident=incident, by=org.requester,
                      upload=upload("notes.txt", b"hello", "text/plain"))
    with pytest.raises(InvalidInput):
        attachment_create(incident=incident, by=org.requester, upload=upload())


def test_outsider_cannot_attach(org, incident, media):
    with pytest.raises(NotPermitted):
        attachment_create(incident=incident, by=org.outsider, upload=upload())
    assert not Attachment.objects.filter(incident=incident).exists()


def test_attachment_cannot_hang_on_another_incidents_comment(org, incident, media):
    other = incident_in(Status.LOGGED, org)
    comment = comment_create(incident=other, by=org.desk, body="See attached")
    with pytest.raises(InvalidInput) as raised:
        attachment_create(incident=incident, by=org.desk, upload=upload(), comment=comment)
    assert "comment" in raised.value.errors
    attached = attachment_create(incident=other, by=org.desk, upload=upload(), comment=comment)
    assert list(comment.attachments.all()) == [attached]
