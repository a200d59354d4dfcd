"""Ticket types: list, create, edit, activate; the builder, raw JSON, versions, transfer."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response as WResponse

from forms_engine import SchemaError, compile_form

from .. import json_text
from ..auth.decorators import admin_required
from ..catalog import builder, transfer, versions
from ..extensions import db
from ..models import Area, Priority, Ticket, TicketType, TicketTypeVersion
from ..numbers import row_id
from ..unit_of_work import commit
from ..zones import zone_of
from . import bp
from .type_forms import (
    CHANGE_LABELS,
    KIND_LABELS,
    TicketTypeForm,
    apply_action,
    field_errors,
    options_en_text,
    options_text,
    parse_fields,
)

Page = WResponse | str | tuple[str, int]


def get_type(type_id: int) -> TicketType:
    """Load a ticket type or 404."""
    return db.get_or_404(TicketType, type_id)


def area_choices(form: TicketTypeForm) -> None:
    """Offer the active areas (and none) as the default area."""
    areas = db.session.scalars(select(Area).where(Area.active.is_(True)).order_by(Area.name)).all()
    form.default_area.choices = [("", _("No area"))] + [(str(a.id), a.name) for a in areas]


@bp.get("/tipos")
@admin_required
def types() -> str:
    """List the ticket types with their current version and ticket counts."""
    counts = dict(
        db.session.execute(
            select(Ticket.ticket_type_id, func.count()).group_by(Ticket.ticket_type_id)
        ).all()
    )
    rows = db.session.scalars(select(TicketType).order_by(TicketType.name)).all()
    return render_template("admin/types.html", types=rows, counts=counts)


def _meta(ticket_type: TicketType) -> dict[str, str]:
    """A type's metadata as its form shows it: the area as the select's string id.

    Not obj=ticket_type: a field missing from a post would then take the type's attribute,
    and default_area there is an Area, not an id.
    """
    return {
        "name": ticket_type.name,
        "key": ticket_type.key,
        "description": ticket_type.description or "",
        "default_area": str(ticket_type.default_area_id or ""),
        "default_priority": ticket_type.default_priority,
        "color": ticket_type.color,
        "icon": ticket_type.icon or "",
    }


def _save_meta(form: TicketTypeForm, ticket_type: TicketType) -> str | None:
    """Copy the metadata form onto a type; return an error for a duplicate key."""
    clash = db.session.scalar(
        select(TicketType.id).where(
            TicketType.key == form.key.data, TicketType.id != (ticket_type.id or 0)
        )
    )
    if clash is not None:
        return _("Another ticket type already uses this key.")
    ticket_type.name = (form.name.data or "").strip()
    ticket_type.key = form.key.data or ""
    ticket_type.description = (form.description.data or "").strip()
    ticket_type.default_area_id = row_id(form.default_area.data)
    ticket_type.default_priority = form.default_priority.data or Priority.NORMAL
    ticket_type.color = form.color.data or "#0d6efd"
    ticket_type.icon = (form.icon.data or "").strip()
    return None


@bp.route("/tipos/nuevo", methods=["GET", "POST"])
@admin_required
def new_type() -> Page:
    """Create a ticket type as a draft (no published form), then open the builder."""
    form = TicketTypeForm()
    area_choices(form)
    if form.validate_on_submit():
        ticket_type = TicketType(current_version=0)
        error = _save_meta(form, ticket_type)
        if error is None:
            db.session.add(ticket_type)
            commit()
            flash(_("Ticket type created as a draft. Design its form and publish it."), "success")
            return redirect(url_for("admin.form_builder", type_id=ticket_type.id))
        form.key.errors = [error]
    status = 400 if request.method == "POST" else 200
    return render_template("admin/type_form.html", form=form, ticket_type=None), status


@bp.route("/tipos/<int:type_id>", methods=["GET", "POST"])
@admin_required
def edit_type(type_id: int) -> Page:
    """Edit a type's name, key, description and routing defaults."""
    ticket_type = get_type(type_id)
    form = TicketTypeForm(data=_meta(ticket_type))
    area_choices(form)
    if form.validate_on_submit():
        error = _save_meta(form, ticket_type)
        if error is None:
            commit()
            flash(_("Ticket type saved."), "success")
            return redirect(url_for("admin.types"))
        form.key.errors = [error]
    status = 400 if request.method == "POST" else 200
    return render_template("admin/type_form.html", form=form, ticket_type=ticket_type), status


