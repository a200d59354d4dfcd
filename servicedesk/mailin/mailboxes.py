"""The rules of the IMAP mailboxes Administración configures: check, save, test a connection."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from imapclient.exceptions import IMAPClientError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..emails import is_email, normalise_email
from ..extensions import db
from ..models import Area, Mailbox, MailSecurity, TicketType
from ..secret_box import seal
from . import fetch

MAX_FOLDER = 255
HOST_NAME = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?"
)
# The server's words, cut, in the answer to "Probar conexión".
MAX_DETAIL = 300


class MailboxError(Exception):
    """A rule refused the mailbox; message is translatable, field names the form field."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


@dataclass(frozen=True)
class MailboxInput:
    """A mailbox as the form sends it; password None or empty keeps the stored one."""

    name: str
    address: str
    area_id: int | None
    ticket_type_id: int | None
    host: str
    port: int | None
    security: str
    username: str
    password: str | None
    folder: str
    done_folder: str
    rejected_folder: str
    active: bool


def list_mailboxes() -> list[Mailbox]:
    """Every mailbox by name (a handful: no paging)."""
    return list(db.session.scalars(select(Mailbox).order_by(Mailbox.name)))


def _is_host(host: str) -> bool:
    """A DNS name whose last label is not a number, or an IP address written out.

    The C library reads "2147483648" or "0x7f.1" as addresses; such spellings are refused
    rather than connected to.
    """
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return bool(HOST_NAME.fullmatch(host)) and not host.rstrip(".").rsplit(".", 1)[-1].isdigit()
    return True


def _text(value: str, field: str, limit: int, empty_message: Any) -> str:
    value = (value or "").strip()
    if not value:
        raise MailboxError(empty_message, field)
    if len(value) > limit:
        raise MailboxError(_l("At most %(n)d characters.", n=limit), field)
    if any(ch in value for ch in "\r\n\0"):
        raise MailboxError(_l("Line breaks are not allowed here."), field)
    return value


def _check_filing(values: MailboxInput, mailbox: Mailbox | None) -> dict[str, Any]:
    """The name, the address and where its mail is filed."""
    name = " ".join((values.name or "").split())
    if not name:
        raise MailboxError(_l("Enter a name."), "name")
    if len(name) > 80:
        raise MailboxError(_l("At most %(n)d characters.", n=80), "name")
    taken = select(Mailbox.id).where(func.lower(Mailbox.name) == name.lower())
    if mailbox is not None:
        taken = taken.where(Mailbox.id != mailbox.id)
    if db.session.scalar(taken.limit(1)) is not None:
        raise MailboxError(_l("A mailbox with this name already exists."), "name")
    address = normalise_email(values.address or "")
    if not is_email(address):
        raise MailboxError(_l("Enter a valid e-mail address."), "address")
    area = db.session.get(Area, values.area_id) if values.area_id else None
    if area is None:
        raise MailboxError(_l("Choose the area its requests are filed into."), "area_id")
    if (
        values.ticket_type_id is not None
        and db.session.get(TicketType, values.ticket_type_id) is None
    ):
        raise MailboxError(_l("Choose a ticket type from the list."), "ticket_type_id")
    return {
        "name": name,
        "address": address,
        "area_id": area.id,
        "ticket_type_id": values.ticket_type_id,
    }


def _check_connection(values: MailboxInput, mailbox: Mailbox | None) -> dict[str, Any]:
    """The server, the protection, the user and the password (sealed when a new one is given)."""
    host = _text(values.host, "host", 255, _l("Enter the IMAP server's name.")).lower()
    if not _is_host(host):
        raise MailboxError(_l("Enter a server name such as imap.example.com."), "host")
    if values.port is None or not 1 <= values.port <= 65535:
        raise MailboxError(_l("Enter a port between 1 and 65535."), "port")
    if values.security not in {s.value for s in MailSecurity}:
        raise MailboxError(_l("Choose TLS or STARTTLS."), "security")
    checked: dict[str, Any] = {
        "host": host,
        "port": values.port,
        "security": values.security,
        "username": _text(values.username, "username", 255, _l("Enter the user name.")),
    }
    if values.password:
        if len(values.password) > 1000:
            raise MailboxError(_l("At most %(n)d characters.", n=1000), "password")
        checked["password_sealed"] = seal(current_app.config["SECRET_KEY"], values.password)
    elif mailbox is None:
        raise MailboxError(_l("Enter the password or app password."), "password")
    return checked


