"""GET /api/postmortems: shape, keyset pages, filters, sorting and ranked text search."""

import base64
import json

import pytest

from hindsight.incidents.services import create_incident


@pytest.fixture
def api(alice, api_for):
    return api_for(alice)


def make(api, title="Report", **fields) -> dict:
    body = {"incidentId": "inc_123", "title": title, **fields}
    response = api.post("/api/postmortems", body)
    assert response.status_code == 201, response.content
    return response.json()


def walk(api, **params) -> list[dict]:
    """Every row, page by page, following nextCursor."""
    rows, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = api.get("/api/postmortems", params=query)
        assert response.status_code == 200, response.content
        page = response.json()
        rows += page["items"]
        cursor = page["nextCursor"]
        if cursor is None:
            return rows


def ids(rows) -> list[str]:
    return [row["id"] for row in rows]


def test_the_list_has_items_total_and_next_cursor(api, postmortem):
    page = api.get("/api/postmortems").json()
    assert {"items", "total", "nextCursor"} <= set(page)
    assert page["total"] == 1
    assert page["nextCursor"] is None
    row = page["items"][0]
    assert row["id"] == postmortem["id"]
    assert row["title"] == postmortem["title"]
    assert row["createdBy"] == "alice"
    assert row["actionItemsTotal"] == 3
    assert row["openActionItems"] == 3


def test_limit_and_cursor_walk_every_row_once(api, incident):
    made = [make(api, f"Report {n:02}") for n in range(25)]

    pages = []
    cursor = None
    while True:
        query = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/postmortems", params=query).json()
        assert page["total"] == 25
        pages.append(ids(page["items"]))
        cursor = page["nextCursor"]
        if cursor is None:
            break

    assert [len(p) for p in pages] == [7, 7, 7, 4]
    walked = [i for p in pages for i in p]
    assert len(set(walked)) == 25
    assert walked == list(reversed(ids(made)))  # newest first by default


def test_a_page_that_ends_exactly_at_the_last_row_has_no_next_cursor(api, incident):
    for n in range(4):
        make(api, f"Report {n}")
    page = api.get("/api/postmortems", params={"limit": 4}).json()
    assert len(page["items"]) == 4
    assert page["nextCursor"] is None


@pytest.mark.parametrize(("sort", "order"), [("createdAt", "asc"), ("updatedAt", "desc")])
def test_sort_and_order_are_followed_across_pages(api, incident, sort, order):
    made = [make(api, f"Report {n:02}") for n in range(12)]
    # Touch some older reports so updatedAt differs from createdAt order.
    for pm in made[2:5]:
        assert api.patch(f"/api/postmortems/{pm['id']}", {"summary": "touched"}).status_code == 200

    rows = walk(api, sort=sort, order=order, limit=5)

    key = "createdAt" if sort == "createdAt" else "updatedAt"
    expected = sorted(
        api.get("/api/postmortems", params={"limit": 100}).json()["items"],
        key=lambda r: (r[key], r["id"]),
        reverse=order == "desc",
    )
    assert ids(rows) == ids(expected)
    assert len(set(ids(rows))) == 12
    if sort == "updatedAt":
        assert set(ids(rows[:3])) == {pm["id"] for pm in made[2:5]}


def test_filters_by_status_one_or_several(api, incident):
    draft = make(api, "A draft")
    review = make(api, "In review", status="IN_REVIEW")
    published = make(api, "Published", status="IN_REVIEW")
    api.patch(f"/api/postmortems/{published['id']}", {"status": "PUBLISHED"})

    def listed(*statuses):
        query = "&".join(f"status={s}" for s in statuses)
        return set(ids(api.get(f"/api/postmortems?{query}").json()["items"]))

    assert listed("DRAFT") == {draft["id"]}
    assert listed("PUBLISHED") == {published["id"]}
    assert listed("DRAFT", "IN_REVIEW") == {draft["id"], review["id"]}
    assert listed("ARCHIVED") == set()
    page = api.get("/api/postmortems?status=IN_REVIEW&status=PUBLISHED").json()
    assert page["total"] == 2


def test_filters_by_incident(alice, api, incident):
    create_incident({"id": "inc_other", "title": "Other"}, by=alice)
    mine = make(api, "On inc_123")
    other = make(api, "On inc_other", incidentId="inc_other")
    page = api.get("/api/postmortems", params={"incidentId": "inc_other"}).json()
    assert ids(page["items"]) == [other["id"]]
    assert page["total"] == 1
    assert ids(api.get("/api/postmortems", params={"incidentId": "inc_123"}).json()["items"]) == [
        mine["id"]
    ]


