"""Reading an RFC 5322 message: who, which thread, what kind of mail, its text and its files.

The standard library's parser with ``policy.default`` decodes RFC 2047 headers, RFC 2231
file names, quoted-printable and base64; charsets are decoded here with fallbacks, so a
mislabelled message still reads (ISO-8859-1 read as Windows-1252, as browsers do).
Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser, HeaderParser
from email.utils import getaddresses, parseaddr

from werkzeug.datastructures import FileStorage

from ..emails import is_email, normalise_email
from . import content

MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
# Answers that say "I am away", whatever their headers say (some responders set none).
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(auto(matic)?\s*(reply|response)|respuesta\s+autom[áa]tica|out\s+of\s+(the\s+)?office"
    r"|fuera\s+de\s+la\s+oficina|ausencia|abwesenheit|r[ée]ponse\s+automatique)\b",
    re.IGNORECASE,
)
QUOTED_ID = re.compile(r"(?im)^\s*Message-ID:\s*(<[^<>\s]+>)")
# A forwarded message's subject: "Fwd:", "Fw:", "RV:" (Outlook in Spanish), "Reenv:".
FORWARD = re.compile(r"^\s*(?:fwd?|rv|reenv|tr|wg)\s*:", re.IGNORECASE)
AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-AutoReply-From", "X-Mail-Autoreply")
BOUNCE_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
# Text charsets that are nearly always Windows-1252 in practice (its printable superset).
AS_CP1252 = {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "iso8859-1"}


class Unreadable(ValueError):
    """Not an e-mail message at all (empty, or no header)."""


def read(raw: bytes) -> EmailMessage:
    """Parse a message; Unreadable when there is nothing that looks like one."""
    if not raw.strip():
        raise Unreadable("empty input")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not message.keys():
        raise Unreadable("no header")
    return message


def header_sender(raw: bytes) -> str | None:
    """The sender's address read from the header alone (a message too large to parse)."""
    try:
        found = sender(BytesHeaderParser(policy=policy.default).parsebytes(raw))
    except Exception:  # noqa: BLE001 - a header we cannot read names no sender
        return None
    return found[1] if found else None


def message_id(raw: bytes) -> str:
    """The message's Message-ID, or a stable one made from a digest of its bytes."""
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
        found = MESSAGE_ID.search(str(headers.get("Message-ID", "") or ""))
    except Exception:  # noqa: BLE001 - a header we cannot read is a message without one
        found = None
    if found:
        return found.group(0)
    return f"<{hashlib.sha256(raw).hexdigest()}@mail-in.invalid>"


def header(message: Message, name: str) -> str:
    """One header's decoded value ('' when absent or unreadable), on one line."""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a header the parser chokes on counts as absent
        return ""
    return " ".join(str(value or "").split())


def addresses(message: Message, *names: str, valid: bool = True) -> list[tuple[str, str]]:
    """(display name, normalised address) of every address in these headers.

    ``valid``: only those the app's e-mail rule accepts (people it may write to).
    """
    values: list[str] = []
    for name in names:
        try:
            values.extend(str(v) for v in message.get_all(name, []))
        except Exception:  # noqa: BLE001, S112 - an address header we cannot read names nobody
            continue
    found = []
    for display, address in getaddresses(values):
        address = normalise_email(address)
        if "@" in address and (is_email(address) or not valid):
            found.append((display.strip(), address))
    return found


def sender(message: Message) -> tuple[str, str] | None:
    """(display name, normalised address) of the From header, None without a valid one."""
    found = addresses(message, "From")
    if found:
        return found[0]
    display, address = parseaddr(header(message, "From"))
    address = normalise_email(address)
    return (display, address) if is_email(address) else None


def thread_ids(message: Message) -> list[str]:
    """The Message-IDs this one answers: In-Reply-To first, then References, newest first."""
    ids = MESSAGE_ID.findall(header(message, "In-Reply-To"))
    ids += reversed(MESSAGE_ID.findall(header(message, "References")))
    seen: list[str] = []
    for value in ids:
        if value not in seen:
            seen.append(value)
    return seen[:50]


def local_part(address: str) -> str:
    """The part of an address before the @."""
    return address.rpartition("@")[0]


def is_auto_reply(message: Message) -> bool:
    """An answer sent by a machine for a person (vacation, out of office): never a request."""
    auto = header(message, "Auto-Submitted").split(";")[0].strip().lower()
    if auto == "auto-replied":
        return True
    if any(header(message, name) for name in AUTO_REPLY_HEADERS):
        return True
    if header(message, "Precedence").lower() == "auto_reply":
        return True
    if message.get_content_type() == "multipart/report":
        return True  # a read receipt (delivery reports are bounces, sorted out before)
    return bool(AUTO_REPLY_SUBJECT.match(header(message, "Subject")))


