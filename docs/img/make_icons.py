"""Draw the app's icons once (servicedesk/static/icons/): a speech bubble on the theme blue.

Run from the checkout: PYTHONPATH=. .venv/bin/python docs/img/make_icons.py
The PNGs are committed; the SVG beside them is the same drawing, written here too.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parents[2] / "servicedesk" / "static" / "icons"
BLUE = "#0d6efd"  # Bootstrap's primary, the navbar's colour and the manifest's theme_color
WHITE = "#ffffff"
SIZE = 512  # the drawing's coordinates; other sizes are scaled from it
CORNER = 96
BUBBLE = (112, 120, 400, 336)
BUBBLE_CORNER = 56
TAIL = [(168, 320), (160, 404), (248, 330)]
DOTS = [(184, 228), (256, 228), (328, 228)]
DOT = 24


def draw(size: int, rounded: bool) -> Image.Image:
    """The icon at one size, drawn large and scaled down for smooth edges."""
    big = Image.new("RGBA", (SIZE * 2, SIZE * 2), (0, 0, 0, 0))
    pen = ImageDraw.Draw(big)
    pen.rounded_rectangle((0, 0, SIZE * 2 - 1, SIZE * 2 - 1), CORNER * 2 if rounded else 0, BLUE)
    pen.rounded_rectangle([c * 2 for c in BUBBLE], BUBBLE_CORNER * 2, WHITE)
    pen.polygon([(x * 2, y * 2) for x, y in TAIL], WHITE)
    for x, y in DOTS:
        pen.ellipse(((x - DOT) * 2, (y - DOT) * 2, (x + DOT) * 2, (y + DOT) * 2), BLUE)
    return big.resize((size, size), Image.Resampling.LANCZOS)


def svg() -> str:
    """The same drawing as SVG, for browsers that take an SVG favicon."""
    x0, y0, x1, y1 = BUBBLE
    tail = " ".join(f"{x},{y}" for x, y in TAIL)
    dots = "".join(f'<circle cx="{x}" cy="{y}" r="{DOT}" fill="{BLUE}"/>' for x, y in DOTS)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}">'
        f'<rect width="{SIZE}" height="{SIZE}" rx="{CORNER}" fill="{BLUE}"/>'
        f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" rx="{BUBBLE_CORNER}" '
        f'fill="{WHITE}"/><polygon points="{tail}" fill="{WHITE}"/>{dots}</svg>\n'
    )


def main() -> None:
    """Write icon-192.png, icon-512.png, apple-touch-icon.png (square: iOS rounds it), icon.svg."""
    ICONS.mkdir(parents=True, exist_ok=True)
    for name, size, rounded in (
        ("icon-192.png", 192, True),
        ("icon-512.png", 512, True),
        ("apple-touch-icon.png", 180, False),
    ):
        draw(size, rounded).save(ICONS / name, optimize=True)
    (ICONS / "icon.svg").write_text(svg())


if __name__ == "__main__":
    main()