@bp.post("/tipos/<int:type_id>/estado")
@admin_required
def toggle_type(type_id: int) -> WResponse:
    """Activate or deactivate a type; its tickets stay as they are."""
    ticket_type = get_type(type_id)
    ticket_type.active = request.form.get("active") == "1"
    commit()
    flash(
        _("Ticket type activated.")
        if ticket_type.active
        else _("Ticket type deactivated: it takes no new tickets."),
        "info",
    )
    return redirect(url_for("admin.types"))


# ---------------------------------------------------------------- builder


def _render_builder(
    ticket_type: TicketType,
    specs: list[builder.FieldSpec],
    errors: dict[str, list[str]],
    status: int = 200,
) -> tuple[str, int]:
    """Render the builder with a live preview of the form it describes."""
    preview, other_preview, schema_json, ui_json, problems = None, None, "", "", []
    errors = {**builder.check(specs), **errors}
    unpublished = request.method == "POST"
    locale = str(get_locale())
    other = (
        builder.OTHER_LANGUAGE if locale == builder.DEFAULT_LANGUAGE else builder.DEFAULT_LANGUAGE
    )
    if not errors:
        try:
            schema, ui = builder.to_schema(specs, ticket_type.name)
            form = compile_form(schema, ui)
            preview = form.render(locale=locale, prefix="pv")
            if builder.translated(specs):
                other_preview = form.render(locale=other, prefix="px")
            schema_json, ui_json = json.dumps(schema), json.dumps(ui)
            # A GET shows the current version itself (even if the builder would write it
            # differently, e.g. an imported form): only a posted field list can differ.
            unpublished = unpublished and not versions.same_form(
                versions.current_version(ticket_type), schema, ui
            )
        except builder.BuilderError as exc:
            errors = exc.errors
        except SchemaError as exc:
            problems = exc.localized(str(get_locale()))
    status = 400 if (errors or problems) and status == 200 and request.method == "POST" else status
    return render_template(
        "admin/builder.html",
        ticket_type=ticket_type,
        specs=specs,
        errors=errors,
        field_errors=field_errors,
        options_text=options_text,
        options_en_text=options_en_text,
        number_text=builder.number_text,
        kinds=builder.KINDS,
        kind_label=lambda kind: KIND_LABELS.get(kind, kind),
        kind_properties=json.dumps(builder.PROPERTIES),
        key_fallback=builder.KEY_FALLBACK,
        key_max=builder.KEY_MAX,
        # After a parse error, show exactly what was typed (e.g. "many" in a number box).
        raw=request.form if errors and request.method == "POST" else {},
        preview=preview,
        other_preview=other_preview,
        other_language=other,
        schema_json=schema_json,
        ui_json=ui_json,
        problems=problems,
        unpublished=unpublished or ticket_type.current_version == 0,
    ), status


@bp.route("/tipos/<int:type_id>/formulario", methods=["GET", "POST"])
@admin_required
def form_builder(type_id: int) -> Page:
    """The visual field builder: every button posts the whole field list back."""
    ticket_type = get_type(type_id)
    if request.method == "GET" or request.form.get("action") == "load":
        return _load_builder(ticket_type)
    specs, errors = parse_fields(request.form)
    specs = builder.prepare(specs)
    action = request.form.get("action", "")
    if action == "add":
        kind = request.form.get("new_kind", "text")
        action = f"add:{kind if kind in builder.KINDS else 'text'}"
    if action == "review" and not errors:
        try:
            schema, ui = builder.to_schema(specs, ticket_type.name)
        except builder.BuilderError as exc:
            return _render_builder(ticket_type, specs, exc.errors)
        return _review(ticket_type, schema, ui, back="builder")
    if errors:  # fix the typing first; buttons would shift what the messages point at
        return _render_builder(ticket_type, specs, errors)
    return _render_builder(ticket_type, builder.prepare(apply_action(specs, action)), errors)


