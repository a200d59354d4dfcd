"""The history as an Excel workbook, streamed in constant memory (openpyxl write-only)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import IO, Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from forms_engine import Field

from ..catalog.versions import compiled
from ..extensions import db
from ..models import TicketTypeVersion
from .data import Row
from .metrics import Report

# Spreadsheet programs run a cell that starts with one of these as a formula (CVE-2019-14749).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(sheet: WriteOnlyWorksheet, value: str) -> Any:
    """A string cell that is never read as a formula."""
    if value.startswith(FORMULA_START):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _naive(value: datetime | None) -> datetime | None:
    """Excel has no time zones: write UTC wall time (the summary says so)."""
    return value.replace(tzinfo=None) if value is not None else None


class Labels:
    """Option labels per form version, compiled once per version (not per row)."""

    def __init__(self, locale: str) -> None:
        from ..i18n import plain_labels

        self.locale = locale
        self.cache: dict[int, dict[str, dict[Any, str]]] = {}
        # Status, priority and channel names resolved once, not three gettext calls per row.
        self.plain = plain_labels()

    def of(self, version_id: int) -> dict[str, dict[Any, str]]:
        """Field name → option value → label, for one version."""
        if version_id not in self.cache:
            version = db.session.get(TicketTypeVersion, version_id)
            fields = compiled(version).describe() if version else []
            self.cache[version_id] = {f.name: dict(f.option_labels(self.locale))
                                      for f in fields if f.path.count("/") == 1}
        return self.cache[version_id]


def custom_value(field: Field, value: Any, labels: dict[Any, str]) -> Any:
    """A custom value as a typed cell value: dates as dates, numbers as numbers, labels."""
    if value is None:
        return None
    if field.type == "file":
        return len(value) if isinstance(value, list) else None
    if isinstance(value, list):
        return ", ".join(str(labels.get(v, v)) for v in value)
    if field.format == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if field.format == "date-time" and isinstance(value, str):
        try:
            return _naive(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, bool | int | float):
        return value
    return labels.get(value, value)


def headers(fields: list[Field], locale: str) -> list[str]:
    """Column titles: the fixed ones, then one per custom field."""
    fixed = [_("Number"), _("Type"), _("Form version"), _("Subject"), _("Status"),
             _("Priority"), _("Area"), _("Channel"), _("Requester"), _("Assigned to"),
             _("Created (UTC)"), _("First response (UTC)"), _("Resolved (UTC)"),
             _("Closed (UTC)"), _("First response (hours)"), _("Resolution (hours)"),
             _("Rating"), _("Rating comment")]
    return fixed + [f.label(locale) for f in fields]


def _row_values(sheet: WriteOnlyWorksheet, row: Row, fields: list[Field], labels: Labels) -> list:
    """One ticket's cells."""
    text = lambda v: text_cell(sheet, v) if isinstance(v, str) else v  # noqa: E731
    plain = labels.plain
    values = [row.number, text(row.type_name), row.version, text(row.subject),
              plain["status"].get(row.status, row.status),
              plain["priority"].get(row.priority, row.priority), text(row.area or ""),
              plain["channel"].get(row.channel, row.channel), text(row.requester),
              text(row.assignee or ""), _naive(row.created_at), _naive(row.first_response_at),
              _naive(row.resolved_at), _naive(row.closed_at), row.first_response_hours,
              row.resolution_hours, row.rating, text(row.comment or "")]
    version_labels = labels.of(row.version_id)
    for field in fields:
        value = custom_value(field, (row.data or {}).get(field.name),
                             version_labels.get(field.name, {}))
        values.append(text(value))
    return values


def write(out: IO[bytes], rows: Iterable[Row], fields: list[Field],
          summary: Callable[[], list[list[Any]]], locale: str,
          progress: Callable[[int], None] = lambda _n: None) -> int:
    """Write the workbook to a binary stream; return the number of tickets written.

    summary() is called after the rows, so figures can be gathered while streaming.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Tickets"))
    sheet.append(headers(fields, locale))
    labels = Labels(locale)
    written = 0
    for row in rows:
        sheet.append(_row_values(sheet, row, fields, labels))
        written += 1
        if written % 1000 == 0:
            progress(written)
    figures = book.create_sheet(_("Summary"))
    for line in summary():
        figures.append([text_cell(figures, v) if isinstance(v, str) else v for v in line])
    book.save(out)
    progress(written)
    return written


def summary_rows(report: Report) -> list[list[Any]]:
    """The summary sheet: totals, attention times and satisfaction per group."""
    t = report.total
    lines: list[list[Any]] = [
        [_("Tickets"), t.tickets], [_("Closed"), t.closed],
        [_("First response, median (hours)"), t.first_median],
        [_("First response, 90th percentile (hours)"), t.first_p90],
        [_("Resolution, median (hours)"), t.resolution_median],
        [_("Resolution, 90th percentile (hours)"), t.resolution_p90],
        [_("Average rating"), t.rating_average], [_("Rating response rate"), t.response_rate],
        [_("Times are in UTC.")], [],
        [_("Group"), _("Name"), _("Tickets"), _("First response, median (hours)"),
         _("Resolution, median (hours)"), _("Average rating")],
    ]
    for title, groups in ((_("Collaborator"), report.by_collaborator),
                          (_("Area"), report.by_area), (_("Type"), report.by_type)):
        for name, times in sorted(groups.items()):
            lines.append([title, name, times.tickets, times.first_median,
                          times.resolution_median, times.rating_average])
    return lines
