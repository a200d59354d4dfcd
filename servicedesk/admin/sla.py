"""Administración → Service Desk: calendars (business hours, holidays) and service-level
policies (rules, targets, versions, order), and recomputing the open tickets (a job whose
progress has a page of its own)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..auth.decorators import admin_required
from ..extensions import db, running_app
from ..models import RecomputeStatus, SlaCalendar, SlaPolicy, SlaPolicyVersion, SlaRecompute
from ..numbers import row_id
from ..sla import admin as sla
from ..sla import recompute
from ..unit_of_work import commit
from . import bp

Page = Response | str | tuple[str, int]
BLANK_HOLIDAYS = 3  # empty holiday rows offered below the stored ones
MAX_HOLIDAY_ROWS = sla.MAX_HOLIDAYS + BLANK_HOLIDAYS


def _locale() -> str:
    return str(get_locale())


# ---------------------------------------------------------------- calendars


@bp.get("/calendarios")
@admin_required
def calendars() -> str:
    """List the calendars, the default first, with the areas that use each."""
    return render_template(
        "admin/sla_calendars.html",
        calendars=sla.calendars(),
        used=sla.calendar_areas(),
        weekdays=_weekday_names(),
        hours_text=sla.hours_text,
    )


def _calendar_form(form: MultiDict[str, str]) -> sla.CalendarInput:
    """The calendar form's values as typed."""
    holidays = []
    for n in range(MAX_HOLIDAY_ROWS):
        if f"holiday-{n}-date" not in form and f"holiday-{n}-name" not in form:
            break
        holidays.append(
            sla.HolidayRow(
                form.get(f"holiday-{n}-date", "")[:40],
                form.get(f"holiday-{n}-name", "")[:200],
                bool(form.get(f"holiday-{n}-yearly")),
            )
        )
    return sla.CalendarInput(
        name=form.get("name", "")[:200],
        zone=form.get("zone", "")[:200],
        days={day: form.get(f"day-{day}", "")[:300] for day in sla.WEEKDAYS},
        holidays=holidays,
        is_default=bool(form.get("is_default")),
    )


