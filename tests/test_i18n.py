"""The catalogues cover every string in the code, the compiled files match them, pages use them."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.crawl import ROLES, crawl, signed_in, speak

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "servicedesk" / "translations"


def catalog(lang: str, kind: str = "po"):
    """Read one language's .po or .mo catalogue."""
    path = TRANSLATIONS / lang / "LC_MESSAGES" / f"messages.{kind}"
    with path.open("rb") as fh:
        return read_po(fh) if kind == "po" else read_mo(fh)


def extracted_ids(tmp_path: Path) -> set[str]:
    """Extract the translatable strings from the code as it is now."""
    out = tmp_path / "now.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--ignore-dirs=.* forms_engine tests bench migrations __pycache__",
            "-o",
            str(out),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with out.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


def test_every_string_in_the_code_has_a_spanish_translation(tmp_path):
    spanish = {m.id: m.string for m in catalog("es") if m.id and not m.fuzzy}
    missing = sorted(i for i in extracted_ids(tmp_path) if not spanish.get(i))
    assert missing == [], "run `make i18n-extract`, translate, then `make i18n-compile`"


def test_english_catalogue_knows_every_string(tmp_path):
    english = {m.id for m in catalog("en") if m.id}
    assert extracted_ids(tmp_path) <= english


def _plain(value):
    """A message's id or string as a hashable value (plural forms come as a list or tuple)."""
    return tuple(value) if isinstance(value, list | tuple) else value


def test_compiled_catalogues_match_their_sources():
    for lang in ("es", "en"):
        po = {
            _plain(m.id): _plain(m.string)
            for m in catalog(lang)
            if m.id and any(_plain(m.string) or ()) and not m.fuzzy
        }
        mo = {_plain(m.id): _plain(m.string) for m in catalog(lang, "mo") if m.id}
        assert po == mo, f"run `make i18n-compile` for {lang}"


class PageText(HTMLParser):
    """The text a person reads on a page: text nodes and the attributes read aloud.

    Code (identifiers in the API reference, JSON) is not prose and stays in English.
    """

    SPOKEN = ("placeholder", "aria-label", "title", "alt")
    SKIPPED = ("script", "style", "code", "pre")

    def __init__(self) -> None:
        super().__init__()
        self.texts: set[str] = set()
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect spoken attributes; skip scripts, styles and code."""
        if tag in self.SKIPPED:
            self._hidden += 1
        self.texts.update((v or "").strip() for k, v in attrs if k in self.SPOKEN)

    def handle_endtag(self, tag: str) -> None:
        """Leave a script, style or code."""
        if tag in self.SKIPPED:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        """Collect visible text."""
        if not self._hidden:
            self.texts.add(data.strip())


@pytest.mark.parametrize("role", ROLES)
def test_spanish_pages_show_no_english_catalogue_string(app, demo_desk, role):
    """A string translated in the catalogue never reaches a Spanish page in English.

    It happens when gettext runs at import time instead of per request (_ instead of _l).
    """
    english = {
        m.id
        for m in catalog("es")
        if m.id
        and m.string
        and m.string != m.id
        and isinstance(m.id, str)
        and len(m.id) > 3
        and "%(" not in m.id
    }
    client = signed_in(app, role)
    speak(client, role, "es")
    site = crawl(app, client)
    leaks = {}
    for path, page in site.html.items():
        reader = PageText()
        reader.feed(page)
        if found := sorted(reader.texts & english):
            leaks[path] = found
    assert len(site.html) >= 2
    assert not leaks, leaks
