"""GET /api/postmortems/{id}/related: a labelled set of 40 short reports written for this test
(twenty true pairs: the same failure of the same system, told in other words), full of
distractors (every service has two different failures; every cause appears on two
systems). Every report's true partner is in its top 3, and no unrelated pair scores above
the recurrence threshold. Then the recurrence signal, visibility and the shape."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hindsight.incidents.models import Incident
from hindsight.incidents.services import update_incident
from hindsight.postmortems import related
from hindsight.postmortems.models import ActionItem, PostMortem

# (service, factor category, (title, root cause, factor), (title, root cause, factor))
PAIRS = [
    ("checkout", "capacity-load",
     ("Checkout errors as the connection pool ran dry", "The database connection pool was sized for average traffic and exhausted at peak.", "Pool size fixed at 20 connections"),
     ("Checkout outage during flash sale", "Peak traffic exhausted the connection pool; requests queued until they timed out.", "Connection pool never load tested")),
    ("checkout", "change-deployment",
     ("Checkout broken by a bad release", "A release renamed the basket cookie and old sessions lost their baskets.", "Cookie rename shipped without migration"),
     ("Baskets emptied after deploy", "The deploy changed the basket cookie name, so existing sessions could not find their basket.", "No compatibility window for the cookie")),
    ("search", "configuration",
     ("Empty search results after index alias switch", "The index alias was pointed at an empty index during the reindex.", "Alias switch not guarded"),
     ("Search returned nothing for an hour", "During reindexing the alias moved to the new, still empty index.", "Reindex runbook skipped the document count check")),
    ("search", "capacity-load",
     ("Search latency spike from heap pressure", "Query caches grew until garbage collection pauses stalled the search nodes.", "Unbounded query cache"),
     ("Slow search from long GC pauses", "The search nodes' heap filled with cached queries and collection pauses froze them.", "Heap sized without cache limits")),
    ("payments", "dependency-third-party",
     ("Payments failing at the card provider", "The card processor's API returned timeouts and our retries amplified the load.", "Retries without backoff against the processor"),
     ("Card payments declined during provider incident", "Our payment provider degraded; aggressive retries from our side made it worse.", "Retry storm on provider timeouts")),
    ("payments", "software-defect",
     ("Double charges from a refund race", "Two workers processed the same refund job after the job lock expired early.", "Lock lifetime shorter than the job"),
     ("Refunds issued twice", "A refund job ran twice when its lease timed out before the worker finished.", "Lease expiry not renewed")),
    ("login", "infrastructure-hardware",
     ("Login outage from expired certificate", "The identity provider's TLS certificate expired; renewal was manual and forgotten on the calendar.", "Manual certificate renewal"),
     ("Sign-in failures after certificate expiry", "An internal TLS certificate on the login path expired because nothing renewed it automatically.", "No expiry alerting on certificates")),
    ("login", "security",
     ("Credential stuffing slowed logins", "A botnet replayed leaked passwords and the rate limiter keyed on the wrong header.", "Rate limiting keyed on a spoofable header"),
     ("Login slow under bot attack", "Automated password guessing from many addresses bypassed the rate limit, which trusted a forwarded header.", "Forwarded header trusted")),
    ("notifications", "change-deployment",
     ("Email backlog after consumer deploy", "The deploy started two queue consumers instead of twelve and the backlog grew.", "Consumer count in the wrong config file"),
     ("Notification emails delayed for hours", "After the release only two consumers processed the email queue, so messages piled up.", "Replica count regressed in the release")),
    ("notifications", "alerting-gap",
     ("Push notifications silently dropped", "The push gateway rejected expired credentials and nothing alerted on the rejection rate.", "No alert on push rejections"),
     ("Mobile pushes never arrived", "Expired push credentials made the gateway refuse every message, unnoticed for a day.", "Rejection metric without an alert")),
    ("inventory", "software-defect",
     ("Stock counts went negative", "A rounding bug in the reservation service subtracted reservations twice.", "Reservation arithmetic untested"),
     ("Inventory showed negative stock", "Reservations were deducted twice because of a rounding defect in the reservation code.", "No property tests on reservations")),
    ("inventory", "dependency-third-party",
     ("Supplier feed import stalled", "The supplier's SFTP server changed its host key and the import job refused to connect.", "Host key pinned without rotation plan"),
     ("Stock not updated from supplier", "The supplier rotated the host key of their file server and our importer stopped connecting.", "Importer failures not alerted")),
    ("reporting", "capacity-load",
     ("Reports timing out at month end", "Month-end report queries exhausted the database connection pool of the reporting replica.", "Replica pool sized for daytime"),
     ("Month-end reports failed", "The reporting replica ran out of pooled connections under the month-end query load.", "No queueing for heavy reports")),
    ("reporting", "monitoring-gap",
     ("Stale dashboards for two days", "The ETL job stopped after a schema change and dashboards kept serving old data.", "No freshness check on the ETL output"),
     ("Dashboards showed old numbers", "A schema change broke the nightly ETL, and nothing noticed that the data stopped updating.", "Data freshness not monitored")),
    ("gateway", "configuration",
     ("Gateway returned 502 for one region", "A routing rule sent eu-west traffic to a decommissioned upstream pool.", "Stale upstream in the routing config"),
     ("502 errors from the API gateway in eu-west", "The gateway's routing configuration still pointed eu-west at an upstream that had been removed.", "Config not validated against live upstreams")),
    ("gateway", "infrastructure-hardware",
     ("Gateway node disk full", "Access logs filled the gateway node's disk because log rotation was disabled.", "Log rotation off"),
     ("API gateway crashed on full disk", "Log files grew without rotation until the gateway host's disk was full.", "Disk usage not alerted")),
    ("uploads", "capacity-load",
     ("Uploads failing under large files", "Large uploads were buffered in memory and the upload workers ran out of memory.", "Whole files held in memory"),
     ("Upload service out of memory", "Buffering whole files in memory exhausted the upload workers on big videos.", "No streaming for uploads")),
    ("uploads", "configuration",
     ("Uploads rejected by a new size limit", "A proxy config change lowered the body size limit to one megabyte.", "Proxy limit changed without review"),
     ("Files over 1 MB refused", "The reverse proxy's maximum body size was reduced by a configuration change.", "Limit change not tested")),
    ("scheduler", "software-defect",
     ("Jobs ran twice after a daylight saving change", "The scheduler computed next runs in local time and repeated the hour when clocks went back.", "Local time in schedule arithmetic"),
     ("Duplicate job runs at clock change", "When clocks went back the scheduler's local-time calculation fired the same jobs twice.", "Schedules not stored in UTC")),
    ("scheduler", "runbook-process",
     ("Scheduler paused by a forgotten maintenance flag", "A maintenance flag set during a migration was never cleared, so no jobs were scheduled.", "No checklist step to clear the flag"),
     ("No scheduled jobs for a morning", "The maintenance flag from the night's migration stayed on and the scheduler skipped every job.", "Migration runbook lacked the flag step")),
]  # fmt: skip

START = datetime(2026, 1, 1, 9, tzinfo=UTC)


@pytest.fixture
def corpus(alice, api_for):
    """The 40 reports, published; {report id: id of its true partner}."""
    api = api_for(alice)
    partner, n = {}, 0
    for service, category, *pair in PAIRS:
        ids = []
        for title, root, factor in pair:
            n += 1
            incident = Incident.objects.create(
                id=f"inc{n}", title=title, services=[service], started_at=START + timedelta(days=n)
            )
            response = api.post(
                "/api/postmortems",
                {
                    "incidentId": incident.pk,
                    "title": title,
                    "rootCause": root,
                    "contributingFactors": [{"factor": factor, "category": category}],
                },
            )
            assert response.status_code == 201, response.content
            ids.append(response.json()["id"])
        partner[ids[0]], partner[ids[1]] = ids[1], ids[0]
    PostMortem.objects.update(status="PUBLISHED")
    return partner


@pytest.mark.parametrize("kept", [False, True], ids=["ranked", "kept"])
def test_every_true_pair_is_in_the_top_3_and_no_distractor_passes_the_threshold(
    corpus, alice, bob, api_for, kept
):
    if kept:
        _rank_all()  # answered from the kept matches
    api = api_for(bob)  # another member: published reports only
    misses, false_alarms = [], []
    for pm_id, mate in corpus.items():
        response = api.get(f"/api/postmortems/{pm_id}/related", params={"limit": 10})
        assert response.status_code == 200, response.content
        items = response.json()["items"]
        top = [item["id"] for item in items[:3]]
        if mate not in top:
            misses.append((pm_id, top))
        false_alarms += [
            (pm_id, item["id"], item["score"])
            for item in items
            if item["id"] != mate and item["score"] > related.RECURRENCE_THRESHOLD
        ]
        assert all(0 <= item["score"] <= 1 for item in items)
        assert pm_id not in [item["id"] for item in items]
    assert misses == []
    assert false_alarms == []


def test_reasons_in_words(corpus, alice, api_for):
    first = next(iter(corpus))
    best = api_for(alice).get(f"/api/postmortems/{first}/related").json()["items"][0]
    assert best["id"] == corpus[first]
    assert "same service: checkout" in best["reasons"]
    assert "shared factor category: Capacity / load" in best["reasons"]
    assert any(r.startswith("similar root cause: ") and "pool" in r for r in best["reasons"])


@pytest.mark.parametrize("kept", [False, True], ids=["ranked", "kept"])
def test_a_recurrence_when_the_last_fix_was_done_before_this_incident(corpus, alice, api_for, kept):
    earlier, later = next(iter(corpus)), None
    later = corpus[earlier]
    if kept:
        _rank_all()  # the items below are read with the kept matches, as they are now
    PostMortem.objects.filter(pk=earlier).update(status="PUBLISHED")
    report = PostMortem.objects.get(pk=earlier)
    done_at = report.incident.started_at + timedelta(hours=5)
    ActionItem.objects.create(
        id="act_fix", postmortem=report, description="Raise the pool size", status="DONE",
        completed_at=done_at,
    )  # fmt: skip
    with CaptureQueriesContext(connection) as captured:
        items = api_for(alice).get(f"/api/postmortems/{later}/related").json()["items"]
    ranked = any("postmortem_fts" in q["sql"] or "search_vector" in q["sql"] for q in captured)
    assert ranked is not kept
    best = items[0]
    assert best["id"] == earlier and best["score"] > related.RECURRENCE_THRESHOLD
    assert best["possibleRecurrence"] is True
    assert datetime.fromisoformat(best["itemsCompletedAt"].replace("Z", "+00:00")) == done_at
    assert best["openActionItems"] == []
    assert all(not item["possibleRecurrence"] for item in items[1:])
    # An item still open: the fix is not done, so no recurrence, and the item is listed.
    ActionItem.objects.create(
        id="act_open", postmortem=report, description="Load test", owner="bob"
    )
    best = api_for(alice).get(f"/api/postmortems/{later}/related").json()["items"][0]
    assert best["possibleRecurrence"] is False and best["itemsCompletedAt"] is None
    assert best["openActionItems"] == [
        {"id": "act_open", "description": "Load test", "owner": "bob"}
    ]


def test_others_drafts_are_never_related(corpus, alice, bob, api_for):
    first = next(iter(corpus))
    PostMortem.objects.filter(pk=corpus[first]).update(status="DRAFT")  # alice's draft
    ids = [i["id"] for i in api_for(bob).get(f"/api/postmortems/{first}/related").json()["items"]]
    assert corpus[first] not in ids
    assert api_for(bob).get(f"/api/postmortems/{corpus[first]}/related").status_code == 404


def test_the_limit_is_bounded(corpus, alice, api_for):
    first = next(iter(corpus))
    api = api_for(alice)
    assert (
        len(api.get(f"/api/postmortems/{first}/related", params={"limit": 2}).json()["items"]) == 2
    )
    assert api.get(f"/api/postmortems/{first}/related", params={"limit": 0}).status_code == 422
    assert api.get(f"/api/postmortems/{first}/related", params={"limit": 21}).status_code == 422


def test_the_report_page_shows_the_panel_and_the_recurrence_banner(corpus, alice):
    from django.test import Client

    earlier = next(iter(corpus))
    report = PostMortem.objects.get(pk=earlier)
    ActionItem.objects.create(
        id="act_fix", postmortem=report, description="Raise the pool size", status="DONE",
        completed_at=report.incident.started_at + timedelta(hours=5),
    )  # fmt: skip
    client = Client()
    client.force_login(alice)
    report_page = client.get(f"/postmortems/{corpus[earlier]}").content.decode()
    assert f'hx-get="/postmortems/{corpus[earlier]}/related"' in report_page
    page = client.get(f"/postmortems/{corpus[earlier]}/related").content.decode()  # no JS
    assert "Related post-mortems" in page and f'href="/postmortems/{earlier}"' in page
    panel = client.get(f"/postmortems/{corpus[earlier]}/related", HTTP_HX_REQUEST="true")
    assert (
        "<html" not in panel.content.decode() and "This may have happened" in panel.content.decode()
    )
    assert "This may have happened before." in page
    assert "same service: checkout" in page
    other = client.get(f"/postmortems/{earlier}/related").content.decode()
    assert "Related post-mortems" in other and "This may have happened before." not in other


def test_the_panel_says_no_related_report_only_when_there_is_none(corpus, alice):
    from django.test import Client

    client = Client()
    client.force_login(alice)
    first = next(iter(corpus))
    panel = client.get(f"/postmortems/{corpus[first]}/related", HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert "Related post-mortems" in html  # some are related, none with open items
    assert "No related post-mortem found." not in html


def _compared_now(pm_id: str) -> tuple:
    """What a candidate's kept `compared` column says of PM_ID, and what its rows say."""
    rows = PostMortem.objects.filter(pk=pm_id).values_list(*related.CANDIDATE)
    [kept] = related._candidates(rows)
    fresh = related._load([pm_id])[pm_id]

    def compared(report):
        return (
            report.title,
            report.status,
            report.started_at,
            report.words,
            report.root_words,
            report.services,
            report.tags,
            set(report.categories),
        )

    return compared(kept), compared(fresh)


