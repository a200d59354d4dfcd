"""Report and export services: the filtered, visible tickets and what is made of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from urllib.parse import parse_qsl

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select
from werkzeug.datastructures import MultiDict

from forms_engine import Field

from ..catalog.versions import compiled, current_version
from ..models import Area, Ticket, TicketType, User, utcnow
from ..tickets.filters import Filters, parse
from ..tickets.listing import filtered
from ..zones import organisation_zone
from . import data, excel, metrics, pdf

PDF_MAX_ROWS = 1000  # tickets listed in the PDF report; its figures count them all


def can_report(user: User) -> bool:
    """Administrators always; collaborators when enabled, for their own areas."""
    return user.is_admin or (user.is_staff and current_app.config["REPORTS_FOR_COLLABORATORS"])


def selection(
    user: User, query: str
) -> tuple[Filters, Select[Any], TicketType | None, list[Field]]:
    """Parse the filters (history view) and build the visible, filtered ticket query."""
    args = MultiDict(parse_qsl(query, keep_blank_values=False))
    args.setdefault("view", "historial")
    f = parse(args)
    base, ticket_type, _fields = filtered(f, user)
    if not user.is_admin:  # collaborators report on their own areas only
        base = base.where(Ticket.area_id.in_([a.id for a in user.areas]))
    columns = _export_fields(ticket_type)
    return f, base, ticket_type, columns


def _export_fields(ticket_type: TicketType | None) -> list[Field]:
    """One typed column per top-level custom field of the chosen type's current form."""
    if ticket_type is None or (version := current_version(ticket_type)) is None:
        return []
    return [
        f
        for f in compiled(version).describe()
        if f.path.count("/") == 1 and f.type != "object" and f.widget != "group"
    ]


def build_report(base: Select[Any], zone: str) -> metrics.Report:
    """Aggregate the selected tickets, by the weeks of a zone (the reader's)."""
    return metrics.build(data.export_rows(base, custom=False), _("(none)"), zone)


def excel_to(
    out: IO[bytes],
    user: User,
    query: str,
    locale: str,
    progress: Callable[[int], None] = lambda _n: None,
) -> int:
    """Write the Excel export of a filtered selection to a stream."""
    _f, base, _t, fields = selection(user, query)
    summary = metrics.Summary(_("(none)"))  # gathered in the same pass as the rows
    zone = organisation_zone()  # one zone for a file that is passed around
    return excel.write(
        out,
        data.export_rows(base, custom=bool(fields)),
        fields,
        lambda: excel.summary_rows(summary.report(), zone),
        locale,
        progress,
        observe=summary.add,
        zone=zone,
    )


def pdf_to(
    out: IO[bytes],
    user: User,
    query: str,
    _locale: str = "",
    progress: Callable[[int], None] = lambda _n: None,
) -> int:
    """Write the period report of a filtered selection as PDF, with its first tickets listed."""
    f, base, ticket_type, _fields = selection(user, query)
    rows = _counted(data.export_rows(base, custom=False), progress)
    report = metrics.build(rows, _("(none)"), organisation_zone())  # the PDF's zone
    listing = list(data.rows(base, limit=PDF_MAX_ROWS))
    out.write(
        pdf.render(
            "reports/report_pdf.html",
            report=report,
            f=f,
            ticket_type=ticket_type,
            listing=pdf.chunks(listing),
            total=report.total.tickets,
            limit=PDF_MAX_ROWS,
            generated=utcnow(),
        )
    )
    return report.total.tickets


def _counted(
    rows: Iterable[Any], progress: Callable[[int], None], every: int = 2000
) -> Iterator[Any]:
    """Pass rows through, telling progress how many have gone by."""
    seen = 0
    for seen, row in enumerate(rows, 1):
        if seen % every == 0:
            progress(seen)
        yield row
    progress(seen)


def areas_of(user: User) -> list[Area]:
    """Areas a collaborator reports on."""
    return list(user.areas)