def _load_builder(ticket_type: TicketType) -> Page:
    """Open the builder on the current version, or on JSON posted back from a review."""
    if request.method == "POST":
        schema, ui = _posted_json()
    else:
        version = versions.current_version(ticket_type)
        schema, ui = (version.schema, version.ui) if version else (versions.EMPTY_SCHEMA, {})
    try:
        specs = builder.from_schema(schema, ui)
    except builder.NotBuildable:
        flash(
            _("This form uses features the visual builder does not edit; use the JSON editor."),
            "warning",
        )
        return redirect(url_for("admin.raw_editor", type_id=ticket_type.id))
    return _render_builder(ticket_type, specs, {})


def _posted_json() -> tuple[dict[str, Any], dict[str, Any]]:
    """Read schema_json and ui_json posted back by our own pages (400 if mangled)."""
    try:
        schema = json_text.loads(request.form.get("schema_json") or "{}")
        ui = json_text.loads(request.form.get("ui_json") or "{}")
    except json_text.JSONTextError:
        abort(400)
    if not isinstance(schema, dict) or not isinstance(ui, dict):
        abort(400)
    return schema, ui


def _review(
    ticket_type: TicketType,
    schema: dict[str, Any],
    ui: dict[str, Any],
    back: str,
    typed: tuple[str, str] | None = None,
) -> Page:
    """Show what publishing would change and how many tickets each change touches.

    An invalid schema goes back to the JSON editor with the texts as typed, when there are.
    """
    try:
        form, changes = versions.review(ticket_type, schema, ui, str(get_locale()))
    except SchemaError as exc:
        schema_text, ui_text = typed or (
            json.dumps(schema, indent=2, ensure_ascii=False),
            json.dumps(ui, indent=2, ensure_ascii=False),
        )
        return render_template(
            "admin/raw.html",
            ticket_type=ticket_type,
            schema_text=schema_text,
            ui_text=ui_text,
            problems=exc.localized(str(get_locale())),
        ), 400
    unchanged = versions.same_form(versions.current_version(ticket_type), schema, ui)
    return render_template(
        "admin/review.html",
        ticket_type=ticket_type,
        changes=changes,
        change_label=lambda kind: CHANGE_LABELS.get(kind, kind),
        unchanged=unchanged,
        warnings=[w.localized(str(get_locale())) for w in form.warnings],
        schema_json=json.dumps(schema),
        ui_json=json.dumps(ui),
        back=back,
    )


@bp.route("/tipos/<int:type_id>/json", methods=["GET", "POST"])
@admin_required
def raw_editor(type_id: int) -> Page:
    """Edit the form as raw JSON Schema and UI hints, with errors by JSON Pointer."""
    ticket_type = get_type(type_id)
    version = versions.current_version(ticket_type)
    if request.method == "GET":
        dump = lambda v: json.dumps(v or {}, indent=2, ensure_ascii=False)  # noqa: E731
        return render_template(
            "admin/raw.html",
            ticket_type=ticket_type,
            problems=[],
            schema_text=dump(version.schema if version else None),
            ui_text=dump(version.ui if version else None),
        )
    schema_text = request.form.get("schema_text", "")
    ui_text = request.form.get("ui_text", "") or "{}"
    problems = []
    parsed = []
    for pointer, text in (("/schema", schema_text), ("/ui", ui_text)):
        try:
            parsed.append(json_text.loads(text))
        except json_text.JSONTextError as exc:
            problems.append({"pointer": pointer, "message": str(exc.message)})
    if not problems and not all(isinstance(p, dict) for p in parsed):
        problems.append({"pointer": "", "message": _("Both documents must be JSON objects.")})
    if problems:
        return render_template(
            "admin/raw.html",
            ticket_type=ticket_type,
            problems=problems,
            schema_text=schema_text,
            ui_text=ui_text,
        ), 400
    return _review(ticket_type, parsed[0], parsed[1], back="raw", typed=(schema_text, ui_text))


@bp.post("/tipos/<int:type_id>/publicar")
@admin_required
def publish(type_id: int) -> Page:
    """Publish the reviewed form as a new immutable version."""
    ticket_type = get_type(type_id)
    schema, ui = _posted_json()
    if versions.same_form(versions.current_version(ticket_type), schema, ui):
        flash(_("Nothing changed: no new version was published."), "info")
        return redirect(url_for("admin.type_versions", type_id=type_id))
    try:
        version = versions.publish(ticket_type, schema, ui, current_user)
    except SchemaError as exc:
        return render_template(
            "admin/raw.html",
            ticket_type=ticket_type,
            problems=exc.localized(str(get_locale())),
            schema_text=json.dumps(schema, indent=2),
            ui_text=json.dumps(ui, indent=2),
        ), 400
    commit()
    flash(
        _(
            "Version %(n)d published. New tickets use it; earlier tickets keep theirs.",
            n=version.number,
        ),
        "success",
    )
    return redirect(url_for("admin.type_versions", type_id=type_id))