def test_what_a_candidate_is_compared_by_follows_every_kind_of_change(
    alice, api_for, postmortem, incident
):
    api = api_for(alice)
    pm_id = postmortem["id"]
    kept, fresh = _compared_now(pm_id)
    assert kept == fresh and "pool" in kept[3] and kept[5] == {"checkout", "postgres"}

    changes = [
        {"title": "Replication lag stalled invoices"},
        {"rootCause": "A vacuum storm starved the replica of disk bandwidth."},
        {"tags": ["Billing", "replica"]},
        {
            "contributingFactors": [
                {"factor": "Autovacuum thresholds left at defaults", "category": "configuration"},
                {"factor": "Replica disks shared with backups"},
            ]
        },
    ]
    for change in changes:
        assert api.patch(f"/api/postmortems/{pm_id}", change).status_code == 200
        kept, fresh = _compared_now(pm_id)
        assert kept == fresh, change
    assert {"autovacuum", "replica", "invoices"} <= kept[3] and kept[6] == {"billing", "replica"}
    assert kept[7] == {"configuration"} and "pool" not in kept[3]

    # The incident's services and start, changed on the incident: its reports follow.
    update_incident(
        incident.id,
        {"services": ["Billing-DB"], "started_at": START + timedelta(days=90)},
        by=alice,
    )
    kept, fresh = _compared_now(pm_id)
    assert kept == fresh and kept[5] == {"billing-db"} and kept[2] == START + timedelta(days=90)

    # Another incident altogether.
    other = Incident.objects.create(id="inc_other", title="Other", services=["search"])
    assert api.patch(f"/api/postmortems/{pm_id}", {"incidentId": other.pk}).status_code == 200
    kept, fresh = _compared_now(pm_id)
    assert kept == fresh and kept[5] == {"search"}


