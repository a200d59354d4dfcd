"""The report's figures grouped in the database: a few hundred rows back, none per ticket.

One grouped query and one short list make the whole report (page and PDF):

- the *cube*: one row per combination of type, area, assignee and priority, with its counts and
  ratings and, as comma-separated texts (group_concat / string_agg, split and counted or
  sorted in C, no Python per ticket): the exact elapsed microseconds to first response and
  to resolution (kept on each row, models.tickets.elapsed_us: for the medians and 90th
  percentiles), the statuses and channels (counted per value), the UTC time buckets the
  tickets were opened and closed in (an hour, or a half or quarter hour for zones with such
  offsets; mapped to the reader's local days here), the UTC bucket of each rating (of its
  closure: the reader's day too) and the numbers of the rated tickets;
- the ten latest rating comments, read by those numbers, latest first, a few at a time.

The cube reads the filtered query's own WHERE (no IN list of ids): one pass over the tickets,
and for a period alone that pass reads the covering index ix_tickets_report, not the rows.

The figures are those of the row-by-row computation (tests/reports_reference.py), exactly:
hours are rounded to hundredths as data.hours() rounds them, applied to the order statistics
only (rounding is monotonic, so it commutes with sorting); the attention-time buckets are
found by bisecting the sorted microseconds with the same rounding.

To add a grouped figure (say, SLA compliance per collaborator, area and type): add its
aggregate column to cube_columns() (a count, a sum, or joined() microseconds), read it in
Group.add() and give Figures a field that Group.figures() fills with one small function.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from math import gcd
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import Engine

from ..extensions import db
from ..models import (
    Area,
    Feedback,
    ReportChange,
    ReportCubeRow,
    ReportMonth,
    SlaPhase,
    Ticket,
    TicketType,
    User,
    utcnow,
)
from . import compliance
from .metrics import HOUR_EDGES, Figures, Report, p90_index

# ------------------------------------------------------------------ SQL expressions


def dialect_name() -> str:
    """The database's dialect name (the expressions below differ per database); "sqlite+"
    for an SQLite with unixepoch() (3.38), which reads a date faster than strftime()."""
    dialect = db.session.get_bind().dialect
    if dialect.name == "sqlite" and getattr(dialect.dbapi, "sqlite_version_info", ()) >= (3, 38):
        return "sqlite+"
    return str(dialect.name)


def joined(value: Any, dialect: str) -> ColumnElement[str]:
    """A group's non-null values as one comma-separated text (NULL when none)."""
    if dialect == "postgresql":
        return func.string_agg(cast(value, String), literal_column("','"))
    return func.group_concat(value)


def _seconds(minutes: int) -> int:
    """A bucket's length in seconds (minutes=0: a day)."""
    return (minutes or 1440) * 60


def utc_bucket(value: Any, minutes: int, dialect: str) -> ColumnElement[Any]:
    """The UTC time bucket a stored date-time falls in: its day (minutes=0), or its hour,
    half or quarter hour. SQLite: the text's start ('YYYY-MM-DD HH'); PostgreSQL: the
    bucket's number since 1970. bucket_start() reads both."""
    if dialect == "postgresql":
        unit = "day" if minutes == 0 else "hour" if minutes == 60 else "minute"
        wall = func.date_trunc(unit, func.timezone("UTC", value))
        return _whole_seconds(wall).op("/")(_seconds(minutes))
    if minutes == 0:
        return func.substr(value, 1, 10)
    if minutes == 60:
        return func.substr(value, 1, 13)
    part = cast(func.substr(value, 15, 2), Integer).op("/")(minutes) * minutes
    return func.substr(value, 1, 14).op("||")(func.printf("%02d", part))


def month_key(value: Any, dialect: str) -> ColumnElement[Any]:
    """A stored date-time's UTC month, comparable with cached_month() of its 'YYYY-MM'."""
    if dialect == "postgresql":  # date_trunc: a third of to_char's time over a year's rows
        return func.date_trunc("month", func.timezone("UTC", value))
    return func.substr(value, 1, 7)


