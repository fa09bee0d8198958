"""Checks on every uploaded file: a safe name, a size within the limit, an accepted type, and
content that is what the name says.

Files reach opsdesk through the web forms, the API, mail intake, service requests and knowledge
articles; all of them call upload_check() before anything is written, so one set of rules holds
everywhere. A file is stored under a random key (never under its name) and served only as a
download or as a sandboxed inline image or text (core/downloads.py); these checks make sure that
what is shown inline really is an image or text, and that no program is passed around disguised
as a document.
"""

import mimetypes
import os
import re
import unicodedata
from dataclasses import dataclass

import puremagic
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from .exceptions import InvalidInput

# A name longer than this (in UTF-8 bytes) is shortened, keeping its extension: most file
# systems refuse names over 255 bytes when a person saves the download.
NAME_MAX_BYTES = 200
FALLBACK_NAME = "attachment"
# Device names Windows will not open as files, with any extension ("con.txt" too).
WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{port}{n}" for port in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]])
# Unicode categories removed from names: controls (NUL, newlines), format characters (the
# right-to-left override U+202E that makes "exe.pdf" look like "fdp.exe", zero-width spaces),
# line and paragraph separators, and unassigned code points.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cn", "Co", "Cs"})

# Types common on a service desk that Python's table does not know.
EXTRA_TYPES = {".log": "text/plain", ".msg": "application/vnd.ms-outlook",
               ".eml": "message/rfc822", ".7z": "application/x-7z-compressed"}

# Bytes read to sniff a file's type (signatures sit at the start of a file).
SNIFF_BYTES = 64 * 1024
# Types whose files always start with a signature: the sniffed candidates must include one of
# these extensions. Office's zip-based files sniff as zip, the older ones as OLE compound files.
_ZIP = frozenset({".zip", ".docx", ".xlsx", ".pptx"})
_OLE = frozenset({".doc", ".xls", ".ppt", ".msg"})
SIGNED_TYPES = {
    "image/png": frozenset({".png"}),
    "image/jpeg": frozenset({".jpg", ".jpeg", ".jfif", ".jpe"}),
    "image/gif": frozenset({".gif"}),
    "image/webp": frozenset({".webp"}),
    "image/bmp": frozenset({".bmp", ".dib"}),
    "application/pdf": frozenset({".pdf"}),
    "application/zip": _ZIP,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _ZIP,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _ZIP,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": _ZIP,
    "application/gzip": frozenset({".gz", ".tgz"}),
    "application/x-7z-compressed": frozenset({".7z"}),
    "application/msword": _OLE,
    "application/vnd.ms-excel": _OLE,
    "application/vnd.ms-powerpoint": _OLE,
    "application/vnd.ms-outlook": _OLE,
}
# What a program sniffs as (Windows PE, ELF, Mach-O), whatever its name says.
_PROGRAM = re.compile(r"executable|Mach-O|\bELF\b|portable-executable|x-dosexec|x-msdownload",
                      re.IGNORECASE)


@dataclass(frozen=True)
class CheckedUpload:
    """What the checks decided: the name to store and show, and the type to serve it as."""

    filename: str
    content_type: str


def upload_check(upload) -> CheckedUpload:
    """Check an uploaded file (Django's UploadedFile or a ContentFile with .content_type);
    InvalidInput with a message for the `file` field if it may not be stored."""
    filename = safe_filename(upload.name)
    content_type = claimed_type(filename=filename,
                                declared=getattr(upload, "content_type", "") or "")
    _check_size(upload.size)
    _check_allowed(content_type)
    _check_content(head=_head(upload), filename=filename, content_type=content_type)
    return CheckedUpload(filename=filename, content_type=content_type)


def safe_filename(name: str) -> str:
    """A name that is safe to store, show and save: no folders, no control or direction
    characters, no Windows device name, at most NAME_MAX_BYTES; Chinese letters are kept."""
    text = unicodedata.normalize("NFKC", str(name or ""))  # full-width ／ and ． become / and .
    text = "".join(c for c in text if unicodedata.category(c) not in UNSAFE_CATEGORIES)
    text = text.replace("\\", "/").split("/")[-1].strip(". ")
    try:
        text = get_valid_filename(text)  # spaces to "_", only letters, digits, - _ and .
    except SuspiciousFileOperation:  # "", "." and ".."
        text = ""
    text = text.strip(". ")  # no hidden files; Windows drops trailing dots and spaces
    if text.split(".")[0].upper() in WINDOWS_RESERVED:
        text = "_" + text
    return _shortened(text) or FALLBACK_NAME


def _shortened(name: str) -> str:
    """name cut to NAME_MAX_BYTES of UTF-8, keeping a short extension."""
    if len(name.encode("utf-8")) <= NAME_MAX_BYTES:
        return name
    stem, extension = os.path.splitext(name)
    if len(extension.encode("utf-8")) > 16:
        stem, extension = name, ""
    room = NAME_MAX_BYTES - len(extension.encode("utf-8"))
    stem = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip(". ")
    return stem + extension


def claimed_type(*, filename: str, declared: str) -> str:
    """The type by file extension; the browser's claim only counts for unknown extensions."""
    extension = os.path.splitext(filename)[1].lower()
    guessed = EXTRA_TYPES.get(extension) or mimetypes.guess_type(filename, strict=False)[0]
    return (guessed or declared or "application/octet-stream").split(";")[0].strip().lower()


def _check_size(size: int) -> None:
    limit = settings.OPSDESK_ATTACHMENT_MAX_BYTES
    if size > limit:
        raise InvalidInput(errors={"file": _("The file is larger than %(mb)d MB.") % {
            "mb": limit // (1024 * 1024)}})
    if size == 0:
        raise InvalidInput(errors={"file": _("The file is empty.")})


def _check_allowed(content_type: str) -> None:
    if content_type not in settings.OPSDESK_ATTACHMENT_CONTENT_TYPES:
        raise InvalidInput(errors={"file": _("Files of type %(type)s are not accepted.") % {
            "type": content_type}})


def _head(upload) -> bytes:
    """The first SNIFF_BYTES of the file; the file is left at its start for saving."""
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head if isinstance(head, bytes) else head.encode("utf-8")


def sniffed_candidates(head: bytes) -> list:
    """puremagic's guesses for the bytes (extension, MIME type, name), best first; [] when
    no signature matches (plain text, for one)."""
    try:
        return puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return []


def _check_content(*, head: bytes, filename: str, content_type: str) -> None:
    """Programs are refused under any name; a type with a signature must carry it."""
    candidates = sniffed_candidates(head)
    if any(_PROGRAM.search(f"{c.name} {c.mime_type}") for c in candidates):
        raise InvalidInput(errors={"file": _(
            "%(name)s is a program. Programs are not accepted as attachments; put them in a "
            "zip archive if support asked for them.") % {"name": filename}})
    expected = SIGNED_TYPES.get(content_type)
    if expected and not expected & {c.extension.lower() for c in candidates}:
        raise InvalidInput(errors={"file": _(
            "The content of %(name)s is not what its extension says (%(type)s). Attach the "
            "original file, or give it the extension of its real type.") % {
                "name": filename, "type": content_type}})
