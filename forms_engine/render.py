"""Accessible, Bootstrap 5 HTML for a compiled form (works without JavaScript)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from markupsafe import Markup, escape

from .dates import date_pattern, local_input, typed_date
from .messages import human_size, localized, message
from .model import Node, decimal_text, encode_scalar, json_equal


class RenderedForm(Protocol):
    """What the renderer reads of a compiled form (form.py imports this module, not back)."""

    root: Node
    sections: list[dict[str, Any]]

    def node(self, ptr: str) -> Node | None:
        """The node at a JSON pointer."""

    def label(self, ptr: str, locale: str = "es") -> str:
        """A field's label."""

    def prune(self, instance: Mapping[str, Any]) -> dict[str, Any]:
        """The instance without hidden fields."""

    def _prune_obj(self, node: Node, obj: Mapping[str, Any]) -> dict[str, Any]:
        """One object without its hidden fields."""


REQ = ' aria-required="true"'

INPUT_TYPES = {
    "text": "text",
    "email": "email",
    "url": "url",
    "tel": "tel",
    "date": "date",
    "time": "time",
    "datetime": "datetime-local",
    "number": "number",
}


def _local_date(node: Node) -> bool:
    """A date typed in a text input in the page language's pattern (``_input`` renders it)."""
    return node.kind == "string" and node.fmt == "date" and node.widget in ("date", "text")


def _e(value: Any) -> str:
    return str(escape(value))


