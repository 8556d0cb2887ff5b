"""The API reference page's content, without a browser: from a hand-written OpenAPI document
(every value below worked out from it), and the app's own page, one section per operation."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tracktwo.web import WebSettings, create_app
from tracktwo.web._reference import reference

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/api/things/{thing_id}": {
            "post": {
                "summary": "Change a thing",
                "security": [{"HTTPBearer": []}],
                "parameters": [{"name": "thing_id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1.0}}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Change"}}}},
                "responses": {"200": {"description": "done"},
                              "404": {"description": "no such thing", "content": {
                                  "application/json": {"schema": {
                                      "$ref": "#/components/schemas/ErrorBody"}}}}},
            },
            "parameters": [],  # a path-level key that is no operation
        }
    },
    "components": {"schemas": {
        "Change": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string", "maxLength": 80, "description": "the new name"},
            "tags": {"anyOf": [{"type": "array", "items": {"type": "string", "maxLength": 9},
                                "maxItems": 3}, {"type": "null"}]},
            "owner": {"$ref": "#/components/schemas/Owner"},
            "mode": {"enum": ["a", "b"], "type": "string", "default": "a"},
        }},
        "Owner": {"type": "object", "properties": {"id": {"type": "integer"}}},
        "ErrorBody": {"type": "object", "properties": {"error": {"type": "object"}}},
    }},
}  # fmt: skip


def test_a_body_ref_is_resolved_into_its_fields() -> None:
    page = reference(SPEC)
    (operation,) = page["operations"]
    assert (operation["method"], operation["path"], operation["anchor"]) == (
        "POST", "/api/things/{thing_id}", "post-api-things-thing_id"
    )  # fmt: skip
    assert operation["bearer"] is True
    (thing_id,) = operation["parameters"]
    assert (thing_id["where"], thing_id["type"], thing_id["rules"]) == ("path", "integer",
                                                                        ["minimum 1"])  # fmt: skip
    body = operation["body"]
    assert (body["media"], body["name"], body["required"]) == ("application/json", "Change", True)
    rows = {row["name"]: row for row in body["fields"]}
    assert list(rows) == ["name", "tags", "owner", "mode"]
    assert (rows["name"]["required"], rows["tags"]["required"]) == (True, False)
    assert rows["name"]["description"] == "the new name"
    assert rows["tags"]["type"] == "array of string or null"
    assert rows["tags"]["rules"] == ["maxItems 3", "maxLength 9"]
    assert (rows["owner"]["type"], rows["owner"]["refs"]) == ("Owner", ["Owner"])
    assert (rows["mode"]["type"], rows["mode"]["rules"]) == ('"a" | "b"', ['default "a"'])
    assert [(r["status"], r["refs"]) for r in operation["responses"]] == [
        ("200", []), ("404", ["ErrorBody"])
    ]  # fmt: skip
    # the error table: the declared 404 and the body cap's 413, with their codes
    assert [(e["status"], e["codes"]) for e in page["errors"]] == [
        (404, ["not_found"]), (413, ["payload_too_large"])
    ]  # fmt: skip
    assert [s["name"] for s in page["schemas"]] == ["Change", "Owner", "ErrorBody"]


def test_the_page_has_one_section_per_operation_and_no_script(tmp_path: Path) -> None:
    client = TestClient(create_app(WebSettings(home=tmp_path / "home")))
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script" not in page.text
    spec = client.get("/openapi.json").json()
    wanted = sorted(f"{method.upper()} {path}" for path, methods in spec["paths"].items()
                    for method in methods)  # fmt: skip
    shown = re.findall(r'<section class="operation card" id="[^"]+">\s*<h3><code>([^<]+)</code>',
                       page.text)  # fmt: skip
    assert sorted(shown) == wanted and len(wanted) >= 40
    assert "/docs" not in spec["paths"]
    assert client.get("/redoc").status_code == 404
