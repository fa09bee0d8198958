"""Request bodies are refused by their size before they are read.

A client could otherwise make opsdesk read and store gigabytes: Django checks an attachment's
size only once the whole body has arrived and been written to a temporary file. So:

- The views that take files (settings.OPSDESK_UPLOAD_VIEWS, by URL name) accept a body of up
  to OPSDESK_UPLOAD_MAX_BYTES (one attachment's limit plus room for the form fields); every
  other view accepts DATA_UPLOAD_MAX_MEMORY_SIZE, Django's own limit.
- UploadLimitMiddleware answers 413 when the declared Content-Length is over the limit,
  before a byte of the body is read (the web page names the limit in MB, the API answers with
  its usual {"detail", "errors"} JSON).
- A body of unknown length (Transfer-Encoding: chunked) sent to a view that takes files is read
  only when the server has de-chunked it (gunicorn sets wsgi.input_terminated), and then at
  most one byte past the limit: UploadLimitHandler, the first upload handler, counts the bytes
  as they arrive and stops the parsing past the limit. The view never runs with half a form:
  the middleware parses the form before any view, and answers 413 when it was cut. Temporary
  files are closed (and so removed) by Django when the parsing stops or the request ends.
  Without a de-chunking server the length is unknown and the body unreadable: 411.

The reverse proxy should refuse the same sizes first (docs/deploy.md, client_max_body_size).
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

MEGABYTE = 1024 * 1024
MULTIPART = "multipart/form-data"


class UploadLimitMiddleware:
    """Refuses a request whose body is over its view's limit, before the body is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = body_refusal(request)
        return refusal if refusal is not None else self.get_response(request)


class UploadLimitHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: stops reading files once the request is over its limit.

    It counts the file bytes of the whole request as they arrive, whatever the request said
    its length was, and passes them on unchanged to the handlers that store them.
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = body_limit(request) if request is not None else None
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.limit is not None and self.received > self.limit:
            self.request.upload_refused = True
            raise StopUpload(connection_reset=True)  # read no further
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler makes the file


def body_refusal(request) -> HttpResponse | None:
    """413 (or 411) for a body this request's view does not take, else None."""
    if not _has_body(request):
        return None
    limit = body_limit(request)
    declared = _declared_length(request)
    if declared is not None and limit is not None and declared > limit:
        return too_large_response(request, limit=limit)
    if not takes_files(request) or request.content_type != MULTIPART:
        return _unknown_length_refusal(request) if declared is None else None
    if declared is None:
        if not request.META.get("wsgi.input_terminated"):  # WSGI: META is the environ
            return _unknown_length_refusal(request)
        _read_unknown_length(request, limit=limit)
    return too_large_response(request, limit=limit) if _form_cut(request) else None


def takes_files(request) -> bool:
    """Whether the request's URL is one of the views that take files."""
    if not hasattr(request, "upload_view"):
        try:
            match = resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
        except Resolver404:
            request.upload_view = False
        else:
            request.upload_view = match.view_name in settings.OPSDESK_UPLOAD_VIEWS
    return request.upload_view


def body_limit(request) -> int | None:
    """The most bytes this request's body may have (None: no limit)."""
    if takes_files(request):
        return settings.OPSDESK_UPLOAD_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large_message(request, *, limit: int) -> str:
    """What the person can do about it, with the limits in MB."""
    if takes_files(request):
        return _("The files are too large to send: at most %(mb)s MB can be sent at once, and "
                 "each file may be at most %(file_mb)s MB. Send fewer or smaller files (a zip "
                 "archive makes logs much smaller), or add the others afterwards.") % {
            "mb": megabytes(limit), "file_mb": megabytes(settings.OPSDESK_ATTACHMENT_MAX_BYTES)}
    return _("The request is too large: at most %(mb)s MB can be sent here.") % {
        "mb": megabytes(limit)}


def too_large_response(request, *, limit: int) -> HttpResponse:
    """413 with too_large_message: JSON for the API, a page (or a fragment for htmx) else."""
    return _refusal(request, too_large_message(request, limit=limit), status=413)


def megabytes(size: int) -> str:
    """25, or 0.5: a size in MB as people write it."""
    return f"{round(size / MEGABYTE, 1):g}"


def _has_body(request) -> bool:
    return (request.META.get("CONTENT_LENGTH") or "0") != "0" or bool(
        request.META.get("HTTP_TRANSFER_ENCODING"))


def _declared_length(request) -> int | None:
    """The Content-Length; None when the body's length is not given (chunked)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None if request.META.get("HTTP_TRANSFER_ENCODING") else 0


def _unknown_length_refusal(request) -> HttpResponse | None:
    """411 for a file upload of unknown length; other views keep Django's way (no body)."""
    if not takes_files(request):
        return None
    return _refusal(request, _(
        "The upload's length is not known. Send the files with a Content-Length header "
        "(browsers and most HTTP clients do so), not as a chunked stream."), status=411)


def _read_unknown_length(request, *, limit: int) -> None:
    """Let Django parse a de-chunked body, at most limit + 1 bytes of it.

    Django reads as many bytes as CONTENT_LENGTH says, so without one it reads nothing. The
    form parser reads until the stream ends, so an upper bound stands in for the length.
    """
    request._stream = _BoundedInput(request, request.META["wsgi.input"], limit=limit)
    request.META["CONTENT_LENGTH"] = str(limit + 1)


class _BoundedInput:
    """The body as the server hands it on, ending one byte past the limit (marked refused)."""

    def __init__(self, request, stream, *, limit: int):
        self.request, self.stream, self.limit, self.seen = request, stream, limit, 0

    def read(self, size=-1) -> bytes:
        room = self.limit + 1 - self.seen
        if room <= 0:
            return b""
        data = self.stream.read(room if size is None or size < 0 else min(size, room))
        self.seen += len(data)
        if self.seen > self.limit:
            self.request.upload_refused = True
        return data

    def readline(self, size=-1) -> bytes:
        return self.read(size)


def _form_cut(request) -> bool:
    """Parse the form now, before any view can act on part of it; True if it was cut."""
    try:
        request.POST  # noqa: B018 (reads the body through the upload handlers)
    except RequestDataTooBig:  # the form fields alone are over DATA_UPLOAD_MAX_MEMORY_SIZE
        return True
    except MultiPartParserError:
        if getattr(request, "upload_refused", False):
            return True
        raise  # a malformed body: Django's 400
    return getattr(request, "upload_refused", False)


def _refusal(request, message: str, *, status: int) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message, "errors": {}}, status=status)
    if request.headers.get("HX-Request"):
        return render(request, "core/_upload_refused.html", {"message": message}, status=status)
    return render(request, "core/upload_refused.html", {"message": message}, status=status)
