"""Serving stored files safely, shared by the API and the web pages."""

from django.http import FileResponse, Http404

# Types a browser may show inline; everything else (HTML and SVG above all) is downloaded.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp",
                          "text/plain"})


def attachment_response(attachment) -> FileResponse:
    """The file as a download (or inline for plain images and text), unable to run scripts."""
    inline = attachment.content_type in INLINE_TYPES
    response = FileResponse(attachment.file.open("rb"), filename=attachment.filename,
                            as_attachment=not inline)
    if not inline:
        response["Content-Type"] = "application/octet-stream"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def raw_mail_response(mail) -> FileResponse:
    """A stored mail (intake's InboundMail) exactly as received, always as a download."""
    try:
        handle = mail.raw.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=f"mail-{mail.pk}.eml",
                            content_type="message/rfc822")
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
