"""kill -9 of a real `hindsight serve` under concurrent writers: after a restart on the same
data the database is intact (SQLite's integrity check) and every create that was answered
201 is there whole, with its timeline and action items. Runs on PostgreSQL too (there the
database's own recovery is trusted and the creates are checked)."""

import os
import random
import signal
import threading
import time

import pytest

from tests.live import LiveServer

pytestmark = pytest.mark.slow

WRITERS = 6
ROUNDS = 3
EVENTS = 3
ITEMS = 2


def body(incident: str, title: str) -> dict:
    return {
        "incidentId": incident,
        "title": title,
        "summary": f"Summary of {title}.",
        "timeline": [
            {"time": f"14:{30 + n}", "description": f"{title}: event {n}"} for n in range(EVENTS)
        ],
        "actionItems": [{"description": f"{title}: item {n}"} for n in range(ITEMS)],
    }


def write_until_refused(server, token, incident, name, acknowledged, first, stop):
    """Create post-mortems until the server stops answering; keep those answered 201."""
    count = 0
    while not stop.is_set():
        title = f"{name} create {count}"
        try:
            status, _, created = server.request(
                "POST", "/api/postmortems", token, body(incident, title)
            )
        except Exception:  # the server was killed mid-request: not acknowledged
            return
        if status != 201:
            return
        acknowledged[created["id"]] = title
        first.set()
        count += 1


def kill_under_writers(server, token, incident, round_no) -> dict[str, str]:
    acknowledged: dict[str, str] = {}
    first, stop = threading.Event(), threading.Event()
    threads = [
        threading.Thread(
            target=write_until_refused,
            args=(server, token, incident, f"r{round_no}w{n}", acknowledged, first, stop),
        )
        for n in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    assert first.wait(30), "no create was acknowledged"
    time.sleep(random.uniform(0.2, 0.8))
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()
    stop.set()
    for thread in threads:
        thread.join(60)
    return acknowledged


def test_a_killed_server_loses_no_acknowledged_create(tmp_path):
    server = LiveServer(workers=2, threads=4).start()
    try:
        token = server.user_with_token("ann")
        status, _, incident = server.request(
            "POST",
            "/api/incidents",
            token,
            {"title": "Disk stall", "startedAt": "2026-03-01T14:00:00Z"},
        )
        assert status == 201, incident
        acknowledged: dict[str, str] = {}
        for round_no in range(ROUNDS):
            acknowledged |= kill_under_writers(server, token, incident["id"], round_no)
            if not server.database:
                assert server.query("PRAGMA integrity_check") == [("ok",)]
            server.process = server.spawn(server.port, server.log)
            server.wait_until_healthy(server.url, server.process, server.log)

        for pm_id, title in acknowledged.items():
            status, _, pm = server.request("GET", f"/api/postmortems/{pm_id}", token)
            assert status == 200, (pm_id, pm)
            assert pm["title"] == title
            assert [e["description"] for e in pm["timeline"]] == [
                f"{title}: event {n}" for n in range(EVENTS)
            ]
            assert [i["description"] for i in pm["actionItems"]] == [
                f"{title}: item {n}" for n in range(ITEMS)
            ]
        rows = dict(
            server.query(
                "SELECT p.id, (SELECT COUNT(*) FROM postmortems_timelineevent e"
                " WHERE e.postmortem_id = p.id) * 100 + (SELECT COUNT(*) FROM"
                " postmortems_actionitem a WHERE a.postmortem_id = p.id) FROM postmortems_postmortem p"
            )
        )
        assert set(acknowledged) <= set(rows)
        # Every stored report is whole, acknowledged or not: a create is all or nothing.
        assert set(rows.values()) == {EVENTS * 100 + ITEMS}
        print(f"{ROUNDS} kills, {len(acknowledged)} acknowledged creates, {len(rows)} stored")
    finally:
        server.stop()
