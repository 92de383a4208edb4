"""GET /api/insights/…: every figure pinned to a hand-computed fixture (known times, known
items), with the edge cases: missing times, an empty month, a single value, and what the
caller may not read (another member's draft) left out."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from hindsight.incidents.models import Incident
from hindsight.postmortems.models import ActionItem, PostMortem


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


MIN, HOUR, DAY = 60, 3600, 86400


def make_incident(pk, severity, start, *, services, kind="INCIDENT", **offsets):
    """An incident starting at START; OFFSETS give each milestone in seconds after it."""
    times = {f"{name}_at": start + timedelta(seconds=s) for name, s in offsets.items()}
    return Incident.objects.create(
        id=pk, title=pk, severity=severity, services=services, type=kind, started_at=start, **times
    )


def make_report(api, incident, *, items=(), tags=(), status="DRAFT", published=None):
    body = {
        "incidentId": incident.pk,
        "title": f"Report on {incident.pk}",
        "tags": list(tags),
        "actionItems": [
            {"description": d, "priority": p, "status": s, "owner": o, "dueDate": due}
            for d, p, s, o, due, *_ in items
        ],
    }
    response = api.post("/api/postmortems", body)
    assert response.status_code == 201, response.content
    pm = response.json()
    PostMortem.objects.filter(pk=pm["id"]).update(status=status, published_at=published)
    for row, (_, _, _, _, _, created, completed) in zip(pm["actionItems"], items, strict=True):
        ActionItem.objects.filter(pk=row["id"]).update(
            created_at=at(created), completed_at=at(completed) if completed else None
        )
    return pm


@pytest.fixture
def world(alice, make_user, api_for):
    """Three incidents in March and May 2026 (April empty), one without a start, reports on
    them by alice, and a draft by dave that alice may not read."""
    dave = make_user("dave")
    i1 = make_incident(
        "i1", "SEV1", at("2026-03-02T10:00"), services=["checkout"],
        detected=4 * MIN, acknowledged=10 * MIN, mitigated=30 * MIN, resolved=2 * HOUR,
    )  # fmt: skip
    i2 = make_incident(
        "i2", "SEV2", at("2026-03-15T08:00"), services=["search"],
        detected=20 * MIN, mitigated=50 * MIN, resolved=5 * HOUR,
    )  # fmt: skip
    i3 = make_incident(
        "i3", "SEV2", at("2026-05-01T12:00"), services=["checkout"], kind="NEAR_MISS",
        detected=1 * MIN, resolved=10 * MIN,
    )  # fmt: skip
    i4 = Incident.objects.create(id="i4", title="no start", severity="SEV3")
    api = api_for(alice)
    make_report(
        api, i1, status="PUBLISHED", published=i1.resolved_at + timedelta(hours=10),
        items=[
            ("a1", "HIGH", "DONE", "bob", None, "2026-03-02T12:00", "2026-03-05T12:00"),
            ("a2", "HIGH", "TODO", "Alice", "2026-03-10", "2026-03-02T12:00", None),
            ("a3", "LOW", "DONE", None, None, "2026-03-03T00:00", "2026-04-03T00:00"),
        ],
    )  # fmt: skip
    make_report(
        api, i2, status="PUBLISHED", published=i2.resolved_at + timedelta(hours=72),
        tags=["database"],
        items=[
            ("b1", "MEDIUM", "TODO", "alice@example.com", "2026-04-01", "2026-03-16T09:00", None),
            ("b2", "MEDIUM", "IN_PROGRESS", "Team-DB", "2026-04-01", "2026-03-16T09:00", None),
            ("b3", "LOW", "TODO", "TEAM-DB", None, "2026-03-16T09:00", None),
        ],
    )  # fmt: skip
    make_report(api, i3)  # alice's draft, overdue since May
    make_report(
        api, i4, status="PUBLISHED", published=at("2026-06-01T00:00"),
        items=[("d1", "LOW", "DONE", "bob", None, "2026-06-01T00:00", "2026-06-02T00:00")],
    )  # fmt: skip
    make_report(api, i4, status="PUBLISHED", published=at("2026-06-01T00:00"))  # no items
    make_report(
        api_for(dave), i1, tags=["secret"],
        items=[("c1", "HIGH", "TODO", "dave", "2026-03-05", "2026-03-02T12:00", None)],
    )  # fmt: skip
    return api


def get(api, figure, **params):
    response = api.get(f"/api/insights/{figure}", params=params)
    assert response.status_code == 200, response.content
    return response.json()


def histogram(body) -> list[int]:
    return [bucket["count"] for bucket in body["histogram"]]


def test_incidents_per_month_by_severity_with_empty_months(world):
    body = get(world, "incidents", **{"from": "2026-03-01", "to": "2026-05-31"})
    assert body["total"] == 3 and body["nearMisses"] == 1 and body["nearMissShare"] == 0.3333
    months = {m["month"]: m for m in body["byMonth"]}
    assert list(months) == ["2026-03", "2026-04", "2026-05"]
    assert months["2026-03"]["bySeverity"] == {
        "SEV1": 1,
        "SEV2": 1,
        "SEV3": 0,
        "SEV4": 0,
        "none": 0,
    }
    assert months["2026-04"]["total"] == 0
    assert months["2026-05"]["nearMisses"] == 1


def test_durations_are_nearest_rank_with_fixed_buckets(world):
    body = get(world, "durations", **{"from": "2026-03-01", "to": "2026-05-31"})
    detect = body["timeToDetect"]
    # 60, 240, 1200: the median is the 2nd, the p90 the 3rd.
    assert (detect["count"], detect["median"], detect["p90"]) == (3, 240, 1200)
    assert histogram(detect) == [2, 0, 1, 0, 0, 0]
    assert [b["low"] for b in detect["histogram"]] == [0, 300, 900, 3600, 14400, 86400]
    assert detect["histogram"][-1]["high"] is None
    assert detect["byMonth"] == [
        {"month": "2026-03", "count": 2, "median": 240},
        {"month": "2026-04", "count": 0, "median": None},
        {"month": "2026-05", "count": 1, "median": 60},
    ]
    # Only i1 was acknowledged: a missing time leaves the incident out of that figure only.
    ack = body["timeToAcknowledge"]
    assert (ack["count"], ack["median"], ack["p90"]) == (1, 600, 600)
    resolve = body["timeToResolve"]
    assert (resolve["count"], resolve["median"], resolve["p90"]) == (3, 7200, 18000)
    assert histogram(resolve) == [0, 1, 0, 1, 1, 0]


def test_the_filters_narrow_every_figure(world):
    assert get(world, "durations", severity="SEV2")["timeToDetect"]["median"] == 60
    assert get(world, "durations", service="checkout")["timeToDetect"]["count"] == 2
    assert get(world, "durations", type="NEAR_MISS")["timeToDetect"]["median"] == 60
    assert get(world, "incidents", tag="database")["total"] == 1
    assert get(world, "incidents", **{"from": "2026-03-10"})["total"] == 2
    assert get(world, "incidents", **{"to": "2026-03-02"})["total"] == 1


def test_a_tag_on_a_draft_the_caller_may_not_read_matches_nothing(world):
    assert get(world, "incidents", tag="secret")["total"] == 0


def test_postmortem_timeliness(world, settings):
    settings.POSTMORTEM_DUE_HOURS = 48
    body = get(world, "postmortems", **{"from": "2026-03-01", "to": "2026-05-31"})
    # i1's report: 10 h after resolution (on time); i2's: 72 h (late); i3's: still a draft.
    assert (body["resolved"], body["publishedOnTime"], body["onTimeShare"]) == (3, 1, 0.3333)
    assert body["medianToPublish"] == 10 * HOUR
    assert body["overdueNow"] == 1
    months = {m["month"]: m for m in body["byMonth"]}
    assert months["2026-03"] == {
        "month": "2026-03",
        "resolved": 2,
        "publishedOnTime": 1,
        "onTimeShare": 0.5,
        "medianToPublish": 10 * HOUR,
    }
    assert months["2026-04"]["resolved"] == 0 and months["2026-04"]["onTimeShare"] is None
    assert months["2026-05"]["medianToPublish"] is None


def test_action_item_figures(world):
    body = get(world, "action-items")
    assert body["byMonth"] == [
        {"month": "2026-03", "opened": 6, "completed": 1},
        {"month": "2026-04", "opened": 0, "completed": 1},
        {"month": "2026-05", "opened": 0, "completed": 0},
        {"month": "2026-06", "opened": 1, "completed": 1},
    ]
    # Four open items, all opened in March: more than three months ago (dave's is not ours).
    assert [b["count"] for b in body["openByAge"]] == [0, 0, 0, 4]
    priorities = {p["priority"]: p for p in body["byPriority"]}
    assert priorities["HIGH"] == {
        "priority": "HIGH", "opened": 2, "done": 1, "completionRate": 0.5, "medianToDone": 3 * DAY,
    }  # fmt: skip
    assert (
        priorities["MEDIUM"]["completionRate"] == 0 and priorities["MEDIUM"]["medianToDone"] is None
    )
    # a3 took 31 days, d1 one: nearest-rank median of two is the first.
    assert priorities["LOW"]["medianToDone"] == 1 * DAY and priorities["LOW"]["opened"] == 3
    # "Alice" and alice@example.com are one user; Team-DB and TEAM-DB one owner (b3 has no due date).
    assert body["overdueByOwner"] == [
        {"owner": "alice", "user": "alice", "overdue": 2},
        {"owner": "team-db", "user": None, "overdue": 1},
    ]
    assert body["publishedFollowThrough"] == {
        "published": 4,
        "allDone": 1,
        "notAllDone": 2,
        "noActionItems": 1,
        "allDoneShare": 0.3333,
    }


def test_an_admin_counts_every_draft(world, admin, api_for):
    body = get(api_for(admin), "action-items")
    assert [b["count"] for b in body["openByAge"]] == [0, 0, 0, 5]
    assert {"owner": "dave", "user": "dave", "overdue": 1} in body["overdueByOwner"]


def test_nothing_to_count(alice, api_for):
    api = api_for(alice)
    durations = get(api, "durations")
    assert durations["timeToDetect"] == {
        "count": 0,
        "median": None,
        "p90": None,
        "histogram": durations["timeToDetect"]["histogram"],
        "byMonth": [],
    }
    assert histogram(durations["timeToDetect"]) == [0] * 6
    assert get(api, "incidents") == {
        "total": 0,
        "nearMisses": 0,
        "nearMissShare": None,
        "byMonth": [],
    }


def test_csv(world):
    response = world.get("/api/insights/durations", params={"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    overall = next(r for r in rows if r["measure"] == "timeToDetect" and r["month"] == "all")
    assert (overall["count"], overall["median"], overall["p90"]) == ("3", "240", "1200")
    for figure in ("incidents", "postmortems", "action-items"):
        answer = world.get(f"/api/insights/{figure}", params={"format": "csv"})
        assert answer.status_code == 200 and answer.content.decode().startswith("month,")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"severity": "SEV9"}, "severity"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_filters_are_refused_by_name(world, params, field):
    response = world.get("/api/insights/incidents", params=params)
    assert response.status_code == 422
    assert field in response.content.decode()


def test_to_before_from_is_refused(world):
    response = world.get(
        "/api/insights/incidents", params={"from": "2026-05-01", "to": "2026-04-01"}
    )
    assert response.status_code == 422
    assert "before" in response.content.decode()


def test_signing_in_is_required(db, api_for):
    assert api_for(None).get("/api/insights/incidents").status_code == 401


def test_incident_type_and_impact_categories_in_the_api(alice, api_for):
    api = api_for(alice)
    response = api.post(
        "/api/incidents",
        {"title": "Nearly", "type": "NEAR_MISS", "impactCategories": ["INCREASED_LATENCY"] * 2},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["type"] == "NEAR_MISS" and body["impactCategories"] == ["INCREASED_LATENCY"]
    assert api.post("/api/incidents", {"title": "x"}).json()["type"] == "INCIDENT"
    wrong = api.post("/api/incidents", {"title": "x", "impactCategories": ["EVERYTHING"]})
    assert wrong.status_code == 422


def test_the_list_filters_the_insights_link_to(world):
    """type, incidentFrom/incidentTo and factorCategory narrow GET /api/postmortems."""

    def ids(**params):
        response = world.get("/api/postmortems", params=params)
        assert response.status_code == 200, response.content
        return {row["incidentId"] for row in response.json()["items"]}

    assert ids(type="NEAR_MISS") == {"i3"}
    assert ids(incidentFrom="2026-03-10", incidentTo="2026-04-30") == {"i2"}
    pm = world.get("/api/postmortems", params={"incidentId": "i3"}).json()["items"][0]  # a draft
    world.patch(
        f"/api/postmortems/{pm['id']}",
        {
            "contributingFactors": [
                {"factor": "Pool sized for average load", "category": "capacity-load"}
            ]
        },
        headers={"If-Match": f'"{pm["version"]}"'},
    )
    assert ids(factorCategory="capacity-load") == {"i3"}
    assert world.get("/api/postmortems", params={"factorCategory": "Not A Slug"}).status_code == 422
