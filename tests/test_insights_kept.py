"""The insights are kept while nothing they count changes: a second request computes
nothing, any write a figure counts makes the next request compute afresh, each person's
figures are their own (others' drafts never), and what moves with time alone is at most a
minute old."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hindsight.insights import kept
from hindsight.insights.figures import Filters
from hindsight.postmortems.models import ActionItem

IN_ANOTHER_THREAD = kept.run_in_background  # the real one (tests run refreshes inline)


@pytest.fixture
def computed(monkeypatch):
    """The figures (and parts of figures) actually computed, by name, in order."""
    calls = []
    keeping = kept._kept

    def counting(compute, filters, user, generation):
        def counted(filters, user):
            calls.append(compute.__name__)
            return compute(filters, user)

        counted.__qualname__ = compute.__qualname__
        counted.timeless = getattr(compute, "timeless", False)
        return keeping(counted, filters, user, generation)

    monkeypatch.setattr(kept, "_kept", counting)
    return calls


def test_a_second_request_is_answered_from_what_was_kept(alice, api_for, postmortem, computed):
    api = api_for(alice)
    first = api.get("/api/insights/incidents").json()
    again = api.get("/api/insights/incidents").json()
    assert again == first and first["total"] == 1
    assert computed == ["incident_counts"]
    api.get("/api/insights/incidents", params={"severity": "SEV1"})  # other filters: computed
    assert computed == ["incident_counts", "incident_counts"]


def test_a_new_incident_is_counted_at_once(alice, api_for, postmortem, computed):
    api = api_for(alice)
    assert api.get("/api/insights/incidents").json()["total"] == 1
    created = api.post(
        "/api/incidents", {"title": "Queue stuck", "startedAt": "2026-03-02T10:00:00Z"}
    )
    assert created.status_code == 201, created.content
    assert api.get("/api/insights/incidents").json()["total"] == 2


def test_an_item_marked_done_is_counted_at_once(alice, api_for, postmortem, computed):
    api = api_for(alice)

    def completed() -> int:
        body = api.get("/api/insights/action-items").json()
        return sum(month["completed"] for month in body["byMonth"])

    assert completed() == 0
    item = postmortem["actionItems"][0]["id"]
    assert api.patch(f"/api/action-items/{item}", {"status": "DONE"}).status_code == 200
    assert completed() == 1


def test_renaming_a_factor_category_is_shown_at_once(admin, alice, api_for, incident, computed):
    body = {
        "incidentId": incident.id,
        "title": "Pool",
        "contributingFactors": [{"factor": "Pool too small", "category": "capacity-load"}],
    }
    assert api_for(alice).post("/api/postmortems", body).status_code == 201
    api = api_for(alice)
    names = lambda: [c["name"] for c in api.get("/api/insights/factors").json()["categories"]]  # noqa: E731
    before = names()
    renamed = api_for(admin).patch("/api/factor-categories/capacity-load", {"name": "Load"})
    assert renamed.status_code == 200, renamed.content
    assert names() == ["Load"] and before != ["Load"]


def test_each_person_is_counted_what_they_may_read(alice, carol, api_for, postmortem, computed):
    # alice's draft (bob is a contributor, carol has no part): counted for alice, never for
    # carol, even right after alice's figures were kept.
    mine = api_for(alice).get("/api/insights/action-items").json()
    theirs = api_for(carol).get("/api/insights/action-items").json()
    opened = lambda body: sum(m["opened"] for m in body["byMonth"])  # noqa: E731
    assert opened(mine) == 3
    assert opened(theirs) == 0
    assert computed == ["action_item_history", "action_items_now"] * 2


def test_what_moves_with_time_is_computed_again_after_a_minute(
    alice, api_for, postmortem, computed, monkeypatch
):
    """An item's age and a draft falling overdue move with time alone: those parts are
    computed again a minute later, the rest (months, medians, rankings) is kept."""
    api = api_for(alice)
    for name in ("incidents", "action-items", "postmortems"):
        api.get(f"/api/insights/{name}")
    first = list(computed)
    assert first == [
        "incident_counts",
        "action_item_history",
        "action_items_now",
        "postmortem_publication",
        "postmortems_overdue",
    ]
    later = timezone.now() + timedelta(seconds=kept.KEPT_SECONDS + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    for name in ("incidents", "action-items", "postmortems"):
        api.get(f"/api/insights/{name}")
    assert computed[len(first) :] == ["action_items_now", "postmortems_overdue"]


@pytest.mark.parametrize("minutes", [1, 5])
def test_when_the_minute_moves_the_last_answer_is_served_while_this_minutes_is_made(
    alice, api_for, postmortem, computed, monkeypatch, minutes
):
    """No request waits for what time alone moved: the first request of a new minute gets
    the last minute's answer and starts one refresh; the next gets the refreshed one."""
    api = api_for(alice)
    refreshes = []
    monkeypatch.setattr(kept, "run_in_background", refreshes.append)
    ages = lambda: [b["count"] for b in api.get("/api/insights/action-items").json()["openByAge"]]  # noqa: E731
    assert ages() == [3, 0, 0, 0]
    # The next minute, and the items a week old by then (as if opened long ago).
    later = timezone.now() + timedelta(seconds=minutes * kept.KEPT_SECONDS)
    monkeypatch.setattr(timezone, "now", lambda: later)
    # Written around the write path, so the generation stays (as time alone would move it).
    ActionItem.objects.update(created_at=later - timedelta(days=8))
    assert ages() == [3, 0, 0, 0]  # the last minute's answer, at once
    assert ages() == [3, 0, 0, 0] and len(refreshes) == 1  # one refresh, however many ask
    refreshes[0]()
    assert ages() == [0, 3, 0, 0]
    assert computed.count("action_items_now") == 2 and computed.count("action_item_history") == 1


