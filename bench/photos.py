"""Time what storing a phone photo costs: the check's decode and the copy to store.

Usage:
  .venv/bin/python bench/photos.py [--megapixels 12] [--runs 5]

Pictures made with Pillow at the given size (4:3), each carrying what a phone writes
(camera make, GPS position): an upright JPEG (orientation 1), the same JPEG turned
(orientation 6, as a phone held upright saves it) and an upright PNG. For each,
images.prepare, the one decode an upload gets (servicedesk/images.py): an upright JPEG or
PNG is checked and stored stripped of its metadata, pixels untouched; a turned one is
decoded in full and re-encoded upright. The "reencode_*" lines time the full decode and
re-encode on the upright pictures too: what every picture cost before they were stripped.
Prints one JSON line per case: p50 and max ms, bytes sent and stored, which way it went,
and whether the stored pixels are the sent ones.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import PIL
from PIL import Image
from PIL.ExifTags import GPS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from servicedesk import images  # noqa: E402

GPS_IFD = 0x8825


def picture(megapixels: float) -> Image.Image:
    """A 4:3 picture with smooth areas and grain, closer to a photo than flat colour."""
    width = int((megapixels * 1_000_000 * 4 / 3) ** 0.5)
    height = width * 3 // 4
    gradient = Image.linear_gradient("L").resize((width, height))
    grain = Image.effect_noise((width, height), 24)
    return Image.merge("RGB", (gradient, grain, gradient.transpose(Image.Transpose.ROTATE_180)))


def phone_exif(orientation: int) -> Image.Exif:
    """The EXIF a phone writes: orientation, camera, GPS position."""
    exif = Image.Exif()
    exif[images.ORIENTATION] = orientation
    exif[0x010F] = "Fono"
    exif.get_ifd(GPS_IFD).update(
        {GPS.GPSLatitudeRef: "S", GPS.GPSLatitude: (33.0, 26.0, 59.0), GPS.GPSLongitudeRef: "W"}
    )
    return exif


def encoded(image: Image.Image, fmt: str, orientation: int) -> bytes:
    """The picture as a phone would send it."""
    out = io.BytesIO()
    options: dict[str, Any] = {"quality": 90} if fmt == "JPEG" else {}
    image.save(out, fmt, exif=phone_exif(orientation), **options)
    return out.getvalue()


def timed(run: Callable[[], images.Cleaned], runs: int) -> tuple[list[float], images.Cleaned]:
    """Run `runs` times; the milliseconds of each and the last result."""
    times, result = [], run()  # the first one warms Pillow's plugins up, not counted
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def emit(record: dict[str, Any]) -> None:
    """Print one JSON result line."""
    print(json.dumps(record), flush=True)


def measure(
    name: str, sent: bytes, kind: str, runs: int, expected: str, reencode: bool = False
) -> None:
    """Time images.prepare (or the full re-encode) on one picture; emit its line.

    Stops with status 1 if the stored copy kept EXIF or went the other way than expected.
    """

    def prepare() -> images.Cleaned:
        stream = io.BytesIO(sent)
        if reencode:
            return images._reencode(images._open(stream), kind)
        return images.prepare(stream, kind)

    times, cleaned = timed(prepare, runs)
    stored = cleaned.data if cleaned.data is not None else sent
    record: dict[str, Any] = {
        "name": name,
        "p50_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "runs": runs,
        "size": [cleaned.width, cleaned.height],
        "sent_bytes": len(sent),
        "stored_bytes": len(stored),
        # Stripped: the sent bytes with only the metadata blocks cut out. (Pillow may write
        # a PNG it re-encodes byte for byte as it wrote it: the old way is named, not read.)
        "way": "re-encoded" if reencode or stored != images.strip(sent, kind) else "stripped",
        "pixels_identical": _same_pixels(sent, stored),
        "exif_left": bool(dict(Image.open(io.BytesIO(stored)).getexif())),
    }
    emit(record)
    if record["exif_left"] or record["way"] != expected:
        emit({"name": name, "error": f"expected {expected} without EXIF"})
        sys.exit(1)


def _same_pixels(sent: bytes, stored: bytes) -> bool:
    """Whether the stored picture has exactly the sent one's pixels."""
    return Image.open(io.BytesIO(sent)).tobytes() == Image.open(io.BytesIO(stored)).tobytes()


def main(argv: list[str] | None = None) -> int:
    """Make the pictures, measure each case, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    image = picture(args.megapixels)
    emit(
        {
            "name": "environment",
            "python": platform.python_version(),
            "pillow": PIL.__version__,
            "megapixels": args.megapixels,
            "size": list(image.size),
        }
    )
    upright = encoded(image, "JPEG", 1)
    measure("jpeg_upright", upright, "image/jpeg", args.runs, "stripped")
    measure("jpeg_turned", encoded(image, "JPEG", 6), "image/jpeg", args.runs, "re-encoded")
    png = encoded(image, "PNG", 1)
    measure("png_upright", png, "image/png", args.runs, "stripped")
    old = "re-encoded"
    measure("reencode_jpeg_upright", upright, "image/jpeg", args.runs, old, reencode=True)
    measure("reencode_png_upright", png, "image/png", args.runs, old, reencode=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
