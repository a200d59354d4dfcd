"""forms_engine.js in a real Chromium: instant show/hide and add-row."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from forms_engine import compile_form, static_path

sys.path.insert(0, str(Path(__file__).parent))
from fe_schemas import SCHEMAS  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Any) -> Any:
    """A blank page in the session's Chromium (a missing browser fails in CI)."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_conditional_fields_and_rows(page: Any) -> None:
    js = (static_path() / "forms_engine.js").read_text(encoding="utf-8")
    cond = compile_form(SCHEMAS["conditions"]).render_form("/a")
    rows = compile_form(SCHEMAS["object_arrays"]).render_form("/b")
    page.set_content(f"<html><body>{cond}{rows}<script>{js}</script></body></html>")

    def visible(fid: str) -> bool:
        return bool(page.evaluate(f"!document.getElementById('{fid}').hidden"))

    assert not visible("cf-phone-field") and visible("cf-reason-field")
    page.check("#cf-channel")  # phone
    assert visible("cf-phone-field") and not visible("cf-email-field")
    page.check("#cf-channel-1")  # email
    assert visible("cf-email-field") and not visible("cf-phone-field")
    assert not visible("cf-reason-field")  # the else branch
    assert not visible("cf-items.0.sku-field")
    page.check("#cf-items\\.0\\.kind")  # part
    assert visible("cf-items.0.sku-field")
    page.click("[data-fe-add='cf-items']")
    assert page.evaluate("!!document.getElementById('cf-items.1.qty')")
    page.check("#cf-items\\.1\\.kind")
    assert visible("cf-items.1.sku-field")
