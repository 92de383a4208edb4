"""SQLite's search reads what it needs of each match from one index, not from the wide rows
(migration 0029): the visibility rule and the ranked order are answered by it alone."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hindsight.lib import sqlite_stats
from hindsight.notifications.conf import WorkerConfig
from hindsight.notifications.worker import Worker
from hindsight.postmortems.models import PostMortem

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
    make_user, api_for, incident, seed_body, role, monkeypatch
):
    """On a database migrated while empty (as every test database is), once the worker has
    taken the statistics of the grown table."""
    monkeypatch.setattr(sqlite_stats, "MINIMUM_ROWS", 20)
    writer = api_for(make_user("writer"))
    for _ in range(30):
        writer.post("/api/postmortems", {**seed_body, "incidentId": incident.pk})
    Worker(WorkerConfig.from_env()).check()
    assert sqlite_stats.recorded_rows(PostMortem._meta.db_table) == 30
    reader = api_for(make_user("reader", role=role))
    plans = _plans(reader, {"q": "pool"})
    assert len(plans) == 1  # the ranked ids, counted as they are ranked
    for plan in plans:
        assert "USING COVERING INDEX pm_search_cover_idx" in plan, plan
        assert "SCAN postmortems_postmortem" not in plan, plan


def test_the_statistics_are_taken_again_only_once_the_table_has_grown(
    alice, incident, seed_body, api_for, monkeypatch
):
    monkeypatch.setattr(sqlite_stats, "MINIMUM_ROWS", 3)
    api = api_for(alice)
    seed_body = {**seed_body, "incidentId": incident.pk}
    table = PostMortem._meta.db_table
    for _ in range(2):
        api.post("/api/postmortems", seed_body)
    assert sqlite_stats.analyze_if_grown(table) is False  # too few to matter
    api.post("/api/postmortems", seed_body)
    assert sqlite_stats.analyze_if_grown(table) is True
    assert sqlite_stats.recorded_rows(table) == 3
    for _ in range(8):
        api.post("/api/postmortems", seed_body)
    assert sqlite_stats.analyze_if_grown(table) is False  # 11 < 4 × 3
    api.post("/api/postmortems", seed_body)
    assert sqlite_stats.analyze_if_grown(table) is True
    assert sqlite_stats.recorded_rows(table) == 12