def _calendar_page(
    row: SlaCalendar | None,
    values: sla.CalendarInput,
    errors: dict[str, Any] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    rows = [*values.holidays, *(sla.HolidayRow() for _n in range(BLANK_HOLIDAYS))]
    page = render_template(
        "admin/sla_calendar.html",
        calendar=row,
        values=values,
        holidays=rows,
        errors=errors or {},
        weekdays=_weekday_names(),
    )
    return page, status


def _weekday_names() -> list[str]:
    """Monday to Sunday in the reader's language."""
    return [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]


def _save_calendar(row: SlaCalendar | None) -> Page:
    values = _calendar_form(request.form)
    try:
        checked = sla.check_calendar(values, _locale(), row.id if row else None)
    except sla.SlaInputError as error:
        return _calendar_page(row, values, error.errors, 400)
    saved = sla.save_calendar(row, checked)
    commit()
    flash(_("Calendar %(name)s saved.", name=saved.name), "success")
    return redirect(url_for("admin.calendars"))


@bp.route("/calendarios/nuevo", methods=["GET", "POST"])
@admin_required
def calendar_new() -> Page:
    """Create a calendar: weekday hours, holidays, a time zone."""
    if request.method == "GET":
        return _calendar_page(None, sla.calendar_input(None, _locale()))
    return _save_calendar(None)


@bp.route("/calendarios/<int:calendar_id>", methods=["GET", "POST"])
@admin_required
def calendar_edit(calendar_id: int) -> Page:
    """Change a calendar; due times of tickets already targeted stay as they were."""
    row = db.get_or_404(SlaCalendar, calendar_id)
    if request.method == "GET":
        return _calendar_page(row, sla.calendar_input(row, _locale()))
    return _save_calendar(row)


# ---------------------------------------------------------------- policies


@bp.get("/politicas")
@admin_required
def policies() -> str:
    """List the policies in the order their rules are tried."""
    rows = sla.policies()
    return render_template(
        "admin/sla_policies.html",
        rows=rows,
        summaries=_summaries(rows, sla.rule_names()),
        running=recompute.active_run(),
    )


def _summaries(
    rows: list[tuple[SlaPolicy, SlaPolicyVersion]], names: dict[str, dict[Any, str]]
) -> dict[int, str]:
    """Each version's rules in words: "Priorities: Urgent · Areas: Seguridad"."""
    labels = {
        "type_ids": _("Types"),
        "priorities": _("Priorities"),
        "area_ids": _("Areas"),
        "channels": _("Channels"),
    }
    out = {}
    for policy, version in rows:
        if policy.is_default:
            out[version.id] = _("Any ticket no other policy takes")
            continue
        parts = [
            f"{label}: " + ", ".join(names[key].get(v, str(v)) for v in getattr(version, key))
            for key, label in labels.items()
            if getattr(version, key)
        ]
        out[version.id] = " · ".join(parts) or _("Any ticket")
    return out


def _ids(form: MultiDict[str, str], name: str) -> list[int]:
    """Chosen ids; one that no row could have is kept as 0, which the service refuses."""
    return [row_id(raw) or 0 for raw in form.getlist(name)[:1000]]


def _policy_form(form: MultiDict[str, str]) -> sla.PolicyInput:
    """The policy form's values as typed."""
    return sla.PolicyInput(
        name=form.get("name", "")[:200],
        type_ids=_ids(form, "type_ids"),
        priorities=form.getlist("priorities")[:100],
        area_ids=_ids(form, "area_ids"),
        channels=form.getlist("channels")[:100],
        response_hours=form.get("response_hours", "")[:20],
        response_minutes=form.get("response_minutes", "")[:20],
        resolution_hours=form.get("resolution_hours", "")[:20],
        resolution_minutes=form.get("resolution_minutes", "")[:20],
        warn_percent=form.get("warn_percent", "")[:20],
        active=bool(form.get("active")),
        is_default=bool(form.get("is_default")),
    )


def _policy_page(
    policy: SlaPolicy | None,
    values: sla.PolicyInput,
    errors: dict[str, Any] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    names = sla.rule_names()
    versions = sla.history(policy) if policy else []
    page = render_template(
        "admin/sla_policy.html",
        policy=policy,
        values=values,
        errors=errors or {},
        names=names,
        versions=versions,
        summaries=_summaries([(policy, v) for v, _n in versions], names) if policy else {},
    )
    return page, status


@bp.route("/politicas/nueva", methods=["GET", "POST"])
@admin_required
def policy_new() -> Page:
    """Create a policy: its rules, its targets, its version 1."""
    if request.method == "GET":
        return _policy_page(None, sla.policy_input(None, None))
    values = _policy_form(request.form)
    try:
        checked = sla.check_policy(values)
    except sla.SlaInputError as error:
        return _policy_page(None, values, error.errors, 400)
    policy = sla.create_policy(checked, current_user)
    commit()
    flash(_("Policy %(name)s created.", name=policy.name), "success")
    return redirect(url_for("admin.policies"))


@bp.route("/politicas/<int:policy_id>", methods=["GET", "POST"])
@admin_required
def policy_edit(policy_id: int) -> Page:
    """Change a policy; new rules or targets are a new version, tickets keep theirs."""
    policy = db.get_or_404(SlaPolicy, policy_id)
    if request.method == "GET":
        return _policy_page(policy, sla.policy_input(policy, sla.current_version(policy)))
    values = _policy_form(request.form)
    try:
        checked = sla.check_policy(values, policy.id)
    except sla.SlaInputError as error:
        return _policy_page(policy, values, error.errors, 400)
    versioned = sla.update_policy(policy, checked, current_user)
    commit()
    if versioned:
        flash(
            _(
                "Policy %(name)s saved as version %(n)d: new tickets get it; open tickets keep "
                "theirs until you recompute them.",
                name=policy.name,
                n=policy.current_version,
            ),
            "success",
        )
    else:
        flash(_("Policy %(name)s saved.", name=policy.name), "success")
    return redirect(url_for("admin.policy_edit", policy_id=policy.id))


@bp.post("/politicas/<int:policy_id>/subir")
@admin_required
def policy_up(policy_id: int) -> Response:
    """Try a policy's rules one place earlier."""
    return _move(policy_id, -1)


@bp.post("/politicas/<int:policy_id>/bajar")
@admin_required
def policy_down(policy_id: int) -> Response:
    """Try a policy's rules one place later."""
    return _move(policy_id, 1)


def _move(policy_id: int, step: int) -> Response:
    policy = db.get_or_404(SlaPolicy, policy_id)
    sla.move_policy(policy, step)
    commit()
    return redirect(url_for("admin.policies"))


@bp.route("/politicas/recalcular", methods=["GET", "POST"])
@admin_required
def policies_recompute() -> Page:
    """Show how many open tickets a recompute changes; on confirmation, start it as a job."""
    if request.method == "GET":
        return render_template(
            "admin/sla_recompute.html",
            preview=sla.recompute_preview(),
            running=recompute.active_run(),
        )
    run, launch = recompute.start(current_user)
    commit()
    if launch:
        recompute.launch(running_app(), run)
    else:
        flash(_("A recompute is already under way: here is its progress."), "info")
    return redirect(url_for("admin.recompute_progress", run_id=run.id))


@bp.get("/politicas/recalcular/<int:run_id>")
@admin_required
def recompute_progress(run_id: int) -> str:
    """A recompute's progress, refreshed by the page itself while it works; then its result."""
    run = db.get_or_404(SlaRecompute, run_id)
    return render_template(
        "admin/sla_recompute_run.html",
        run=run,
        stopped=recompute.is_stopped(run),
        status_label=RecomputeStatus.label_of(run.status),
    )


@bp.post("/politicas/recalcular/<int:run_id>/reintentar")
@admin_required
def recompute_retry(run_id: int) -> Response:
    """Take up a failed or stopped recompute again, from the last batch it finished."""
    run = db.get_or_404(SlaRecompute, run_id)
    if recompute.resume(run):
        commit()
        recompute.launch(running_app(), run)
    else:
        flash(_("This recompute cannot be taken up again now."), "warning")
    return redirect(url_for("admin.recompute_progress", run_id=run.id))
