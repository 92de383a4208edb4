"""The home page's cards: my drafts, my open action items (overdue first), recently
published, and the incidents that need a post-mortem, where another person's draft counts
as existing but its title stays private."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from hindsight.incidents.services import create_incident
from hindsight.postmortems import services
from hindsight.postmortems.services import needs_postmortem


def home(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def card(body: str, heading: str) -> str:
    start = body.index(f">{heading}</h2>")
    return body[start : body.index("</section>", start)]


@pytest.fixture
def dave(make_user):
    return make_user("dave")


def resolved(alice, incident_id: str, hours_ago: float, **fields):
    return create_incident(
        {
            "id": incident_id,
            "title": f"Incident {incident_id}",
            "resolved_at": timezone.now() - timedelta(hours=hours_ago),
            **fields,
        },
        by=alice,
    )


def report(user, incident_id: str, title: str, **fields):
    return services.create_postmortem(
        {"incident_id": incident_id, "title": title, **fields}, by=user
    )


def test_resolved_incidents_without_a_postmortem_or_with_only_late_ones_need_one(alice, db):
    resolved(alice, "inc_none", 1)  # resolved, nothing written yet: needs one
    resolved(alice, "inc_late", 100)  # its draft is past the 48-hour due time
    report(alice, "inc_late", "Late draft")
    resolved(alice, "inc_ontime", 1)  # its draft is not due yet
    report(alice, "inc_ontime", "Fresh draft")
    resolved(alice, "inc_done", 100)  # late, but one of its reports is published
    report(alice, "inc_done", "Late draft too")
    published = report(alice, "inc_done", "Published one", status="IN_REVIEW")
    services.update_postmortem(published.id, {"status": "PUBLISHED"}, by=alice)
    create_incident({"id": "inc_open", "title": "Still burning"}, by=alice)  # unresolved

    needing = set(needs_postmortem().values_list("id", flat=True))
    assert needing == {"inc_none", "inc_late"}


def test_the_card_names_late_reports_and_hides_the_title_of_a_draft_i_cannot_read(
    alice, carol, dave, db
):
    resolved(alice, "inc_secret", 100, severity="SEV1")
    report(alice, "inc_secret", "Alice's secret draft")
    resolved(alice, "inc_bare", 2)

    mine = card(home(alice), "Incidents that need a post-mortem")
    assert "Alice&#x27;s secret draft" in mine
    assert "Incident inc_secret" in mine and "Overdue" in mine
    assert "Incident inc_bare" in mine and "Start one" in mine
    assert "?incident=inc_bare" in mine

    for other in (dave, carol):
        theirs = card(home(other), "Incidents that need a post-mortem")
        assert "Incident inc_secret" in theirs  # a draft exists: the incident is still late
        assert "secret draft" not in theirs
        assert "a draft you cannot open" in theirs
    assert "Start one" not in card(home(carol), "Incidents that need a post-mortem")


def test_my_open_action_items_come_overdue_first_then_soonest_due_then_undated(alice, incident, db):
    today = timezone.localdate()
    report(
        alice,
        "inc_123",
        "Items",
        action_items=[
            {"description": "Undated item", "owner": "alice"},
            {"description": "Due next week", "owner": "alice", "due_date": today + timedelta(7)},
            {"description": "Overdue item", "owner": "alice", "due_date": today - timedelta(3)},
            {"description": "Due tomorrow", "owner": "alice", "due_date": today + timedelta(1)},
            {"description": "Done item", "owner": "alice", "status": "DONE"},
            {"description": "Not mine", "owner": "bob"},
        ],
    )
    items = card(home(alice), "My open action items")
    order = ["Overdue item", "Due tomorrow", "Due next week", "Undated item"]
    positions = [items.index(text) for text in order]
    assert positions == sorted(positions)
    assert "Done item" not in items and "Not mine" not in items


def test_the_cards_are_lists_that_wrap_between_words_not_tables(alice, postmortem):
    body = home(alice)
    drafts = card(body, "My drafts")
    assert "Database Connection Pool Exhaustion" in drafts
    assert "<table" not in body