def _check_folders(values: MailboxInput) -> dict[str, Any]:
    """The folder read and the two it moves mail to, each another than the one read."""
    folder = _text(values.folder, "folder", MAX_FOLDER, _l("Enter the folder to read."))
    done = _text(values.done_folder, "done_folder", MAX_FOLDER, _l("Enter a folder name."))
    rejected = _text(
        values.rejected_folder, "rejected_folder", MAX_FOLDER, _l("Enter a folder name.")
    )
    if done == folder:
        raise MailboxError(
            _l("Handled mail must go to another folder than the one read."), "done_folder"
        )
    if rejected == folder:
        raise MailboxError(
            _l("Rejected mail must go to another folder than the one read."), "rejected_folder"
        )
    return {"folder": folder, "done_folder": done, "rejected_folder": rejected}


def _check(values: MailboxInput, mailbox: Mailbox | None) -> dict[str, Any]:
    """The values to store, or MailboxError naming the first field that is wrong."""
    return {
        **_check_filing(values, mailbox),
        **_check_connection(values, mailbox),
        **_check_folders(values),
        "active": bool(values.active),
    }


def save(mailbox: Mailbox | None, values: MailboxInput) -> Mailbox:
    """Create a mailbox (mailbox None) or change one; the password is sealed, never kept plain."""
    checked = _check(values, mailbox)
    target = mailbox or Mailbox()
    for key, value in checked.items():
        setattr(target, key, value)
    try:
        # A savepoint: a duplicate name that slipped past the check undoes only itself.
        with db.session.begin_nested():
            db.session.add(target)
    except IntegrityError as exc:
        raise MailboxError(_l("A mailbox with this name already exists."), "name") from exc
    return target


def _problem_text(problem: fetch.FetchProblem, account: fetch.Account | None) -> str:
    """A connection problem in the reader's language, with the server's own words."""
    detail = problem.detail[:MAX_DETAIL]
    if problem.kind == fetch.SECRET:
        return _("The stored password cannot be read (was SECRET_KEY changed?): enter it again.")
    assert account is not None
    where = f"{account.host}:{account.port}"
    if problem.kind == fetch.UNREACHABLE:
        return _("No connection to %(where)s: %(detail)s", where=where, detail=detail)
    if problem.kind == fetch.TLS:
        return _(
            "The secure connection to %(where)s failed: %(detail)s", where=where, detail=detail
        )
    if problem.kind == fetch.LOGIN:
        return _("%(where)s refused the user name or the password.", where=where)
    if problem.kind == fetch.FOLDER:
        return _("%(where)s has no folder %(folder)s.", where=where, folder=account.folder)
    return _("%(where)s answered unexpectedly: %(detail)s", where=where, detail=detail)


def try_connection(mailbox: Mailbox) -> tuple[bool, str]:
    """Log in and open the folder to read; whether it worked and what to tell the admin."""
    account: fetch.Account | None = None
    try:
        account = fetch.account_of(mailbox)
        count = fetch.probe(account)
    except fetch.FetchProblem as problem:
        return False, _problem_text(problem, account)
    except OSError as exc:  # the connection broke after it was made
        return False, _problem_text(fetch.FetchProblem(fetch.UNREACHABLE, str(exc)), account)
    except IMAPClientError as exc:
        return False, _problem_text(fetch.FetchProblem(fetch.PROTOCOL, str(exc)), account)
    return True, _(
        "Connected to %(where)s as %(user)s. Messages waiting in %(folder)s: %(count)d.",
        where=f"{account.host}:{account.port}",
        user=account.username,
        folder=account.folder,
        count=count,
    )
