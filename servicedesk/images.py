"""Photos with Pillow: decode safely, store upright without metadata, make small thumbnails.

Residents file from phones: 4000×3000 JPEGs, often turned by an EXIF orientation tag and
carrying the GPS position where they were taken. What is stored is the picture's pixels,
turned upright, re-encoded without any EXIF (so no GPS, camera or date); the ICC colour
profile is kept, since dropping it changes how colours look. GIF is checked but stored as
sent (no EXIF, and re-encoding would lose its animation).
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from PIL import Image, ImageOps

# Past this many pixels an upload is refused before it is decoded: a 48-megapixel phone
# photo fits, a few-kilobyte "decompression bomb" that would need gigabytes does not.
MAX_PIXELS = 50_000_000
# Thumbnails fit in this square; the page shows them at most this wide.
THUMBNAIL_BOUND = 320
JPEG_QUALITY = 90
THUMBNAIL_QUALITY = 80
# The types whose stored copy is re-encoded; GIF is checked only.
REENCODED = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
DECODED = {*REENCODED, "image/gif"}
ORIENTATION = 0x0112  # the EXIF tag exif_transpose applies


class BadImage(ValueError):
    """The file is not a picture Pillow can read safely (corrupt, truncated or too large)."""


@dataclass(frozen=True)
class Cleaned:
    """A picture ready to store: its bytes (None: stored as sent) and its upright size."""

    data: bytes | None
    width: int
    height: int


def _open(stream: IO[bytes]) -> Image.Image:
    """Open and fully decode a picture, refusing bombs and broken files."""
    stream.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise BadImage("too many pixels")
            image.load()
    except BadImage:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
        # UnidentifiedImageError is an OSError; truncated data, broken chunks and bombs
        # (DecompressionBombError is a ValueError here) all end as "cannot be read".
        raise BadImage(str(exc)) from exc
    finally:
        stream.seek(0)
    return image


def check(stream: IO[bytes]) -> tuple[int, int]:
    """Decode a picture to be sure it is one; return its upright size, or raise BadImage."""
    image = _open(stream)
    width, height = image.size
    if image.getexif().get(ORIENTATION, 1) in (5, 6, 7, 8):  # a quarter turn: they swap
        width, height = height, width
    return width, height


def clean(stream: IO[bytes], kind: str) -> Cleaned:
    """The stored copy of a picture: upright pixels, no EXIF, the ICC profile kept."""
    image = _open(stream)
    upright = ImageOps.exif_transpose(image, in_place=False) or image
    options: dict[str, object] = {}
    if profile := image.info.get("icc_profile"):
        options["icc_profile"] = profile
    fmt = REENCODED[kind]
    if fmt == "JPEG":
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        options.update(quality=JPEG_QUALITY, optimize=True)
    elif fmt == "WEBP":
        options.update(quality=JPEG_QUALITY, lossless=bool(image.info.get("lossless")))
    out = io.BytesIO()
    # No exif= argument: Pillow writes no EXIF block unless it is given one.
    upright.save(out, fmt, **options)
    return Cleaned(out.getvalue(), upright.width, upright.height)


def prepare(stream: IO[bytes], kind: str) -> Cleaned:
    """Decode a picture once: its copy to store (re-encoded types) or, for GIF, its size."""
    if kind in REENCODED:
        return clean(stream, kind)
    return Cleaned(None, *check(stream))


def thumbnail_size(width: int, height: int, bound: int = THUMBNAIL_BOUND) -> tuple[int, int]:
    """The size of a picture's thumbnail: within bound × bound, proportions kept."""
    if width <= bound and height <= bound:
        return width, height
    scale = bound / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def write_thumbnail(source: Path, target: Path) -> None:
    """Write the thumbnail of a stored picture (JPEG, or PNG when it has transparency)."""
    with source.open("rb") as fh:
        image = _open(fh)
    image = ImageOps.exif_transpose(image, in_place=False) or image  # files stored before
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    small = image.resize(thumbnail_size(*image.size), Image.Resampling.LANCZOS, reducing_gap=3)
    out = io.BytesIO()
    if small.mode in ("RGBA", "LA", "P", "PA") and _has_alpha(small):
        small.save(out, "PNG", optimize=True)
    else:
        small.convert("RGB").save(out, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    # Written beside and moved into place, so two first requests never serve half a file.
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    partial.write_bytes(out.getvalue())
    os.replace(partial, target)


def _has_alpha(image: Image.Image) -> bool:
    """Whether a picture has any transparency to keep."""
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def thumbnail_type(path: Path) -> str:
    """The type of a thumbnail written by write_thumbnail."""
    with path.open("rb") as fh:
        return "image/png" if fh.read(4) == b"\x89PNG" else "image/jpeg"