def test_a_candidate_an_older_version_wrote_is_compared_from_its_rows(corpus, alice, api_for):
    first = next(iter(corpus))
    api = api_for(alice)
    before = api.get(f"/api/postmortems/{first}/related").json()["items"]
    # As a database upgraded before refresh_stale has reached these rows leaves them.
    PostMortem.objects.exclude(pk=first).update(compared="", render_version=1)
    assert api.get(f"/api/postmortems/{first}/related").json()["items"] == before
    assert before and before[0]["id"] == corpus[first]


def test_related_reads_the_candidates_with_the_ranking_in_a_few_queries(
    corpus, alice, api_for, django_assert_num_queries
):
    first = next(iter(corpus))
    api = api_for(alice)
    api.get(f"/api/postmortems/{first}/related")  # the word counts, kept by each process
    # The token's user; the subject's kept row and its categories' names; the ranked
    # candidates with what they are compared by; the shown reports' action items.
    with django_assert_num_queries(5):
        items = api.get(f"/api/postmortems/{first}/related").json()["items"]
    assert items[0]["id"] == corpus[first]


def _rank_all() -> None:
    while related.refresh_due_best_matches():  # what `hindsight worker` does between checks
        pass


def _answers(api, ids, **params) -> dict:
    return {pm: api.get(f"/api/postmortems/{pm}/related", params=params).json() for pm in ids}


