"""Upload rules and attachment access: checked names, types and sizes; who may download what."""

from __future__ import annotations

import io
import os
import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import Response, abort, current_app, send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from .. import images, storage
from ..extensions import db
from ..models import Attachment, Ticket
from ..numbers import MAX_ID
from .visibility import visible_tickets

# Signatures of the types we accept, so a renamed script is not taken for a photo. WebP is a
# RIFF container like WAV and AVI: the form type at offset 8 tells them apart.
MAGIC = {
    "image/jpeg": re.compile(rb"\xff\xd8\xff"),
    "image/png": re.compile(rb"\x89PNG\r\n\x1a\n"),
    "image/gif": re.compile(rb"GIF8[79]a"),
    "image/webp": re.compile(rb"RIFF.{4}WEBP", re.DOTALL),
    "application/pdf": re.compile(rb"%PDF-"),
}
EXTENSIONS = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}
# Extensions that must not hide anywhere in a name ("factura.php.pdf").
DANGEROUS = {
    ".php",
    ".phtml",
    ".phar",
    ".html",
    ".htm",
    ".xhtml",
    ".svg",
    ".js",
    ".exe",
    ".sh",
    ".bat",
    ".cmd",
    ".com",
    ".py",
    ".pl",
    ".cgi",
    ".asp",
    ".aspx",
    ".jsp",
}
THUMBNAIL_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
# What decoding an upload's picture gave, by its stream: the form's check and the store's
# guard and write all need it, and a decode (with the re-encode) is most of a photo's cost.
# Weak keys: an entry goes with the request's upload.
_PICTURES: weakref.WeakKeyDictionary[IO[bytes], tuple[str, images.Cleaned]] = (
    weakref.WeakKeyDictionary()
)


class UploadError(ValueError):
    """An uploaded file breaks the rules; the message names the file and the rule."""


def clean_name(raw: str) -> str:
    """Keep the last path component without control characters, at most 255 characters."""
    if "\x00" in raw:
        raise UploadError(_l("The file name is not valid."))
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    if not name:
        raise UploadError(_l("The file name is not valid."))
    return name[-255:]


def _sniff(upload: Any, kind: str) -> bool:
    """Compare the first bytes with the signature of the claimed type."""
    stream = upload.stream
    head = stream.read(16)
    stream.seek(0)
    signature = MAGIC.get(kind)
    return signature is not None and signature.match(head) is not None


def _size(upload: Any) -> int:
    """Measure an upload without reading it into memory."""
    stream = upload.stream
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return int(size)


def check_upload(upload: Any) -> tuple[str, str]:
    """Validate one upload; return (clean name, server-chosen type) or raise UploadError."""
    name = clean_name(upload.filename or "")
    lowered = name.lower()
    parts = lowered.split(".")
    if any(f".{p}" in DANGEROUS for p in parts[1:]):
        raise UploadError(_l("%(name)s: this kind of file is not accepted.", name=name))
    kind = EXTENSIONS.get(os.path.splitext(lowered)[1])
    allowed = {t.strip() for t in current_app.config["ATTACHMENT_TYPES"].split(",")}
    if kind is None or kind not in allowed:
        raise UploadError(
            _l(
                "%(name)s: only photos (JPG, PNG, GIF, WebP) and PDF documents are accepted.",
                name=name,
            )
        )
    if not _sniff(upload, kind):
        raise UploadError(_l("%(name)s: the content does not match its extension.", name=name))
    limit = current_app.config["ATTACHMENT_MAX_MB"]
    if _size(upload) > limit * 1024 * 1024:
        raise UploadError(_l("%(name)s is larger than %(mb)d MB.", name=name, mb=limit))
    if kind in images.DECODED:
        # Decoded here (once per upload, kept for the store), so a damaged photo or a
        # decompression bomb is a message on the form (never a server error when stored).
        try:
            _picture(upload.stream, kind)
        except images.BadImage as exc:
            raise UploadError(
                _l(
                    "%(name)s: this picture cannot be opened; it may be damaged or larger"
                    " than %(mp)d megapixels.",
                    name=name,
                    mp=images.MAX_PIXELS // 1_000_000,
                )
            ) from exc
    return name, kind


