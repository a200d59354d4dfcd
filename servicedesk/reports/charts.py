"""The report's charts as small SVG documents drawn on the server.

No script and no CDN: the page shows the markup inline (the Content-Security-Policy allows no
inline style, so colours and sizes are SVG presentation attributes, never `style`), and the PDF
shows the same document as a `data:` image, which xhtml2pdf hands to svglib and draws as
vectors. Each chart is an image with a name (`<title>`) and a summary (`<desc>`); the page
puts the figures in a table beside it for screen readers and for anyone who wants the numbers.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from babel.dates import format_skeleton
from flask_babel import get_locale, pgettext
from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..i18n import number, percent
from .compliance import ComplianceReport
from .metrics import DAY, HOUR_EDGES, MONTH, Report

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 34, 40  # room for the axis labels and the legend
BLUE, GREEN, ORANGE = "#0d6efd", "#198754", "#fd7e14"
MAX_LABELS = 12  # x-axis labels shown; the others are in each bar's title and the table


@dataclass(frozen=True)
class Series:
    """One set of values of a chart: bars, or a line over the bars."""

    key: str
    name: str
    color: str
    values: Sequence[float | None]
    line: bool = False
    notes: Sequence[str] | None = None  # said after a value in its title, one per value


@dataclass(frozen=True)
class Chart:
    """A chart's SVG document, for the page (inline) and for the PDF (as an image)."""

    svg: Markup

    @property
    def data_uri(self) -> str:
        """The document as a data: URI for an <img> (xhtml2pdf draws it with svglib)."""
        return "data:image/svg+xml;base64," + base64.b64encode(str(self.svg).encode()).decode()


def _attrs(**values: object) -> str:
    """Escaped XML attributes; a trailing underscore is dropped and other ones become dashes."""
    return "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(value)}"'
        for name, value in values.items()
        if value is not None
    )


def _tag(name: str, content: str = "", **attrs: object) -> str:
    """One SVG element with escaped attributes (content is markup already)."""
    return f"<{name}{_attrs(**attrs)}>{content}</{name}>"


def _empty(name: str, **attrs: object) -> str:
    """One SVG element without content."""
    return f"<{name}{_attrs(**attrs)}/>"


def _nice_top(value: float) -> float:
    """A round count at or above the largest figure, for the top of the axis (its half, the
    middle grid line, is a whole number too)."""
    step = 1
    while step * 10 < value:
        step *= 10
    return next(step * f for f in (2, 4, 6, 8, 10) if step * f >= value)


def _title(label: str, s: Series, i: int, value: float, fmt: Callable[[float], str]) -> str:
    """What a bar or a dot says when pointed at or read: period, series, value (and note)."""
    note = f" ({s.notes[i]})" if s.notes else ""
    return _tag("title", escape(f"{label} · {s.name}: {fmt(value)}{note}"))


