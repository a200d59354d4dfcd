"""describe(), labels, caching, CLI, isolation from the app, typing and lint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import forms_engine
from forms_engine import CompiledForm, Field, SchemaError, compile_form

sys.path.insert(0, str(Path(__file__).parent))
from fe_schemas import SCHEMAS, UI  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def test_describe_flat_typed_fields() -> None:
    form = compile_form(SCHEMAS["conditions"])
    fields = {f.path: f for f in form.describe()}
    assert list(fields) == ["/channel", "/phone", "/email", "/reason"]
    channel = fields["/channel"]
    assert isinstance(channel, Field)
    assert channel.type == "string" and channel.required and channel.widget == "radio"
    assert channel.options[0] == ("phone", {"es": "Teléfono", "en": "Teléfono"})
    assert channel.label("es") == "Canal"
    assert fields["/phone"].format == "phone" and fields["/phone"].conditional
    assert not fields["/phone"].read_only

    nested = {f.path: f for f in compile_form(SCHEMAS["object_arrays"]).describe()}
    assert nested["/items"].type == "array" and nested["/items"].widget == "group"
    assert nested["/items/*/qty"].type == "integer" and nested["/items/*/qty"].repeated
    files = {f.path: f for f in compile_form(SCHEMAS["files"]).describe()}
    assert files["/attachments"].type == "file"


def test_describe_is_worked_out_once_per_compiled_form(monkeypatch: pytest.MonkeyPatch) -> None:
    form = compile_form(SCHEMAS["choices"], UI["choices"])
    first = form.describe()
    walks: list[int] = []
    monkeypatch.setattr(CompiledForm, "_describe", lambda *_args: walks.append(1))
    again = form.describe()
    assert again == first and again is not first and walks == []
    again.clear()  # each caller gets its own list
    assert form.describe() == first


def test_labels_and_option_labels() -> None:
    form = compile_form(SCHEMAS["choices"], UI["choices"])
    assert form.option_label("/priority", 3, "es") == "Alta"
    assert form.option_label("/color", "a", "en") == "Blue"
    assert form.option_label("/remote", True, "en") == "Yes"
    rows = compile_form(SCHEMAS["object_arrays"])
    assert rows.label("/items/1/qty", "es") == "Cantidad (2)"


def test_cache_returns_same_object() -> None:
    a = compile_form(SCHEMAS["nested"])
    b = compile_form(json.loads(json.dumps(SCHEMAS["nested"])))
    assert a is b and isinstance(a, CompiledForm)
    assert len(a.hash) == 64
    assert compile_form(SCHEMAS["nested"], {"order": ["urgent"]}) is not a


def test_compiled_form_is_isolated_from_caller_mutation() -> None:
    schema = json.loads(json.dumps(SCHEMAS["scalars"]))
    form = compile_form(schema)
    schema["properties"]["name"]["maxLength"] = 1
    assert form.schema["properties"]["name"]["maxLength"] == 40


def test_static_path_has_script() -> None:
    assert (forms_engine.static_path() / "forms_engine.js").is_file()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "forms_engine", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_cli_check(tmp_path: Path) -> None:
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps(SCHEMAS["nested"]))
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"contact": {"email": "a@b.co"}}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"contact": {}}))
    result = _cli("check", str(schema))
    assert (result.returncode, result.stdout) == (0, "")
    result = _cli("check", str(schema), str(good))
    assert (result.returncode, result.stdout) == (0, "")
    result = _cli("check", str(schema), str(bad))
    assert result.returncode == 1
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"pointer": "/contact/email", "message": "Este campo es obligatorio."}
    ]


def test_cli_refused_schema_and_bad_json(tmp_path: Path) -> None:
    hostile = tmp_path / "h.json"
    hostile.write_text(json.dumps({"type": "object", "properties": {"a": {"$ref": "https://x"}}}))
    result = _cli("check", str(hostile))
    assert result.returncode == 1
    line = json.loads(result.stdout.splitlines()[0])
    assert line["pointer"] == "/properties/a/$ref" and "remoto" in line["message"]
    result = _cli("check", str(hostile), "--lang", "en")
    assert (
        result.returncode == 1 and "remote" in json.loads(result.stdout.splitlines()[0])["message"]
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")
    result = _cli("check", str(broken))
    assert result.returncode == 1
    assert "not valid JSON" in json.loads(result.stdout)["message"]
    result = _cli("check", str(tmp_path / "missing.json"))
    assert result.returncode == 1 and "cannot read" in result.stdout


def test_cli_render(tmp_path: Path) -> None:
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps(SCHEMAS["scalars"]))
    ui = tmp_path / "ui.json"
    ui.write_text(json.dumps(UI["scalars"]))
    result = _cli("render", str(schema), "--ui", str(ui), "--lang", "en")
    assert result.returncode == 0 and "Your name" in result.stdout


def test_no_web_framework_imports() -> None:
    code = (
        "import sys, forms_engine\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'flask_sqlalchemy', 'sqlalchemy', 'servicedesk', 'flask_babel', 'wtforms')]\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == ""


def test_mypy_strict_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "forms_engine"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_clean() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "forms_engine",
            "tests/forms_engine",
            "bench/forms.py",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if "No module named ruff" in result.stderr:
        pytest.skip("ruff not installed")
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_error_is_value_error_with_problems() -> None:
    with pytest.raises(ValueError, match="invalid form schema") as info:
        compile_form({"type": "object", "properties": {"a": {"type": "string"}}})
    assert isinstance(info.value, SchemaError)
    assert info.value.problems[0].as_dict() == {
        "pointer": "/properties/a",
        "message": "a free-text field needs maxLength (enum, const and formats carry their own)",
    }


def test_every_catalogue_key_exists_in_both_languages() -> None:
    """Issue #17: validation, interface and schema problems are complete in es and en."""
    from forms_engine.messages import MESSAGES, SCHEMA_TEXTS

    assert set(MESSAGES["es"]) == set(MESSAGES["en"])
    assert all(MESSAGES["es"][k] and MESSAGES["en"][k] for k in MESSAGES["es"])
    assert {"schema." + k for k in SCHEMA_TEXTS} <= set(MESSAGES["es"])


def test_schema_problems_speak_the_readers_language() -> None:
    schema = {"type": "object", "properties": {"x": {"$ref": "https://example.org/x"}}}
    with pytest.raises(SchemaError) as info:
        compile_form(schema)
    [problem] = info.value.problems
    assert problem.message.startswith("remote $ref is not allowed")
    assert problem.text("es").startswith("no se admite un $ref remoto")
    assert info.value.localized("en")[0].message == problem.message


def test_decimal_multiple_of_and_plain_html_hints() -> None:
    """Issue #17: 1234.56 is a multiple of 0.01; step/min/max are plain decimals."""
    schema = {
        "type": "object",
        "properties": {
            "budget": {"type": "number", "multipleOf": 0.01, "minimum": 0.00001},
            "qty": {"type": "integer", "multipleOf": 1, "maximum": 1e16},
        },
    }
    form = compile_form(schema)
    for typed in ("1234,56", "1234.56"):
        parsed = form.parse({"cf-budget": typed})
        assert parsed == {"budget": 1234.56} and form.validate(parsed) == {}
    assert form.validate({"budget": 1234.567}, "es") == {"/budget": ["Debe ser múltiplo de 0,01."]}
    html = str(form.render())
    assert 'step="0.01"' in html and 'min="0.00001"' in html and "e-05" not in html
    assert 'max="10000000000000000"' in html