def test_an_answer_older_than_the_stale_bound_is_never_served(
    alice, api_for, postmortem, monkeypatch
):
    api = api_for(alice)
    monkeypatch.setattr(kept, "run_in_background", lambda work: None)  # would never finish
    api.get("/api/insights/action-items")
    later = timezone.now() + timedelta(seconds=kept.STALE_SECONDS + kept.KEPT_SECONDS)
    monkeypatch.setattr(timezone, "now", lambda: later)
    ActionItem.objects.update(created_at=later - timedelta(days=8))
    ages = [b["count"] for b in api.get("/api/insights/action-items").json()["openByAge"]]
    assert ages == [0, 3, 0, 0]  # computed for this request


def test_an_open_item_ages_while_nothing_is_written(alice, api_for, postmortem, monkeypatch):
    api = api_for(alice)
    ages = lambda: [b["count"] for b in api.get("/api/insights/action-items").json()["openByAge"]]  # noqa: E731
    assert ages() == [3, 0, 0, 0]  # the fixture's three open items, opened just now
    later = timezone.now() + timedelta(days=8)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert ages() == [0, 3, 0, 0]


def test_nothing_is_kept_past_its_bound(alice, api_for, postmortem, computed, monkeypatch):
    api = api_for(alice)
    api.get("/api/insights/incidents")
    later = timezone.now() + timedelta(seconds=kept.TIMELESS_SECONDS + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    monkeypatch.setattr("time.time", lambda: later.timestamp())  # the cache's clock
    api.get("/api/insights/incidents")
    assert computed == ["incident_counts", "incident_counts"]


def test_requests_that_miss_together_wait_for_one_computation(alice, monkeypatch):
    import threading
    import time

    started, release, calls = threading.Event(), threading.Event(), []

    def slow(filters, user):
        calls.append(1)
        started.set()
        release.wait(5)
        return {"n": len(calls)}

    answers = []
    first = threading.Thread(target=lambda: answers.append(kept.figure(slow, Filters(), alice)))
    monkeypatch.setattr(kept, "_generation", lambda: ("fixed",))  # no database in threads
    first.start()
    assert started.wait(5)
    second = threading.Thread(target=lambda: answers.append(kept.figure(slow, Filters(), alice)))
    second.start()
    time.sleep(0.3)  # the second is waiting on the first's computation by now
    release.set()
    first.join(5)
    second.join(5)
    assert calls == [1] and answers == [{"n": 1}, {"n": 1}]


@pytest.mark.django_db(transaction=True)
def test_the_refresh_runs_in_a_thread_of_its_own(alice, api_for, postmortem, monkeypatch):
    import threading
    import time

    threads = []

    def in_another_thread(work):
        threads.append(threading.current_thread())
        IN_ANOTHER_THREAD(lambda: (threads.append(threading.current_thread()), work()))

    monkeypatch.setattr(kept, "run_in_background", in_another_thread)
    api = api_for(alice)
    ages = lambda: [b["count"] for b in api.get("/api/insights/action-items").json()["openByAge"]]  # noqa: E731
    assert ages() == [3, 0, 0, 0]
    later = timezone.now() + timedelta(seconds=kept.KEPT_SECONDS)
    monkeypatch.setattr(timezone, "now", lambda: later)
    ActionItem.objects.update(created_at=later - timedelta(days=8))
    assert ages() == [3, 0, 0, 0]
    for _ in range(100):  # the refresh, in its own thread, makes this minute's answer
        if ages() == [0, 3, 0, 0]:
            break
        time.sleep(0.05)
    assert ages() == [0, 3, 0, 0]
    assert len(threads) == 2 and threads[0] is not threads[1]