def _number_attr(value: Any) -> str:
    """A number in the plain decimal notation HTML's step/min/max take (``0.00001``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return decimal_text(value)
    return encode_scalar(value)


def _attr(name: str, value: Any) -> str:
    return f' {name}="{_e(value)}"'


class Renderer:
    def __init__(
        self,
        form: RenderedForm,
        locale: str,
        prefix: str,
        errors: Mapping[str, list[str]],
        summary: bool = True,
        zone: str | None = None,
        file_labels: Mapping[str, str] | None = None,
    ) -> None:
        self.form = form
        self.locale = locale
        self.zone = zone
        self.prefix = prefix
        self.errors = errors
        self.summary = summary
        self.file_labels = file_labels or {}
        self.out: list[str] = []

    # -------------------------------------------------------------- entry
    def render(self, values: Mapping[str, Any]) -> Markup:
        out = self.out
        if self.errors and self.summary:
            self._summary()
        root = self.form.root
        pruned = self.form.prune(values) if isinstance(values, Mapping) else {}
        values = values if isinstance(values, Mapping) else {}
        base = f"{self.prefix}-"
        placed: set[str] = set()
        for sec in self.form.sections:
            names = [n for n in sec.get("fields", []) if n in root.child_map]
            placed.update(names)
            out.append('<fieldset class="fe-section mb-4">')
            out.append(
                f'<legend class="h5">{_e(localized(sec.get("title"), self.locale) or "")}</legend>'
            )
            desc = localized(sec.get("description"), self.locale)
            if desc:
                out.append(f'<p class="form-text">{_e(desc)}</p>')
            for child in root.children:
                if child.name in names:
                    self._field(child, values, pruned, base, "")
            out.append("</fieldset>")
        for child in root.children:
            if child.name not in placed:
                self._field(child, values, pruned, base, "")
        # every dynamic piece above went through escape()
        return Markup("".join(out))  # noqa: S704

    def summary_items(self) -> list[tuple[str, str, str]]:
        """Each error as (anchor id, or "" when no field shows it; label; message)."""
        items = []
        for ptr, msgs in self.errors.items():
            known = bool(ptr) and self.form.node(ptr) is not None
            label = self.form.label(ptr, self.locale) if ptr else ""
            for msg in msgs:
                items.append((self._anchor(ptr) if known else "", label or ptr, msg))
        return items

    def _summary(self) -> None:
        out = self.out
        out.append(
            f'<div class="alert alert-danger fe-summary" role="alert" tabindex="-1" '
            f'id="{_e(self.prefix)}-errors"><p class="mb-1">'
            f'{_e(message("ui.summary", self.locale))}</p><ul class="mb-0">'
        )
        for anchor, label, msg in self.summary_items():
            if not anchor:
                prefix = f"{label}: " if label else ""
                out.append(f"<li>{_e(prefix)}{_e(msg)}</li>")
                continue
            out.append(
                f'<li><a class="alert-link" href="#{_e(anchor)}">{_e(label)}</a>: {_e(msg)}</li>'
            )
        out.append("</ul></div>")

    def _anchor(self, ptr: str) -> str:
        segs = [p.replace("~1", "/").replace("~0", "~") for p in ptr.split("/")[1:]]
        return f"{self.prefix}-" + ".".join(segs)

    # -------------------------------------------------------------- pieces
    def _label_text(self, node: Node) -> str:
        text = _e(node.title(self.locale))
        if node.branch_required:
            text += (
                '<span class="text-danger" aria-hidden="true"> *</span>'
                f'<span class="visually-hidden"> {_e(message("ui.required", self.locale))}</span>'
            )
        if node.schema.get("deprecated") is True:
            text += (
                ' <span class="badge text-bg-warning">'
                f"{_e(message('ui.deprecated', self.locale))}</span>"
            )
        return text

    def _help_err(self, node: Node, fid: str, ptr: str) -> tuple[str, str, list[str]]:
        """(describedby attr, aria-invalid attr, html pieces for help+errors)."""
        ids: list[str] = []
        pieces: list[str] = []
        help_text = node.help(self.locale)
        if node.kind == "file" and node.file is not None:
            accept = ", ".join(node.file.accept) or message("ui.files_any", self.locale)
            rules = message(
                "ui.files_rules",
                self.locale,
                {"accept": accept, "size": human_size(node.file.max_size)},
            )
            help_text = f"{help_text} {rules}" if help_text else rules
        if help_text:
            ids.append(f"{fid}-help")
            pieces.append(f'<div class="form-text" id="{_e(fid)}-help">{_e(help_text)}</div>')
        if _local_date(node):
            ids.append(f"{fid}-format")
            hint = message("ui.date_hint", self.locale)
            pieces.append(f'<div class="form-text" id="{_e(fid)}-format">{_e(hint)}</div>')
        errs = self.errors.get(ptr)
        if errs:
            ids.append(f"{fid}-error")
            joined = "<br>".join(_e(m) for m in errs)
            pieces.append(
                f'<div class="invalid-feedback d-block" id="{_e(fid)}-error">{joined}</div>'
            )
        described = _attr("aria-describedby", " ".join(ids)) if ids else ""
        invalid = ' aria-invalid="true"' if errs else ""
        return described, invalid, pieces

    def _show(self, node: Node, base: str) -> str:
        if not node.activations:
            return ""
        alts = []
        for act in node.activations:
            js = act.to_js()
            for test in js["all"]:
                test["f"] = base + test["f"]
            alts.append(js)
        return _attr("data-fe-show", json.dumps(alts, separators=(",", ":")))

    # -------------------------------------------------------------- fields
    def _field(
        self,
        node: Node,
        obj: Mapping[str, Any],
        pruned: Mapping[str, Any],
        base: str,
        pbase: str,
    ) -> None:
        name = base + node.name
        ptr = f"{pbase}/{node.name}"
        fid = name
        hidden = bool(node.activations) and not node.visible_in(pruned)
        value = obj.get(node.name)
        if node.widget == "hidden":
            if value is not None and not isinstance(value, dict | list):
                self.out.append(
                    f'<input type="hidden" name="{_e(name)}" id="{_e(fid)}" '
                    f'value="{_e(encode_scalar(value))}">'
                )
            return
        wrap = (
            f'<div class="mb-3 fe-field" id="{_e(fid)}-field" data-fe-name="{_e(name)}"'
            f"{self._show(node, base)}{' hidden' if hidden else ''}>"
        )
        self.out.append(wrap)
        kind = node.kind
        if kind == "object":
            sub = value if isinstance(value, Mapping) else {}
            psub = pruned.get(node.name)
            self._group(node, fid, ptr, sub, psub if isinstance(psub, Mapping) else {}, name)
        elif kind == "object_array":
            self._rows(node, fid, ptr, value if isinstance(value, list) else [], name)
        elif kind == "enum_array":
            self._choices(node, fid, ptr, name, value if isinstance(value, list) else [])
        elif kind == "file":
            self._file(node, fid, ptr, name, value if isinstance(value, list) else [])
        elif kind == "boolean" and node.widget == "checkbox":
            self._checkbox(node, fid, ptr, name, value)
        elif node.widget == "radio":
            self._radio(node, fid, ptr, name, value)
        elif node.widget == "select":
            self._select(node, fid, ptr, name, value)
        elif node.widget == "textarea":
            self._textarea(node, fid, ptr, name, value)
        else:
            self._input(node, fid, ptr, name, value)
        self.out.append("</div>")

    def _placeholder(self, node: Node) -> str:
        text = localized(node.ui.get("placeholder"), self.locale)
        if not text and _local_date(node):
            text = date_pattern(self.locale)
        if not text:
            examples = node.schema.get("examples")
            if isinstance(examples, list) and examples and not isinstance(examples[0], dict | list):
                text = encode_scalar(examples[0])
        return _attr("placeholder", text) if text else ""

    def _common(self, node: Node, fid: str, name: str) -> str:
        attrs = f' id="{_e(fid)}" name="{_e(name)}"'
        if node.branch_required:
            attrs += ' aria-required="true"'
        if node.schema.get("readOnly") is True:
            attrs += " readonly"
        return attrs

    def _input(self, node: Node, fid: str, ptr: str, name: str, value: Any) -> None:
        described, invalid, pieces = self._help_err(node, fid, ptr)
        itype = INPUT_TYPES.get(node.widget, "text")
        text = "" if value is None or isinstance(value, dict | list) else encode_scalar(value)
        if itype == "datetime-local" and text:
            text = local_input(text, self.zone)  # the reader's wall time, when given a zone
        if itype == "datetime-local" and text and (len(text) > 19 or text.endswith(("Z", "z"))):
            itype = "text"  # a value with an offset would be blanked by datetime-local
        itype, text, extra = self._typed(node, itype, text)
        cls = "form-control is-invalid" if invalid else "form-control"
        self.out.append(
            f'<label class="form-label" for="{_e(fid)}">{self._label_text(node)}</label>'
            f'<input type="{itype}" class="{cls}"{self._common(node, fid, name)}'
            f"{_attr('value', text) if text else ''}{self._placeholder(node)}{extra}"
            f"{described}{invalid}>"
        )
        self.out.extend(pieces)

    def _typed(self, node: Node, itype: str, text: str) -> tuple[str, str, str]:
        """The input type, the value shown and the extra attributes, by the field's kind."""
        s = node.schema
        extra = ""
        if _local_date(node):
            # A native date input speaks the browser's language, not the page's: a text
            # input in the page's pattern (19/12/2026), read back by dates.read_date.
            return "text", typed_date(text, self.locale), ' inputmode="numeric" autocomplete="off"'
        if node.kind == "string":
            if isinstance(s.get("maxLength"), int):
                extra += _attr("maxlength", s["maxLength"])
        elif node.kind in ("integer", "number"):
            if node.kind == "integer":
                step: Any = s.get("multipleOf", 1)
            else:
                step = s.get("multipleOf", "any")
            extra += _attr("step", _number_attr(step))
            for key, attr in (("minimum", "min"), ("maximum", "max")):
                if key in s:
                    extra += _attr(attr, _number_attr(s[key]))
            if node.kind == "number":
                itype = "text"
                extra += ' inputmode="decimal"'
        if itype == "time" and text:
            if len(text) > 8:
                itype = "text"  # fractions or an offset: <input type=time> would blank it
            elif len(text) > 5:
                extra += ' step="1"'
        return itype, text, extra

    def _textarea(self, node: Node, fid: str, ptr: str, name: str, value: Any) -> None:
        described, invalid, pieces = self._help_err(node, fid, ptr)
        rows = node.ui.get("rows", 4)
        text = "" if value is None else encode_scalar(value)
        extra = ""
        if isinstance(node.schema.get("maxLength"), int):
            extra = _attr("maxlength", node.schema["maxLength"])
        cls = "form-control is-invalid" if invalid else "form-control"
        self.out.append(
            f'<label class="form-label" for="{_e(fid)}">{self._label_text(node)}</label>'
            f'<textarea class="{cls}" rows="{int(rows)}"{self._common(node, fid, name)}'
            f"{self._placeholder(node)}{extra}{described}{invalid}>\n{_e(text)}</textarea>"
        )
        self.out.extend(pieces)

    def _opts(self, node: Node) -> list[Any]:
        if node.kind == "boolean" and not node.options:
            return [True, False]
        return [v for v, _ in node.options]

    def _readonly_values(self, node: Node, name: str, values: list[Any]) -> str:
        return "".join(
            f'<input type="hidden" name="{_e(name)}" value="{_e(encode_scalar(v))}">'
            for v in values
        )

    def _select(self, node: Node, fid: str, ptr: str, name: str, value: Any) -> None:
        described, invalid, pieces = self._help_err(node, fid, ptr)
        ro = node.schema.get("readOnly") is True
        cls = "form-select is-invalid" if invalid else "form-select"
        parts = [
            f'<label class="form-label" for="{_e(fid)}">{self._label_text(node)}</label>'
            f'<select class="{cls}" id="{_e(fid)}" name="{_e(name)}"'
            f"{REQ if node.branch_required else ''}"
            f"{' disabled' if ro else ''}{described}{invalid}>"
            f'<option value="">{_e(message("ui.choose", self.locale))}</option>'
        ]
        raw = value if isinstance(value, str) else None
        for opt in self._opts(node):
            sel = value is not None and (
                json_equal(opt, value) or (raw is not None and encode_scalar(opt) == raw)
            )
            parts.append(
                f'<option value="{_e(encode_scalar(opt))}"{" selected" if sel else ""}>'
                f"{_e(node.option_label(opt, self.locale))}</option>"
            )
        parts.append("</select>")
        if ro and value is not None:
            parts.append(self._readonly_values(node, name, [value]))
        self.out.append("".join(parts))
        self.out.extend(pieces)

    def _fieldset_open(
        self, node: Node, fid: str, described: str, invalid: str, radio: bool = False
    ) -> None:
        role = ' role="radiogroup"' if radio else ""
        if radio and node.branch_required:
            role += REQ
        self.out.append(
            f'<fieldset class="fe-choices" id="{_e(fid)}-group"{role}{described}>'
            f'<legend class="form-label fs-6">{self._label_text(node)}</legend>'
        )

    def _radio(self, node: Node, fid: str, ptr: str, name: str, value: Any) -> None:
        described, invalid, pieces = self._help_err(node, fid, ptr)
        ro = node.schema.get("readOnly") is True
        self._fieldset_open(node, fid, described, invalid, radio=True)
        cls = "form-check-input is-invalid" if invalid else "form-check-input"
        raw = value if isinstance(value, str) else None
        for i, opt in enumerate(self._opts(node)):
            oid = fid if i == 0 else f"{fid}-{i}"
            checked = value is not None and (
                json_equal(opt, value) or (raw is not None and encode_scalar(opt) == raw)
            )
            self.out.append(
                f'<div class="form-check"><input class="{cls}" type="radio" id="{_e(oid)}" '
                f'name="{_e(name)}" value="{_e(encode_scalar(opt))}"'
                f"{' checked' if checked else ''}{' disabled' if ro else ''}"
                f"{described}{invalid}>"
                f'<label class="form-check-label" for="{_e(oid)}">'
                f"{_e(node.option_label(opt, self.locale))}</label></div>"
            )
        if ro and value is not None:
            self.out.append(self._readonly_values(node, name, [value]))
        self.out.extend(pieces)
        self.out.append("</fieldset>")

    def _choices(self, node: Node, fid: str, ptr: str, name: str, values: list[Any]) -> None:
        described, invalid, pieces = self._help_err(node, fid, ptr)
        ro = node.schema.get("readOnly") is True
        if node.widget == "multiselect":
            cls = "form-select is-invalid" if invalid else "form-select"
            parts = [
                f'<label class="form-label" for="{_e(fid)}">{self._label_text(node)}</label>'
                f'<select multiple class="{cls}" id="{_e(fid)}" name="{_e(name)}"'
                f"{' disabled' if ro else ''}{described}{invalid}>"
            ]
            for opt in self._opts(node):
                sel = any(json_equal(opt, v) or encode_scalar(opt) == v for v in values)
                parts.append(
                    f'<option value="{_e(encode_scalar(opt))}"{" selected" if sel else ""}>'
                    f"{_e(node.option_label(opt, self.locale))}</option>"
                )
            parts.append("</select>")
            self.out.append("".join(parts))
        else:
            self._fieldset_open(node, fid, described, invalid)
            cls = "form-check-input is-invalid" if invalid else "form-check-input"
            for i, opt in enumerate(self._opts(node)):
                oid = fid if i == 0 else f"{fid}-{i}"
                checked = any(json_equal(opt, v) or encode_scalar(opt) == v for v in values)
                self.out.append(
                    f'<div class="form-check"><input class="{cls}" type="checkbox" '
                    f'id="{_e(oid)}" name="{_e(name)}" value="{_e(encode_scalar(opt))}"'
                    f"{' checked' if checked else ''}{' disabled' if ro else ''}"
                    f"{described}{invalid}>"
                    f'<label class="form-check-label" for="{_e(oid)}">'
                    f"{_e(node.option_label(opt, self.locale))}</label></div>"
                )
            self.out.extend(pieces)
            self.out.append("</fieldset>")
            pieces = []
        if ro:
            self.out.append(self._readonly_values(node, name, values))
        self.out.extend(pieces)

    def _checkbox(self, node: Node, fid: str, ptr: str, name: str, value: Any) -> None:
        described, invalid, pieces = self._help_err(node, fid, ptr)
        ro = node.schema.get("readOnly") is True
        cls = "form-check-input is-invalid" if invalid else "form-check-input"
        checked = value is True or (isinstance(value, str) and value.lower() in ("true", "on"))
        self.out.append(
            f'<div class="form-check"><input class="{cls}" type="checkbox" id="{_e(fid)}" '
            f'name="{_e(name)}" value="true"{" checked" if checked else ""}'
            f"{' disabled' if ro else ''}{described}{invalid}>"
            f'<label class="form-check-label" for="{_e(fid)}">{self._label_text(node)}</label>'
        )
        if ro:
            self.out.append(self._readonly_values(node, name, [bool(checked)]))
        self.out.extend(pieces)
        self.out.append("</div>")

    def _file(self, node: Node, fid: str, ptr: str, name: str, refs: list[Any]) -> None:
        described, invalid, pieces = self._help_err(node, fid, ptr)
        assert node.file is not None
        cls = "form-control is-invalid" if invalid else "form-control"
        self.out.append(
            f'<label class="form-label" for="{_e(fid)}">{self._label_text(node)}</label>'
        )
        if refs:
            self.out.append(
                f'<div class="fe-files mb-1"><p class="form-text mb-1">'
                f"{_e(message('ui.files_current', self.locale))}</p>"
            )
            for i, ref in enumerate(refs):
                rid = f"{fid}-ref{i}"
                label = _e(self.file_labels.get(str(ref), ref))
                self.out.append(
                    f'<div class="form-check"><input class="form-check-input" type="checkbox" '
                    f'id="{_e(rid)}" name="{_e(name)}" value="{_e(ref)}" checked>'
                    f'<label class="form-check-label" for="{_e(rid)}">{label}</label></div>'
                )
            self.out.append("</div>")
        multiple = " multiple" if (node.max_items or 2) > 1 else ""
        accept = _attr("accept", ",".join(node.file.accept)) if node.file.accept else ""
        self.out.append(
            f'<input type="file" class="{cls}" id="{_e(fid)}" name="{_e(name)}"{multiple}'
            f"{accept}{REQ if node.branch_required else ''}"
            f"{described}{invalid}>"
        )
        self.out.extend(pieces)

    def _group(
        self,
        node: Node,
        fid: str,
        ptr: str,
        obj: Mapping[str, Any],
        pruned: Mapping[str, Any],
        name: str,
    ) -> None:
        described, invalid, pieces = self._help_err(node, fid, ptr)
        self.out.append(
            f'<fieldset class="fe-group border rounded p-3" id="{_e(fid)}"{described}>'
            f'<legend class="fs-6 float-none w-auto px-1">{self._label_text(node)}</legend>'
        )
        self.out.extend(pieces)
        for child in node.children:
            self._field(child, obj, pruned, name + ".", ptr)
        self.out.append("</fieldset>")

    def _rows(self, node: Node, fid: str, ptr: str, rows: list[Any], name: str) -> None:
        described, invalid, pieces = self._help_err(node, fid, ptr)
        title = node.title(self.locale)
        self.out.append(
            f'<fieldset class="fe-repeat border rounded p-3" id="{_e(fid)}"'
            f' data-fe-repeat="{_e(name)}"{described}>'
            f'<legend class="fs-6 float-none w-auto px-1">{self._label_text(node)}</legend>'
        )
        self.out.extend(pieces)
        self.out.append('<div class="fe-rows">')
        for i, row in enumerate(rows):
            self._row(node, name, ptr, i, row if isinstance(row, Mapping) else {}, True, title)
        count = len(rows)
        limit = node.max_items if node.max_items is not None else count + 1
        if count < limit:
            self._row(node, name, ptr, count, {}, False, title)
        self.out.append("</div>")
        # template row for the JavaScript "add" button (inert without JS)
        saved = self.out
        self.out = []
        self._row(node, name, ptr, INDEX_TOKEN, {}, False, title)
        template = "".join(self.out)
        self.out = saved
        self.out.append(f'<template data-fe-template="{_e(name)}">{template}</template>')
        self.out.append(
            f'<button type="button" class="btn btn-outline-secondary btn-sm" '
            f'data-fe-add="{_e(name)}" data-fe-next="{count + 1}" data-fe-max="{limit}" hidden>'
            f"{_e(message('ui.add', self.locale))}</button>"
        )
        self.out.append("</fieldset>")

    def _row(
        self,
        node: Node,
        name: str,
        ptr: str,
        index: int | str,
        row: Mapping[str, Any],
        existing: bool,
        title: str,
    ) -> None:
        rbase = f"{name}.{index}."
        number = index + 1 if isinstance(index, int) else "__NUMBER__"
        legend = message("ui.row", self.locale, {"title": title, "n": number})
        pruned = self.form._prune_obj(node, row)
        self.out.append(
            f'<fieldset class="fe-row border-top pt-2 mb-2" data-fe-row="{_e(index)}">'
            f'<legend class="fs-6">{_e(legend)}</legend>'
        )
        if existing:
            self.out.append(f'<input type="hidden" name="{_e(rbase)}__row" value="1">')
        for child in node.children:
            self._field(child, row, pruned, rbase, f"{ptr}/{index}")
        rid = f"{rbase}__remove"
        self.out.append(
            f'<div class="form-check mb-2"><input class="form-check-input" type="checkbox" '
            f'id="{_e(rid)}" name="{_e(rid)}" value="true">'
            f'<label class="form-check-label" for="{_e(rid)}">'
            f"{_e(message('ui.remove', self.locale))}</label></div></fieldset>"
        )


INDEX_TOKEN = "__INDEX__"  # noqa: S105
