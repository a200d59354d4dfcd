"""Representative schemas (and UI hints) shared by the forms_engine tests."""

from __future__ import annotations

from typing import Any

SCHEMAS: dict[str, dict[str, Any]] = {
    "scalars": {
        "type": "object",
        "title": "Scalars",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "title": "Nombre", "maxLength": 40},
            "age": {"type": "integer", "minimum": 0, "maximum": 150},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 10},
            "agree": {"type": "boolean", "title": "Acepto"},
            "notes": {"type": "string", "maxLength": 500},
        },
    },
    "conditions": {
        "type": "object",
        "required": ["channel"],
        "properties": {
            "channel": {
                "type": "string",
                "title": "Canal",
                "oneOf": [
                    {"const": "phone", "title": "Teléfono"},
                    {"const": "email", "title": "Correo"},
                    {"const": "none", "title": "Ninguno"},
                ],
            },
        },
        "allOf": [
            {
                "if": {"properties": {"channel": {"const": "phone"}}, "required": ["channel"]},
                "then": {
                    "properties": {"phone": {"type": "string", "format": "phone"}},
                    "required": ["phone"],
                },
            },
            {
                "if": {"properties": {"channel": {"const": "email"}}, "required": ["channel"]},
                "then": {
                    "properties": {"email": {"type": "string", "format": "email"}},
                    "required": ["email"],
                },
                "else": {"properties": {"reason": {"type": "string", "maxLength": 30}}},
            },
        ],
    },
    "nested": {
        "type": "object",
        "properties": {
            "contact": {
                "type": "object",
                "title": "Contacto",
                "required": ["email"],
                "properties": {
                    "email": {"type": "string", "format": "email", "title": "Correo"},
                    "address": {
                        "type": "object",
                        "properties": {
                            "city": {"type": "string", "maxLength": 30},
                            "zip": {"type": "string", "pattern": "^[0-9]{5}$", "maxLength": 5},
                        },
                    },
                },
            },
            "urgent": {"type": "boolean"},
        },
    },
    "enum_arrays": {
        "type": "object",
        "properties": {
            "tags": {
                "type": "array",
                "title": "Etiquetas",
                "items": {"type": "string", "enum": ["red", "green", "blue"]},
                "maxItems": 3,
            },
            "levels": {
                "type": "array",
                "items": {"type": "integer", "enum": [1, 2, 3, 4, 5, 6]},
                "minItems": 1,
            },
            "size": {"type": "integer", "enum": [0, 1, 2]},
        },
    },
    "object_arrays": {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "title": "Líneas",
                "maxItems": 4,
                "items": {
                    "type": "object",
                    "required": ["qty"],
                    "properties": {
                        "qty": {"type": "integer", "minimum": 1, "title": "Cantidad"},
                        "kind": {"type": "string", "enum": ["part", "service"]},
                        "gift": {"type": "boolean"},
                    },
                    "allOf": [
                        {
                            "if": {"properties": {"kind": {"const": "part"}}, "required": ["kind"]},
                            "then": {"properties": {"sku": {"type": "string", "maxLength": 8}}},
                        }
                    ],
                },
            }
        },
    },
    "formats": {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email"},
            "day": {"type": "string", "format": "date"},
            "when": {"type": "string", "format": "date-time"},
            "at": {"type": "string", "format": "time"},
            "site": {"type": "string", "format": "uri"},
            "id": {"type": "string", "format": "uuid"},
            "phone": {"type": "string", "format": "phone"},
        },
    },
    "defs": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "type": "object",
                "properties": {
                    "street": {"$ref": "#/$defs/short"},
                    "city": {"$ref": "#/$defs/short", "title": "Ciudad"},
                },
                "required": ["city"],
            },
            "short": {"type": "string", "maxLength": 20},
        },
        "properties": {
            "home": {"$ref": "#/$defs/address", "title": "Casa"},
            "work": {"$ref": "#/$defs/address", "title": "Trabajo"},
        },
    },
    "dependencies": {
        "type": "object",
        "properties": {
            "card": {"type": "string", "maxLength": 16},
            "billing": {"type": "string", "maxLength": 40},
            "wants_invoice": {"type": "string", "enum": ["yes"]},
        },
        "dependentRequired": {"card": ["billing"]},
        "dependentSchemas": {
            "wants_invoice": {
                "properties": {"tax_id": {"type": "string", "maxLength": 12}},
                "required": ["tax_id"],
            }
        },
    },
    "choices": {
        "type": "object",
        "properties": {
            "priority": {
                "type": "integer",
                "oneOf": [
                    {"const": 1, "title": "Baja"},
                    {"const": 2, "title": "Media"},
                    {"const": 3, "title": "Alta"},
                ],
                "default": 2,
            },
            "remote": {"type": "boolean"},
            "color": {"type": "string", "enum": ["a", "b", "c", "d", "e", "f"]},
        },
    },
    "else_branch": {
        "type": "object",
        "required": ["has_account"],
        "properties": {"has_account": {"type": "boolean"}},
        "if": {"properties": {"has_account": {"const": True}}, "required": ["has_account"]},
        "then": {
            "properties": {"account": {"type": "string", "maxLength": 10}},
            "required": ["account"],
        },
        "else": {
            "properties": {
                "new_name": {"type": "string", "maxLength": 30},
                "plan": {"type": "string", "enum": ["free", "pro"]},
            },
            "required": ["new_name"],
        },
    },
    "files": {
        "type": "object",
        "properties": {
            "subject": {"type": "string", "maxLength": 50},
            "attachments": {
                "type": "array",
                "items": {"type": "string"},
                "maxItems": 3,
                "x-file": {"accept": ["image/*", "application/pdf"], "maxSize": 1048576},
            },
        },
    },
    "patterns": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{2}$", "maxLength": 6},
            "qty": {"type": "number", "multipleOf": 0.5, "minimum": 0, "maximum": 100},
            "kind": {"type": "string", "enum": ["x", "y"]},
        },
        "dependentRequired": {"code": ["kind"]},
    },
}

UI: dict[str, dict[str, Any]] = {
    "scalars": {
        "order": ["agree", "name"],
        "fields": {
            "name": {
                "label": {"es": "Tu nombre", "en": "Your name"},
                "placeholder": "Ana",
                "help": {"es": "Como aparece en el DNI", "en": "As in your ID"},
                "errors": {"required": {"es": "¡Dinos tu nombre!", "en": "Tell us your name!"}},
            },
            "notes": {"widget": "textarea", "rows": 6},
        },
    },
    "choices": {
        "fields": {
            "color": {"widget": "radio", "options": {"a": {"es": "Azul", "en": "Blue"}}},
            "remote": {"widget": "radio"},
        },
        "sections": [{"title": {"es": "Prioridad", "en": "Priority"}, "fields": ["priority"]}],
    },
}
