"""The engine's own message catalogue (Spanish and English), independent of any web framework.

Templates take named parameters written ``{name}``; substitution is plain text replacement
(never ``str.format``), so administrator-written overrides cannot reach Python attributes.
A key ending in ``_one`` is the singular variant used when ``limit`` equals 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

LOCALES: Final = ("es", "en")
DEFAULT_LOCALE: Final = "es"

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "es": {
        "required": "Este campo es obligatorio.",
        "type.string": "Debe ser un texto.",
        "type.integer": "Debe ser un número entero.",
        "type.number": "Debe ser un número.",
        "type.boolean": "Debe ser sí o no.",
        "type.array": "Debe ser una lista de valores.",
        "type.object": "Debe ser un grupo de campos.",
        "enum": "Elige una de las opciones permitidas.",
        "const": "Debe ser «{value}».",
        "minLength": "Debe tener al menos {limit} caracteres.",
        "minLength_one": "No puede estar vacío.",
        "maxLength": "Debe tener como máximo {limit} caracteres.",
        "maxLength_one": "Debe tener como máximo 1 carácter.",
        "pattern": "No tiene el formato esperado.",
        "minimum": "Debe ser mayor o igual que {limit}.",
        "maximum": "Debe ser menor o igual que {limit}.",
        "exclusiveMinimum": "Debe ser mayor que {limit}.",
        "exclusiveMaximum": "Debe ser menor que {limit}.",
        "multipleOf": "Debe ser múltiplo de {limit}.",
        "minItems": "Indica al menos {limit} elementos.",
        "minItems_one": "Indica al menos un elemento.",
        "maxItems": "Indica como máximo {limit} elementos.",
        "maxItems_one": "Indica como máximo un elemento.",
        "uniqueItems": "No repitas elementos.",
        "additionalProperties": "Este campo no está permitido.",
        "format.email": "Introduce una dirección de correo válida.",
        "format.date": "Introduce una fecha válida (AAAA-MM-DD).",
        "format.date-time": (
            "Indica la fecha y la hora con su desfase horario, "
            "por ejemplo 2026-03-01T10:00:00-03:00."
        ),
        "format.date.typed": "Escribe la fecha como dd/mm/aaaa, por ejemplo 19/12/2026.",
        "format.date-time.typed": "Elige una fecha y una hora válidas.",
        "format.time": "Introduce una hora válida (HH:MM).",
        "format.uri": "Introduce una dirección válida, por ejemplo https://ejemplo.org.",
        "format.uuid": "Introduce un identificador UUID válido.",
        "format.phone": "Introduce un teléfono válido (de 7 a 15 dígitos).",
        "invalid": "Valor no válido.",
        "not_object": "El formulario debe ser un objeto JSON.",
        # interface strings
        "ui.required": "(obligatorio)",
        "ui.deprecated": "obsoleto",
        "ui.summary": "Revisa los siguientes errores:",
        "ui.choose": "— Elige una opción —",
        "ui.yes": "Sí",
        "ui.no": "No",
        "ui.add": "Añadir",
        "ui.remove": "Quitar este elemento",
        "ui.row": "{title} {n}",
        "ui.files_current": "Archivos actuales (desmarca para quitar):",
        "ui.files_rules": "Tipos aceptados: {accept}. Tamaño máximo: {size}.",
        "ui.files_any": "Cualquier tipo",
        "ui.submit": "Enviar",
        "ui.date_pattern": "dd/mm/aaaa",
        "ui.date_hint": "Formato dd/mm/aaaa, por ejemplo 19/12/2026.",
        "ui.file_type": "Tipo de archivo no admitido: {name}.",
        "ui.file_size": "El archivo {name} supera el tamaño máximo ({size}).",
    },
    "en": {
        "required": "This field is required.",
        "type.string": "Must be text.",
        "type.integer": "Must be a whole number.",
        "type.number": "Must be a number.",
        "type.boolean": "Must be yes or no.",
        "type.array": "Must be a list of values.",
        "type.object": "Must be a group of fields.",
        "enum": "Choose one of the allowed options.",
        "const": "Must be “{value}”.",
        "minLength": "Must be at least {limit} characters long.",
        "minLength_one": "Must not be empty.",
        "maxLength": "Must be at most {limit} characters long.",
        "maxLength_one": "Must be at most 1 character long.",
        "pattern": "Does not have the expected format.",
        "minimum": "Must be greater than or equal to {limit}.",
        "maximum": "Must be less than or equal to {limit}.",
        "exclusiveMinimum": "Must be greater than {limit}.",
        "exclusiveMaximum": "Must be less than {limit}.",
        "multipleOf": "Must be a multiple of {limit}.",
        "minItems": "Give at least {limit} items.",
        "minItems_one": "Give at least one item.",
        "maxItems": "Give at most {limit} items.",
        "maxItems_one": "Give at most one item.",
        "uniqueItems": "Do not repeat items.",
        "additionalProperties": "This field is not allowed.",
        "format.email": "Enter a valid email address.",
        "format.date": "Enter a valid date (YYYY-MM-DD).",
        "format.date-time": (
            "Give the date and time with its UTC offset, for example 2026-03-01T10:00:00-03:00."
        ),
        "format.date.typed": "Write the date as mm/dd/yyyy, for example 12/19/2026.",
        "format.date-time.typed": "Choose a valid date and time.",
        "format.time": "Enter a valid time (HH:MM).",
        "format.uri": "Enter a valid address, for example https://example.org.",
        "format.uuid": "Enter a valid UUID.",
        "format.phone": "Enter a valid phone number (7 to 15 digits).",
        "invalid": "Invalid value.",
        "not_object": "The form data must be a JSON object.",
        "ui.required": "(required)",
        "ui.deprecated": "deprecated",
        "ui.summary": "Please fix the following errors:",
        "ui.choose": "— Choose an option —",
        "ui.yes": "Yes",
        "ui.no": "No",
        "ui.add": "Add",
        "ui.remove": "Remove this item",
        "ui.row": "{title} {n}",
        "ui.files_current": "Current files (untick to remove):",
        "ui.files_rules": "Accepted types: {accept}. Maximum size: {size}.",
        "ui.files_any": "Any type",
        "ui.submit": "Submit",
        "ui.date_pattern": "mm/dd/yyyy",
        "ui.date_hint": "Format mm/dd/yyyy, for example 12/19/2026.",
        "ui.file_type": "File type not accepted: {name}.",
        "ui.file_size": "The file {name} is larger than the maximum size ({size}).",
    },
}

#: Keywords whose message can be overridden per field in the UI hints (``errors``).
OVERRIDABLE: Final = frozenset(
    {
        "required",
        "type",
        "enum",
        "const",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
    }
)


def norm_locale(locale: str | None) -> str:
    """``"en_US"`` / ``"en-GB"`` → ``"en"``; unknown locales fall back to Spanish."""
    if not locale:
        return DEFAULT_LOCALE
    base = locale.replace("-", "_").split("_", 1)[0].lower()
    return base if base in MESSAGES else DEFAULT_LOCALE


def substitute(template: str, params: Mapping[str, object]) -> str:
    out = template
    for key, value in params.items():
        out = out.replace("{" + key + "}", str(value))
    return out


def message(key: str, locale: str, params: Mapping[str, object] | None = None) -> str:
    """The catalogue text for ``key`` in ``locale`` with ``params`` substituted."""
    catalogue = MESSAGES[norm_locale(locale)]
    params = params or {}
    if str(params.get("limit")) == "1" and key + "_one" in catalogue:
        key = key + "_one"
    template = catalogue.get(key)
    if template is None:
        template = MESSAGES[DEFAULT_LOCALE].get(key, catalogue["invalid"])
    return substitute(template, params)


def localized(text: str | Mapping[str, str] | None, locale: str) -> str | None:
    """Pick ``locale`` from a string-or-map UI text (fallback: es, en, then any)."""
    if text is None or isinstance(text, str):
        return text
    loc = norm_locale(locale)
    for key in (locale, loc, DEFAULT_LOCALE, "en"):
        value = text.get(key)
        if isinstance(value, str):
            return value
    for value in text.values():
        if isinstance(value, str):
            return value
    return None


def human_size(size: int) -> str:
    """A byte count as people read it (KB, MB)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"
