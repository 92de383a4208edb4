"""PostgreSQL's search document is computed by a trigger as each row is written (migration
0030): the same weighted document search._pg_document describes, kept current by every
writer, and written with the row instead of by a second UPDATE of it."""

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hindsight.postmortems import search
from hindsight.postmortems.models import PostMortem

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's search_vector trigger"
)


def _stored_and_expected(pm_id: str) -> bool:
    return (
        PostMortem.objects.filter(pk=pm_id)
        .annotate(expected=search._pg_document())
        .values_list("search_vector", "expected")
        .get()
    )


def test_the_trigger_writes_the_document_the_orm_describes(alice, api_for, postmortem):
    api = api_for(alice)
    stored, expected = _stored_and_expected(postmortem["id"])
    assert stored == expected and "pool" in stored

    api.patch(f"/api/postmortems/{postmortem['id']}", {"impact": "Orders queued for an hour."})
    stored, expected = _stored_and_expected(postmortem["id"])
    assert stored == expected and "queu" in stored  # english stems "queued"
    assert api.get("/api/postmortems", params={"q": "queued"}).json()["total"] == 1


def test_a_create_writes_its_row_once(alice, api_for, incident, seed_body):
    with CaptureQueriesContext(connection) as queries:
        assert api_for(alice).post("/api/postmortems", seed_body).status_code == 201
    statements = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in statements if s.startswith('UPDATE "postmortems_postmortem"')]


def test_a_row_written_past_the_services_is_indexed_too(alice, postmortem):
    PostMortem.objects.filter(pk=postmortem["id"]).update(title="Certificate expiry on edge")
    query = SearchQuery("certificate", config="english")
    assert PostMortem.objects.filter(search_vector=query).count() == 1
