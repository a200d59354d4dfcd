"""Attachment downloads, only for people who may see the ticket."""

from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_login import current_user, login_required

from . import held
from .attachments import send_attachment, send_thumbnail, stored_file, visible_attachment

bp = Blueprint("files", __name__, url_prefix="/adjuntos")


@bp.get("/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Response:
    """Send the file as a download with the type the server chose at upload."""
    return send_attachment(visible_attachment(attachment_id))


@bp.get("/<int:attachment_id>/miniatura")
@login_required
def thumbnail(attachment_id: int) -> Response:
    """Show a small copy of a picture inline, for the ticket page (same rule as the file)."""
    attachment = visible_attachment(attachment_id)
    stored_file(attachment)  # a file missing from the store is logged and a 404
    return send_thumbnail(attachment.stored_name, attachment.content_type)


@bp.get("/retenidos/<token>/miniatura")
@login_required
def held_thumbnail(token: str) -> Response:
    """Show the thumbnail of a file kept from a refused form, to the person who chose it."""
    found = held.owned(current_user, token)
    if found is None:
        abort(404)
    return send_thumbnail(found.stored_name, found.content_type)