def test_filters_by_creator(alice, bob, api_for, incident):
    by_alice = make(api_for(alice), "Alice's", status="IN_REVIEW")
    by_bob = make(api_for(bob), "Bob's", status="IN_REVIEW")
    api = api_for(alice)
    assert ids(api.get("/api/postmortems", params={"createdBy": "bob"}).json()["items"]) == [
        by_bob["id"]
    ]
    assert ids(api.get("/api/postmortems", params={"createdBy": "ALICE"}).json()["items"]) == [
        by_alice["id"]
    ]
    assert api.get("/api/postmortems", params={"createdBy": "nobody"}).json()["total"] == 0


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "bm90IGpzb24",  # "not json"
        _cursor({"a": 1}),
        _cursor(["2026-03-01T00:00:00+00:00"]),
        _cursor(["yesterday", "pm_x"]),
        _cursor(["2026-03-01T00:00:00+00:00", {"id": 1}]),
        _cursor(["2026-03-01T00:00:00+00:00", ["pm_x"]]),
    ],
)
def test_a_cursor_the_server_did_not_give_out_is_a_422(api, postmortem, cursor):
    response = api.get("/api/postmortems", params={"cursor": cursor})
    assert response.status_code == 422, response.content
    assert response.json()["fields"] == {"cursor": "invalid"}


# Text search ---------------------------------------------------------------------------


def test_search_finds_words_in_title_summary_impact_and_root_cause(api, incident):
    title = make(api, "Kafka consumer lag")
    summary = make(api, "Queue trouble", summary="The zookeeper ensemble lost quorum.")
    impact = make(api, "Slow pages", impact="Checkout latency tripled for mobile users.")
    cause = make(api, "Bad deploy", rootCause="A feature flag defaulted to enabled.")
    make(api, "Unrelated", summary="Nothing to see here.")

    def found(q):
        return ids(api.get("/api/postmortems", params={"q": q}).json()["items"])

    assert found("kafka") == [title["id"]]
    assert found("zookeeper") == [summary["id"]]
    assert found("latency") == [impact["id"]]
    assert found("flag") == [cause["id"]]
    assert found("kafka lag") == [title["id"]]
    assert found("nonexistentword") == []


def test_a_title_match_ranks_above_a_summary_match(api, incident):
    # The title match is older, so a tie would put it last (newest first).
    in_title = make(api, "Redis failover", summary="Cache nodes restarted during the window.")
    in_summary = make(api, "Cache outage", summary="Redis failover took longer than expected.")

    page = api.get("/api/postmortems", params={"q": "redis failover"}).json()

    assert ids(page["items"]) == [in_title["id"], in_summary["id"]]
    assert page["total"] == 2


def test_search_respects_filters_and_draft_privacy(alice, bob, dave_api, api, incident):
    shared = make(api, "Redis failover", status="IN_REVIEW")
    make(api, "Redis draft", contributors=[])
    assert ids(dave_api.get("/api/postmortems", params={"q": "redis"}).json()["items"]) == [
        shared["id"]
    ]
    page = api.get("/api/postmortems", params={"q": "redis", "status": "IN_REVIEW"}).json()
    assert ids(page["items"]) == [shared["id"]]
    assert page["total"] == 1


def test_search_results_page_without_duplicates(api, incident):
    made = {make(api, f"Disk full {n}")["id"] for n in range(11)}
    rows = walk(api, q="disk", limit=4)
    assert len(rows) == 11
    assert set(ids(rows)) == made


def test_the_search_index_follows_an_edit_at_once(api, incident):
    pm_id = make(api, "Kafka consumer lag", summary="Partitions fell behind.")["id"]

    response = api.patch(f"/api/postmortems/{pm_id}", {"title": "Thundering herd"})
    assert response.status_code == 200

    def found(q):
        return ids(api.get("/api/postmortems", params={"q": q}).json()["items"])

    assert found("thundering") == [pm_id]
    assert found("kafka") == []
    assert found("partitions") == [pm_id]  # the summary is still indexed


def test_a_deleted_report_leaves_the_search_index(api, postmortem):
    assert api.delete(f"/api/postmortems/{postmortem['id']}").status_code == 204
    page = api.get("/api/postmortems", params={"q": "exhaustion"}).json()
    assert page["items"] == []
    assert page["total"] == 0


def test_a_refused_edit_leaves_the_search_index_as_it_was(api, postmortem):
    pm_id = postmortem["id"]
    response = api.patch(
        f"/api/postmortems/{pm_id}", {"title": "Thundering herd", "status": "PUBLISHED"}
    )
    assert response.status_code == 409
    assert ids(api.get("/api/postmortems", params={"q": "thundering"}).json()["items"]) == []
    assert ids(api.get("/api/postmortems", params={"q": "exhaustion"}).json()["items"]) == [pm_id]


@pytest.fixture
def dave_api(make_user, api_for):
    return api_for(make_user("dave"))
