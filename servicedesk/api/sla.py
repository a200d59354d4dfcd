"""Service levels through the API: the policies and calendars, for administrators."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..models import SlaCalendar, SlaPolicy, SlaPolicyVersion
from ..sla import admin as sla
from . import bp
from .problems import ApiError
from .schemas import ref
from .spec import operation


def _admins_only() -> None:
    """Service-level settings are the administrators' (403 for everyone else)."""
    if not current_user.is_admin:
        raise ApiError(403, _l("Only administrators can read the service-level settings."))


def _policy(policy: SlaPolicy, version: SlaPolicyVersion, position: int) -> dict[str, Any]:
    """A policy with its current version's rules and targets."""
    return {
        "id": policy.id,
        "name": policy.name,
        "position": position,
        "default": policy.is_default,
        "active": policy.active,
        "version": version.number,
        "rules": {
            "type_ids": list(version.type_ids),
            "priorities": list(version.priorities),
            "area_ids": list(version.area_ids),
            "channels": list(version.channels),
        },
        "first_response_minutes": version.first_response_minutes,
        "resolution_minutes": version.resolution_minutes,
        "warn_percent": version.warn_percent,
    }


def _calendar(row: SlaCalendar, areas: list[str]) -> dict[str, Any]:
    """A calendar: its zone, hours per weekday as "HH:MM" ranges, holidays."""
    return {
        "id": row.id,
        "name": row.name,
        "zone": row.zone,
        "default": row.is_default,
        "hours": {
            day: [
                {"start": sla.clock_text(start), "end": sla.clock_text(end)}
                for start, end in (row.hours or {}).get(str(number), [])
            ]
            for number, day in enumerate(sla.WEEKDAY_KEYS)
        },
        "holidays": [
            {"date": h["date"], "name": h.get("name", ""), "yearly": bool(h.get("yearly"))}
            for h in row.holidays or []
        ],
        "areas": areas,
    }


@operation(
    bp,
    "GET",
    "/sla/policies",
    summary="Service-level policies in the order their rules are tried (administrators)",
    tag="service levels",
    responses={"200": ("The policies", ref("SlaPolicyList"))},
)
def sla_policies() -> Response:
    """Every policy, inactive ones too, with its current version."""
    _admins_only()
    rows = sla.policies()
    return jsonify({"items": [_policy(p, v, n) for n, (p, v) in enumerate(rows, 1)]})


@operation(
    bp,
    "GET",
    "/sla/calendars",
    summary="Business-hours calendars (administrators)",
    tag="service levels",
    responses={"200": ("The calendars", ref("SlaCalendarList"))},
)
def sla_calendars() -> Response:
    """Every calendar, the default first, with the areas that use it as their own."""
    _admins_only()
    used = sla.calendar_areas()
    return jsonify({"items": [_calendar(c, used.get(c.id, [])) for c in sla.calendars()]})
