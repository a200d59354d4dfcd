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

#: Compile problems and warnings, for administrators: key → (English, Spanish).
SCHEMA_TEXTS: Final[dict[str, tuple[str, str]]] = {
    # size and shape of the JSON (precheck)
    "deep": (
        "nested deeper than {max} levels of JSON; simplify it",
        "anidado a más de {max} niveles de JSON; simplifícalo",
    ),
    "objects": (
        "more than {max} JSON objects; simplify the form",
        "más de {max} objetos JSON; simplifica el formulario",
    ),
    "keys": ("object keys must be strings", "las claves de un objeto deben ser textos"),
    "unicode": (
        "text must be valid Unicode (a lone surrogate such as \\ud800 is not)",
        "el texto debe ser Unicode válido (un sustituto suelto como \\ud800 no lo es)",
    ),
    "finite": ("numbers must be finite", "los números deben ser finitos"),
    "not_json": ("not a JSON value ({type})", "no es un valor JSON ({type})"),
    "size": (
        "larger than the {max} KB limit; split the form",
        "supera el límite de {max} KB; divide el formulario",
    ),
    "serialise": ("not serialisable as JSON: {detail}", "no se puede escribir como JSON: {detail}"),
    "unanticipated": (
        "the schema has an unsupported structure",
        "el esquema tiene una estructura no admitida",
    ),
    "invalid": ("invalid schema", "esquema no válido"),
    # the document
    "meta": (
        "not valid JSON Schema 2020-12: {detail}",
        "no es JSON Schema 2020-12 válido: {detail}",
    ),
    "root_object": (
        "the root of a form schema must be an object schema",
        "la raíz de un esquema de formulario debe ser un esquema de objeto",
    ),
    "root_shape": (
        'the root must be {"type": "object", "properties": {...}}',
        'la raíz debe ser {"type": "object", "properties": {...}}',
    ),
    "draft": (
        "only JSON Schema 2020-12 ({uri}) is supported",
        "solo se admite JSON Schema 2020-12 ({uri})",
    ),
    "too_many_fields": (
        "more than {max} fields; split the form",
        "más de {max} campos; divide el formulario",
    ),
    # references
    "ref_string": ("$ref must be a string", "$ref debe ser un texto"),
    "ref_remote": (
        "remote $ref is not allowed ({ref}); use #/$defs/<name>",
        "no se admite un $ref remoto ({ref}); usa #/$defs/<nombre>",
    ),
    "ref_file": (
        "file $ref is not allowed ({ref}); use #/$defs/<name>",
        "no se admite un $ref a un archivo ({ref}); usa #/$defs/<nombre>",
    ),
    "ref_local": (
        "only local references of the form #/$defs/<name> are supported ({ref})",
        "solo se admiten referencias locales de la forma #/$defs/<nombre> ({ref})",
    ),
    "ref_unknown": (
        "$ref to an unknown definition: {name}",
        "$ref a una definición que no existe: {name}",
    ),
    "ref_cycle": ("$ref cycle: {cycle}", "ciclo de $ref: {cycle}"),
    "ref_conflict": (
        "'{key}' beside $ref differs from the one in #/$defs/{name}; JSON Schema applies both, "
        "so write the stricter one in a definition of its own",
        "'{key}' junto a $ref no coincide con el de #/$defs/{name}; JSON Schema aplica los "
        "dos, así que escribe el más estricto en una definición propia",
    ),
    "def_object": (
        "a definition must be an object schema",
        "una definición debe ser un esquema de objeto",
    ),
    # fields
    "field_object": (
        "a field must be described by an object schema (not true/false)",
        "un campo debe describirse con un esquema de objeto (no true/false)",
    ),
    "root_only": ("'{key}' is only allowed at the root", "'{key}' solo se admite en la raíz"),
    "unsupported": ("unsupported keyword '{key}'", "palabra clave no admitida: '{key}'"),
    "legacy_2019": (
        "unsupported keyword '{key}' (draft 2019-09; not supported)",
        "palabra clave no admitida: '{key}' (borrador 2019-09; no se admite)",
    ),
    "legacy_definitions": (
        "unsupported keyword 'definitions' (draft-07; use $defs and #/$defs/<name> references)",
        "palabra clave no admitida: 'definitions' (draft-07; usa $defs y referencias "
        "#/$defs/<nombre>)",
    ),
    "no_type": (
        "add a type (string, integer, number, boolean, object or array); it cannot be "
        "inferred from mixed or missing options",
        "añade un type (string, integer, number, boolean, object o array); no se puede "
        "deducir de opciones mezcladas o ausentes",
    ),
    "type_list": (
        "type must be one type: a form field holds one kind of value (an empty field is "
        'left out, never null), so lists like ["string", "null"] are not supported',
        "type debe ser un solo tipo: un campo de formulario guarda un solo tipo de valor (un "
        "campo vacío se omite, nunca es null), así que no se admiten listas como "
        '["string", "null"]',
    ),
    "type_unknown": ("unsupported type '{type}'", "tipo no admitido: '{type}'"),
    "type_null": (
        "type null is not supported: an empty field is left out, never null",
        "no se admite el tipo null: un campo vacío se omite, nunca es null",
    ),
    "option_null": (
        "null cannot be an option: an empty field is left out, never null",
        "null no puede ser una opción: un campo vacío se omite, nunca es null",
    ),
    "option_kind": (
        "options must be text, numbers or true/false (no input gives an object or a list)",
        "las opciones deben ser textos, números o true/false (ningún campo da un objeto "
        "o una lista)",
    ),
    "enum_empty": (
        "enum needs at least one option",
        "enum necesita al menos una opción",
    ),
    "too_deep": (
        "objects are nested more than {max} levels deep",
        "los objetos están anidados a más de {max} niveles",
    ),
    "one_of": (
        'oneOf is only supported as a list of {"const": ..., "title": ...}',
        'oneOf solo se admite como lista de {"const": ..., "title": ...}',
    ),
    "too_many_options": ("more than {max} options", "más de {max} opciones"),
    "option_type": (
        "option {value} is not of type {type}",
        "la opción {value} no es de tipo {type}",
    ),
    "option_empty": (
        "the empty string cannot be an option (empty means absent)",
        "el texto vacío no puede ser una opción (vacío significa sin respuesta)",
    ),
    "option_duplicate": ("duplicate option", "opción repetida"),
    "format_unknown": (
        "unknown format '{format}' (supported: {known})",
        "formato desconocido: '{format}' (admitidos: {known})",
    ),
    "max_length": (
        "a free-text field needs maxLength (enum, const and formats carry their own)",
        "un campo de texto libre necesita maxLength (enum, const y los formatos llevan el suyo)",
    ),
    "multiple_positive": ("multipleOf must be positive", "multipleOf debe ser positivo"),
    "default": ("default is not a valid {type}", "default no es un {type} válido"),
    "pattern_long": (
        "pattern longer than {max} characters",
        "pattern de más de {max} caracteres",
    ),
    "pattern_re2": (
        "pattern is not supported by RE2: {detail}",
        "RE2 no admite este pattern: {detail}",
    ),
    # arrays
    "array_items": ("an array field needs items", "un campo de lista necesita items"),
    "items_object": ("items must be an object schema", "items debe ser un esquema de objeto"),
    "group_max": ("a repeatable group needs maxItems", "un grupo repetible necesita maxItems"),
    "group_nested": (
        "repeatable groups cannot be nested inside repeatable groups",
        "un grupo repetible no puede ir dentro de otro grupo repetible",
    ),
    "items_enum": (
        "array items must be enumerated (enum or oneOf) objects, or a file",
        "los elementos de una lista deben ser opciones (enum u oneOf), objetos o un archivo",
    ),
    "default_options": (
        "default must be a list of the options",
        "default debe ser una lista de las opciones",
    ),
    "items_kind": (
        "array items must be enumerated values, objects or a file",
        "los elementos de una lista deben ser opciones, objetos o un archivo",
    ),
    "option_fails": (
        "option {value} does not satisfy the items' {key}: it could never be chosen",
        "la opción {value} no cumple el {key} de los elementos: nunca podría elegirse",
    ),
    # files
    "file_in_group": (
        "file fields are not supported inside repeatable groups",
        "un campo de archivos no puede ir dentro de un grupo repetible",
    ),
    "file_items": (
        'file fields hold attachment references: items {"type": "string"}',
        'un campo de archivos guarda referencias a adjuntos: items {"type": "string"}',
    ),
    "file_max": ("a file field needs maxItems", "un campo de archivos necesita maxItems"),
    "file_spec": (
        'x-file must be an object {"accept": [...], "maxSize": bytes}',
        'x-file debe ser un objeto {"accept": [...], "maxSize": bytes}',
    ),
    "file_key": ("unknown x-file key '{key}'", "clave de x-file desconocida: '{key}'"),
    "file_accept": (
        "accept must be a list of MIME types or .extensions",
        "accept debe ser una lista de tipos MIME o .extensiones",
    ),
    "file_size": (
        "maxSize must be a positive number of bytes",
        "maxSize debe ser un número positivo de bytes",
    ),
    # objects and conditions
    "additional": (
        "additionalProperties can only be false (the engine always enforces it)",
        "additionalProperties solo puede ser false (el motor siempre lo aplica)",
    ),
    "required_unknown": (
        "required names an unknown field: {name}",
        "required nombra un campo que no existe: {name}",
    ),
    "all_of_item": (
        "allOf items must be condition objects",
        "los elementos de allOf deben ser objetos de condición",
    ),
    "all_of_key": (
        "allOf items may only hold conditions (not '{key}')",
        "los elementos de allOf solo pueden contener condiciones (no '{key}')",
    ),
    "condition_unknown": (
        "condition names an unknown field: {name}",
        "la condición nombra un campo que no existe: {name}",
    ),
    "conditional_elsewhere": (
        "'{name}' is a conditional field declared elsewhere: it could be required while "
        "hidden; declare it in this branch",
        "'{name}' es un campo condicional declarado en otra rama: podría ser obligatorio "
        "estando oculto; decláralo en esta rama",
    ),
    "field_name": (
        "field names must be 1-64 ASCII letters, digits, _ or -, start with a letter or _, "
        "and not start with __",
        "los nombres de campo deben tener de 1 a 64 letras ASCII, dígitos, _ o -, empezar por "
        "una letra o _, y no empezar por __",
    ),
    "branch_differs": (
        "'{name}' is declared differently in another branch",
        "'{name}' está declarado de otra forma en otra rama",
    ),
    "refine_key": (
        "a branch can only tighten '{name}' with constraints of a {type} field (not '{key}')",
        "una rama solo puede endurecer '{name}' con restricciones de un campo {type} (no '{key}')",
    ),
    "refine_type": (
        "a branch cannot change the type of '{name}' ({type})",
        "una rama no puede cambiar el tipo de '{name}' ({type})",
    ),
    "refine_schema": (
        "a branch can only tighten '{name}' with an object schema",
        "una rama solo puede endurecer '{name}' con un esquema de objeto",
    ),
    "if_shape": (
        'if must look like {"properties": {"field": {"const": value}}, "required": ["field"]} '
        "(const or enum tests on sibling fields)",
        'if debe tener la forma {"properties": {"campo": {"const": valor}}, "required": '
        '["campo"]} (pruebas const o enum sobre campos hermanos)',
    ),
    "if_scalar": (
        "if tests compare with strings, numbers or booleans only",
        "las pruebas de if solo comparan con textos, números o booleanos",
    ),
    "branch_shape": (
        "a branch may only hold properties (new conditional fields or tighter declared "
        "ones) and required",
        "una rama solo puede contener properties (campos condicionales nuevos o más "
        "estrictos que los declarados) y required",
    ),
    "if_controller": (
        "if can only test const/enum of scalar fields (not '{name}')",
        "if solo puede probar const/enum de campos simples (no '{name}')",
    ),
    "cycle": (
        "conditional fields depend on each other in a cycle: {names}",
        "los campos condicionales dependen unos de otros en un ciclo: {names}",
    ),
    "dependency_twice": (
        "'{name}' has a dependency both here and in {other}; write it once",
        "'{name}' tiene una dependencia aquí y en {other}; escríbela una sola vez",
    ),
    "field_condition": (
        "a condition inside a field may only use the keywords of a {type} field (not '{key}')",
        "una condición dentro de un campo solo puede usar las palabras clave de un campo "
        "{type} (no '{key}')",
    ),
    # warnings: accepted, shown in the review
    "warn_not_applicable": (
        "'{key}' does not apply to a {type} field; it is ignored",
        "'{key}' no se aplica a un campo {type}; se ignora",
    ),
    "warn_enum_items": (
        "'{key}' on the options of a list is redundant: the options fix the values",
        "'{key}' en las opciones de una lista es redundante: las opciones fijan los valores",
    ),
    "warn_never_fails": (
        "'{key}' can never fail here; it is ignored",
        "'{key}' nunca puede fallar aquí; se ignora",
    ),
    "warn_without_if": (
        "'{key}' without if is ignored",
        "'{key}' sin if se ignora",
    ),
    "warn_never_allowed": (
        "'{name}' is false: it never admits a value, so the form leaves it out",
        "'{name}' es false: nunca admite un valor, así que el formulario no lo incluye",
    ),
    "warn_dependencies": (
        "'dependencies' (draft-07) is read as dependentRequired (lists of names) and "
        "dependentSchemas (branches); prefer those keywords",
        "'dependencies' (draft-07) se lee como dependentRequired (listas de nombres) y "
        "dependentSchemas (ramas); mejor usa esas palabras clave",
    ),
    # UI hints
    "ui_object": ("UI hints must be an object", "las indicaciones de interfaz deben ser un objeto"),
    "ui_top": (
        "unknown UI hint '{key}' (order, fields, sections)",
        "indicación desconocida: '{key}' (order, fields, sections)",
    ),
    "ui_fields": (
        "fields must be an object keyed by field name",
        "fields debe ser un objeto con los nombres de campo como claves",
    ),
    "ui_unknown_field": ("unknown field '{name}'", "campo desconocido: '{name}'"),
    "ui_field_object": (
        "field hints must be an object",
        "las indicaciones de un campo deben ser un objeto",
    ),
    "ui_text": (
        'must be a string or a map of locale to string {"es": ..., "en": ...}',
        'debe ser un texto o un mapa de idioma a texto {"es": ..., "en": ...}',
    ),
    "ui_order": (
        "order must be a list of field names",
        "order debe ser una lista de nombres de campo",
    ),
    "ui_twice": ("'{name}' listed twice", "'{name}' aparece dos veces"),
    "ui_hint": ("unknown field hint '{key}'", "indicación de campo desconocida: '{key}'"),
    "ui_rows": (
        "rows must be an integer between 1 and 50",
        "rows debe ser un entero entre 1 y 50",
    ),
    "ui_widget": (
        "widget '{widget}' does not fit a {kind} field ({allowed})",
        "el widget '{widget}' no encaja en un campo {kind} ({allowed})",
    ),
    "ui_widget_options": (
        "widget '{widget}' needs enum, const or oneOf options",
        "el widget '{widget}' necesita opciones enum, const u oneOf",
    ),
    "ui_widget_format": (
        "widget '{widget}' needs format {format}",
        "el widget '{widget}' necesita format {format}",
    ),
    "ui_options": (
        "options must map option values to labels",
        "options debe asociar valores de opción a etiquetas",
    ),
    "ui_option_unknown": (
        "unknown option value '{value}'",
        "valor de opción desconocido: '{value}'",
    ),
    "ui_errors": (
        "errors must map keywords to messages",
        "errors debe asociar palabras clave a mensajes",
    ),
    "ui_error_unknown": (
        "unknown error keyword '{key}'",
        "palabra clave de error desconocida: '{key}'",
    ),
    "ui_order_groups": ("order only applies to groups", "order solo se aplica a grupos"),
    "ui_sections": ("sections must be a list", "sections debe ser una lista"),
    "ui_section": (
        "a section must be an object with title and fields",
        "una sección debe ser un objeto con title y fields",
    ),
    "ui_section_key": ("unknown section key '{key}'", "clave de sección desconocida: '{key}'"),
    "ui_section_fields": (
        "a section needs a list of root field names",
        "una sección necesita una lista de nombres de campos de la raíz",
    ),
    "ui_section_twice": ("'{name}' is already in a section", "'{name}' ya está en una sección"),
}

for _key, (_en, _es) in SCHEMA_TEXTS.items():
    MESSAGES["en"]["schema." + _key] = _en
    MESSAGES["es"]["schema." + _key] = _es

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
