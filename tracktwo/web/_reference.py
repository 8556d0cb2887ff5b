"""``/docs``: the API reference as one server-rendered page, built from the app's OpenAPI.

Swagger UI and ReDoc load their scripts from a CDN, which the dashboard's CSP
(``script-src 'none'``) blocks and an offline machine cannot reach. This page has no script:
every operation with its method, path, summary, parameters, request body fields (each
``$ref`` resolved into ``components/schemas``) and responses, the bearer-token note and the
error envelope, all read from ``app.openapi()`` so it never drifts from ``/openapi.json``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tracktwo.web._auth import account_of
from tracktwo.web._body import MESSAGE as BODY_TOO_LARGE
from tracktwo.web._envelope import STATUS_CODES

__all__ = ["reference", "router"]

router = APIRouter()
Schema = dict[str, Any]
_METHODS = ("get", "post", "put", "patch", "delete")
_RULES = ("minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
          "exclusiveMaximum", "minItems", "maxItems", "pattern", "format")  # fmt: skip
# the codes an error of each status carries besides STATUS_CODES (see _auth, _envelope)
_MORE_CODES = {401: ["login_required", "bad_token"],
               403: ["forbidden", "csrf", "unconfirmed", "not_approved"],
               429: ["too_many_requests"]}  # fmt: skip
ENVELOPE_EXAMPLE = {"error": {"status": 404, "code": "not_found",
                              "message": "actor_id: no actor with id 7"}}  # fmt: skip


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _resolve(schema: Schema, schemas: dict[str, Schema]) -> tuple[Schema, str | None]:
    """``schema`` with a top-level ``$ref`` followed: (the schema, its component name)."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return schemas.get(name, {}), name
    return schema, None


def _type(schema: Schema) -> str:
    """A short type: ``string``, ``integer or null``, ``array of Answer``, ``"en" | "km"``."""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "enum" in schema:
        return " | ".join(json.dumps(value, ensure_ascii=False) for value in schema["enum"])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " or ".join(_type(part) for part in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return f"object of {_type(extra) if isinstance(extra, dict) else 'any'}"
    return " or ".join(kind) if isinstance(kind, list) else str(kind)


def _refs(schema: Schema) -> list[str]:
    """The component schemas ``schema`` points to, at any depth, in order."""
    found: list[str] = []
    if "$ref" in schema:
        found.append(_ref_name(schema["$ref"]))
    for part in (*schema.get("anyOf", ()), *schema.get("oneOf", ()), *schema.get("allOf", ())):
        found.extend(_refs(part))
    if isinstance(schema.get("items"), dict):
        found.extend(_refs(schema["items"]))
    return list(dict.fromkeys(found))


def _value(value: Any) -> str:
    # pydantic writes ge=0 on an int as 0.0
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _rules(schema: Schema) -> list[str]:
    """Its JSON Schema constraints as written (``maxLength 80``), from every branch."""
    parts = [schema, *schema.get("anyOf", ()), *schema.get("oneOf", ())]
    parts += [part["items"] for part in list(parts) if isinstance(part.get("items"), dict)]
    found = [f"{key} {_value(part[key])}" for part in parts for key in _RULES if key in part]
    if "default" in schema:
        found.append(f"default {json.dumps(schema['default'], ensure_ascii=False)}")
    return list(dict.fromkeys(found))


def _row(name: str, schema: Schema, required: bool, where: str = "") -> dict[str, Any]:
    return {"name": name, "where": where, "type": _type(schema), "refs": _refs(schema),
            "required": required, "rules": _rules(schema),
            "description": schema.get("description", "")}  # fmt: skip


def fields(schema: Schema, schemas: dict[str, Schema]) -> list[dict[str, Any]]:
    """One row per property of ``schema`` (a ``$ref`` resolved), or one for the whole."""
    resolved, _ = _resolve(schema, schemas)
    properties = resolved.get("properties")
    if not properties:
        return [_row("(body)", schema, True)]
    needed = set(resolved.get("required", ()))
    return [_row(name, part, name in needed) for name, part in properties.items()]


def _body(operation: Schema, schemas: dict[str, Schema]) -> dict[str, Any] | None:
    body = operation.get("requestBody")
    if not body:
        return None
    empty: Schema = {}
    media, content = next(iter(body.get("content", {}).items()), ("", empty))
    schema: Schema = content.get("schema", {})
    return {"media": media, "name": _resolve(schema, schemas)[1],
            "required": bool(body.get("required")), "fields": fields(schema, schemas)}  # fmt: skip


def _responses(operation: Schema) -> list[dict[str, Any]]:
    found = []
    for status, answer in sorted(operation.get("responses", {}).items()):
        empty: Schema = {}
        schema: Schema = next(iter(answer.get("content", {}).values()), empty).get("schema", {})
        found.append({"status": status, "description": answer.get("description", ""),
                      "refs": _refs(schema)})  # fmt: skip
    return found


def _parameter(parameter: Schema) -> dict[str, Any]:
    schema = parameter.get("schema", {})
    told = parameter.get("description", schema.get("description", ""))
    described = {**schema, "description": told}
    return _row(parameter["name"], described, bool(parameter.get("required")),
                parameter.get("in", ""))  # fmt: skip


def _operation(method: str, path: str, operation: Schema, schemas: dict[str, Schema]) -> dict:
    parameters = [_parameter(parameter) for parameter in operation.get("parameters", ())]
    return {
        "anchor": f"{method}{path}".replace("/", "-").replace("{", "").replace("}", ""),
        "method": method.upper(),
        "path": path,
        "summary": operation.get("summary", ""),
        "description": operation.get("description", ""),
        "bearer": any("HTTPBearer" in scheme for scheme in operation.get("security", ())),
        "parameters": parameters,
        "body": _body(operation, schemas),
        "responses": _responses(operation),
    }


def _errors(operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every error status the operations declare, with its codes, and the body cap's 413."""
    described: dict[int, str] = {413: BODY_TOO_LARGE}
    for operation in operations:
        for answer in operation["responses"]:
            if answer["status"].isdigit() and int(answer["status"]) >= 400:
                described.setdefault(int(answer["status"]), answer["description"])
    return [{"status": status, "description": described[status],
             "codes": _MORE_CODES.get(status) or [STATUS_CODES.get(status, f"http_{status}")]}
            for status in sorted(described)]  # fmt: skip


def reference(spec: Schema) -> dict[str, Any]:
    """What the page shows, from an OpenAPI document."""
    schemas = spec.get("components", {}).get("schemas", {})
    operations = [_operation(method, path, operation, schemas)
                  for path, methods in spec.get("paths", {}).items()
                  for method, operation in methods.items() if method in _METHODS]  # fmt: skip
    return {
        "info": spec.get("info", {}),
        "operations": operations,
        "schemas": [{"name": name, "description": schema.get("description", ""),
                     "fields": fields(schema, schemas)} for name, schema in schemas.items()],
        "bearer": spec.get("components", {}).get("securitySchemes", {}).get("HTTPBearer", {}),
        "errors": _errors(operations),
        "envelope": json.dumps(ENVELOPE_EXAMPLE, indent=2),
    }  # fmt: skip


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def reference_page(request: Request) -> Response:
    """A plain ``def``: looking up the visitor's session runs on a worker thread."""
    context = {**reference(request.app.openapi()), "account": account_of(request)}
    return request.app.state.templates.TemplateResponse(request, "reference.html", context)