@bp.post("/tipos/<int:type_id>/vista-previa")
@admin_required
def preview_submit(type_id: int) -> Page:
    """Validate a test submission against the previewed form, as a client would send it."""
    ticket_type = get_type(type_id)
    schema, ui = _posted_json()
    try:
        form = compile_form(schema, ui or None)
    except SchemaError:
        abort(400)
    locale = str(get_locale())
    zone = zone_of(current_user)  # date-times read and shown in the administrator's zone
    values = form.parse(request.form, request.files, prefix="pv", locale=locale, zone=zone)
    errors = form.validate(values, locale, typed=True)
    return render_template(
        "admin/preview.html",
        ticket_type=ticket_type,
        errors=errors,
        fields=form.render(values, errors, locale, prefix="pv", zone=zone),
        parsed=json.dumps(form.prune(values), indent=2, ensure_ascii=False),
        schema_json=json.dumps(schema),
        ui_json=json.dumps(ui),
    ), (400 if errors else 200)


# ---------------------------------------------------------------- versions and transfer


@bp.get("/tipos/<int:type_id>/versiones")
@admin_required
def type_versions(type_id: int) -> str:
    """List a type's versions with author, date and how many tickets use each."""
    ticket_type = get_type(type_id)
    counts = dict(
        db.session.execute(
            select(Ticket.type_version_id, func.count())
            .where(Ticket.ticket_type_id == type_id)
            .group_by(Ticket.type_version_id)
        ).all()
    )
    rows = db.session.scalars(
        select(TicketTypeVersion)
        .where(TicketTypeVersion.ticket_type_id == type_id)
        .order_by(TicketTypeVersion.number.desc())
    ).all()
    return render_template(
        "admin/versions.html", ticket_type=ticket_type, versions=rows, counts=counts
    )


@bp.get("/tipos/<int:type_id>/versiones/<int:number>")
@admin_required
def type_version(type_id: int, number: int) -> str:
    """Show one version's form as clients saw it, and its JSON."""
    ticket_type = get_type(type_id)
    version = db.first_or_404(
        select(TicketTypeVersion).where(
            TicketTypeVersion.ticket_type_id == type_id, TicketTypeVersion.number == number
        )
    )
    form = versions.compiled(version)
    return render_template(
        "admin/version.html",
        ticket_type=ticket_type,
        version=version,
        fields=form.render(locale=str(get_locale()), prefix="pv"),
        schema_text=json.dumps(version.schema, indent=2, ensure_ascii=False),
        ui_text=json.dumps(version.ui, indent=2, ensure_ascii=False),
    )


@bp.get("/tipos/<int:type_id>/exportar")
@admin_required
def export_type(type_id: int) -> Response:
    """Download the type as one JSON document."""
    ticket_type = get_type(type_id)
    body = json.dumps(transfer.export_type(ticket_type), indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="ticket-type-{ticket_type.key}.json"'
        },
    )


@bp.route("/tipos/importar", methods=["GET", "POST"])
@admin_required
def import_type() -> Page:
    """Import a type from a JSON document (file or pasted); refuse unsafe schemas."""
    if request.method == "GET":
        return render_template("admin/import.html", problems=[], text="")
    upload = request.files.get("document")
    raw = (
        upload.read(transfer.MAX_DOCUMENT + 1)
        if upload and upload.filename
        else request.form.get("text", "").encode()
    )
    try:
        doc = transfer.parse_document(raw)
        ticket_type, created = transfer.import_type(doc, current_user)
    except transfer.ImportError_ as exc:
        db.session.rollback()
        return render_template(
            "admin/import.html", problems=exc.problems, text=request.form.get("text", "")
        ), 400
    commit()
    flash(
        _("Ticket type %(name)s imported.", name=ticket_type.name)
        if created
        else _("Ticket type %(name)s updated from the import.", name=ticket_type.name),
        "success",
    )
    return redirect(url_for("admin.type_versions", type_id=ticket_type.id))
