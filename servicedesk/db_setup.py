"""Database engine tuning: SQLite pragmas and write transactions for many writers at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .extensions import db

# Requests that only read; every other method is a request that writes.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Set on flask.g once the request's unit of work committed (unit_of_work.commit).
REQUEST_COMMITTED = "unit_of_work_committed"
# Set by write_transactions(): work outside a request whose every transaction writes.
_WRITING: ContextVar[bool] = ContextVar("sqlite_write_transactions", default=False)


@contextmanager
def write_transactions() -> Iterator[None]:
    """Outside a request, begin each transaction with SQLite's write lock (BEGIN IMMEDIATE).

    For a loop that reads then writes while other threads write too (the IMAP fetch, with
    the courier delivering the previous message's mail): without it a transaction that read
    first is refused at its first write whatever the busy timeout (see _begin). The
    setting is this thread's (a context variable), so the courier's own are left alone.
    """
    token = _WRITING.set(True)
    try:
        yield
    finally:
        _WRITING.reset(token)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Turn on WAL, a busy timeout and foreign keys for each SQLite connection."""
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while one writer writes; the timeout queues writers
    # instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin(conn: Connection) -> None:
    """Choose how a transaction starts: requests take a snapshot, writing ones the lock.

    A deferred transaction that read first and writes later cannot wait for the lock: if
    another writer committed in between, SQLite refuses it at once (SQLITE_BUSY_SNAPSHOT,
    "database is locked") whatever the busy timeout. A request that writes (POST, PUT,
    PATCH, DELETE) therefore takes the write lock at BEGIN IMMEDIATE, and simultaneous
    writers queue on the busy timeout; a page (GET) reads from one consistent snapshot and
    never waits (WAL). Outside requests (commands, jobs, tests), and in what a request does
    after its unit of work committed (handing off mail, starting a job on another
    connection, which must not wait for a lock this request holds), the driver keeps its
    own habit of beginning at the first write, which waits on the busy timeout too.
    """
    dbapi_connection = conn.connection.dbapi_connection
    if _WRITING.get():
        dbapi_connection.isolation_level = None  # type: ignore[union-attr]
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    if not has_request_context() or g.get(REQUEST_COMMITTED):
        dbapi_connection.isolation_level = ""  # type: ignore[union-attr]
        return
    # The driver's implicit BEGIN is switched off so that ours is the only one.
    dbapi_connection.isolation_level = None  # type: ignore[union-attr]
    writes = request.method not in SAFE_METHODS
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def init_app(app: Flask) -> None:
    """Install the per-connection hooks once the engine exists."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine: Engine = db.engine
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin)
