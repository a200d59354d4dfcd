"""The history as an Excel workbook, streamed in constant memory (openpyxl write-only)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet import _writer as sheet_writer
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from forms_engine import Field

from ..catalog.versions import compiled
from ..extensions import db
from ..i18n import plain_labels
from ..models import TicketTypeVersion, utcnow
from ..sla import clock
from ..vocabulary import SlaOutcome
from ..zones import local
from .data import hours
from .metrics import Report

# Number formats of the typed columns: hours with two decimals, date-times to the minute
# (UTC, as the headers say), ratings as whole numbers.
HOURS_FORMAT, DATE_TIME_FORMAT, WHOLE_FORMAT = "0.00", "yyyy-mm-dd hh:mm", "0"
# Widths (in characters) of the fixed columns, in headers() order; custom columns get CUSTOM_WIDTH.
WIDTHS = (9, 16, 10, 40, 14, 11, 16, 11, 24, 24, 17, 17, 17, 17, 12, 12, 9, 40) + (
    24,
    17,
    17,
    14,
    14,
    12,
    12,
    14,
)
CUSTOM_WIDTH = 18

# Spreadsheet programs run a cell that starts with one of these as a formula (CVE-2019-14749).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# A write-only sheet is buffered in a scratch file as large as the sheet. openpyxl puts it in
# the system's temp folder and removes it at exit, which a killed worker never reaches: a
# background export chooses a folder of its own (scratch_in), removed with the export's other
# leftovers. The folder is per context, so threads exporting at once keep theirs apart.
_scratch_dir: ContextVar[str | None] = ContextVar("excel_scratch_dir", default=None)
_system_temporary_file = sheet_writer.create_temporary_file


def _temporary_file(suffix: str = "") -> str:
    """openpyxl's scratch file for a write-only sheet, in this context's folder if it has one."""
    folder = _scratch_dir.get()
    if folder is None:
        return _system_temporary_file(suffix)
    fd, name = tempfile.mkstemp(suffix=suffix, prefix="openpyxl.", dir=folder)
    os.close(fd)
    sheet_writer.ALL_TEMP_FILES.append(name)  # openpyxl's own list: it removes it once saved
    return name


sheet_writer.create_temporary_file = _temporary_file


@contextmanager
def scratch_in(folder: Path) -> Iterator[None]:
    """Keep the scratch files of workbooks written in this block inside a folder."""
    token = _scratch_dir.set(str(folder))
    try:
        yield
    finally:
        _scratch_dir.reset(token)


def text_cell(sheet: WriteOnlyWorksheet, value: str) -> Any:
    """A string cell that is never read as a formula."""
    if value.startswith(FORMULA_START):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _naive(value: datetime | None, zone: str = "UTC") -> datetime | None:
    """Excel has no time zones: a custom date-time is written as the wall time of the
    export's zone (the organisation's, named in the headers); one stored without an offset
    as the wall time it says."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(ZoneInfo(zone))
    return value.replace(tzinfo=None)


def wall_time(zone: str) -> Callable[[datetime | None], datetime | None]:
    """Naive UTC (as export rows hold it) to the zone's wall time; Excel has no time zones,
    so the headers and the summary name the zone."""
    if zone == "UTC":
        return lambda value: value
    return lambda value: None if value is None else local(value, zone)


