"""SQLite's search reads what it needs of each match from one index, not from the wide rows
(migration 0029): the visibility rule and the ranked order are answered by it alone."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 join")


def _plans(api, params) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/postmortems", params=params).status_code == 200
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if "postmortem_fts" in query["sql"]:
                cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
                plans.append(" | ".join(row[-1] for row in cursor.fetchall()))
    return plans


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_a_search_joins_its_matches_through_the_covering_index(
    make_user, api_for, incident, seed_body, role
):
    writer = api_for(make_user("writer"))
    for _ in range(30):
        writer.post("/api/postmortems", {**seed_body, "incidentId": incident.pk})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as migration 0029 leaves a filled database
    reader = api_for(make_user("reader", role=role))
    plans = _plans(reader, {"q": "pool"})
    assert len(plans) == 2  # the count and the ranked ids
    for plan in plans:
        assert "USING COVERING INDEX pm_search_cover_idx" in plan, plan
        assert "SCAN postmortems_postmortem" not in plan, plan
