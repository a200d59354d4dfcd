"""The OpenAPI 3.1 document, built from the operations the API's routes declare."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint

from ..numbers import MAX_ID as MAX_INT
from ..tickets.attachments import MAGIC
from .schemas import COMPONENTS, ref


@dataclass
class Operation:
    """One documented route: what it takes and what it answers."""

    method: str
    rule: str
    summary: str
    tag: str
    responses: dict[str, tuple[str, Any]]
    body: dict[str, Any] | None = None
    query: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""
    public: bool = False
    etag: bool = False
    endpoint: str = ""


OPERATIONS: list[Operation] = []
_BY_ENDPOINT: dict[str, Operation] = {}


def by_endpoint(endpoint: str) -> Operation | None:
    """The documented operation served by a Flask endpoint."""
    return _BY_ENDPOINT.get(endpoint)


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    """A multipart schema that refuses undeclared parts (as the API does)."""
    return {"additionalProperties": False, **schema}


def json_body(schema: dict[str, Any], multipart: dict[str, Any] | None = None) -> dict[str, Any]:
    """A request body in JSON (and optionally multipart/form-data)."""
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if multipart is not None:
        multipart = _closed(multipart)
        # Object parts travel as JSON text (OpenAPI's default for objects, said explicitly).
        content["multipart/form-data"] = {
            "schema": multipart,
            "encoding": {
                name: {"contentType": "application/json"}
                for name, prop in multipart.get("properties", {}).items()
                if "$ref" in prop
            },
        }
    return {"required": True, "content": content}


def multipart_body(schema: dict[str, Any]) -> dict[str, Any]:
    """A request body of files and fields (multipart/form-data)."""
    return {"required": True, "content": {"multipart/form-data": {"schema": _closed(schema)}}}


def operation(
    bp: Blueprint,
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    responses: dict[str, tuple[str, Any]],
    **extra: Any,
) -> Callable[[Any], Any]:
    """Register a route on the blueprint and record it for the OpenAPI document."""

    def decorator(view: Any) -> Any:
        endpoint = f"{bp.name}.{view.__name__}"
        op = Operation(method.lower(), rule, summary, tag, responses, endpoint=endpoint, **extra)
        OPERATIONS.append(op)
        _BY_ENDPOINT[endpoint] = op
        bp.add_url_rule(rule, view_func=view, methods=[method])
        return view

    return decorator


_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """Turn a Flask rule into an OpenAPI path and its path parameters."""
    params = []
    for converter, name in _CONVERTER.findall(rule):
        schema: dict[str, Any] = {"type": "string", "pattern": "^[a-z0-9_-]{1,40}$"}
        if converter == "int":
            schema = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _CONVERTER.sub(r"{\2}", rule), params


PROBLEM_RESPONSES = {
    "401": "No valid bearer token",
    "403": "The token's user may not do this",
    "404": "No such resource, or not visible to this user",
    "429": "Too many requests for this token (see Retry-After)",
}


def _responses(op: Operation) -> dict[str, Any]:
    """The operation's responses plus the problems every route may answer."""
    out: dict[str, Any] = {}
    for status, (description, schema) in op.responses.items():
        answer: dict[str, Any] = {"description": description}
        if schema == "binary":
            # Served with the type checked at upload (one of the accepted kinds), not as
            # application/octet-stream: the document says what the API really sends.
            answer["content"] = {
                kind: {"schema": {"type": "string", "contentMediaType": kind}} for kind in MAGIC
            }
        elif schema == ref("Problem"):
            answer["content"] = {"application/problem+json": {"schema": schema}}
        elif schema is not None:
            answer["content"] = {"application/json": {"schema": schema}}
        if op.etag and status in ("200", "201"):
            answer["headers"] = {
                "ETag": {
                    "schema": {"type": "string"},
                    "description": "The ticket's version, for If-Match",
                }
            }
        out[status] = answer
    problems = {} if op.public else PROBLEM_RESPONSES
    for status, description in problems.items():
        out.setdefault(
            status,
            {
                "description": description,
                "content": {"application/problem+json": {"schema": ref("Problem")}},
            },
        )
    out["default"] = {
        "description": "A problem (RFC 9457)",
        "content": {"application/problem+json": {"schema": ref("Problem")}},
    }
    return out


def document() -> dict[str, Any]:
    """Build the OpenAPI 3.1 document from the registered operations."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path, params = _path("/api/v1" + op.rule)
        entry: dict[str, Any] = {
            "operationId": f"{op.method}_{re.sub(r'[^a-z0-9]+', '_', op.rule.lower()).strip('_')}",
            "summary": op.summary,
            "tags": [op.tag],
            "responses": _responses(op),
        }
        if op.description:
            entry["description"] = op.description
        if params or op.query:
            entry["parameters"] = params + op.query
        if op.etag and op.method in ("patch", "post", "put"):
            entry.setdefault("parameters", []).append(
                {
                    # Edits need it (they are optimistic-locked); appends and moves may send it.
                    "name": "If-Match",
                    "in": "header",
                    "required": op.method == "patch",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 100},
                    "description": "The ETag of the ticket as last read (optimistic locking).",
                }
            )
        if op.body is not None:
            entry["requestBody"] = op.body
        if op.public:
            entry["security"] = []
        paths.setdefault(path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "servicedesk API",
            "version": "1.0.0",
            "description": "Tickets, forms and rules of the service desk, for apps and "
            "integrations. Same roles and visibility as the web.",
        },
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (sd_…)",
                }
            },
            "schemas": COMPONENTS,
        },
    }
