"""Possible recurrences counted from each report's kept best match: GET /api/insights/factors'
possibleRecurrences (JSON and CSV) and the Insights page, only over reports the caller may
read. A write marks what it changed due; `hindsight worker` finds the matches again
(related.refresh_due_best_matches, which these tests call where the worker would)."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from hindsight.incidents.models import Incident
from hindsight.incidents.services import update_incident
from hindsight.notifications.conf import WorkerConfig
from hindsight.notifications.worker import Worker
from hindsight.postmortems import related, services
from hindsight.postmortems.models import PostMortem
from hindsight.postmortems.schemas import PostMortemCreate, PostMortemPatch

POOL = {
    "rootCause": "The database connection pool was sized for average traffic and exhausted at peak.",
    "contributingFactors": [{"factor": "Connection pool never load tested", "category": "capacity-load"}],
    "tags": ["database"],
}  # fmt: skip


def report(user, pk, title, *, started, status="PUBLISHED", items=(), **body):
    incident = Incident.objects.create(
        id=f"inc_{pk}", title=title, services=["checkout"], started_at=started
    )
    data = {"incidentId": incident.pk, "title": title, **POOL, **body}
    data["actionItems"] = [{"description": d, "status": s} for d, s in items]
    pm = services.create_postmortem(PostMortemCreate.model_validate(data).data(), by=user)
    PostMortem.objects.filter(pk=pm.pk).update(status=status)
    related.refresh_due_best_matches()  # the worker's next check
    return pm.pk


def patch(user, pm_id, body):
    changed = services.update_postmortem(
        pm_id, PostMortemPatch.model_validate(body).data(), by=user
    )
    related.refresh_due_best_matches()
    return changed


@pytest.fixture
def world(alice):
    """An earlier report whose one item was done, then the same failure again a day later."""
    now = timezone.now()
    earlier = report(
        alice, "e", "Checkout errors as the connection pool ran dry",
        started=now - timedelta(days=30), items=[("Raise the pool size", "DONE")],
    )  # fmt: skip
    later = report(
        alice, "l", "Checkout outage as the connection pool ran dry again",
        started=now + timedelta(days=1),
    )  # fmt: skip
    return earlier, later


def factors(api_for, user, **params):
    # These tests change statuses with UPDATE, around the write path whose changes the kept
    # insights follow (tests/test_insights_kept.py): nothing kept, each answer computed.
    caches["insights"].clear()
    response = api_for(user).get("/api/insights/factors", params=params)
    assert response.status_code == 200, response.content
    return response


def test_a_recurrence_is_kept_and_counted(world, alice, bob, api_for):
    earlier, later = world
    stored = PostMortem.objects.get(pk=later)
    assert stored.best_match_id == earlier
    assert stored.best_match_score > related.RECURRENCE_THRESHOLD
    assert stored.best_match_recurrence is True
    # The same as /related answers for the report.
    best = api_for(bob).get(f"/api/postmortems/{later}/related").json()["items"][0]
    assert (best["id"], best["score"], best["possibleRecurrence"]) == (
        earlier,
        stored.best_match_score,
        True,
    )
    assert factors(api_for, bob).json()["possibleRecurrences"] == {
        "count": 1,
        "postmortems": [
            {
                "id": later,
                "title": "Checkout outage as the connection pool ran dry again",
                "matchId": earlier,
                "matchTitle": "Checkout errors as the connection pool ran dry",
            }
        ],
    }
    rows = list(csv.reader(io.StringIO(factors(api_for, bob, format="csv").content.decode())))
    assert rows[0] == ["kind", "key", "name", "incidents", "matchId", "matchTitle"]
    assert ["possibleRecurrences", "", "", "1", "", ""] in rows
    assert [
        "possibleRecurrence",
        later,
        "Checkout outage as the connection pool ran dry again",
        "",
        earlier,
        "Checkout errors as the connection pool ran dry",
    ] in rows


def test_a_match_whose_items_are_not_all_done_is_not_a_recurrence(alice, bob, api_for):
    now = timezone.now()
    earlier = report(
        alice, "e", "Checkout errors as the connection pool ran dry",
        started=now - timedelta(days=30), items=[("Raise the pool size", "TODO")],
    )  # fmt: skip
    later = report(
        alice, "l", "Checkout outage as the connection pool ran dry again",
        started=now + timedelta(days=1),
    )  # fmt: skip
    stored = PostMortem.objects.get(pk=later)
    assert stored.best_match_id == earlier and stored.best_match_recurrence is False
    assert factors(api_for, bob).json()["possibleRecurrences"] == {"count": 0, "postmortems": []}
    # Its last item done (before the later incident started): the later report is flagged.
    item = PostMortem.objects.get(pk=earlier).action_items.get()
    services.update_action_item(item.pk, {"status": "DONE"}, by=alice)
    related.refresh_due_best_matches()
    stored.refresh_from_db()
    assert stored.best_match_recurrence is True
    assert factors(api_for, bob).json()["possibleRecurrences"]["count"] == 1


def test_someone_elses_draft_is_not_counted(world, alice, bob, api_for):
    earlier, later = world
    PostMortem.objects.filter(pk=later).update(status="DRAFT")
    assert factors(api_for, bob).json()["possibleRecurrences"]["count"] == 0
    assert factors(api_for, alice).json()["possibleRecurrences"]["count"] == 1
    # Nor a report whose match is someone else's draft.
    PostMortem.objects.filter(pk=later).update(status="PUBLISHED")
    PostMortem.objects.filter(pk=earlier).update(status="DRAFT")
    assert factors(api_for, bob).json()["possibleRecurrences"]["count"] == 0
    assert factors(api_for, alice).json()["possibleRecurrences"]["count"] == 1


def test_editing_the_root_cause_updates_the_kept_match(world, alice, api_for):
    earlier, later = world
    PostMortem.objects.filter(pk=later).update(status="DRAFT")  # editable, alice's own
    patch(
        alice,
        later,
        {
            "title": "Search results stale after the nightly reindex",
            "rootCause": "The index alias moved to an empty index while reindexing ran.",
            "contributingFactors": [{"factor": "Alias switch unguarded"}],
            "tags": [],
        },
    )
    stored = PostMortem.objects.get(pk=later)
    assert stored.best_match_recurrence is False
    assert (
        stored.best_match_score is None or stored.best_match_score <= related.RECURRENCE_THRESHOLD
    )
    assert factors(api_for, alice).json()["possibleRecurrences"]["count"] == 0
    patch(alice, later, POOL | {"title": "Checkout outage as the connection pool ran dry again"})
    stored.refresh_from_db()
    assert (stored.best_match_id, stored.best_match_recurrence) == (earlier, True)


def test_a_write_ranks_nothing_and_the_worker_finds_the_match(alice):
    """Reports migrated or written are due; the worker's check finds their matches."""
    now = timezone.now()
    earlier = report(
        alice, "e", "Checkout errors as the connection pool ran dry",
        started=now - timedelta(days=30), items=[("Raise the pool size", "DONE")],
    )  # fmt: skip
    incident = Incident.objects.create(
        id="inc_w", title="w", services=["checkout"], started_at=now + timedelta(days=1)
    )
    body = {"incidentId": incident.pk, "title": "Checkout outage as the pool ran dry again", **POOL}
    later = services.create_postmortem(PostMortemCreate.model_validate(body).data(), by=alice)
    written = PostMortem.objects.get(pk=later.pk)
    assert (written.best_match_due, written.best_match_id) == (True, None)  # not ranked yet
    Worker(WorkerConfig.from_env()).check()
    written.refresh_from_db()
    assert (written.best_match_due, written.best_match_id) == (False, earlier)
    assert written.best_match_recurrence is True


