"""Parsing form data: presence not truthiness, hidden means gone, groups and rows rebuilt."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from forms_engine import compile_form

sys.path.insert(0, str(Path(__file__).parent))
from fe_schemas import SCHEMAS, UI  # noqa: E402


class MultiDict:
    """The werkzeug MultiDict surface the engine uses (getlist + iteration)."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs

    def getlist(self, name: str) -> list[Any]:
        return [v for k, v in self.pairs if k == name]

    def __iter__(self) -> Any:
        return iter(dict.fromkeys(k for k, _ in self.pairs))


def test_presence_not_truthiness() -> None:
    form = compile_form(SCHEMAS["scalars"])
    data = form.parse({"cf-name": "0", "cf-age": "0", "cf-ratio": "", "cf-notes": ""})
    assert data == {"name": "0", "age": 0, "agree": False}


def test_unchecked_checkbox_is_false_and_checked_true() -> None:
    form = compile_form(SCHEMAS["scalars"])
    assert form.parse({"cf-name": "a"})["agree"] is False
    assert form.parse({"cf-name": "a", "cf-agree": "true"})["agree"] is True


def test_numbers_parsed_and_bad_numbers_kept_raw() -> None:
    form = compile_form(SCHEMAS["scalars"])
    data = form.parse({"cf-name": "a", "cf-age": "12", "cf-ratio": "2,5"})
    assert data["age"] == 12 and data["ratio"] == 2.5
    data = form.parse({"cf-name": "a", "cf-age": "doce"})
    assert data["age"] == "doce"
    assert form.validate(data, "en") == {"/age": ["Must be a whole number."]}


def test_hidden_conditional_field_removed() -> None:
    form = compile_form(SCHEMAS["conditions"])
    data = form.parse({"cf-channel": "email", "cf-email": "a@b.co", "cf-phone": "600000000"})
    assert data == {"channel": "email", "email": "a@b.co"}
    data = form.parse({"cf-channel": "phone", "cf-phone": "600000000", "cf-reason": "x"})
    assert data == {"channel": "phone", "phone": "600000000", "reason": "x"}


def test_enum_arrays_from_repeated_names() -> None:
    form = compile_form(SCHEMAS["enum_arrays"])
    fd = MultiDict([("cf-tags", "red"), ("cf-tags", "blue"), ("cf-levels", "2"), ("cf-size", "0")])
    assert form.parse(fd) == {"tags": ["red", "blue"], "levels": [2], "size": 0}


def test_nested_objects_rebuilt() -> None:
    form = compile_form(SCHEMAS["nested"])
    data = form.parse({"cf-contact.email": "a@b.co", "cf-contact.address.city": "Vigo"})
    assert data == {"contact": {"email": "a@b.co", "address": {"city": "Vigo"}}, "urgent": False}


def test_repeatable_rows_in_index_order_skipping_removed_and_empty() -> None:
    form = compile_form(SCHEMAS["object_arrays"])
    fd = MultiDict(
        [
            ("cf-items.10.qty", "3"),
            ("cf-items.2.qty", "1"),
            ("cf-items.2.kind", "part"),
            ("cf-items.2.sku", "AB1"),
            ("cf-items.5.qty", "9"),
            ("cf-items.5.__remove", "true"),
            ("cf-items.7.qty", ""),  # the empty spare row
            ("cf-items.8.kind", "service"),
            ("cf-items.8.sku", "hidden"),  # sku only shows for parts
        ]
    )
    assert form.parse(fd) == {
        "items": [
            {"qty": 1, "kind": "part", "sku": "AB1", "gift": False},
            {"kind": "service", "gift": False},
            {"qty": 3, "gift": False},
        ]
    }


def test_mapping_with_lists_and_prefix() -> None:
    form = compile_form(SCHEMAS["enum_arrays"])
    assert form.parse({"x-tags": ["red", "green"]}, prefix="x") == {"tags": ["red", "green"]}


def test_to_form_data_is_inverse() -> None:
    form = compile_form(SCHEMAS["object_arrays"])
    x = {"items": [{"qty": 2, "kind": "part", "sku": "Z", "gift": True}, {"gift": False}]}
    data = form.to_form_data(x)
    assert data["cf-items.0.qty"] == ["2"]
    assert form.parse(data) == x


def test_boolean_radio_can_be_absent() -> None:
    form = compile_form(SCHEMAS["choices"], UI["choices"])
    assert form.parse({}) == {}
    assert form.parse({"cf-remote": "false"}) == {"remote": False}


def test_file_refs_and_uploads() -> None:
    class Upload:
        def __init__(self, filename: str, size: int, mimetype: str) -> None:
            self.filename = filename
            self.content_length = size
            self.mimetype = mimetype

    form = compile_form(SCHEMAS["files"])
    fd = MultiDict([("cf-attachments", "att:1"), ("cf-attachments", "att:2")])
    assert form.parse(fd) == {"attachments": ["att:1", "att:2"]}
    good, empty = Upload("a.png", 10, "image/png"), Upload("", 0, "")
    big, bad = Upload("b.pdf", 5_000_000, "application/pdf"), Upload("c.exe", 1, "x/exe")
    files = MultiDict([("cf-attachments", good), ("cf-attachments", empty)])
    assert form.uploads(files) == {"/attachments": [good]}
    errors = form.file_errors(MultiDict([("cf-attachments", big), ("cf-attachments", bad)]))
    assert len(errors["/attachments"]) == 2


def test_uploads_skip_hidden_file_fields() -> None:
    class Upload:
        filename = "a.pdf"
        content_length = 3
        mimetype = "application/pdf"

    schema = {
        "type": "object",
        "properties": {"kind": {"enum": ["doc", "none"]}},
        "if": {"properties": {"kind": {"const": "doc"}}, "required": ["kind"]},
        "then": {
            "properties": {
                "extra": {
                    "type": "object",
                    "properties": {
                        "scan": {
                            "type": "array",
                            "items": {"type": "string"},
                            "maxItems": 1,
                            "x-file": {"accept": ["application/pdf"]},
                        }
                    },
                }
            }
        },
    }
    form = compile_form(schema)
    upload = Upload()
    files = {"cf-extra.scan": upload}
    assert form.uploads(files) == {"/extra/scan": [upload]}
    assert form.uploads(files, values={"kind": "doc"}) == {"/extra/scan": [upload]}
    assert form.uploads(files, values={"kind": "none"}) == {}
    assert form.file_errors(files, values={"kind": "doc"}) == {}
