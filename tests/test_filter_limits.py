"""A query string cannot make one query arbitrarily costly: repeated filters are
de-duplicated and capped, and on PostgreSQL a statement that runs too long is stopped."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from hindsight.lib.filters import MAX_REPEATED_FILTER


@pytest.fixture
def api(api_for, alice):
    return api_for(alice)


def test_more_distinct_tags_than_the_cap_is_a_422_naming_the_parameter_and_the_cap(api):
    tags = [f"t{i}" for i in range(MAX_REPEATED_FILTER + 1)]
    response = api.get("/api/postmortems", params={"tag": tags})
    assert response.status_code == 422
    body = response.json()
    assert body["fields"] == {"tag": f"at most {MAX_REPEATED_FILTER} values"}
    assert str(MAX_REPEATED_FILTER) in body["message"] and "tag" in body["message"]


def test_repeats_of_one_tag_count_once_and_cost_one_condition(api, seed_body, incident):
    tagged = api.post("/api/postmortems", {**seed_body, "tags": ["database"]}).json()
    api.post("/api/postmortems", {**seed_body, "tags": ["network"]})
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/postmortems", params={"tag": ["database", "Database "] * 250})
    assert response.status_code == 200
    assert [i["id"] for i in response.json()["items"]] == [tagged["id"]]
    listing = [q["sql"] for q in queries.captured_queries if "postmortems_tag" in q["sql"]]
    assert listing and all(sql.count('FROM "postmortems_tag"') == 1 for sql in listing)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement timeout")
def test_request_connections_carry_the_statement_timeout(db, settings):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        shown = cursor.fetchone()[0]
    assert shown == f"{settings.DB_STATEMENT_TIMEOUT}s"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement timeout")
@pytest.mark.parametrize("params", [{}, {"q": "database"}, {"tag": "database"}])
def test_a_statement_stopped_by_the_timeout_answers_503(api, monkeypatch, params):
    from hindsight.postmortems import listing

    def slow(*args, **kwargs):
        # In a savepoint, so the test's own transaction survives the cancelled statement.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = '50ms'")
            cursor.execute("SELECT pg_sleep(2)")

    # The count of a page: the compiled first page reads it through bounded, others through
    # bounded_count; either way the statement is stopped.
    monkeypatch.setattr(listing, "bounded_count", slow)
    monkeypatch.setattr(listing, "bounded", slow)
    response = api.get("/api/postmortems", params=params)
    assert response.status_code == 503
    assert response.json()["error"] == "timeout"
    assert response["Retry-After"]