class Labels:
    """Option labels per form version, compiled once per version (not per row)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.cache: dict[int, dict[str, dict[Any, str]]] = {}
        # Status, priority and channel names resolved once, not three gettext calls per row.
        self.plain = plain_labels()

    def of(self, version_id: int) -> dict[str, dict[Any, str]]:
        """Field name → option value → label, for one version."""
        if version_id not in self.cache:
            version = db.session.get(TicketTypeVersion, version_id)
            fields = compiled(version).describe() if version else []
            self.cache[version_id] = {
                f.name: dict(f.option_labels(self.locale)) for f in fields if f.path.count("/") == 1
            }
        return self.cache[version_id]


def custom_value(field: Field, value: Any, labels: dict[Any, str], zone: str = "UTC") -> Any:
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
            return _naive(datetime.fromisoformat(value), zone)
        except ValueError:
            return value
    if isinstance(value, bool | int | float):
        return value
    return labels.get(value, value)


def headers(fields: list[Field], locale: str, zone: str) -> list[str]:
    """Column titles: the fixed ones (the times' with their zone), then one per custom field."""
    fixed = [
        _("Number"),
        _("Type"),
        _("Form version"),
        _("Subject"),
        _("Status"),
        _("Priority"),
        _("Area"),
        _("Channel"),
        _("Requester"),
        _("Assigned to"),
        _("Created (%(zone)s)", zone=zone),
        _("First response (%(zone)s)", zone=zone),
        _("Resolved (%(zone)s)", zone=zone),
        _("Closed (%(zone)s)", zone=zone),
        _("First response (hours)"),
        _("Resolution (hours)"),
        _("Rating"),
        _("Rating comment"),
        # Service levels: the policy, the dues, met or missed, business time taken, state now.
        _("Policy"),
        _("First response due (%(zone)s)", zone=zone),
        _("Resolution due (%(zone)s)", zone=zone),
        _("First response target"),
        _("Resolution target"),
        _("First response (business hours)"),
        _("Resolution (business hours)"),
        _("Service level"),
    ]
    return fixed + [f.label(locale) for f in fields]


def _guard(sheet: WriteOnlyWorksheet) -> Callable[[Any], Any]:
    """text_cell() for any value: strings are guarded, other values pass unchanged."""
    return lambda v: text_cell(sheet, v) if isinstance(v, str) else v


# A custom date column reads as the language writes dates (19/12/2026 in Spanish); the cell
# stays a date. Other languages keep openpyxl's ISO format.
EXCEL_DATE_FORMATS = {"es": "dd/mm/yyyy"}


def _dated(sheet: WriteOnlyWorksheet, locale: str) -> Callable[[str], Any]:
    """date.fromisoformat, as a cell with the language's date format when it has one."""
    number_format = EXCEL_DATE_FORMATS.get(locale)
    if number_format is None:
        return date.fromisoformat

    def cell(value: str) -> Any:
        styled = WriteOnlyCell(sheet, value=date.fromisoformat(value))
        styled.number_format = number_format
        return styled

    return cell


def _custom_converter(
    field: Field,
    labels: dict[Any, str],
    guard: Callable[[Any], Any],
    dated: Callable[[str], Any] = date.fromisoformat,
    zone: str = "UTC",
) -> Callable[[Any], Any]:
    """custom_value() then the formula guard, specialised once per column and form version.

    Called with non-None values only (a missing value is an empty cell).
    """
    if field.type == "file":
        return lambda value: custom_value(field, value, labels, zone)
    parse: Callable[[str], Any] | None = None
    if field.format == "date":
        parse = dated
    elif field.format == "date-time":
        parse = lambda v: _naive(datetime.fromisoformat(v), zone)  # noqa: E731
    get = labels.get

    # Cases in custom_value()'s order: a list (any field type), a date or date-time string,
    # a number or boolean, anything else through the option labels.
    def convert(value: Any) -> Any:
        if isinstance(value, str):
            if parse is not None:
                try:
                    return parse(value)
                except ValueError:
                    return guard(value)
            return guard(get(value, value))
        if isinstance(value, list):
            return guard(", ".join(str(get(v, v)) for v in value))
        if isinstance(value, bool | int | float):
            return value
        return guard(get(value, value))

    return convert


def _formatted(sheet: WriteOnlyWorksheet, number_format: str) -> Callable[[Any], Any]:
    """A function giving a value the cell format of its column (None stays an empty cell).

    One cell per column is reused: the write-only sheet writes a row's cells as soon as the
    row is appended, so the cell is free again for the next row.
    """
    cell = WriteOnlyCell(sheet)
    cell.number_format = number_format

    def formatted(value: Any) -> Any:
        if value is None:
            return None
        cell.value = value
        return cell

    return formatted


def business_hours(secs: int | None) -> float | None:
    """Business seconds as hours, rounded to hundredths (None while not measured)."""
    return None if secs is None else round(secs / 3600, 2)


def row_converter(
    sheet: WriteOnlyWorksheet, fields: list[Field], labels: Labels, zone: str = "UTC"
) -> Callable[[Any], list[Any]]:
    """A function from one export row (data.export_select's columns) to its cells.

    Everything known per column is decided here, once: the label tables, which columns are
    text (only those go through the formula guard; numbers and dates never need it), each
    custom column's conversion per form version. The service-level state is the one of the
    moment the export starts, for every row (clock.state, as the lists derive it).
    """
    start = FORMULA_START
    safe = lambda v: text_cell(sheet, v)  # noqa: E731 - only for the rare risky string
    status_label = labels.plain["status"].get
    priority_label = labels.plain["priority"].get
    channel_label = labels.plain["channel"].get
    guard = _guard(sheet)
    names = [f.name for f in fields]
    at = wall_time(zone)
    dated = _dated(sheet, labels.locale)
    per_version: dict[int, list[Callable[[Any], Any]]] = {}
    created_at, first_at, resolved_at, closed_at = (
        _formatted(sheet, DATE_TIME_FORMAT) for _n in range(4)
    )
    first_hours, resolution_hours = (_formatted(sheet, HOURS_FORMAT) for _n in range(2))
    whole = _formatted(sheet, WHOLE_FORMAT)
    response_due_at, resolution_due_at = (_formatted(sheet, DATE_TIME_FORMAT) for _n in range(2))
    response_taken, resolution_taken = (_formatted(sheet, HOURS_FORMAT) for _n in range(2))
    # Each clock's verdict as its label: missed (late, or past due now), met, or empty.
    outcomes = {True: str(SlaOutcome.MISSED.label), False: str(SlaOutcome.MET.label)}

    def outcome(found: bool | None) -> str | None:
        return None if found is None else outcomes[found]

    verdict = clock.verdict
    state_label = labels.plain["sla"].__getitem__
    now = utcnow().replace(tzinfo=None)  # naive UTC, as the rows' instants
    state = clock.state
    Clocks = clock.Clocks  # noqa: N806 - the class, looked up once

    def converters(version_id: int) -> list[Callable[[Any], Any]]:
        found = per_version.get(version_id)
        if found is None:
            of_version = labels.of(version_id)
            found = per_version[version_id] = [
                _custom_converter(f, of_version.get(f.name, {}), guard, dated, zone) for f in fields
            ]
        return found

    def convert(row: Any) -> list[Any]:
        (
            number,
            type_name,
            version,
            subject,
            status,
            priority,
            area,
            channel,
            requester,
            assignee,
            created,
            first,
            resolved,
            closed,
            rating,
            comment,
            policy,
            response_due,
            resolution_due,
            response_breached,
            resolution_breached,
            response_secs,
            resolution_secs,
            phase,
            next_due,
            warn_at,
            version_id,
            data,
        ) = row
        area = area or ""
        assignee = assignee or ""
        comment = comment or ""
        policy = policy or ""
        values = [
            number,
            safe(type_name) if type_name.startswith(start) else type_name,
            version,
            safe(subject) if subject.startswith(start) else subject,
            status_label(status, status),
            priority_label(priority, priority),
            safe(area) if area.startswith(start) else area,
            channel_label(channel, channel),
            safe(requester) if requester.startswith(start) else requester,
            safe(assignee) if assignee.startswith(start) else assignee,
            created_at(at(created)),
            first_at(at(first)),
            resolved_at(at(resolved)),
            closed_at(at(closed)),
            first_hours(hours(created, first)),
            resolution_hours(hours(created, resolved)),
            whole(rating),
            safe(comment) if comment.startswith(start) else comment,
            safe(policy) if policy.startswith(start) else policy,
            response_due_at(at(response_due)),
            resolution_due_at(at(resolution_due)),
            outcome(verdict(response_breached, response_secs, response_due, phase, now)),
            outcome(verdict(resolution_breached, resolution_secs, resolution_due, phase, now)),
            response_taken(business_hours(response_secs)),
            resolution_taken(business_hours(resolution_secs)),
            state_label(state(Clocks(phase=phase, next_due=next_due, warn_at=warn_at), now)),
        ]
        if names:
            data = data or {}
            for name, conv in zip(names, converters(version_id), strict=True):
                value = data.get(name)
                values.append(None if value is None else conv(value))
        return values

    return convert


def write(
    out: IO[bytes],
    rows: Iterable[Any],
    fields: list[Field],
    summary: Callable[[], list[list[Any]]],
    locale: str,
    progress: Callable[[int], None] = lambda _n: None,
    observe: Callable[[Any], None] | None = None,
    zone: str = "UTC",
) -> int:
    """Write the workbook to a binary stream; return the number of tickets written.

    rows are export rows (data.export_rows()); observe(row), if given, sees each one as it is
    written, and summary() is called after the rows, so figures can be gathered while
    streaming. Times are written as the wall time of `zone` (the organisation's).
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Tickets"))
    titles = headers(fields, locale, zone)
    # A write-only sheet writes its view and columns before the first row: set them now.
    sheet.freeze_panes = "A2"  # the header row stays in view
    for index, width in enumerate(WIDTHS + (CUSTOM_WIDTH,) * len(fields), 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append(titles)
    convert = row_converter(sheet, fields, Labels(locale), zone)
    append = sheet.append
    written = 0
    for row in rows:
        append(convert(row))
        if observe is not None:
            observe(row)
        written += 1
        if written % 1000 == 0:
            progress(written)
    # The filter's range is written after the rows, so it can span them all.
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{written + 1}"
    figures = book.create_sheet(_("Summary"))
    figures.column_dimensions["A"].width = 40  # the figures' names
    figures.column_dimensions["B"].width = 24
    for line in summary():
        figures.append([text_cell(figures, v) if isinstance(v, str) else v for v in line])
    book.save(out)
    progress(written)
    return written


def summary_rows(report: Report, zone: str = "UTC") -> list[list[Any]]:
    """The summary sheet: totals, attention times and satisfaction per group."""
    t = report.total
    lines: list[list[Any]] = [
        [_("Tickets"), t.tickets],
        [_("Closed"), t.closed],
        [_("First response, median (hours)"), t.first_median],
        [_("First response, 90th percentile (hours)"), t.first_p90],
        [_("Resolution, median (hours)"), t.resolution_median],
        [_("Resolution, 90th percentile (hours)"), t.resolution_p90],
        [_("Average rating"), t.rating_average],
        [_("Rating response rate"), t.response_rate],
        [_("Dates and times in %(zone)s time.", zone=zone)],
        [],
        [
            _("Group"),
            _("Name"),
            _("Tickets"),
            _("First response, median (hours)"),
            _("Resolution, median (hours)"),
            _("Average rating"),
        ],
    ]
    for title, groups in (
        (_("Collaborator"), report.by_collaborator),
        (_("Area"), report.by_area),
        (_("Type"), report.by_type),
    ):
        for name, times in sorted(groups.items()):
            lines.append(
                [
                    title,
                    name,
                    times.tickets,
                    times.first_median,
                    times.resolution_median,
                    times.rating_average,
                ]
            )
    return lines