def test_the_insights_page_shows_the_count_with_a_link_per_report(world, bob):
    earlier, later = world
    client = Client()
    client.force_login(bob)
    page = client.get("/insights").content.decode()
    assert "Possible recurrences" in page
    assert "1 post-mortem may describe something that happened before" in page
    assert f'href="/postmortems/{later}"' in page and f'href="/postmortems/{earlier}"' in page


def older_and_other(alice):
    """An older report and another it matches only weakly, having nothing more like it."""
    now = timezone.now()
    older = report(
        alice, "o", "Checkout errors as the connection pool ran dry",
        started=now - timedelta(days=9),
    )  # fmt: skip
    other = report(
        alice, "x", "Search results stale after the nightly reindex",
        started=now - timedelta(days=8),
        rootCause="The index alias moved to an empty pool while reindexing ran.",
        contributingFactors=[], tags=[],
    )  # fmt: skip
    return older, other


def test_a_new_report_becomes_the_kept_match_of_an_older_one_it_resembles_most(alice):
    now = timezone.now()
    older, other = older_and_other(alice)
    weak = PostMortem.objects.get(pk=older)
    assert weak.best_match_id == other and weak.best_match_score < related.RECURRENCE_THRESHOLD
    newer = report(
        alice, "n", "Checkout outage as the connection pool ran dry again",
        started=now - timedelta(days=1),
    )  # fmt: skip
    weak.refresh_from_db()
    assert weak.best_match_id == newer
    assert weak.best_match_score == PostMortem.objects.get(pk=newer).best_match_score
    assert weak.best_match_recurrence is False  # the newer report has no items done