def quiet_reason(message: Message) -> str | None:
    """Why nobody should be answered automatically (machine-sent, bulk, list), if so."""
    auto = header(message, "Auto-Submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return "auto-submitted"
    if header(message, "Precedence").lower() in {"bulk", "list", "junk"}:
        return "bulk"
    if header(message, "List-Id") or header(message, "List-Unsubscribe"):
        return "list"
    if header(message, "Return-Path").strip() == "<>":
        return "null-sender"
    return None


def is_bounce(message: Message, address: str | None) -> bool:
    """A delivery status notification, or mail from a mailer-daemon."""
    if message.get_content_type() == "multipart/report":
        report = (message.get_param("report-type") or "").__str__().lower()
        if report in {"delivery-status", ""}:
            return True
    return address is not None and local_part(address) in BOUNCE_SENDERS


@dataclass
class Bounce:
    """What a delivery status notification says: the returned message and why."""

    message_ids: list[str] = field(default_factory=list)
    status: str = ""


def bounce_details(message: EmailMessage) -> Bounce:
    """The Message-IDs of the returned message and the failure, as far as they can be read."""
    found = Bounce()
    diagnostics: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            diagnostics += _diagnostics(part)
        elif kind == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                found.message_ids += MESSAGE_ID.findall(header(inner, "Message-ID"))
        elif kind == "text/rfc822-headers":
            inner = HeaderParser(policy=policy.compat32).parsestr(_text(part))
            found.message_ids += MESSAGE_ID.findall(str(inner.get("Message-ID", "")))
    if not found.message_ids:
        # Bounces in plain words (qmail, old Exchange) quote the headers in their text.
        for part in message.walk():
            if part.get_content_maintype() == "text":
                found.message_ids += QUOTED_ID.findall(_text(part))
    found.message_ids += thread_ids(message)
    found.status = "; ".join(diagnostics)[:500]
    return found


def _diagnostics(part: Message) -> list[str]:
    """Status, diagnostic and recipient of each block of a delivery-status part."""
    found = []
    for block in part.get_payload() or []:
        if isinstance(block, Message):
            for name in ("Status", "Diagnostic-Code", "Final-Recipient"):
                if value := header(block, name):
                    found.append(f"{name}: {value}")
    return found


# ---------------------------------------------------------------- text and files


def _text(part: Message) -> str:
    """A text part's content as str, whatever its charset says (with fallbacks)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload() or "")
    charset = (part.get_content_charset() or "utf-8").lower()
    # Declared ASCII or Latin-1: UTF-8 when it decodes as such (mislabelled), else
    # Windows-1252, Latin-1's printable superset that such mail nearly always is.
    candidates = ["utf-8", "cp1252"] if charset in AS_CP1252 else [charset, "utf-8", "cp1252"]
    for candidate in candidates:
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


def _parts(message: Message) -> Iterator[Message]:
    """Every leaf part, not descending into attached messages (they are files of their own)."""
    if message.get_content_type() == "message/rfc822" or not message.is_multipart():
        yield message
        return
    for part in message.get_payload() or []:
        if isinstance(part, Message):
            yield from _parts(part)


def _is_attachment(part: Message) -> bool:
    """A file rather than the message's own text."""
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    if part.get_content_maintype() == "text" and part.get_content_subtype() in {"plain", "html"}:
        return bool(part.get_filename())
    return True


@dataclass
class Body:
    """The message's text (its newest words) and its files as uploads."""

    text: str
    files: list[FileStorage]
    html_only: bool = False


def body(message: Message) -> Body:
    """The text to file (plain preferred, HTML converted; quotes and signature cut) and files.

    A forward ("Fwd:", "RV:" …) keeps its quoted part: the forwarded mail is the request.
    The text of an attached message is added below, under its sender and subject.
    """
    plain: str | None = None
    html: str | None = None
    files: list[FileStorage] = []
    attached: list[str] = []
    for index, part in enumerate(_parts(message), start=1):
        if not _is_attachment(part):
            if part.get_content_subtype() == "plain" and plain is None:
                plain = _text(part)
            elif part.get_content_subtype() == "html" and html is None:
                html = _text(part)
            continue
        if part.get_content_type() == "message/rfc822":
            attached.append(_attached_text(part))
        files.append(_upload(part, index))
    newest = content.latest if not FORWARD.match(header(message, "Subject")) else _as_is
    if plain is not None and plain.strip():
        text, html_only = newest(plain), False
    elif html is not None:
        text, html_only = newest(content.html_to_text(html)), True
    else:
        text, html_only = "", False
    return Body("\n\n".join(t for t in [text, *attached] if t.strip()), files, html_only)


def _as_is(text: str) -> str:
    """A forward's text, whole."""
    return text.replace("\r\n", "\n").strip()


def _attached_text(part: Message) -> str:
    """An attached message's sender, subject and text (its own quotes cut)."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message):
        return ""
    words = body(inner).text
    heading = f"— {header(inner, 'From')} · {header(inner, 'Subject')}"
    return f"{heading}\n{words}" if words else heading


def _upload(part: Message, index: int) -> FileStorage:
    """One attached (or inline) file as the upload rules read a web upload."""
    kind = part.get_content_type()
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001 - a broken file name header: name it by its type
        name = ""
    if not name:
        # Inline pictures often come without a name: give one by their type.
        extension = mimetypes.guess_extension(kind) or ".bin"
        extension = {".jpe": ".jpg", ".jpeg": ".jpg"}.get(extension, extension)
        name = f"adjunto-{index}{extension}"
    if kind == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else payload
        data = inner.as_bytes() if isinstance(inner, Message) else str(inner).encode()
    else:
        decoded = part.get_payload(decode=True)
        data = decoded if isinstance(decoded, bytes) else b""
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type=kind)
