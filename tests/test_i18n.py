"""The catalogues cover every string in the code, and the compiled files match them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

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
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "--no-location",
         "--ignore-dirs=.* forms_engine tests bench migrations __pycache__", "-o", str(out),
         "."],
        cwd=ROOT, check=True, capture_output=True,
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


def test_compiled_catalogues_match_their_sources():
    for lang in ("es", "en"):
        po = {m.id: m.string for m in catalog(lang) if m.id and m.string and not m.fuzzy}
        mo = {m.id: m.string for m in catalog(lang, "mo") if m.id}
        assert po == mo, f"run `make i18n-compile` for {lang}"