def test_the_kept_matches_answer_as_the_ranking_does_or_better(corpus, alice, bob, api_for):
    """The kept matches hold what the report's own ranking found and the reports that found
    it (the score is symmetric): never a worse list than ranking, the same entries where
    both show a report."""
    for user in (alice, bob):
        api = api_for(user)
        ranked = _answers(api, corpus, limit=5)
        _rank_all()
        assert PostMortem.objects.filter(related_kept__isnull=True).count() == 0
        for pm_id, answer in _answers(api, corpus, limit=5).items():
            kept, live = answer["items"], ranked[pm_id]["items"]
            assert len(kept) >= len(live)
            assert all(k["score"] >= r["score"] for k, r in zip(kept, live, strict=False))
            floor = kept[-1]["score"]
            by_id = {item["id"]: item for item in kept}
            for item in live:
                if item["score"] > floor:
                    assert by_id[item["id"]] == item
        PostMortem.objects.update(best_match_due=True)  # the next user ranks again first


def test_related_reads_the_kept_matches_without_ranking(
    corpus, alice, api_for, django_assert_num_queries
):
    first = next(iter(corpus))
    _rank_all()
    api = api_for(alice)
    api.get(f"/api/postmortems/{first}/related")  # the token's last use, written once
    # The token's user; the subject's row with the kept matches alice may read and their
    # action items; the names of the categories a shown match shares. No full-text query.
    with django_assert_num_queries(3) as captured:
        items = api.get(f"/api/postmortems/{first}/related").json()["items"]
    assert items[0]["id"] == corpus[first]
    assert not any("postmortem_fts" in q["sql"] or "search_vector" in q["sql"] for q in captured)


