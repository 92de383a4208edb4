"""The OpenAPI schema tells the truth about what the API answers: schemathesis' response
checks hold real answers of the hot endpoints to the declared schemas, every declared
response object forbids keys it does not declare, and an answer with an extra key fails."""

import json
from contextlib import contextmanager

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from schemathesis.checks import response_schema_conformance
from schemathesis.core.failures import FailureGroup

from hindsight.postmortems import document
from hindsight.postmortems.models import PostMortem
from hindsight.wsgi import application


@contextmanager
def _one_transaction():
    """As Django's test client does: the test's transaction must outlive each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def schema(db):
    with _one_transaction():
        return schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def headers(alice):
    from hindsight.accounts.services import create_token

    return {"Authorization": f"Bearer {create_token(alice)[1]}"}


def _check(schema, method, path, headers, **case):
    operation = schema[path][method]
    with _one_transaction():
        response = operation.Case(headers=headers, **case).call_and_validate(
            checks=[response_schema_conformance]
        )
    assert response.status_code < 300, response.text
    return response


def _full_report(alice, api_for):
    """A report with every kind of section, an item done and a dated one."""
    api = api_for(alice)
    created = api.post(
        "/api/postmortems",
        {
            "incidentId": "inc_123",
            "template": "detailed",
            "title": "Everything written",
            "tags": ["db"],
            "actionItems": [
                {"description": "Done", "status": "DONE", "dueDate": "2026-01-01"},
                {"description": "Linked", "trackerUrl": "https://tracker.example.com/1"},
            ],
        },
    )
    assert created.status_code == 201, created.content
    return created.json()


def test_real_answers_conform_to_the_declared_schemas(
    schema, headers, alice, api_for, postmortem, incident
):
    full = _full_report(alice, api_for)
    for pm_id in (postmortem["id"], full["id"]):
        _check(
            schema,
            "GET",
            "/api/postmortems/{postmortem_id}",
            headers,
            path_parameters={"postmortem_id": pm_id},
        )
    _check(schema, "GET", "/api/postmortems", headers)
    _check(schema, "GET", "/api/postmortems", headers, query={"q": "pool", "limit": 1})
    _check(
        schema,
        "POST",
        "/api/postmortems",
        headers,
        body={
            "incidentId": "inc_123",
            "title": "Made by the check",
            "timeline": [{"time": "14:40", "description": "x"}],
        },
        media_type="application/json",
    )
    _check(
        schema,
        "PATCH",
        "/api/postmortems/{postmortem_id}",
        headers,
        path_parameters={"postmortem_id": postmortem["id"]},
        body={"summary": "Changed"},
        media_type="application/json",
    )
    item_id = full["actionItems"][0]["id"]
    _check(
        schema,
        "PATCH",
        "/api/action-items/{item_id}",
        headers,
        path_parameters={"item_id": item_id},
        body={"status": "IN_PROGRESS"},
        media_type="application/json",
    )
    _check(schema, "GET", "/api/action-items", headers)
    _check(
        schema,
        "GET",
        "/api/postmortems/{postmortem_id}/history",
        headers,
        path_parameters={"postmortem_id": postmortem["id"]},
    )


def test_every_declared_response_object_forbids_undeclared_keys(schema, client):
    spec = client.get("/api/openapi.json").json()
    components = spec["components"]["schemas"]
    out = [
        "PostMortemOut",
        "TimelineEventOut",
        "ActionItemOut",
        "PostMortemList",
        "PostMortemSummary",
        "ActionItemListed",
    ]
    for name in out:
        assert components[name].get("additionalProperties") is False, name
    for name, body in components["PostMortemOut"]["properties"].items():
        ref = body.get("$ref") or next(
            (o.get("$ref") for o in body.get("anyOf", []) if "$ref" in o), None
        )
        if ref:
            target = components[ref.rsplit("/", 1)[-1]]
            if target.get("type") == "object":
                assert target.get("additionalProperties") is False, (name, ref)


def test_an_answer_with_an_undeclared_key_fails_the_check(schema, headers, postmortem):
    # A stored document with a key the schema does not declare, as a faulty write would leave.
    stored = PostMortem.objects.get(pk=postmortem["id"])
    body = {**json.loads(stored.document), "sneaky": True}
    PostMortem.objects.filter(pk=stored.pk).update(document=document.encode(body))
    with pytest.raises(FailureGroup) as failed:
        _check(
            schema,
            "GET",
            "/api/postmortems/{postmortem_id}",
            headers,
            path_parameters={"postmortem_id": postmortem["id"]},
        )
    assert "sneaky" in str(failed.value) or "additional" in str(failed.value).lower()
    # The same answer without the key is fine.
    PostMortem.objects.filter(pk=stored.pk).update(document=stored.document)
    got = _check(
        schema,
        "GET",
        "/api/postmortems/{postmortem_id}",
        headers,
        path_parameters={"postmortem_id": postmortem["id"]},
    )
    assert "sneaky" not in json.loads(got.text)
