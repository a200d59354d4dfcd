"""Every page each role reaches: labelled fields, named buttons and links, alt texts, one h1.

Pages come from following the app's own links (tests/crawl.py), so a new page is checked as
soon as another links to it. Screen readers announce a field by its label and a button or a
link by its text; without them the page cannot be used by ear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from tests.crawl import ROLES, crawl, signed_in, speak

UNLABELLED_TYPES = {"hidden", "submit", "button", "image", "reset"}
NAMING_ATTRS = ("aria-label", "aria-labelledby", "title")


@dataclass
class Named:
    """A button or link being read, with the text that names it so far."""

    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Audit(HTMLParser):
    """Find what a screen reader could not name on one page."""

    problems: list[str] = field(default_factory=list)
    lang: str = ""
    h1: int = 0
    label_for: set[str] = field(default_factory=set)
    controls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    open_labels: int = 0
    named: list[Named] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note labels, controls, images, headings and the elements that need a name."""
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag == "img":
            if "alt" not in a:
                self.problems.append(f"img without alt: {a.get('src', '')}")
            for open_element in self.named:
                open_element.text += a.get("alt", "")
        elif tag in ("button", "a") and (tag == "button" or "href" in a):
            self.named.append(Named(tag, a))
        control = tag in ("select", "textarea") or (
            tag == "input" and a.get("type", "text") not in UNLABELLED_TYPES
        )
        if control and not self.open_labels and not any(a.get(n) for n in NAMING_ATTRS):
            self.controls.append((tag, a))
        if (
            tag == "input"
            and a.get("type") in ("submit", "button")
            and not (a.get("value") or a.get("aria-label"))
        ):
            self.problems.append(f"input button without a value: {a}")

    def handle_endtag(self, tag: str) -> None:
        """Close labels; a button or link must have been given a name by now."""
        if tag == "label":
            self.open_labels = max(0, self.open_labels - 1)
        elif tag in ("button", "a") and self.named and self.named[-1].tag == tag:
            element = self.named.pop()
            if not element.text.strip() and not any(element.attrs.get(n) for n in NAMING_ATTRS):
                self.problems.append(f"{tag} without a name: {element.attrs}")

    def handle_data(self, data: str) -> None:
        """Text inside an open button or link names it."""
        for element in self.named:
            element.text += data

    def findings(self) -> list[str]:
        """Everything wrong on the page, once it has all been read."""
        unlabelled = [
            f"{tag} without a label: {a.get('name') or a.get('id')}"
            for tag, a in self.controls
            if a.get("id", "") not in self.label_for
        ]
        heading = [] if self.h1 == 1 else [f"{self.h1} h1 headings"]
        lang = [] if self.lang in ("es", "en") else [f"html lang={self.lang!r}"]
        return self.problems + unlabelled + heading + lang


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_can_be_used_with_a_screen_reader(app, demo_desk, role, language):
    """Labels, names, alt texts, one main heading and the page's language, on every page."""
    client = signed_in(app, role)
    speak(client, role, language)
    site = crawl(app, client)
    assert len(site.html) >= (2 if role == "anonymous" else 8)
    failures = {}
    for path, page in site.html.items():
        audit = Audit()
        audit.feed(page)
        audit.close()
        if found := audit.findings():
            failures[path] = found
        assert audit.lang == language, path
    assert not failures, failures
