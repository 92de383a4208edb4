"""Concurrent writers over real HTTP, against `hindsight serve` with several workers: no
accepted edit is lost, stale edits get 412, and nothing answers 500 or half-writes a record.
Runs on SQLite (IMMEDIATE transactions and a busy timeout make writers queue) and on
PostgreSQL (row locks)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.live import LiveServer

WRITERS = 8

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server():
    live = LiveServer(workers=2).start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def token(server):
    return server.user_with_token("ann")


@pytest.fixture(scope="module")
def incident(server, token):
    status, _, body = server.request(
        "POST",
        "/api/incidents",
        token,
        {"title": "Queue consumer stall", "startedAt": "2026-03-01T14:30:00Z"},
    )
    assert status == 201, body
    return body["id"]


def _create(server, token, incident, **extra) -> dict:
    body = {
        "incidentId": incident,
        "title": "Queue consumer stall",
        "summary": "Consumers stopped acknowledging messages.",
        "timeline": [{"time": "14:35", "description": "Queue depth alert"}],
        **extra,
    }
    status, _, created = server.request("POST", "/api/postmortems", token, body)
    assert status == 201, created
    return created


def _run(workers: int, target) -> list:
    """Run TARGET(index, barrier) in WORKERS threads released together; their results."""
    barrier = threading.Barrier(workers)
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(target, index, barrier) for index in range(workers)]
        return [future.result() for future in futures]


def _edit_until_accepted(server, token, path, make_change, barrier=None):
    """GET, change, PATCH with If-Match; on 412 read again and redo the change.
    Returns (accepted version, number of 412s)."""
    stale = 0
    while True:
        status, head, current = server.request("GET", path, token)
        assert status == 200, current
        if barrier is not None:
            barrier.wait()  # everyone has read the same version: all but one must lose
            barrier = None
        method_path, body = make_change(current)
        status, head, answer = server.request(
            "PATCH", method_path, token, body, headers={"If-Match": head["ETag"]}
        )
        if status == 412:
            assert answer["error"] == "stale_version"
            stale += 1
            continue
        assert status == 200, answer
        return int(head["ETag"].strip('"')), stale


def test_no_accepted_timeline_edit_is_lost_and_stale_ones_get_412(server, token, incident):
    created = _create(server, token, incident)
    path = f"/api/postmortems/{created['id']}"
    edits_each = 2

    def writer(index, barrier):
        results = []
        for edit in range(edits_each):

            def append(current, edit=edit):
                event = {"time": f"15:{index:02d}", "description": f"writer {index} edit {edit}"}
                return path, {"timeline": [*current["timeline"], event]}

            results.append(
                _edit_until_accepted(server, token, path, append, barrier if edit == 0 else None)
            )
        return results

    results = [r for per_writer in _run(WRITERS, writer) for r in per_writer]
    accepted_versions = sorted(version for version, _ in results)
    stale = sum(count for _, count in results)

    status, head, final = server.request("GET", path, token)
    assert status == 200
    descriptions = [event["description"] for event in final["timeline"]]
    expected = {f"writer {i} edit {e}" for i in range(WRITERS) for e in range(edits_each)}
    assert expected <= set(descriptions), "an accepted edit was overwritten"
    assert "Queue depth alert" in descriptions
    assert len(descriptions) == 1 + WRITERS * edits_each
    # Each accepted edit got a version of its own, and nothing else bumped it.
    assert accepted_versions == list(range(2, 2 + WRITERS * edits_each))
    assert final["version"] == 1 + WRITERS * edits_each
    assert head["ETag"] == f'"{final["version"]}"'
    assert stale >= WRITERS - 1, "the writers started together, so all but one were stale"


def test_action_item_edits_and_nested_list_edits_do_not_overwrite_each_other(
    server, token, incident
):
    items = [
        {"description": f"Follow-up {i}", "owner": "ops@example.com", "priority": "MEDIUM"}
        for i in range(WRITERS)
    ]
    created = _create(server, token, incident, actionItems=items)
    path = f"/api/postmortems/{created['id']}"
    item_ids = [item["id"] for item in created["actionItems"]]

    def writer(index, barrier):
        item_id = item_ids[index]
        if index % 2:  # through the post-mortem's nested list

            def change(current):
                desired = [
                    dict(item, owner=f"owner{index}@example.com") if item["id"] == item_id else item
                    for item in current["actionItems"]
                ]
                return path, {"actionItems": desired}

        else:  # through the action item's own endpoint

            def change(current):
                return f"/api/action-items/{item_id}", {"status": "DONE", "priority": "HIGH"}

        return _edit_until_accepted(server, token, path, change, barrier)

    results = _run(WRITERS, writer)
    stale = sum(count for _, count in results)

    status, _, final = server.request("GET", path, token)
    assert status == 200
    by_id = {item["id"]: item for item in final["actionItems"]}
    assert list(by_id) == item_ids
    for index, item_id in enumerate(item_ids):
        item = by_id[item_id]
        if index % 2:
            assert item["owner"] == f"owner{index}@example.com", item
            assert item["status"] == "TODO", item
        else:
            assert (item["status"], item["priority"]) == ("DONE", "HIGH"), item
            assert item["owner"] == "ops@example.com", item
    assert sorted(v for v, _ in results) == list(range(2, 2 + WRITERS))
    assert final["version"] == 1 + WRITERS
    assert stale >= WRITERS - 1


def test_writers_without_if_match_queue_up_and_never_half_write(server, token, incident):
    """Last writer wins without If-Match, but every write is whole: the title, summary and
    timeline left at the end come from one and the same request, and no request fails."""
    created = _create(server, token, incident)
    path = f"/api/postmortems/{created['id']}"
    rounds = 3

    def body(index, round_):
        tag = f"w{index}-r{round_}"
        return {
            "title": f"title {tag}",
            "summary": f"summary {tag}",
            "timeline": [
                {"time": "15:00", "description": f"first {tag}"},
                {"time": "15:05", "description": f"second {tag}"},
            ],
            "actionItems": [{"description": f"item {tag}", "priority": "LOW"}],
        }

    def writer(index, barrier):
        barrier.wait()
        answers = []
        for round_ in range(rounds):
            if index < 2:  # meanwhile, others create post-mortems
                answers.append(
                    server.request(
                        "POST",
                        "/api/postmortems",
                        token,
                        {"incidentId": incident, "title": f"created by w{index}-r{round_}"},
                    )
                )
            else:
                answers.append(server.request("PATCH", path, token, body(index, round_)))
        return answers

    answers = [a for per_writer in _run(WRITERS, writer) for a in per_writer]
    statuses = sorted({status for status, _, _ in answers})
    assert statuses == [200, 201], [a for a in answers if a[0] not in (200, 201)][:3]
    for status, _, answer in answers:
        if status == 200:  # each response is one whole write as well
            tag = answer["title"].removeprefix("title ")
            assert answer["summary"] == f"summary {tag}"
            assert [e["description"] for e in answer["timeline"]] == [
                f"first {tag}",
                f"second {tag}",
            ]

    status, _, final = server.request("GET", path, token)
    tag = final["title"].removeprefix("title ")
    assert final["summary"] == f"summary {tag}"
    assert [e["description"] for e in final["timeline"]] == [f"first {tag}", f"second {tag}"]
    assert [i["description"] for i in final["actionItems"]] == [f"item {tag}"]
    patches = (WRITERS - 2) * rounds
    assert final["version"] == 1 + patches
    status, _, listing = server.request(
        "GET", f"/api/postmortems?incidentId={incident}&limit=100", token
    )
    titles = {item["title"] for item in listing["items"]}
    assert {f"created by w{i}-r{r}" for i in range(2) for r in range(rounds)} <= titles
