"""Files kept from a refused form, so a resident does not choose their photos again.

When "Agregar petición" or a reply is refused (a required field empty, no message), the
files that passed the upload rules are stored as ``held_uploads`` rows for the person who
chose them, and the form shown again carries their random tokens (the extra files' under
``held``, a custom file field's as that field's values). The next submit names those
tokens; only their uploader can claim them, for ``HELD_UPLOAD_MINUTES``; each becomes an
attachment without its bytes being copied. Expired rows and their files are swept at
every new hold and by ``flask worker``'s chores.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from .. import storage
from ..extensions import db
from ..models import Attachment, HeldUpload, Ticket, User, utcnow
from .attachments import StoredFile, UploadError, check_upload, record_attachment, store_file

TOKEN_BYTES = 24
# At most this many tokens are looked up from one form (the rest are ignored).
MAX_TOKENS = 50


def _cutoff() -> Any:
    """Rows created before this have expired."""
    return utcnow() - timedelta(minutes=current_app.config["HELD_UPLOAD_MINUTES"])


def claim(user: User | None, tokens: Iterable[str]) -> list[HeldUpload]:
    """The user's own unexpired held files among these tokens, in the order given.

    Someone else's token, an expired one or a made-up one is simply not found.
    """
    wanted = list(dict.fromkeys(t for t in tokens if t and len(t) <= 64))[:MAX_TOKENS]
    if user is None or not wanted:
        return []
    rows = db.session.scalars(
        select(HeldUpload).where(
            HeldUpload.token.in_(wanted),
            HeldUpload.user_id == user.id,
            HeldUpload.created_at >= _cutoff(),
        )
    ).all()
    by_token = {row.token: row for row in rows}
    return [by_token[t] for t in wanted if t in by_token]


def owned(user: User, token: str) -> HeldUpload | None:
    """One of the user's held files by its token, or None."""
    found = claim(user, [token])
    return found[0] if found else None


def hold(user: User, uploads: Sequence[Any]) -> list[HeldUpload]:
    """Keep the uploads that pass the rules for the user's next try (nothing committed)."""
    sweep()
    kept = []
    for upload in uploads:
        if not getattr(upload, "filename", ""):
            continue
        try:
            filename, kind = check_upload(upload)
        except UploadError:
            continue  # the refusal already says why; a bad file is not kept
        stored = store_file(upload.stream, kind)
        row = HeldUpload(
            token=secrets.token_urlsafe(TOKEN_BYTES),
            user_id=user.id,
            filename=filename,
            content_type=kind,
            **stored.columns(),
        )
        db.session.add(row)
        kept.append(row)
    db.session.flush()
    return kept


def keep(user: User, uploads: Sequence[Any], tokens: Iterable[str]) -> list[HeldUpload]:
    """The files of a refused form to show on it again: those still held, then the new."""
    return claim(user, tokens) + hold(user, uploads)


def attach(
    ticket: Ticket,
    actor: User,
    held: HeldUpload,
    internal: bool = False,
    comment_id: int | None = None,
) -> Attachment | None:
    """Turn a held file into an attachment of the ticket (its bytes stay where they are).

    The row is taken by deleting it: of two submits of the same form at once (a double
    click), only the one whose DELETE matched files it; the other gets None.
    """
    taken = db.session.execute(
        delete(HeldUpload)
        .where(HeldUpload.id == held.id)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult
        return None
    db.session.expunge(held)
    stored = StoredFile(held.stored_name, held.size, held.sha256, held.width, held.height)
    return record_attachment(
        ticket, actor.id, held.filename, held.content_type, stored, internal, comment_id
    )


def sweep() -> int:
    """Delete the expired held files and their rows; return how many."""
    expired = db.session.execute(
        select(HeldUpload.id, HeldUpload.stored_name).where(HeldUpload.created_at < _cutoff())
    ).all()
    if not expired:
        return 0
    db.session.execute(delete(HeldUpload).where(HeldUpload.id.in_([row.id for row in expired])))
    for row in expired:
        try:
            storage.delete(row.stored_name)
        except (OSError, ValueError):  # gone already, or a name that is not ours
            continue
    return len(expired)


def sweep_chore() -> int:
    """``flask worker``'s chore: sweep the expired held files and commit."""
    count = sweep()
    db.session.commit()
    return count
