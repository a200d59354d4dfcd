"""PDFs with xhtml2pdf: nothing is fetched from the network or from files outside our assets."""

from __future__ import annotations

import io
from typing import Any

from flask import current_app, render_template
from xhtml2pdf import pisa

from ..zones import force_zone, organisation_zone

CHUNK = 150  # rows per table: xhtml2pdf's table layout grows quadratically with its size


def _link_callback(uri: str, _rel: str) -> str:
    """Resolve nothing: no remote images, no local files (SSRF and file disclosure)."""
    current_app.logger.info("PDF rendering ignored a resource: %s", uri[:200])
    return ""


def render(template: str, **context: Any) -> bytes:
    """Render a template to PDF bytes, its times in the organisation's zone (named as `zone`).

    A PDF is passed around and printed: one zone for all its readers, said on the page.
    """
    with force_zone(None):
        html = render_template(template, chunk=CHUNK, zone=organisation_zone(), **context)
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, link_callback=_link_callback, encoding="utf-8")
    if result.err:
        raise RuntimeError("PDF rendering failed")
    return out.getvalue()


def chunks(items: list[Any], size: int = CHUNK) -> list[list[Any]]:
    """Split a listing into page-sized tables."""
    return [items[i : i + size] for i in range(0, len(items), size)]
