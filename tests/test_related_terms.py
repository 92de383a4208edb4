"""The related post-mortems' candidate query looks for a report's rarer words only: the
database's own document counts decide, and the words kept never match more than
SCAN_BUDGET documents together, so a common word cannot make it rank the whole table."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from hindsight.incidents.models import Incident
from hindsight.postmortems import related, search, services
from hindsight.postmortems.schemas import PostMortemCreate


@pytest.fixture
def reports(alice):
    """Six reports that all say "database"; "kestrel" in two, "narwhal" in one."""
    ids = []
    for n, system in enumerate(["kestrel", "kestrel", "narwhal", "", "", ""]):
        incident = Incident.objects.create(
            id=f"inc{n}", title="t", started_at=datetime(2026, 1, 1 + n, tzinfo=UTC)
        )
        body = {
            "incidentId": incident.pk,
            "title": f"Database outage {system}".strip(),
            "rootCause": "The database refused connections.",
        }
        pm = services.create_postmortem(PostMortemCreate.model_validate(body).data(), by=alice)
        ids.append(pm.pk)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE postmortems_postmortem")
    search.forget_frequencies()  # what the writes counted on the way is out of date
    yield ids
    search.forget_frequencies()


def test_the_database_counts_the_documents_holding_a_word(reports):
    counts = search.document_frequencies(["database", "kestrel", "narwhal", "zeppelin"])
    assert counts["zeppelin"] == 0
    if connection.vendor == "sqlite":
        assert counts == {"database": 6, "kestrel": 2, "narwhal": 1, "zeppelin": 0}
    else:  # ANALYZE's sampled shares: the common word counts the most
        assert counts["database"] >= counts["kestrel"] >= counts["narwhal"]
        assert counts["database"] == 6


def test_the_rarest_words_within_the_budget_are_looked_for(reports, monkeypatch):
    words = {"database", "kestrel", "narwhal", "zeppelin"}
    assert related.query_terms(words) == (["zeppelin", "narwhal", "kestrel", "database"], True)
    monkeypatch.setattr(related, "SCAN_BUDGET", 3)
    if connection.vendor == "sqlite":  # PostgreSQL's samples of six rows are too coarse
        assert related.query_terms(words) == (["zeppelin", "narwhal", "kestrel"], True)
    monkeypatch.setattr(related, "QUERY_TERMS", 2)
    assert related.query_terms(words) == (["zeppelin", "narwhal"], True)


def test_a_word_too_common_alone_still_finds_candidates_unranked(reports, alice, monkeypatch):
    monkeypatch.setattr(related, "SCAN_BUDGET", 2)
    assert related.query_terms({"database"}) == (["database"], False)
    found = related.related(alice, reports[3])
    assert {item["id"] for item in found} <= set(reports) - {reports[3]}
    assert len(found) == 5