def _picture(stream: IO[bytes], kind: str) -> images.Cleaned:
    """The decoded picture of an upload: its stored copy and size, decoding it only once."""
    found = _PICTURES.get(stream)
    if found is not None and found[0] == kind:
        return found[1]
    picture = images.prepare(stream, kind)
    _PICTURES[stream] = (kind, picture)
    return picture


def check_uploads(uploads: list[Any], held: int = 0) -> list[str]:
    """Return one message per bad file (and one if there are too many, ``held`` counted)."""
    errors = []
    limit = current_app.config["MAX_ATTACHMENTS"]
    real = [u for u in uploads if getattr(u, "filename", "")]
    if len(real) + held > limit:
        errors.append(str(_l("Attach at most %(n)d files.", n=limit)))
    for upload in real:
        try:
            check_upload(upload)
        except UploadError as exc:
            errors.append(str(exc))
    return errors


def sniff_path(path: Any, kind: str) -> bool:
    """Check a stored file's signature before showing it inline."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    signature = MAGIC.get(kind)
    return signature is not None and signature.match(head) is not None


# ---------------------------------------------------------------- storing


@dataclass(frozen=True)
class StoredFile:
    """A checked upload as written in the store: the columns its row records."""

    name: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None

    def columns(self) -> dict[str, Any]:
        """The columns an attachment or a held upload records of it."""
        return {
            "stored_name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "width": self.width,
            "height": self.height,
        }


def store_file(stream: IO[bytes], kind: str) -> StoredFile:
    """Write a checked upload to the store; pictures upright and without EXIF (images.py).

    The size and digest are those of the bytes stored, not of what was sent.
    """
    width = height = None
    if kind in images.DECODED:
        picture = _picture(stream, kind)
        width, height = picture.width, picture.height
        if picture.data is not None:
            stream = io.BytesIO(picture.data)
    name, size, digest = storage.save(stream)
    # Until the commit, the file belongs to a change that may still fail (see below).
    db.session.info.setdefault(UNCOMMITTED_FILES, []).append(name)
    return StoredFile(name, size, digest, width, height)


def record_attachment(
    ticket: Ticket,
    uploaded_by: int,
    filename: str,
    kind: str,
    stored: StoredFile,
    internal: bool = False,
    comment_id: int | None = None,
) -> Attachment:
    """Record a file already in the store as one of the ticket's attachments (flushed)."""
    attachment = Attachment(
        ticket_id=ticket.id,
        uploaded_by_id=uploaded_by,
        filename=filename,
        content_type=kind,
        internal=internal,
        comment_id=comment_id,
        **stored.columns(),
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


UNCOMMITTED_FILES = "uncommitted_files"


@event.listens_for(Session, "after_commit")
def _files_committed(session: Session) -> None:
    """The rows that name the files are committed: the files stay."""
    session.info.pop(UNCOMMITTED_FILES, None)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted_files(session: Session, transaction: SessionTransaction) -> None:
    """A request that failed (rollback, conflict, crash of the view) leaves no file behind."""
    if transaction.parent is not None:
        return
    for name in session.info.pop(UNCOMMITTED_FILES, []):
        try:
            storage.delete(name)
        except OSError:  # the store is gone too: nothing left to clean
            continue


# ---------------------------------------------------------------- access


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


def send_thumbnail(stored_name: str, kind: str) -> Response:
    """Send a stored picture's thumbnail inline, making it on the first request."""
    if kind not in THUMBNAIL_TYPES:
        abort(404)
    source = storage.path_of(stored_name)
    target = storage.thumbnail_path(stored_name)
    if not target.is_file():
        if not source.is_file() or not sniff_path(source, kind):
            abort(404)
        try:
            images.write_thumbnail(source, target)
        except images.BadImage:
            # A picture stored before uploads were decoded, and broken: no thumbnail.
            abort(404)
    response = send_file(target, mimetype=images.thumbnail_type(target), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
