"""Rendering: accessible, escaped, Bootstrap 5, values kept, conditional fields marked."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from forms_engine import compile_form

sys.path.insert(0, str(Path(__file__).parent))
from fe_schemas import SCHEMAS, UI  # noqa: E402


def _ids(html: str) -> set[str]:
    return set(re.findall(r' id="([^"]+)"', html))


def test_every_input_has_a_label() -> None:
    for name, schema in SCHEMAS.items():
        html = str(compile_form(schema, UI.get(name)).render())
        template_free = re.sub(r"<template.*?</template>", "", html, flags=re.S)
        labels = set(re.findall(r'<label[^>]* for="([^"]+)"', template_free))
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", template_free):
            if 'type="hidden"' in tag:
                continue
            match = re.search(r' id="([^"]+)"', tag)
            assert match and match.group(1) in labels, (name, tag)


def test_errors_summary_and_aria() -> None:
    form = compile_form(SCHEMAS["nested"])
    errors = form.validate({"contact": {"email": "nope"}})
    html = str(form.render({"contact": {"email": "nope"}}, errors))
    assert html.startswith('<div class="alert alert-danger fe-summary" role="alert"')
    assert '<a class="alert-link" href="#cf-contact.email">Correo</a>' in html
    tag = re.search(r'<input[^>]*id="cf-contact.email"[^>]*>', html)
    assert tag is not None
    assert 'aria-invalid="true"' in tag.group(0)
    assert 'aria-describedby="cf-contact.email-error"' in tag.group(0)
    assert "is-invalid" in tag.group(0)
    assert 'value="nope"' in tag.group(0)  # kept after a failed submit
    assert 'id="cf-contact.email-error"' in html and "invalid-feedback" in html
    assert "cf-contact.email" in _ids(html)


def test_form_level_error_in_summary() -> None:
    form = compile_form(SCHEMAS["scalars"])
    html = str(form.render({}, {"": ["Algo falló"]}))
    assert "<li>Algo falló</li>" in html


def test_help_label_placeholder_and_widgets_from_ui() -> None:
    form = compile_form(SCHEMAS["scalars"], UI["scalars"])
    html = str(form.render(locale="en"))
    assert "Your name" in html and 'placeholder="Ana"' in html
    assert 'aria-describedby="cf-name-help"' in html and "As in your ID" in html
    assert '<textarea class="form-control" rows="6"' in html
    assert html.index('id="cf-agree"') < html.index('id="cf-name"')  # ui order
    assert 'aria-required="true"' in html and "(required)" in html


def test_radio_and_checkbox_groups_use_fieldset_legend() -> None:
    form = compile_form(SCHEMAS["choices"], UI["choices"])
    html = str(form.render(locale="es"))
    assert '<fieldset class="fe-section mb-4"><legend class="h5">Prioridad</legend>' in html
    assert 'type="radio"' in html and ">Azul</label>" in html
    assert 'value="2" checked' in html and ">Media</label>" in html  # default used
    html = str(compile_form(SCHEMAS["enum_arrays"]).render({"tags": ["red"]}))
    assert '<fieldset class="fe-choices" id="cf-tags-group">' in html
    assert 'name="cf-tags" value="red" checked' in html


def test_conditional_fields_hidden_and_marked_for_js() -> None:
    form = compile_form(SCHEMAS["conditions"])
    html = str(form.render({"channel": "email"}))
    phone = re.search(r'<div class="mb-3 fe-field" id="cf-phone-field"[^>]*>', html)
    email = re.search(r'<div class="mb-3 fe-field" id="cf-email-field"[^>]*>', html)
    assert phone is not None and email is not None
    assert phone.group(0).endswith(" hidden>") and "data-fe-show" in phone.group(0)
    assert "hidden" not in email.group(0)
    assert "&#34;f&#34;:&#34;cf-channel&#34;" in phone.group(0)


def test_repeatable_group_rows_remove_and_template() -> None:
    form = compile_form(SCHEMAS["object_arrays"])
    html = str(form.render({"items": [{"qty": 2, "kind": "part", "sku": "S1"}]}))
    assert 'name="cf-items.0.__row" value="1"' in html
    assert 'name="cf-items.0.__remove"' in html
    assert 'id="cf-items.1.qty"' in html  # one empty row without JS
    assert 'name="cf-items.1.__row"' not in html
    assert '<template data-fe-template="cf-items">' in html
    assert 'data-fe-add="cf-items"' in html
    full = {"items": [{"qty": 1}] * 4}
    assert 'id="cf-items.4.qty"' not in str(form.render(full))  # maxItems reached


def test_readonly_deprecated_examples() -> None:
    schema = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "maxLength": 5, "readOnly": True, "default": "X1"},
            "old": {"type": "string", "maxLength": 5, "deprecated": True, "examples": ["abc"]},
        },
    }
    html = str(compile_form(schema).render())
    assert re.search(r'<input[^>]*id="cf-code"[^>]*readonly[^>]*value="X1"', html)
    assert "obsoleto" in html and 'placeholder="abc"' in html


def test_file_widget() -> None:
    form = compile_form(SCHEMAS["files"])
    html = str(form.render({"attachments": ["att:1"]}))
    assert 'type="file"' in html and 'accept="image/*,application/pdf"' in html
    assert "multiple" in html and 'value="att:1" checked' in html


def test_render_form_wrapper() -> None:
    form = compile_form(SCHEMAS["scalars"])
    html = str(form.render_form("/send?a=1&b=2", hidden={"csrf_token": "t<>"}, submit_label="Go"))
    assert html.startswith(
        '<form method="post" action="/send?a=1&amp;b=2" novalidate enctype="multipart/form-data"'
    )
    assert 'name="csrf_token" value="t&lt;&gt;"' in html and ">Go</button></form>" in html


def test_dependent_schema_field_follows_presence() -> None:
    form = compile_form(SCHEMAS["dependencies"])
    html = str(form.render({}))
    tax = re.search(r'<div class="mb-3 fe-field" id="cf-tax_id-field"[^>]*>', html)
    assert tax is not None and tax.group(0).endswith(" hidden>")
    assert "present" in tax.group(0)
    html = str(form.render({"wants_invoice": "yes"}))
    tax = re.search(r'<div class="mb-3 fe-field" id="cf-tax_id-field"[^>]*>', html)
    assert tax is not None and not tax.group(0).endswith(" hidden>")


def test_else_branch_marked_negated_and_rows_conditions_per_row() -> None:
    form = compile_form(SCHEMAS["else_branch"])
    html = str(form.render({"has_account": True}))
    assert re.search(r'id="cf-new_name-field"[^>]*&#34;neg&#34;:true[^>]*hidden>', html)
    rows = compile_form(SCHEMAS["object_arrays"])
    html = str(rows.render({"items": [{"qty": 1, "kind": "part"}, {"qty": 2}]}))
    first = re.search(r'<div class="mb-3 fe-field" id="cf-items.0.sku-field"[^>]*>', html)
    second = re.search(r'<div class="mb-3 fe-field" id="cf-items.1.sku-field"[^>]*>', html)
    assert first is not None and second is not None
    assert not first.group(0).endswith(" hidden>") and second.group(0).endswith(" hidden>")
    assert "cf-items.0.kind" in first.group(0)


def test_multiselect_and_hidden_widgets() -> None:
    schema = {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"enum": ["a", "b"]}},
            "source": {"type": "string", "maxLength": 10},
        },
    }
    ui = {"fields": {"tags": {"widget": "multiselect"}, "source": {"widget": "hidden"}}}
    form = compile_form(schema, ui)
    html = str(form.render({"tags": ["b"], "source": "web"}))
    assert '<select multiple class="form-select" id="cf-tags" name="cf-tags">' in html
    assert '<option value="b" selected>b</option>' in html
    assert '<input type="hidden" name="cf-source" id="cf-source" value="web">' in html
    assert form.parse({"cf-tags": ["a", "b"], "cf-source": "web"}) == {
        "tags": ["a", "b"],
        "source": "web",
    }


def test_english_interface_strings() -> None:
    form = compile_form(SCHEMAS["object_arrays"])
    html = str(form.render(locale="en", errors={"/items/0/qty": ["x"]}))
    assert "Please fix the following errors:" in html and "Remove this item" in html
    assert ">Cantidad (1)</a>" in html


def test_unknown_field_error_listed_without_link() -> None:
    form = compile_form(SCHEMAS["scalars"])
    errors = form.validate({"name": "a", "zzz": 1})
    html = str(form.render({"name": "a"}, errors))
    assert "<li>zzz: Este campo no está permitido.</li>" in html
