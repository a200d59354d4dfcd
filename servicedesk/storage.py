"""Attachment store: random names in a folder outside anything the web server serves."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import IO

from flask import current_app

CHUNK = 64 * 1024


def root() -> Path:
    """Return the attachment folder, creating it on first use."""
    path = Path(current_app.config["ATTACHMENTS_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(stream: IO[bytes]) -> tuple[str, int, str]:
    """Store a stream under a new random name; return (name, size, sha256)."""
    name = secrets.token_hex(16)
    digest = hashlib.sha256()
    size = 0
    target = root() / name
    with target.open("xb") as out:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return name, size, digest.hexdigest()


def path_of(name: str) -> Path:
    """Return the path of a stored file; names are ours (hex), never user input."""
    if not (name.isascii() and name.isalnum()):
        raise ValueError("invalid stored name")
    return root() / name


def thumbnail_path(name: str) -> Path:
    """Where the thumbnail of a stored picture is kept once made (beside the original)."""
    path = path_of(name)
    return path.with_name(f"{path.name}.thumb")


def delete(name: str) -> None:
    """Remove a stored file, and its thumbnail, if they are there."""
    path_of(name).unlink(missing_ok=True)
    thumbnail_path(name).unlink(missing_ok=True)