def test_moving_the_later_incident_before_the_fix_was_done_unflags_it(world, alice):
    """The recurrence asks whether the match's items were done before this incident started:
    an incident edit that moves the start is compared again."""
    earlier, later = world
    update_incident(
        "inc_l", {"started_at": timezone.now() - timedelta(days=60)}, by=alice
    )  # before the earlier report's item was done
    assert PostMortem.objects.get(pk=later).best_match_due is True
    related.refresh_due_best_matches()
    stored = PostMortem.objects.get(pk=later)
    assert (stored.best_match_id, stored.best_match_recurrence) == (earlier, False)


def test_changing_the_incident_services_marks_its_reports_and_who_matched_them_due(world, alice):
    earlier, later = world
    update_incident("inc_e", {"services": ["search"]}, by=alice)
    due = dict(PostMortem.objects.values_list("pk", "best_match_due"))
    assert due == {earlier: True, later: True}  # later's kept match is the earlier report


def weak_older_report(alice):
    """An older report kept as matching OTHER weakly, then NEWER, more like it."""
    now = timezone.now()
    older, other = older_and_other(alice)
    newer = report(
        alice, "n", "Checkout outage as the connection pool ran dry again",
        started=now - timedelta(days=1), status="DRAFT",
    )  # fmt: skip
    assert PostMortem.objects.get(pk=older).best_match_id == newer
    return older, other, newer


def test_a_match_rewritten_to_be_less_alike_is_no_longer_kept(alice):
    older, other, newer = weak_older_report(alice)
    kept_score = PostMortem.objects.get(pk=older).best_match_score
    patch(
        alice,
        newer,
        {
            "title": "Mail delivery delayed by a full relay queue",
            "rootCause": "Relay disks filled with bounced messages from a campaign.",
            "contributingFactors": [],
            "tags": [],
        },
    )
    stored = PostMortem.objects.get(pk=older)
    assert stored.best_match_id == other  # ranked again: the rewritten report no longer wins
    assert stored.best_match_score < kept_score


def test_a_deleted_match_leaves_the_reports_it_matched_due(alice):
    older, other, newer = weak_older_report(alice)
    services.delete_postmortem(newer, by=alice)
    assert PostMortem.objects.get(pk=older).best_match_due is True
    related.refresh_due_best_matches()
    assert PostMortem.objects.get(pk=older).best_match_id == other
