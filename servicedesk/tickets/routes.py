"""Attachment downloads, only for people who may see the ticket."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, send_file
from flask_login import current_user, login_required

from .. import storage
from ..extensions import db
from ..models import Attachment, Ticket
from ..numbers import MAX_ID
from .attachments import THUMBNAIL_TYPES, _sniff_path
from .visibility import visible_tickets

bp = Blueprint("files", __name__, url_prefix="/adjuntos")


def visible_attachment(attachment_id: int) -> Attachment:
    """Return an attachment of a ticket the user may see; internal ones for the desk only."""
    attachment = db.session.get(Attachment, attachment_id) if attachment_id <= MAX_ID else None
    if attachment is None or (attachment.internal and not current_user.is_staff):
        abort(404)
    visible = db.session.scalar(
        visible_tickets(current_user)
        .where(Ticket.id == attachment.ticket_id)
        .with_only_columns(Ticket.id)
    )
    if visible is None:
        abort(404)
    return attachment


@bp.get("/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Response:
    """Send the file as a download with the type the server chose at upload."""
    return send_attachment(visible_attachment(attachment_id))


def stored_file(attachment: Attachment) -> Path:
    """The attachment's file in the store, or 404 when it is not there any more."""
    try:
        path: Path | None = storage.path_of(attachment.stored_name)
    except ValueError:
        path = None
    if path is None or not path.is_file():
        # A store restored without this file, or a name that is not ours: log it for the
        # operator and answer "not found" rather than a server error.
        current_app.logger.warning(
            "attachment %s: file %r missing from the store", attachment.id, attachment.stored_name
        )
        abort(404)
    return path


def send_attachment(attachment: Attachment) -> Response:
    """Send a file as a download (never rendered inline), for the web and the API."""
    response = send_file(
        stored_file(attachment),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:attachment_id>/miniatura")
@login_required
def thumbnail(attachment_id: int) -> Response:
    """Show a verified image inline for the ticket page's thumbnails."""
    attachment = visible_attachment(attachment_id)
    path = stored_file(attachment)
    if attachment.content_type not in THUMBNAIL_TYPES or not _sniff_path(
        path, attachment.content_type
    ):
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
