"""Mailboxes read over IMAP: each message through the one pipeline, committed, then moved.

The order is the whole safety: a message is moved out of the folder only after the commit
of what it became, so a crash between the two leaves it where it was, and the next pass
hands it to the pipeline again, whose record of handled Message-IDs makes that a no-op
before it is moved. Nothing is ever deleted here: handled mail goes to the mailbox's
handled folder, rejected mail to its rejected folder, and a message whose handling raised
stays in the folder (logged) for the next pass, without holding up the messages after it.
"""

from __future__ import annotations

import logging
import ssl
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from imapclient import DELETED, IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from sqlalchemy import select

from ..db_setup import write_transactions
from ..extensions import db
from ..models import Mailbox, MailSecurity, utcnow
from ..notifications import worker
from ..secret_box import SecretError, unseal
from ..unit_of_work import commit
from .service import handle, over_limit

log = logging.getLogger(__name__)
# UIDs per size request: about 4 KB of command line, well under servers' limits (Dovecot's
# is 64 KB).
SIZE_BATCH = 500

# Why a mailbox could not be read; the admin page says each in the reader's language.
UNREACHABLE, TLS, LOGIN, FOLDER, SECRET, PROTOCOL = (
    "unreachable",
    "tls",
    "login",
    "folder",
    "secret",
    "protocol",
)


class FetchProblem(Exception):
    """A mailbox could not be read: kind (one of the names above) and the server's words."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Account:
    """A mailbox's settings as plain values, so no row is held across the pass's commits."""

    id: int
    name: str
    host: str
    port: int
    security: str
    username: str
    password: str
    folder: str
    done_folder: str
    rejected_folder: str
    area_id: int
    type_key: str | None


@dataclass
class MailboxPass:
    """What one pass over one mailbox did."""

    name: str
    actions: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    problem: str | None = None


@dataclass
class PassResult:
    """What one pass over every active mailbox did, for the CLI's JSON line and the logs."""

    mailboxes: list[MailboxPass] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Totals per action, the messages whose handling raised, the mailboxes not read."""
        totals: Counter[str] = Counter()
        for one in self.mailboxes:
            totals.update(one.actions)
        return {
            "mailboxes": len(self.mailboxes),
            "created": totals["created"],
            "replied": totals["replied"],
            "ignored": totals["ignored"],
            "rejected": totals["rejected"],
            "errors": sum(one.errors for one in self.mailboxes),
            "failed": {one.name: one.problem for one in self.mailboxes if one.problem},
        }


def account_of(mailbox: Mailbox) -> Account:
    """The mailbox's settings with its password unsealed; FetchProblem when it cannot be."""
    try:
        password = unseal(current_app.config["SECRET_KEY"], mailbox.password_sealed)
    except SecretError as exc:
        raise FetchProblem(SECRET, str(exc)) from exc
    return Account(
        id=mailbox.id,
        name=mailbox.name,
        host=mailbox.host,
        port=mailbox.port,
        security=mailbox.security,
        username=mailbox.username,
        password=password,
        folder=mailbox.folder,
        done_folder=mailbox.done_folder,
        rejected_folder=mailbox.rejected_folder,
        area_id=mailbox.area_id,
        type_key=mailbox.ticket_type.key if mailbox.ticket_type else None,
    )


def _tls_context() -> ssl.SSLContext:
    """Certificates checked, host name included: the system's authorities or IMAP_CA_FILE's."""
    return ssl.create_default_context(cafile=current_app.config.get("IMAP_CA_FILE") or None)


@contextmanager
def connect(account: Account) -> Iterator[IMAPClient]:
    """A logged-in connection over TLS or STARTTLS (never plain text); logged out after."""
    context = _tls_context()
    timeout = float(current_app.config.get("IMAP_TIMEOUT") or 30)
    implicit = account.security == MailSecurity.TLS
    try:
        client = IMAPClient(
            account.host, port=account.port, ssl=implicit, ssl_context=context, timeout=timeout
        )
    except ssl.SSLError as exc:
        raise FetchProblem(TLS, str(exc)) from exc
    except OSError as exc:
        raise FetchProblem(UNREACHABLE, str(exc) or type(exc).__name__) from exc
    try:
        try:
            if not implicit:
                client.starttls(context)
        except (ssl.SSLError, IMAPClientError) as exc:
            raise FetchProblem(TLS, str(exc)) from exc
        try:
            client.login(account.username, account.password)
        except LoginError as exc:
            raise FetchProblem(LOGIN, str(exc)) from exc
        yield client
    finally:
        try:
            client.logout()
        except (OSError, IMAPClientError):
            client.shutdown()


def select_folder(client: IMAPClient, folder: str, *, readonly: bool = False) -> int:
    """Open the folder to read; its message count. FetchProblem when it does not exist."""
    try:
        info = client.select_folder(folder, readonly=readonly)
    except IMAPClientError as exc:
        raise FetchProblem(FOLDER, folder) from exc
    return int(info.get(b"EXISTS", 0))


def probe(account: Account) -> int:
    """Log in and open the folder read-only, as the fetch will; the messages waiting there."""
    with connect(account) as client:
        return select_folder(client, account.folder, readonly=True)


