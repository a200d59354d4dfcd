"""Photos with Pillow: decode safely, store upright without metadata, make small thumbnails.

Residents file from phones: 4000×3000 JPEGs, often turned by an EXIF orientation tag and
carrying the GPS position where they were taken. What is stored is the picture without
any metadata (so no GPS, camera or date), upright: an upright JPEG or PNG keeps its pixels
as sent with its metadata blocks cut out; a turned one, and WebP, is re-encoded from its
pixels, turned upright. The ICC colour profile is kept, since dropping it changes how
colours look. GIF is checked but stored as sent (no EXIF, and re-encoding would lose its
animation).
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
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
# The types whose stored copy is made anew (stripped or re-encoded); GIF is checked only.
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


@contextmanager
def _reading(stream: IO[bytes]) -> Iterator[None]:
    """Map whatever Pillow raises on a bad picture to BadImage; leave the stream at 0."""
    stream.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except BadImage:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
        # UnidentifiedImageError is an OSError; truncated data, broken chunks and bombs
        # (DecompressionBombError is a ValueError here) all end as "cannot be read".
        raise BadImage(str(exc)) from exc
    finally:
        stream.seek(0)


def _header(stream: IO[bytes]) -> Image.Image:
    """Open a picture without decoding its pixels, refusing one with too many."""
    with _reading(stream):
        image = Image.open(stream)
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise BadImage("too many pixels")
    return image


def _decode(image: Image.Image, stream: IO[bytes], reduced: bool = False) -> Image.Image:
    """Decode a picture's pixels; a reduced JPEG still reads and checks every byte."""
    with _reading(stream):
        if reduced:
            # libjpeg decodes every block's coefficients but computes only an eighth of the
            # pixels: a damaged or truncated file is refused all the same, five times faster.
            image.draft(None, (max(1, image.width // 8), max(1, image.height // 8)))
        image.load()
    return image


def _open(stream: IO[bytes]) -> Image.Image:
    """Open and fully decode a picture, refusing bombs and broken files."""
    return _decode(_header(stream), stream)


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation a viewer would apply (1: already upright)."""
    return int(image.getexif().get(ORIENTATION, 1))


def check(stream: IO[bytes]) -> tuple[int, int]:
    """Decode a picture to be sure it is one; return its upright size, or raise BadImage."""
    image = _open(stream)
    width, height = image.size
    if _orientation(image) in (5, 6, 7, 8):  # a quarter turn: they swap
        width, height = height, width
    return width, height


def _reencode(image: Image.Image, kind: str) -> Cleaned:
    """The stored copy of a decoded picture: upright pixels, no EXIF, the ICC profile kept."""
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


def clean(stream: IO[bytes], kind: str) -> Cleaned:
    """The stored copy of a picture, made by decoding it once.

    Upright JPEGs and PNGs keep their pixels as sent, their metadata cut out (``strip``):
    no quality lost, and no encoder run. Turned ones (an EXIF orientation other than 1) and
    WebP are re-encoded from their pixels, upright.
    """
    image = _header(stream)
    if kind == "image/jpeg" and _orientation(image) == 1:
        # A JPEG's EXIF comes before its pixels: the header already tells it is upright.
        width, height = image.size
        _decode(image, stream, reduced=True)
        return Cleaned(strip(_contents(stream), kind), width, height)
    image = _decode(image, stream)
    # A PNG's eXIf chunk may follow its pixels: its orientation is known once decoded.
    if kind == "image/png" and _orientation(image) == 1:
        return Cleaned(strip(_contents(stream), kind), image.width, image.height)
    return _reencode(image, kind)


def _contents(stream: IO[bytes]) -> bytes:
    """All of an upload's bytes, the stream left at its start for the next reader."""
    stream.seek(0)
    data = stream.read()
    stream.seek(0)
    return data


def prepare(stream: IO[bytes], kind: str) -> Cleaned:
    """Decode a picture once: its copy to store (JPEG, PNG, WebP) or, for GIF, its size."""
    if kind in REENCODED:
        return clean(stream, kind)
    return Cleaned(None, *check(stream))


# ------------------------------------------------------------------ metadata cut out

# What an upright JPEG keeps of its APPn blocks: the colour profile (APP2), Adobe's colour
# transform (APP14, needed to read CMYK), and a plain JFIF header (APP0, 14 bytes: one
# with an embedded preview is longer). Everything else goes: EXIF and XMP (APP1), IPTC
# (APP13), maker notes, multi-picture indexes, comments (COM), and whatever follows the
# end of the image (motion-photo videos, vendors' trailers).
_JPEG_APP_KEPT = {0xE0: b"JFIF\x00", 0xE2: b"ICC_PROFILE\x00", 0xEE: b"Adobe"}
_JFIF_LENGTH = 14
_JPEG_COMMENT = 0xFE
_JPEG_SCAN = 0xDA
_JPEG_END = 0xD9
# Markers without a length: TEM and the restart markers RST0-7.
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}
# A scan's entropy-coded data runs to the next marker: 0xFF followed by neither a stuffed
# zero nor a restart marker.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")
# What a PNG keeps: the chunks that draw it and its colour (profile, gamma, transparency,
# density). Text (tEXt, zTXt, iTXt), eXIf, tIME and any private chunk go; so do APNG's
# animation chunks, as re-encoding dropped them: the stored picture is the one decoded.
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEPT = {
    b"IHDR",
    b"PLTE",
    b"IDAT",
    b"IEND",
    b"tRNS",
    b"cHRM",
    b"gAMA",
    b"iCCP",
    b"sBIT",
    b"sRGB",
    b"cICP",
    b"bKGD",
    b"pHYs",
}


def strip(data: bytes, kind: str) -> bytes:
    """A JPEG's or a PNG's bytes without its metadata, its pixels untouched."""
    return _strip_jpeg(data) if kind == "image/jpeg" else _strip_png(data)


def _keep_jpeg_segment(marker: int, payload: bytes) -> bool:
    """Whether a JPEG segment stays: all but comments and the APPn blocks not listed."""
    if marker == _JPEG_COMMENT:
        return False
    if 0xE0 <= marker <= 0xEF:
        prefix = _JPEG_APP_KEPT.get(marker)
        if prefix is None or not payload.startswith(prefix):
            return False
        return marker != 0xE0 or len(payload) == _JFIF_LENGTH
    return True


def _strip_jpeg(data: bytes) -> bytes:
    """Walk a JPEG's segments to its end marker, keeping those that draw the picture."""
    if not data.startswith(b"\xff\xd8"):
        raise BadImage("not a JPEG")
    kept = [data[:2]]
    pos = 2
    while True:
        while data[pos : pos + 2] == b"\xff\xff":  # fill bytes may pad before a marker
            pos += 1
        if pos + 2 > len(data) or data[pos] != 0xFF:
            raise BadImage("broken JPEG structure")
        marker = data[pos + 1]
        if marker == _JPEG_END:
            kept.append(data[pos : pos + 2])
            return b"".join(kept)
        if marker in _JPEG_STANDALONE:
            kept.append(data[pos : pos + 2])
            pos += 2
            continue
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if end < pos + 4 or end > len(data):
            raise BadImage("broken JPEG segment")
        if _keep_jpeg_segment(marker, data[pos + 4 : end]):
            kept.append(data[pos:end])
        pos = end
        if marker == _JPEG_SCAN:
            found = _NEXT_MARKER.search(data, pos)
            if found is None:
                raise BadImage("JPEG scan without an end")
            kept.append(data[pos : found.start()])
            pos = found.start()


def _strip_png(data: bytes) -> bytes:
    """Walk a PNG's chunks to IEND, keeping those that draw the picture."""
    if not data.startswith(_PNG_SIGNATURE):
        raise BadImage("not a PNG")
    kept = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise BadImage("broken PNG structure")
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunk_type = data[pos + 4 : pos + 8]
        end = pos + 12 + length  # length, type, data, CRC
        if end > len(data):
            raise BadImage("broken PNG chunk")
        if chunk_type in _PNG_KEPT:
            kept.append(data[pos:end])
        pos = end
        if chunk_type == b"IEND":
            return b"".join(kept)


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
