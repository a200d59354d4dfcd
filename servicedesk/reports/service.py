"""Report and export services: the filtered, visible tickets and what is made of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import IO, Any
from urllib.parse import parse_qsl

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, select
from werkzeug.datastructures import MultiDict

from forms_engine import Field

from ..catalog.versions import compiled, current_version
from ..extensions import db
from ..models import Area, Channel, Priority, Status, Ticket, TicketType, User, utcnow
from ..tickets.filters import Filters, iso_query, parse
from ..tickets.listing import filtered
from ..zones import organisation_zone, zone_of
from . import aggregate, cache, charts, compliance, data, excel, metrics, pdf

PDF_MAX_ROWS = 1000  # tickets listed in the PDF report; its figures count them all


def can_report(user: User) -> bool:
    """Administrators always; collaborators when enabled, for their own areas."""
    return user.is_admin or (user.is_staff and current_app.config["REPORTS_FOR_COLLABORATORS"])


def selection(
    user: User, query: str, locale: str | None = None, problems: dict[str, str] | None = None
) -> tuple[Filters, Select[Any], TicketType | None, list[Field]]:
    """Parse the filters (history view) and build the visible, filtered ticket query.

    ``locale`` and ``problems`` as in filters.parse: the report page's own form.
    """
    args = MultiDict(parse_qsl(query, keep_blank_values=False))
    args.setdefault("view", "historial")
    f = parse(args, locale, problems)
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


def report_types() -> list[tuple[str, str]]:
    """The ticket types a report may be narrowed to, as (key, name), by name."""
    rows = db.session.execute(select(TicketType.key, TicketType.name).order_by(TicketType.name))
    return [(key, name) for key, name in rows]


def period_of(f: Filters, report: metrics.Report) -> tuple[date | None, date | None]:
    """The period reported on: the filter's dates, else the first and last day filed."""
    days = report.opened.keys()
    first = f.created_from or (min(days) if days else None)
    last = f.created_to or (max(days) if days else None)
    return first, last


def described(f: Filters, ticket_type: TicketType | None) -> list[tuple[str, str]]:
    """The filters in force, as (name, value) in the reader's language, for every PDF page."""
    found: list[tuple[str, str]] = []
    if ticket_type is not None:
        found.append((_("Type"), ticket_type.name))
    if f.statuses:
        found.append((_("Status"), ", ".join(str(Status.label_of(s)) for s in f.statuses)))
    if f.priorities:
        found.append((_("Priority"), ", ".join(str(Priority.label_of(p)) for p in f.priorities)))
    if f.area_id is not None and (area := db.session.get(Area, f.area_id)) is not None:
        found.append((_("Area"), area.name))
    if f.channel:
        found.append((_("Channel"), str(Channel.label_of(f.channel))))
    if f.assignee == "none":
        found.append((_("Assigned to"), _("Nobody")))
    elif isinstance(f.assignee, int) and (person := db.session.get(User, f.assignee)):
        found.append((_("Assigned to"), person.name))
    if f.rating is not None:
        found.append((_("Rating"), str(f.rating)))
    if f.q:
        found.append((_("Searched for"), f.q))
    return found


def report_page(user: User, query: str, locale: str) -> dict[str, Any]:
    """What the report page shows: figures, charts, period, the filters and the types.

    A date its form sent that cannot be read is left out and explained at its input
    (``date_problems``); the links to the exports carry the dates ISO (``query``).
    """
    problems: dict[str, str] = {}
    f, base, ticket_type, _fields = selection(user, query, locale, problems)
    zone = zone_of(user)
    report, levels = build_report(base, zone, cache.usable(f, user, zone))
    return {
        "date_problems": problems,
        "query": iso_query(MultiDict(parse_qsl(query, keep_blank_values=False)), f)[:2000],
        "locale": locale,
        "report": report,
        "compliance": levels,
        "charts": {
            **charts.for_report(report),
            "compliance": charts.for_compliance(levels, report),
        },
        "spread_labels": charts.spread_labels(),
        "period": period_of(f, report),
        "types": report_types(),
        "f": f,
        "ticket_type": ticket_type,
    }


def build_report(
    base: Select[Any], zone: str, cached: aggregate.Cached | None = None
) -> tuple[metrics.Report, compliance.ComplianceReport]:
    """Aggregate the selected tickets in the database, by the days of a zone (the reader's):
    the attention figures and the service-level compliance, from one grouped pass (the
    cached months' settled tickets read from the monthly cache, see reports/cache.py)."""
    parts = current_app.config["REPORT_PARALLEL_QUERIES"]
    return aggregate.build_both(base, _("(none)"), zone, parts=parts, cached=cached)


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
    zone = organisation_zone()  # the PDF's
    report, levels = build_report(base, zone, cache.usable(f, user, zone))
    listing = list(data.rows(base, limit=PDF_MAX_ROWS))
    progress(report.total.tickets)
    out.write(
        pdf.render(
            "reports/report_pdf.html",
            report=report,
            compliance=levels,
            charts={
                **charts.for_report(report),
                "compliance": charts.for_compliance(levels, report),
            },
            period=period_of(f, report),
            filters=described(f, ticket_type),
            f=f,
            ticket_type=ticket_type,
            listing=pdf.chunks(listing),
            total=report.total.tickets,
            limit=PDF_MAX_ROWS,
            generated=utcnow(),
        )
    )
    return report.total.tickets


def areas_of(user: User) -> list[Area]:
    """Areas a collaborator reports on."""
    return list(user.areas)
