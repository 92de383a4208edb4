"""The OpenAPI documents every answer: each operation lists the error statuses its shape can
bring with the one Error component, the non-JSON content types as what they are, the
conditional headers and ETag, and links that lead from a create to the item's operations."""

import pytest

ERROR = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").json()


def op(spec, method, path):
    return spec["paths"][path][method]


def errors(operation) -> set[int]:
    return {
        int(code)
        for code, answer in operation["responses"].items()
        if int(code) >= 400 and answer["content"]["application/json"]["schema"] == ERROR
    }


def test_the_error_component_has_the_documented_shape(spec):
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "message", "fields"}
    assert {"allowed", "currentVersion"} <= set(error["properties"])


def test_every_authenticated_operation_documents_401_and_403(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if operation.get("security"):
                assert {401, 403} <= errors(operation), (method, path)


@pytest.mark.parametrize(
    ("method", "path", "codes"),
    [
        ("patch", "/api/postmortems/{postmortem_id}", {400, 404, 409, 412, 413, 422}),
        ("delete", "/api/postmortems/{postmortem_id}", {400, 404, 409, 412}),
        ("patch", "/api/action-items/{item_id}", {400, 404, 409, 412, 413, 422}),
        ("patch", "/api/incidents/{incident_id}", {400, 404, 412, 422}),
        ("post", "/api/postmortems", {400, 409, 413, 422}),
        ("post", "/api/postmortems/import", {413, 415, 422}),
        ("get", "/api/postmortems", {422}),
        ("get", "/api/postmortems/{postmortem_id}", {400, 404, 422}),
    ],
)
def test_each_operation_documents_the_statuses_it_answers(spec, method, path, codes):
    assert codes <= errors(op(spec, method, path))


def test_an_error_the_api_answers_matches_the_documented_shape(spec, alice, api_for):
    response = api_for(alice).patch("/api/postmortems/pm_nope", {"summary": "x"})
    assert response.status_code == 404
    assert set(response.json()) <= set(spec["components"]["schemas"]["Error"]["properties"])


def test_non_json_answers_are_documented_as_their_types(spec):
    export = op(spec, "get", "/api/postmortems/{postmortem_id}/export")["responses"]["200"]
    types = set(export["content"])
    assert {"text/markdown", "text/html", "application/pdf", "application/json"} <= types
    assert export["content"]["application/pdf"]["schema"]["format"] == "binary"
    csv = op(spec, "get", "/api/action-items.csv")["responses"]["200"]["content"]
    assert "text/csv" in csv
    listing = op(spec, "get", "/api/action-items")["responses"]["200"]["content"]
    assert {"application/json", "text/csv"} <= set(listing)
    body = op(spec, "post", "/api/postmortems/import")["requestBody"]
    assert body["required"] is True
    # A text body is text: its schema says what the text must hold (not blank), with no
    # `type` a checker could "violate" by sending a number that arrives as text anyway.
    for media_type in ("text/markdown", "text/x-markdown", "text/plain"):
        schema = body["content"][media_type]["schema"]
        assert schema["pattern"] == r"\S" and "type" not in schema


def test_conditional_headers_and_etag_are_documented(spec):
    for method, path in (
        ("patch", "/api/postmortems/{postmortem_id}"),
        ("delete", "/api/postmortems/{postmortem_id}"),
        ("patch", "/api/action-items/{item_id}"),
        ("patch", "/api/incidents/{incident_id}"),
    ):
        names = {p["name"] for p in op(spec, method, path)["parameters"] if p["in"] == "header"}
        assert "If-Match" in names, (method, path)
    get = op(spec, "get", "/api/postmortems/{postmortem_id}")
    assert "If-None-Match" in {p["name"] for p in get["parameters"]}
    assert "ETag" in get["responses"]["304"]["headers"]
    assert "ETag" in get["responses"]["200"]["headers"]
    assert "Cache-Control" in get["responses"]["200"]["headers"]
    assert "ETag" in op(spec, "post", "/api/postmortems")["responses"]["201"]["headers"]
    assert "ETag" not in op(spec, "delete", "/api/postmortems/{postmortem_id}")["responses"][
        "204"
    ].get("headers", {})


def test_links_lead_from_create_to_get_patch_and_delete(spec):
    ids = {
        name: op(spec, method, "/api/postmortems/{postmortem_id}")["operationId"]
        for name, method in (("get", "get"), ("patch", "patch"), ("delete", "delete"))
    }
    links = op(spec, "post", "/api/postmortems")["responses"]["201"]["links"]
    for name in ids.values():
        assert links[name]["parameters"]["path.postmortem_id"] == "$response.body#/id"
    assert links[ids["patch"]]["parameters"]["header.If-Match"] == "$response.header.ETag"
    from_get = op(spec, "get", "/api/postmortems/{postmortem_id}")["responses"]["200"]["links"]
    assert {ids["patch"], ids["delete"]} <= set(from_get)


def test_a_section_value_that_fails_once_normalised_is_invalid_not_a_crash():
    from hindsight.lib.errors import Invalid
    from hindsight.postmortems.sections import to_stored

    with pytest.raises(Invalid) as refused:
        to_stored("custom_sections", [{"heading": "", "body": "x"}])
    assert "customSections" in refused.value.fields