def bar_chart(
    chart_id: str,
    title: str,
    summary: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str] = lambda v: number(v, 0),
    top: float | None = None,
) -> Chart:
    """Grouped bars per label (and lines for line series), with axis, legend and titles."""
    bars = [s for s in series if not s.line]
    values = [v for s in series for v in s.values if v is not None]
    top = top or _nice_top(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    bar_w = max(slot * 0.8 / max(len(bars), 1), 1)
    y = lambda v: TOP + plot_h - plot_h * v / top  # noqa: E731
    parts = [
        _tag("title", escape(title), id=f"{chart_id}-title"),
        _tag("desc", escape(summary), id=f"{chart_id}-desc"),
    ]
    for tick in (0, top / 2, top):  # grid lines with their values
        parts.append(
            _empty(
                "line",
                x1=LEFT,
                x2=WIDTH - RIGHT,
                y1=round(y(tick), 1),
                y2=round(y(tick), 1),
                stroke="#dee2e6",
                stroke_width=1,
            )
        )
        parts.append(
            _tag(
                "text",
                escape(fmt(tick)),
                x=LEFT - 4,
                y=round(y(tick) + 4, 1),
                font_size=12,
                text_anchor="end",
                fill="#212529",
            )
        )
    for b, s in enumerate(bars):
        for i, (label, value) in enumerate(zip(labels, s.values, strict=True)):
            if value is None:
                continue
            height = round(plot_h * value / top, 1)
            parts.append(
                _tag(
                    "rect",
                    _title(label, s, i, value, fmt),
                    x=round(LEFT + slot * i + slot * 0.1 + bar_w * b, 1),
                    y=round(TOP + plot_h - height, 1),
                    width=round(bar_w, 1),
                    height=height,
                    fill=s.color,
                    data_series=s.key,
                    data_label=label,
                    data_value=value,
                )
            )
    for s in series:
        if s.line:
            parts.append(_line(s, labels, slot, y, fmt))
    step = max(1, -(-len(labels) // MAX_LABELS))  # every n-th label, so none overlap
    for i, label in enumerate(labels):
        if i % step == 0:
            parts.append(
                _tag(
                    "text",
                    escape(label),
                    x=round(LEFT + slot * (i + 0.5), 1),
                    y=HEIGHT - BOTTOM + 14,
                    font_size=12,
                    text_anchor="middle",
                    fill="#212529",
                )
            )
    parts.append(_legend(series))
    head = _attrs(
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {WIDTH} {HEIGHT}",
        width=WIDTH,
        height=HEIGHT,
        role="img",
        aria_labelledby=f"{chart_id}-title {chart_id}-desc",
        class_="report-chart",
        id=chart_id,
        font_family="Helvetica, Arial, sans-serif",
    )
    # Every text and attribute above went through escape().
    return Chart(Markup(f"<svg{head}>{''.join(parts)}</svg>"))  # noqa: S704


def _line(
    s: Series,
    labels: Sequence[str],
    slot: float,
    y: Callable[[float], float],
    fmt: Callable[[float], str],
) -> str:
    """A line series: a polyline through the points, each point a dot with its title."""
    points = [
        (round(LEFT + slot * (i + 0.5), 1), round(y(v), 1), label, v, i)
        for i, (label, v) in enumerate(zip(labels, s.values, strict=True))
        if v is not None
    ]
    line = _empty(
        "polyline",
        points=" ".join(f"{px},{py}" for px, py, *_rest in points),
        fill="none",
        stroke=s.color,
        stroke_width=2,
    )
    dots = "".join(
        _tag(
            "circle",
            _title(label, s, i, v, fmt),
            cx=px,
            cy=py,
            r=3,
            fill=s.color,
            data_series=s.key,
            data_label=label,
            data_value=v,
        )
        for px, py, label, v, i in points
    )
    return line + dots


def _legend(series: Sequence[Series]) -> str:
    """Each series' colour and name, in a row above the plot."""
    parts, x = [], LEFT
    for s in series:
        parts.append(_empty("rect", x=x, y=10, width=12, height=12, fill=s.color))
        parts.append(_tag("text", escape(s.name), x=x + 16, y=20, font_size=13, fill="#212529"))
        x += 28 + 7 * len(s.name)
    return "".join(parts)


def period_label(start: date, step: str) -> str:
    """A period's short name in the reader's language: the day or the week's Monday
    (2 mar, Mar 2), or the month (mar 2026, Mar 2026)."""
    return str(format_skeleton("yMMM" if step == MONTH else "MMMd", start, locale=get_locale()))


def spread_labels() -> list[str]:
    """The attention-time buckets' names: < 1 h, 1–4 h, 4–24 h, 1–3 d, > 3 d."""
    hours = [int(h) for h in HOUR_EDGES]
    return [
        _("< %(n)s h", n=hours[0]),
        _("%(a)s–%(b)s h", a=hours[0], b=hours[1]),
        _("%(a)s–%(b)s h", a=hours[1], b=hours[2]),
        _("%(a)s–%(b)s d", a=hours[2] // 24, b=hours[3] // 24),
        _("> %(n)s d", n=hours[3] // 24),
    ]


def for_report(report: Report) -> dict[str, Chart]:
    """The report's three charts: the trend, the spread of attention times, satisfaction."""
    step = report.step()
    trend = report.trend(step)
    satisfaction = report.satisfaction(step)
    unit = {DAY: _("per day"), MONTH: _("per month")}.get(step, _("per week"))
    spread = spread_labels()
    first = [report.first_spread[i] for i in range(len(spread))]
    resolution = [report.resolution_spread[i] for i in range(len(spread))]
    closed_total = sum(c for _s, _o, c, _b in trend)
    return {
        "trend": bar_chart(
            "chart-trend",
            _("Opened, closed and backlog %(unit)s", unit=unit),
            _(
                "%(opened)s opened and %(closed)s closed over %(n)s periods; "
                "backlog at the end: %(backlog)s.",
                opened=number(sum(o for _s, o, _c, _b in trend), 0),
                closed=number(closed_total, 0),
                n=len(trend),
                backlog=number(trend[-1][3] if trend else 0, 0),
            ),
            [period_label(s, step) for s, *_rest in trend],
            [
                Series("opened", _("Opened"), BLUE, [o for _s, o, _c, _b in trend]),
                Series(
                    "closed", pgettext("tickets", "Closed"), GREEN, [c for _s, _o, c, _b in trend]
                ),
                Series("backlog", _("Backlog"), ORANGE, [b for *_r, b in trend], line=True),
            ],
        ),
        "spread": bar_chart(
            "chart-spread",
            _("First response and resolution times"),
            _(
                "Tickets per time bucket: first response %(first)s; resolution %(resolution)s.",
                first=", ".join(
                    f"{label} {number(n, 0)}" for label, n in zip(spread, first, strict=True)
                ),
                resolution=", ".join(
                    f"{label} {number(n, 0)}" for label, n in zip(spread, resolution, strict=True)
                ),
            ),
            spread,
            [
                Series("first", _("First response"), BLUE, first),
                Series("resolution", _("Resolution"), GREEN, resolution),
            ],
        ),
        "satisfaction": bar_chart(
            "chart-satisfaction",
            _("Average rating %(unit)s", unit=unit),
            _(
                "%(n)s ratings; average %(average)s of 5.",
                n=number(sum(c for *_r, c in satisfaction), 0),
                average=number(report.total.rating_average, 1),
            ),
            [period_label(s, step) for s, _a, _c in satisfaction],
            [
                Series(
                    "rating",
                    _("Average rating"),
                    ORANGE,
                    [a for _s, a, _c in satisfaction],
                    notes=[_("ratings: %(n)s", n=number(c, 0)) for *_r, c in satisfaction],
                )
            ],
            fmt=lambda v: number(v, 1),
            top=5,
        ),
    }


def for_compliance(found: ComplianceReport, report: Report) -> Chart:
    """Targets met per area, first response and resolution, each area's rating beside."""
    areas = sorted(found.by_area)
    ratings = [
        report.by_area[name].rating_average if name in report.by_area else None for name in areas
    ]

    def share(value: float | None) -> float | None:
        return None if value is None else round(100 * value, 1)

    notes = [_("average rating: %(n)s", n=number(r, 1)) for r in ratings]
    return bar_chart(
        "chart-compliance",
        _("Share of targets met per area"),
        _(
            "First response met %(response)s, resolution met %(resolution)s, over all areas.",
            response=percent(found.total.response_rate),
            resolution=percent(found.total.resolution_rate),
        ),
        areas,
        [
            Series(
                "response",
                _("First response met"),
                BLUE,
                [share(found.by_area[a].response_rate) for a in areas],
                notes=notes,
            ),
            Series(
                "resolution",
                _("Resolution met"),
                GREEN,
                [share(found.by_area[a].resolution_rate) for a in areas],
                notes=notes,
            ),
        ],
        top=100,
    )
