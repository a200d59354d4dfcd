"""Administration of areas: list, create, rename, members, deactivate and reactivate."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..auth.decorators import admin_required
from ..extensions import db
from ..models import Area
from ..unit_of_work import commit
from . import bp, people
from .forms import ActionForm, AreaEditForm, AreaForm, show_error

Page = Response | str | tuple[str, int]


def _list(form: AreaForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "admin/areas.html",
        rows=people.list_areas(),
        form=form,
        action=ActionForm(),
        calendars=people.calendar_names(),
    ), status


def _edit_page(area: Area, form: AreaEditForm, status: int = 200) -> tuple[str, int]:
    staff = people.staff_users()
    form.members.choices = [
        (
            u.id,
            _("%(name)s · %(email)s", name=u.name, email=u.email)
            if u.active
            else _("%(name)s (inactive)", name=u.name),
        )
        for u in staff
    ]
    members = {u.id for u in area.members}
    form.supervisors.choices = [
        (value, label) for value, label in form.members.choices if value in members
    ]
    form.calendar.choices = [
        ("", _("The organisation's default")),
        *((str(i), name) for i, name in people.calendar_names().items()),
    ]
    return render_template(
        "admin/areas_edit.html", area=area, form=form, staff=staff, action=ActionForm()
    ), status


@bp.get("/areas")
@admin_required
def areas() -> Page:
    """List the areas with their member counts, and offer to create one."""
    return _list(AreaForm())


@bp.post("/areas")
@admin_required
def area_create() -> Page:
    """Create an area."""
    form = AreaForm()
    if not form.validate_on_submit():
        return _list(form, 400)
    try:
        area = people.create_area(form.name.data or "")
    except people.PeopleError as error:
        show_error(form, error)
        return _list(form, 400)
    commit()
    flash(_("Area %(name)s created.", name=area.name), "success")
    return redirect(url_for("admin.areas"))


@bp.get("/areas/<int:area_id>")
@admin_required
def area_edit(area_id: int) -> Page:
    """Show an area's name and members for editing."""
    area = db.get_or_404(Area, area_id)
    form = AreaEditForm(
        name=area.name,
        members=[u.id for u in area.members],
        supervisors=people.area_supervisors(area),
        calendar=str(area.calendar_id or ""),
    )
    return _edit_page(area, form)


@bp.post("/areas/<int:area_id>")
@admin_required
def area_update(area_id: int) -> Page:
    """Rename an area and set its members."""
    area = db.get_or_404(Area, area_id)
    form = AreaEditForm()
    if not form.validate_on_submit():
        return _edit_page(area, form, 400)
    try:
        people.set_area_members(area, form.members.data or [])
        people.set_area_supervisors(area, form.supervisors.data or [])
        people.set_area_calendar(area, form.calendar.data or "")
        people.rename_area(area, form.name.data or "")
    except people.PeopleError as error:
        show_error(form, error)
        return _edit_page(area, form, 400)
    commit()
    flash(_("Area %(name)s saved.", name=area.name), "success")
    return redirect(url_for("admin.areas"))


@bp.post("/areas/<int:area_id>/desactivar")
@admin_required
def area_deactivate(area_id: int) -> Response:
    """Stop routing new tickets to an area; its tickets and members stay."""
    return _set_active(area_id, False)


@bp.post("/areas/<int:area_id>/reactivar")
@admin_required
def area_reactivate(area_id: int) -> Response:
    """Route new tickets to an area again."""
    return _set_active(area_id, True)


def _set_active(area_id: int, active: bool) -> Response:
    area = db.get_or_404(Area, area_id)
    people.set_area_active(area, active)
    commit()
    if active:
        flash(_("Area %(name)s reactivated.", name=area.name), "success")
    else:
        flash(_("Area %(name)s deactivated.", name=area.name), "success")
    return redirect(url_for("admin.areas"))
