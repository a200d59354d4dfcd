"""The current version joined with its type when filing is the current one, or is looked up."""

from __future__ import annotations

from sqlalchemy import event

from servicedesk.catalog.versions import current_version, filing_type, publish
from servicedesk.extensions import db
from servicedesk.models import TicketType
from tests.factories import SIMPLE_SCHEMA, make_type


def test_joined_version_is_used_while_current_and_not_after_a_publish(app, admin):
    make_type()
    db.session.expunge_all()
    ticket_type = db.session.scalar(filing_type().where(TicketType.key == "soporte"))
    seen: list[str] = []

    def count(*args) -> None:  # noqa: ANN002
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert current_version(ticket_type).number == 1 and seen == []  # no second query
        publish(ticket_type, {**SIMPLE_SCHEMA, "title": "Otra"}, {}, admin)
        assert current_version(ticket_type).number == 2  # the joined v1 is not taken
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