def test_a_new_report_joins_the_kept_matches_of_those_it_resembles(corpus, alice, api_for):
    first = next(iter(corpus))
    _rank_all()
    api = api_for(alice)
    source = PostMortem.objects.get(pk=first)
    incident = Incident.objects.create(
        id="inc_again", title="Again", services=source.incident.services, started_at=START
    )
    created = api.post(
        "/api/postmortems",
        {
            "incidentId": incident.pk,
            "title": source.title,
            "rootCause": source.root_cause,
            "contributingFactors": source.section("contributing_factors"),
            "status": "IN_REVIEW",
        },
    ).json()["id"]
    related.refresh_due_best_matches()  # ranks the new report alone
    assert not PostMortem.objects.get(pk=first).best_match_due  # the old one is not ranked
    assert PostMortem.objects.get(pk=first).related_kept[0][0] == created
    items = api.get(f"/api/postmortems/{first}/related").json()["items"]
    # The same words, services and category; no tags on either (that part counts 0).
    assert items[0]["id"] == created and items[0]["score"] == 0.9


def test_a_changed_report_ranks_afresh_until_its_matches_are_found_again(corpus, alice, api_for):
    first, other = list(corpus)[0], list(corpus)[2]  # two reports of different pairs
    _rank_all()
    api = api_for(alice)
    PostMortem.objects.filter(pk=first).update(status="DRAFT")  # alice's: editable
    target = PostMortem.objects.get(pk=other)
    change = {"title": target.title, "rootCause": target.root_cause}
    assert api.patch(f"/api/postmortems/{first}", change).status_code == 200
    # Due again: answered by the ranking, so the change shows at once.
    items = api.get(f"/api/postmortems/{first}/related").json()["items"]
    assert items[0]["id"] == other
    _rank_all()
    assert api.get(f"/api/postmortems/{first}/related").json()["items"] == items


def test_kept_matches_a_reader_may_not_read_are_left_out_or_ranked_past(
    corpus, alice, bob, api_for, monkeypatch
):
    monkeypatch.setattr(related, "KEPT", 3)
    first = next(iter(corpus))
    _rank_all()
    kept = [pk for pk, _ in PostMortem.objects.get(pk=first).related_kept]
    assert len(kept) == 3
    PostMortem.objects.filter(pk__in=kept[:2]).update(status="DRAFT")  # alice's drafts
    shown = [
        i["id"]
        for i in api_for(bob)
        .get(f"/api/postmortems/{first}/related", params={"limit": 1})
        .json()["items"]
    ]
    assert shown == kept[2:]  # one of the kept is readable: enough for one
    # Two asked for, one readable of a full list: ranked among what bob may read.
    shown = [
        i["id"]
        for i in api_for(bob)
        .get(f"/api/postmortems/{first}/related", params={"limit": 2})
        .json()["items"]
    ]
    assert len(shown) == 2 and not set(shown) & set(kept[:2]) and kept[2] in shown


def test_migrating_marks_every_report_due_so_the_worker_keeps_its_matches(corpus):
    kept = importlib.import_module("hindsight.postmortems.migrations.0028_related_kept")
    PostMortem.objects.update(best_match_due=False)  # as ranked before the column existed
    kept.mark_every_report_due(apps, None)
    assert not PostMortem.objects.filter(best_match_due=False).exists()
    _rank_all()
    assert not PostMortem.objects.filter(related_kept__isnull=True).exists()
