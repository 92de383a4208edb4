"""`hindsight worker` as a real process against a real receiver: killed mid-delivery it loses
nothing, two at once do not double-send, SIGTERM stops it cleanly, the overdue checks fire
once. Runs against a LiveServer's data (its own SQLite file or PostgreSQL database)."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.live import LiveServer
from tests.receiver import Receiver

pytestmark = pytest.mark.slow

# Short enough for tests; the lease stays longer than the timeout, as it must.
WORKER_ENV = {
    "HINDSIGHT_NOTIFY_TIMEOUT": "1.5",
    "HINDSIGHT_NOTIFY_LEASE": "2.5",
    "HINDSIGHT_NOTIFY_BACKOFF": "0.2",
    "HINDSIGHT_WORKER_POLL": "0.05",
}


@pytest.fixture(scope="module")
def server():
    """A data dir (SQLite) or database (PostgreSQL) of our own; no web server needed."""
    live = LiveServer()
    live.env.update(WORKER_ENV)
    try:
        live.hindsight("migrate")
        yield live
    finally:
        live.stop()  # drops its PostgreSQL database even when migrating failed


@pytest.fixture
def receiver():
    hook = Receiver().start()
    yield hook
    hook.stop()


@pytest.fixture
def workers(server):
    started: list[subprocess.Popen] = []

    def spawn(*args: str) -> subprocess.Popen:
        log = server.data_dir / f"worker-{len(started)}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "hindsight.cli", "worker", *args],
                env=server.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process.log = log
        started.append(process)
        return process

    yield spawn
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run(server: LiveServer, code: str):
    """Run CODE inside Django against the server's data; returns what it printed as JSON."""
    result = server.hindsight("manage", "shell", "--no-imports", "-c", textwrap.dedent(code))
    lines = result.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def prepare(server, url: str, *, events=(), notify: int = 0, then: str = "") -> None:
    """In one process (each costs a Django start-up): forget earlier tests' channels and
    events, add a webhook channel for URL, announce NOTIFY events, then run THEN."""
    run(
        server,
        textwrap.dedent(f"""
        from hindsight.lib.events import notify
        from hindsight.notifications.models import Channel, Event
        Channel.objects.all().delete()
        Event.objects.all().delete()
        Channel.objects.create(name="hook", kind="webhook", url={url!r},
                               secret="whsec_test_secret_123", events={list(events)!r})
        for n in range({notify}):
            notify("postmortem.published", postmortem_id=f"pm_{{n}}", title=f"Outage {{n}}",
                   by="alice")
        """)
        + textwrap.dedent(then),
    )


def delivery_states(server) -> dict[str, str]:
    return dict(server.query("SELECT id, status FROM notifications_delivery"))


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def wait_ready(process: subprocess.Popen) -> None:
    wait_until(
        lambda: "Worker " in process.log.read_text() or process.poll() is not None,
        30,
        "the worker to start",
    )
    assert process.poll() is None, process.log.read_text()


def stop_gracefully(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    assert process.wait(timeout=10) == 0, process.log.read_text()
    assert "stopped" in process.log.read_text()


def test_a_worker_killed_mid_delivery_loses_nothing(server, receiver, workers):
    prepare(server, receiver.url, notify=3)
    ids = set(delivery_states(server))
    receiver.delay_first = 30  # the first message hangs; the worker is killed meanwhile

    first = workers()
    receiver.wait_for(1, timeout=30)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert set(delivery_states(server).values()) == {"pending"}

    second = workers()
    wait_until(
        lambda: set(delivery_states(server).values()) == {"delivered"},
        30,
        "every delivery to be delivered after the restart",
    )
    answered = {r["headers"]["X-Hindsight-Delivery"] for r in receiver.requests if r["answered"]}
    assert answered == ids  # every message arrived
    # The interrupted one arrived twice, both times with the same idempotency key.
    interrupted = receiver.requests[0]["headers"]["X-Hindsight-Delivery"]
    assert receiver.delivery_ids().count(interrupted) == 2
    assert len(receiver.requests) == 4
    stop_gracefully(second)


def test_two_workers_at_once_send_each_message_once(server, receiver, workers):
    receiver.delay = 0.03
    one, two = workers(), workers()
    wait_ready(one)
    wait_ready(two)
    prepare(server, receiver.url, notify=40)
    wait_until(
        lambda: list(delivery_states(server).values()).count("delivered") == 40,
        40,
        "40 deliveries",
    )
    ids = receiver.delivery_ids()
    assert len(ids) == 40 and len(set(ids)) == 40
    senders = server.query("SELECT DISTINCT worker FROM notifications_attempt")
    assert len(senders) == 2, senders  # both took part
    assert server.query("SELECT COUNT(*) FROM notifications_attempt") == [(40,)]
    stop_gracefully(one)
    stop_gracefully(two)


def test_sigterm_lets_the_send_in_hand_finish(server, receiver, workers):
    receiver.delay = 0.8
    prepare(server, receiver.url, notify=2)
    worker = workers()
    receiver.wait_for(1, timeout=30)
    stop_gracefully(worker)
    states = sorted(delivery_states(server).values())
    assert states == ["delivered", "pending"]  # the one in hand finished; the other waits
    pending = server.query(
        "SELECT locked_until, attempts FROM notifications_delivery WHERE status = 'pending'"
    )
    assert pending == [(None, 0)]


def test_the_overdue_checks_fire_once_with_two_workers_checking_at_once(server, receiver, workers):
    prepare(
        server,
        receiver.url,
        events=["action_item.overdue", "postmortem.overdue"],
        then="""
        from datetime import timedelta
        from django.utils import timezone
        from hindsight.accounts.models import User
        from hindsight.accounts.services import create_user
        from hindsight.incidents.services import create_incident
        from hindsight.postmortems.services import create_postmortem
        now, today = timezone.now(), timezone.now().date()
        alice = User.objects.filter(username="alice").first() or create_user(
            "alice", password="a long enough password", email="alice@example.com")
        for key, hours in (("late", 72), ("recent", 1)):
            create_incident({"id": f"inc_{key}", "title": key, "started_at": now - timedelta(
                hours=hours + 1), "resolved_at": now - timedelta(hours=hours)}, by=alice)
        create_postmortem({"incident_id": "inc_late", "title": "Late review",
            "status": "IN_REVIEW", "action_items": [
            {"description": "Add alerts", "owner": "bob@example.com",
             "due_date": today - timedelta(days=2)},
            {"description": "Done already", "status": "DONE",
             "due_date": today - timedelta(days=2)},
            {"description": "Not yet due", "due_date": today + timedelta(days=2)},
        ]}, by=alice)
        create_postmortem({"incident_id": "inc_recent", "title": "On time"}, by=alice)
        """,
    )
    together = [workers("--once"), workers("--once")]
    for process in together:
        assert process.wait(timeout=60) == 0, process.log.read_text()

    events = server.query(
        "SELECT name FROM notifications_event WHERE name LIKE '%.overdue' ORDER BY name"
    )
    assert events == [("action_item.overdue",), ("postmortem.overdue",)]
    receiver.wait_for(2, timeout=10)
    time.sleep(0.2)
    assert sorted(r["headers"]["X-Hindsight-Event"] for r in receiver.requests) == [
        "action_item.overdue",
        "postmortem.overdue",
    ]
    item = next(receiver.json(i) for i in range(2) if receiver.json(i)["event"].startswith("act"))
    assert item["data"]["actionItem"]["description"] == "Add alerts"
    assert item["data"]["postmortem"]["title"] == "Late review"