def cached_month(month: Any, dialect: str) -> ColumnElement[Any]:
    """A 'YYYY-MM' of the cache (as migration 0024's triggers write it), like month_key()."""
    if dialect == "postgresql":
        return cast(month.op("||")("-01"), DateTime)
    return cast(month, String)


def _whole_seconds(wall: Any) -> ColumnElement[int]:
    """Seconds since 1970 of a PostgreSQL timestamp truncated to a whole minute or more."""
    return cast(func.date_part("epoch", wall), BigInteger)


def bucket_start(bucket: str, minutes: int) -> datetime:
    """A bucket's first moment (naive UTC) from utc_bucket()'s text."""
    if "-" in bucket:
        return datetime.fromisoformat(bucket)
    return EPOCH + timedelta(seconds=int(bucket) * _seconds(minutes))


def rated_bucket(ticket: Any, rating: Any, minutes: int, dialect: str) -> ColumnElement[Any]:
    """A rating with the UTC bucket of the closure it rates (of the filing for a ticket
    reopened since): 'bucket/5' on SQLite, bucket number × 10 + 5 on PostgreSQL."""
    bucket = utc_bucket(func.coalesce(ticket.closed_at, ticket.created_at), minutes, dialect)
    if dialect == "postgresql":
        return bucket * 10 + rating
    return bucket.op("||")("/").op("||")(rating)


def read_rated(item: str) -> tuple[str, int]:
    """The UTC bucket (as utc_bucket() gives it) and the rating of a rated_bucket() value."""
    if "/" in item:
        bucket, stars = item.rsplit("/", 1)
        return bucket, int(stars)
    number, rating = divmod(int(item), 10)
    return str(number), rating


EPOCH = datetime(1970, 1, 1)


# ------------------------------------------------------------------ local days


