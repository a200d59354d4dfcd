"""A message's newest words: HTML made text, quoted history and signatures cut.

HTML goes through inscriptis (made for turning HTML into readable text: tables, lists and
line breaks kept, scripts and styles dropped; it never yields markup, so nothing of the
mail's HTML reaches a page). The quoted history is cut by mail-parser-reply, which knows
Outlook's "De:/Enviado:" and "From:/Sent:" blocks, "-----Original Message-----" and
English "On … wrote:"; Spanish "El … escribió:" (which its pattern misses when the line
ends with an address in brackets) and headers wrapped over two lines are cut here first.
Signatures are cut only where they are unmistakable ("-- ", "Enviado desde mi iPhone"):
the library's guesses ("Gracias," starts a signature) would cut real sentences, and the
whole message is kept on the ticket as .eml for the desk anyway.
"""

from __future__ import annotations

import re

import lxml.html
from inscriptis import Inscriptis
from inscriptis.model.config import ParserConfig
from mailparser_reply import EmailReplyParser

# Where the quoted history starts, in the words mail programs use (Gmail, Apple Mail,
# Thunderbird; Spanish and English), the attribution possibly wrapped over 3 lines.
QUOTE_HEADERS = re.compile(
    r"^[ \t>]*(?:"
    r"El\b[^\n]{0,300}(?:\n[^\n]{0,300}){0,2}?\bescribi[óo]\s*:"
    r"|On\b[^\n]{0,300}(?:\n[^\n]{0,300}){0,2}?\bwrote\s*:"
    r"|-{2,}\s*(?:Original Message|Mensaje original|Forwarded message|Mensaje reenviado)\s*-{2,}"
    r"|_{20,}"
    r"|(?:De|From)\s*:[^\n]*\n(?:[^\n]*\n){0,2}?[ \t>]*(?:Enviado|Sent|Fecha|Date)\s*:"
    r")",
    re.MULTILINE | re.IGNORECASE,
)
# A signature that announces itself: RFC 3676's "-- " line, or a phone's boilerplate.
SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)
SENT_FROM = re.compile(
    r"^(?:Enviado desde mi|Sent from my|Get Outlook for|Obtener Outlook para|Enviado desde Outlook"
    r"|Enviado desde Correo|Sent from Mail for)\b[^\n]{0,80}$",
    re.IGNORECASE,
)
# HTML that holds the quoted history itself (Gmail, Thunderbird, Apple Mail, Yahoo).
QUOTED_HTML = (
    "//blockquote"
    " | //div[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')]"
    " | //*[contains(@class, 'moz-cite-prefix')]"
    " | //div[contains(@class, 'yahoo_quoted')]"
)
_REPLIES = EmailReplyParser(languages=["es", "en"])


def html_to_text(html: str) -> str:
    """Readable text of an HTML body, without its quoted history."""
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    for quoted in tree.xpath(QUOTED_HTML):
        parent = quoted.getparent()
        if parent is not None:
            parent.remove(quoted)
    text = Inscriptis(tree, ParserConfig(display_links=False)).get_text()
    # inscriptis keeps the layout's spaces: trim each line, at most one empty line in a row.
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def latest(text: str) -> str:
    """The newest words of a message: without the quoted history and an evident signature.

    A message that is nothing but quotes (a forward without a word) keeps its text.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cut = text
    if found := QUOTE_HEADERS.search(cut):
        cut = cut[: found.start()]
    try:
        newest = _REPLIES.parse_reply(cut) if cut.strip() else ""
    except re.error:
        newest = cut
    cut = newest or cut
    cut = _without_signature(_without_trailing_quotes(cut))
    return cut.strip() or _without_trailing_quotes(text).strip() or text.strip()


def _without_trailing_quotes(text: str) -> str:
    """Drop "> " lines and blank lines at the end (a bottom-quoted reply's history)."""
    lines = text.split("\n")
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()
    return "\n".join(lines)


def _without_signature(text: str) -> str:
    """Cut at "-- " and drop a phone's "Sent from my …" line among the last lines."""
    if found := SIGNATURE.search(text):
        text = text[: found.start()]
    lines = text.rstrip().split("\n")
    tail = len(lines) - 3
    return "\n".join(
        line for n, line in enumerate(lines) if not (n >= tail and SENT_FROM.match(line.strip()))
    )