def _sizes(client: IMAPClient, uids: list[int]) -> dict[int, int]:
    """Each message's size as the server reports it, asked SIZE_BATCH messages at a time.

    In batches: a backlog of thousands of UIDs in one command would make a line longer
    than servers accept.
    """
    sizes: dict[int, int] = {}
    for start in range(0, len(uids), SIZE_BATCH):
        found = client.fetch(uids[start : start + SIZE_BATCH], ["RFC822.SIZE"])
        sizes.update({uid: int(data.get(b"RFC822.SIZE", 0)) for uid, data in found.items()})
    return sizes


def _fetch_one(client: IMAPClient, uid: int, *, header_only: bool = False) -> bytes | None:
    """The message's bytes (or only its header) without marking it read; None when gone."""
    part = "HEADER" if header_only else ""
    data = client.fetch([uid], [f"BODY.PEEK[{part}]"]).get(uid)
    if not data:
        return None
    raw = data.get(f"BODY[{part}]".encode())
    return bytes(raw) if raw is not None else None


def _move(client: IMAPClient, uid: int, folder: str, made: set[str]) -> None:
    """Move one message: MOVE where the server has it, else COPY, \\Deleted and EXPUNGE."""
    if folder not in made:
        if not client.folder_exists(folder):
            try:
                client.create_folder(folder)
            except IMAPClientError:
                if not client.folder_exists(folder):  # made meanwhile by another fetcher: fine
                    raise
        made.add(folder)
    if client.has_capability("MOVE"):
        client.move([uid], folder)
        return
    client.copy([uid], folder)
    client.add_flags([uid], [DELETED])
    if client.has_capability("UIDPLUS"):
        client.uid_expunge([uid])  # only this message, not others someone flagged
    else:
        client.expunge()


def fetch_account(account: Account) -> MailboxPass:
    """Hand every message of the folder to the pipeline in UID order, commit, then move it."""
    result = MailboxPass(account.name)
    made: set[str] = set()
    with connect(account) as client:
        select_folder(client, account.folder)
        uids = sorted(client.search(["NOT", "DELETED"]))
        sizes = _sizes(client, uids)
        for uid in uids:
            # A message over the limit is never downloaded: its header says enough to
            # record and refuse it (a 2 GB message must not pass through the worker's memory).
            header_only = over_limit(sizes.get(uid, 0))
            raw = _fetch_one(client, uid, header_only=header_only)
            if raw is None:
                continue
            try:
                outcome = handle(
                    raw,
                    area_id=account.area_id,
                    type_key=account.type_key,
                    mailbox=account.name,
                    size=sizes[uid] if header_only else None,
                )
                commit()
            except Exception:  # noqa: BLE001 - one bad message must not block the next
                db.session.rollback()
                log.exception("Mailbox %s: message UID %s could not be handled", account.name, uid)
                result.errors += 1
                continue
            target = (
                account.rejected_folder if outcome.action == "rejected" else account.done_folder
            )
            _move(client, uid, target, made)
            result.actions[outcome.action] += 1
            log.info(
                "Mailbox %s: UID %s %s (ticket %s, %s), moved to %s",
                account.name,
                uid,
                outcome.action,
                outcome.ticket,
                outcome.reason,
                target,
            )
    return result


def _record(mailbox_id: int, problem: str | None) -> None:
    """Note on the mailbox when it was read last and why it failed, if it did."""
    mailbox = db.session.get(Mailbox, mailbox_id)
    if mailbox is not None:
        mailbox.fetched_at = utcnow()
        mailbox.last_error = problem[:2000] if problem else None
        commit()


def fetch_mailbox(mailbox: Mailbox) -> MailboxPass:
    """One pass over one mailbox; a connection problem is noted on it, never raised."""
    mailbox_id, name = mailbox.id, mailbox.name
    try:
        result = fetch_account(account_of(mailbox))
    except FetchProblem as exc:
        result = MailboxPass(name, problem=str(exc))
    except (OSError, IMAPClientError) as exc:  # the connection broke midway
        result = MailboxPass(name, problem=f"{PROTOCOL}: {exc}")
    except Exception as exc:  # noqa: BLE001 - one mailbox's surprise must not stop the others
        log.exception("Mailbox %s: the pass failed", name)
        result = MailboxPass(name, problem=f"{PROTOCOL}: {type(exc).__name__}: {exc}")
    if result.problem:
        log.warning("Mailbox %s could not be read: %s", name, result.problem)
    db.session.rollback()
    _record(mailbox_id, result.problem)
    return result


def run_pass(name: str | None = None) -> PassResult:
    """Read every active mailbox (or the one named) once."""
    with write_transactions():
        return _run_pass(name)


def _run_pass(name: str | None) -> PassResult:
    query = select(Mailbox).where(Mailbox.active.is_(True)).order_by(Mailbox.id)
    if name is not None:
        query = select(Mailbox).where(Mailbox.name == name)
    mailboxes = db.session.scalars(query).all()
    result = PassResult()
    for mailbox in mailboxes:
        result.mailboxes.append(fetch_mailbox(mailbox))
    return result


def init_app(app: Flask) -> None:
    """Without Redis (no worker), each web process reads the mailboxes every MAIL_FETCH_SECONDS."""
    worker.tick_without_redis(app, "mail-fetch", "MAIL_FETCH_SECONDS", run_pass)