@lru_cache(maxsize=64)
def bucket_minutes(zone: str) -> int:
    """The coarsest UTC bucket that never straddles a local midnight of the zone.

    Local midnight is a whole hour of UTC when every offset the zone has used (since 1970,
    sampled weekly to 2040) is whole hours; half or quarter hours otherwise (India, Nepal,
    Lord Howe). 0 (whole UTC days) for UTC.
    """
    if zone == "UTC":
        return 0
    tz, step = ZoneInfo(zone), 60
    moment, end = datetime(1970, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC)
    while moment < end:
        offset = moment.astimezone(tz).utcoffset() or timedelta(0)
        step = gcd(step, int(offset.total_seconds()) // 60 % 60 or 60)
        moment += timedelta(days=7)
    return step


def _day_and_minute(bucket: str, minutes: int) -> tuple[str | int, int]:
    """A bucket's UTC day (as a key) and its first minute of that day."""
    if "-" in bucket:  # SQLite: 'YYYY-MM-DD', 'YYYY-MM-DD HH' or 'YYYY-MM-DD HH:MM'
        return bucket[:10], int(bucket[11:13] or 0) * 60 + int(bucket[14:16] or 0)
    seconds = int(bucket) * _seconds(minutes)
    return seconds // 86400, seconds % 86400 // 60


def _utc_date(key: str | int) -> date:
    """The date of a _day_and_minute() day key."""
    return date.fromisoformat(key) if isinstance(key, str) else EPOCH.date() + timedelta(key)


def local_days(buckets: Counter[str], zone: str, minutes: int) -> Counter[date]:
    """Counts per UTC bucket summed per local day of the zone.

    On a UTC day with one offset throughout, a bucket's local day is the day before, the day
    or the day after, by its minute plus the offset; a day with a change of offset converts
    each of its buckets.
    """
    result: Counter[date] = Counter()
    tz = ZoneInfo(zone)
    days: dict[str | int, tuple[tuple[date, date, date], int] | None] = {}
    last = timedelta(days=1) - timedelta(microseconds=1)
    for bucket, n in buckets.items():
        key, minute = _day_and_minute(bucket, minutes)
        if key not in days:
            day = _utc_date(key)
            first = datetime(day.year, day.month, day.day, tzinfo=UTC)
            before, after = (m.astimezone(tz).utcoffset() for m in (first, first + last))
            one = timedelta(days=1)
            days[key] = (
                ((day - one, day, day + one), int(before.total_seconds()) // 60)
                if before == after and before is not None
                else None
            )
        shifted = days[key]
        if shifted is not None:
            dates, offset = shifted
            result[dates[(minute + offset) // 1440 + 1]] += n
        else:
            start = bucket_start(bucket, minutes).replace(tzinfo=UTC)
            result[start.astimezone(tz).date()] += n
    return result


# ------------------------------------------------------------------ figures


def hours(us: float) -> float:
    """Elapsed microseconds as data.hours() rounds a timedelta (hours, to hundredths)."""
    return round(us / 1_000_000 / 3600, 2)


def median_hours(ordered: Sequence[float]) -> float | None:
    """The median of the rounded hours, as statistics.median and Times round it."""
    n = len(ordered)
    if not n:
        return None
    if n % 2:
        return round(hours(ordered[n // 2]), 2)
    return round((hours(ordered[n // 2 - 1]) + hours(ordered[n // 2])) / 2, 2)


def p90_hours(ordered: Sequence[float]) -> float | None:
    """The 90th percentile (nearest rank) of the rounded hours."""
    return hours(ordered[p90_index(len(ordered))]) if ordered else None


def spread(ordered: Sequence[float]) -> Counter[int]:
    """Tickets per attention-time bucket (metrics.spread_bucket of the rounded hours)."""
    result: Counter[int] = Counter()
    below = 0
    for i, edge in enumerate(HOUR_EDGES):
        at = bisect_left(ordered, edge, key=hours)
        if at - below:
            result[i] = at - below
        below = at
    if len(ordered) - below:
        result[len(HOUR_EDGES)] = len(ordered) - below
    return result


def _items(text: str | None) -> list[str]:
    """The values of a joined() column."""
    return text.split(",") if text else []


def microseconds(text: str | None) -> list[float]:
    """The durations (whole microseconds) of a joined() column, as floats: exact below 2**53
    (285 years), and CPython sorts floats on a fast path that ints past 2**30 miss (a third
    of the report's sorting)."""
    return list(map(float, text.split(","))) if text else []


@dataclass
class Group:
    """What a group of tickets adds up to, before its figures are worked out."""

    tickets: int = 0
    closed: int = 0
    rated: int = 0
    rating_total: int = 0
    first: list[float] = field(default_factory=list)
    resolution: list[float] = field(default_factory=list)

    def add(self, row: Cube, first: list[float], resolution: list[float]) -> None:
        """Count one cube row in."""
        self.tickets += row.tickets
        self.closed += row.closed
        self.rated += row.rated
        self.rating_total += row.rating_total or 0
        self.first += first
        self.resolution += resolution

    def merge(self, other: Group) -> None:
        """Add another group's tickets to this one."""
        self.tickets += other.tickets
        self.closed += other.closed
        self.rated += other.rated
        self.rating_total += other.rating_total
        self.first += other.first
        self.resolution += other.resolution

    def figures(self) -> Figures:
        """The group's figures (sorts its durations in place)."""
        self.first.sort()
        self.resolution.sort()
        return Figures(
            tickets=self.tickets,
            closed=self.closed,
            first_median=median_hours(self.first),
            first_p90=p90_hours(self.first),
            resolution_median=median_hours(self.resolution),
            resolution_p90=p90_hours(self.resolution),
            rating_average=round(self.rating_total / self.rated, 2) if self.rated else None,
            response_rate=round(self.rated / self.closed, 3) if self.closed else None,
        )


@dataclass(frozen=True)
class Cube:
    """One row of the cube query: its keys, then cube_columns() by name."""

    type_id: int
    area_id: int | None
    assignee_id: int | None
    tickets: int
    closed: int
    rated: int
    rating_total: int | None
    first: str | None
    resolution: str | None
    statuses: str
    channels: str
    opened_in: str | None
    closed_in: str | None
    rated_on: str | None
    rated_numbers: str | None
    # Service-level compliance (reports/compliance.py), counted in the same pass.
    priority: str = ""
    targeted: int = 0
    response_met: int = 0
    response_missed: int = 0
    resolution_met: int = 0
    resolution_missed: int = 0
    breached: int = 0
    response_secs: str | None = None
    resolution_secs: str | None = None


_KEYS = (
    Ticket.ticket_type_id.label("type_id"),
    Ticket.area_id.label("area_id"),
    Ticket.assignee_id.label("assignee_id"),
    # A key for compliance per priority; the attention figures add the priorities up.
    Ticket.priority.label("priority"),
)
# The report's counted dimensions read from the cube's joined texts (report.counts keys).
DIMENSIONS = (("status", "statuses"), ("channel", "channels"))
# The cube's texts read across all its rows (split and counted once).
JOINED = (
    "statuses",
    "channels",
    "opened_in",
    "closed_in",
    "rated_on",
    "rated_numbers",
)
_RATED = and_(Feedback.ticket_id == Ticket.id, Feedback.closure == Ticket.closure_count)
# The same join for the cube, which reads only the rating: `closure + 0` is no column, so
# the planner cannot probe the unique (ticket_id, closure) index and the table behind it,
# and reads ix_feedback_ticket_closure_rating alone (SQLite without statistics chose the
# unique one; a fifth of the cube's time at 100,000 tickets).
_RATED_ONLY = and_(Feedback.ticket_id == Ticket.id, Feedback.closure + 0 == Ticket.closure_count)


def cube_columns(
    dialect: str, minutes: int, now: datetime | None = None
) -> dict[str, ColumnElement[Any]]:
    """The cube's aggregates per type, area, assignee and priority, named as Cube's fields."""
    levels = compliance.columns(now or utcnow(), lambda value: joined(value, dialect))
    return {
        **levels,
        "tickets": func.count(),
        "closed": func.count(Ticket.closed_at),
        "rated": func.count(Feedback.rating),
        "rating_total": func.sum(Feedback.rating),
        "first": joined(Ticket.first_response_us, dialect),
        "resolution": joined(Ticket.resolution_us, dialect),
        "statuses": joined(Ticket.status, dialect),
        "channels": joined(Ticket.channel, dialect),
        "opened_in": joined(utc_bucket(Ticket.created_at, minutes, dialect), dialect),
        "closed_in": joined(utc_bucket(Ticket.closed_at, minutes, dialect), dialect),
        "rated_on": joined(rated_bucket(Ticket, Feedback.rating, minutes, dialect), dialect),
        "rated_numbers": joined(case((Feedback.rating.is_not(None), Ticket.number)), dialect),
    }


def _of(ticket_ids: Select[Any], *columns: Any) -> Select[Any]:
    """The selected (visible, filtered) tickets' rows, with their rating, as these columns."""
    return (
        ticket_ids.with_only_columns(*columns)
        .order_by(None)
        .select_from(Ticket)
        .outerjoin(Feedback, _RATED_ONLY)
    )


@dataclass(frozen=True)
class Cached:
    """Months whose settled tickets a report may read from the monthly cache (reports/cache.py).

    Those of them built for `minutes` with no change waiting are read from their stored rows;
    the statement decides which, in its own snapshot, so a month that changes meanwhile is
    counted live, never twice or not at all.
    """

    months: tuple[str, ...]
    minutes: int


# The cube's columns that add up across its rows (the others are joined texts).
SUMMED = (
    "tickets",
    "closed",
    "rated",
    "rating_total",
    "targeted",
    "response_met",
    "response_missed",
    "resolution_met",
    "resolution_missed",
    "breached",
)


def _grouped(ticket_ids: Select[Any], named: list[Any]) -> Select[Any]:
    """The cube query over a selection of tickets."""
    return _of(ticket_ids, *_KEYS, *named).group_by(*(key.element for key in _KEYS))


def _with_cache(
    ticket_ids: Select[Any], named: list[Any], dialect: str, cached: Cached
) -> Select[Any]:
    """The cube: the cached months' stored rows and the other tickets' live ones, added up.

    Live: every selected ticket but the settled ones of a fresh month (built, no change
    waiting), whose rows are read instead; the two meet per key in one grouped select.
    """
    waiting = exists().where(ReportChange.month == ReportMonth.month)
    built = and_(ReportMonth.minutes == cached.minutes, ReportMonth.month.in_(cached.months))
    fresh = (
        select(ReportMonth.month, cached_month(ReportMonth.month, dialect).label("start"))
        .where(built, ~waiting)
        .cte("fresh_months")
    )
    settled = and_(
        Ticket.sla_phase != SlaPhase.RUNNING,
        month_key(Ticket.created_at, dialect).in_(select(fresh.c.start)),
    )
    live = _grouped(ticket_ids.where(~settled), named)
    names = [column.name for column in live.selected_columns]
    stored = select(*(getattr(ReportCubeRow, name).label(name) for name in names)).where(
        ReportCubeRow.minutes == cached.minutes,
        ReportCubeRow.month.in_(select(fresh.c.month)),
    )
    both = union_all(live, stored).subquery()
    keys = [both.c[key.name] for key in _KEYS]
    added = [
        cast(func.sum(both.c[name]), BigInteger).label(name)
        if name in SUMMED
        else joined(both.c[name], dialect).label(name)
        for name in names[len(_KEYS) :]
    ]
    return select(*keys, *added).group_by(*keys)


def cube(
    ticket_ids: Select[Any],
    dialect: str,
    minutes: int,
    now: datetime | None = None,
    parts: int = 1,
    cached: Cached | None = None,
) -> list[Cube]:
    """The cube query's rows: with the monthly cache, or on PostgreSQL split by id into
    `parts` queries run at once.

    PostgreSQL (15) runs no grouped query with string_agg on more than one core, so a
    report waited on one backend while the other cores idled. With parts > 1 the tickets
    are dealt out by id (each exactly once) to queries on connections of their own, in
    threads (the backends work while this process waits): a group met in several parts
    has several rows, which the report adds up as it adds up any group's rows. This
    thread runs its share in the request's session; the others read committed data (a
    report reads nothing it wrote). SQLite stays with one query: two at once in one
    process took longer than one (measured, bench/README.md: its memory allocator is
    one lock for all connections). A report read partly from the cache is one statement
    (its months must be judged fresh in the snapshot that reads them).
    """
    columns = cube_columns(dialect, minutes, now)
    named = [column.label(name) for name, column in columns.items()]
    if cached is not None and cached.minutes == minutes:
        query = _with_cache(ticket_ids, named, dialect, cached)
        if dialect == "postgresql":
            # The stored and live rows meet in one sort of a few megabytes: in memory, for
            # this transaction only (PostgreSQL's default 4 MB spilled it to disk).
            db.session.execute(text("SET LOCAL work_mem = '16MB'"))
        return [Cube(**row._mapping) for row in db.session.execute(query)]
    query = _grouped(ticket_ids, named)
    if parts <= 1 or dialect != "postgresql":
        return [Cube(**row._mapping) for row in db.session.execute(query)]
    shares = [query.where(Ticket.id % parts == part) for part in range(parts)]
    engine = db.engine
    with ThreadPoolExecutor(parts - 1) as pool:
        others = [pool.submit(_rows_apart, engine, share) for share in shares[1:]]
        rows = [Cube(**row._mapping) for row in db.session.execute(shares[0])]
        for other in others:
            rows += other.result()
    return rows


def _rows_apart(engine: Engine, query: Select[Any]) -> list[Cube]:
    """A cube query's rows read on a connection of its own (another thread's share)."""
    with engine.connect() as connection:
        return [Cube(**row._mapping) for row in connection.execute(query)]


def names_of(model: Any, ids: set[int]) -> dict[int, str]:
    """Names of the rows with these ids."""
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def build(
    ticket_ids: Select[Any],
    none_label: str,
    zone: str = "UTC",
    parts: int = 1,
    cached: Cached | None = None,
) -> Report:
    """The report of the selected tickets, its days those of `zone`'s calendar."""
    return build_both(ticket_ids, none_label, zone, parts=parts, cached=cached)[0]


def build_both(
    ticket_ids: Select[Any],
    none_label: str,
    zone: str = "UTC",
    now: datetime | None = None,
    parts: int = 1,
    cached: Cached | None = None,
) -> tuple[Report, compliance.ComplianceReport]:
    """The report and the service-level compliance of the selected tickets, from one pass
    (split in `parts` run at once, or partly read from the monthly cache: see cube())."""
    dialect, minutes = dialect_name(), bucket_minutes(zone)
    rows = cube(ticket_ids, dialect, minutes, now, parts, cached)
    types = names_of(TicketType, {r.type_id for r in rows})
    areas = names_of(Area, {r.area_id for r in rows if r.area_id is not None})
    people = names_of(User, {r.assignee_id for r in rows if r.assignee_id is not None})
    report = Report()
    total = Group()
    by_collaborator: dict[str, Group] = defaultdict(Group)
    by_area: dict[str, Group] = defaultdict(Group)
    by_type: dict[str, Group] = defaultdict(Group)
    texts: dict[str, list[str]] = {name: [] for name in JOINED}
    for row in rows:
        first, resolution = microseconds(row.first), microseconds(row.resolution)
        type_name = types[row.type_id]
        area = areas.get(row.area_id) if row.area_id is not None else None
        assignee = people.get(row.assignee_id) if row.assignee_id is not None else None
        for group in (
            by_collaborator[assignee or none_label],
            by_area[area or none_label],
            by_type[type_name],
        ):
            group.add(row, first, resolution)
        report.counts["type_name"][type_name] += row.tickets
        report.counts["priority"][row.priority] += row.tickets
        report.counts["area"][area or none_label] += row.tickets
        for name, found in texts.items():
            if text := getattr(row, name):
                found.append(text)
    each = {name: _items(",".join(found)) for name, found in texts.items()}
    for dimension, name in DIMENSIONS:
        if each[name]:
            report.counts[dimension] = Counter(each[name])
    report.by_type = {k: g.figures() for k, g in by_type.items()}
    for group in by_type.values():  # every ticket has one type: the total is their union
        total.merge(group)
    report.total = total.figures()  # sorting the types' sorted runs is a merge
    report.by_collaborator = {k: g.figures() for k, g in by_collaborator.items()}
    report.by_area = {k: g.figures() for k, g in by_area.items()}
    report.first_spread = spread(total.first)
    report.resolution_spread = spread(total.resolution)
    report.opened = local_days(Counter(each["opened_in"]), zone, minutes)
    report.closed = local_days(Counter(each["closed_in"]), zone, minutes)
    rated: dict[int, Counter[str]] = defaultdict(Counter)  # per rating: its UTC buckets
    for item, n in Counter(each["rated_on"]).items():
        bucket, rating = read_rated(item)
        rated[rating][bucket] += n
    for rating, buckets in rated.items():
        report.distribution[rating] += sum(buckets.values())
        for day, n in local_days(buckets, zone, minutes).items():  # the reader's days
            report.rating_sum[day] += rating * n
            report.rating_count[day] += n
    report.comments = comments(sorted(map(int, each["rated_numbers"]), reverse=True))

    def named(row: Cube) -> tuple[str, str, str]:
        area = areas.get(row.area_id) if row.area_id is not None else None
        assignee = people.get(row.assignee_id) if row.assignee_id is not None else None
        return assignee or none_label, area or none_label, types[row.type_id]

    return report, compliance.fold(rows, named)


def comments(rated: list[int], limit: int = 10) -> list[tuple[int, int, str]]:
    """The latest rating comments: (ticket number, rating, comment), latest first.

    `rated` are the rated tickets' numbers, latest first; their comments are read a few at a
    time (the cube reads ratings from an index, not the comments' table rows).
    """
    found: list[tuple[int, int, str]] = []
    start, size = 0, 4 * limit
    while len(found) < limit and start < len(rated):
        rows = db.session.execute(
            select(Ticket.number, Feedback.rating, Feedback.comment)
            .join(Feedback, _RATED)
            .where(Ticket.number.in_(rated[start : start + size]), Feedback.comment != "")
            .order_by(Ticket.number.desc())
        )
        found += [(number, rating, comment) for number, rating, comment in rows]
        start, size = start + size, size * 4
    return found[:limit]
