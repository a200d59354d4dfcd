"""Attachment downloads, only for people who may see the ticket."""

from __future__ import annotations

from flask import Blueprint, Response, abort, send_file
from flask_login import login_required

from .attachments import (
    THUMBNAIL_TYPES,
    send_attachment,
    sniff_path,
    stored_file,
    visible_attachment,
)

bp = Blueprint("files", __name__, url_prefix="/adjuntos")


@bp.get("/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Response:
    """Send the file as a download with the type the server chose at upload."""
    return send_attachment(visible_attachment(attachment_id))


@bp.get("/<int:attachment_id>/miniatura")
@login_required
def thumbnail(attachment_id: int) -> Response:
    """Show a verified image inline for the ticket page's thumbnails."""
    attachment = visible_attachment(attachment_id)
    path = stored_file(attachment)
    if attachment.content_type not in THUMBNAIL_TYPES or not sniff_path(
        path, attachment.content_type
    ):
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
