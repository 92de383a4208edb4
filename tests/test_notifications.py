"""Channels, the outbox and the worker's sending, in process, against a real HTTP receiver."""

import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from hindsight.lib.events import notify
from hindsight.notifications.conf import WorkerConfig
from hindsight.notifications.models import Attempt, Channel, Delivery, Event
from hindsight.notifications.worker import Worker, claim, finish
from tests.receiver import Receiver

FAST = WorkerConfig(timeout=0.5, lease=1.0, backoff=0.2, backoff_max=5, poll=0.05)


def documented_verify():
    """The `verify` function from docs/notifications.md, exactly as receivers copy it."""
    text = (Path(__file__).parent.parent / "docs" / "notifications.md").read_text()
    snippet = next(s for s in re.findall(r"```python\n(.*?)```", text, re.S) if "def verify" in s)
    namespace: dict = {}
    exec(snippet, namespace)
    return namespace["verify"]


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def admin_api(admin, api_for):
    return api_for(admin)


def make_webhook(admin_api, url, **extra) -> dict:
    response = admin_api.post(
        "/api/channels", {"name": "Ops hook", "kind": "webhook", "url": url, **extra}
    )
    assert response.status_code == 201, response.content
    return response.json()


def drain_until(worker: Worker, done, timeout: float = 10):
    """Run the worker's send loop until DONE() holds (retries wait for their backoff)."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the delivery did not settle in time"
        worker.drain()
        time.sleep(0.02)


# Channels -----------------------------------------------------------------------------


def test_only_admins_manage_channels_and_see_deliveries(alice, carol, admin_api, api_for):
    channel = make_webhook(admin_api, "http://127.0.0.1:9/hook")
    for user in (alice, carol, None):
        api = api_for(user)
        expected = 401 if user is None else 403
        assert api.get("/api/channels").status_code == expected
        assert api.get(f"/api/channels/{channel['id']}").status_code == expected
        created = api.post("/api/channels", {"name": "x", "kind": "slack", "url": "http://a/b"})
        assert created.status_code == expected
        patched = api.patch(f"/api/channels/{channel['id']}", {"name": "mine"})
        assert patched.status_code == expected
        assert api.delete(f"/api/channels/{channel['id']}").status_code == expected
        assert api.get("/api/deliveries?status=failed").status_code == expected
        assert api.post("/api/deliveries/dlv_x/retry").status_code == expected
    stored = Channel.objects.get(pk=channel["id"])
    assert stored.name == "Ops hook"
    assert Channel.objects.count() == 1


def test_a_webhook_secret_is_shown_once_and_never_again(admin_api):
    created = make_webhook(admin_api, "https://hooks.example.com/in")
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    assert Channel.objects.get(pk=created["id"]).secret == secret  # usable for signing
    shown = admin_api.get(f"/api/channels/{created['id']}").json()
    listed = admin_api.get("/api/channels").json()
    assert "secret" not in shown and secret not in json.dumps(listed)
    assert shown["secretHint"] == secret[:10] + "…"
    renamed = admin_api.patch(f"/api/channels/{created['id']}", {"name": "Renamed"}).json()
    assert renamed["secret"] is None and renamed["name"] == "Renamed"

    rotated = admin_api.patch(f"/api/channels/{created['id']}", {"rotateSecret": True}).json()
    assert rotated["secret"] not in (None, secret)
    assert Channel.objects.get(pk=created["id"]).secret == rotated["secret"]


def test_a_channel_is_validated(admin_api):
    bad_event = admin_api.post(
        "/api/channels",
        {"name": "h", "kind": "webhook", "url": "https://x/y", "events": ["postmortem.eaten"]},
    )
    assert bad_event.status_code == 422
    assert "postmortem.eaten" in bad_event.json()["fields"]["events"]
    no_url = admin_api.post("/api/channels", {"name": "s", "kind": "slack", "url": "ftp://x"})
    assert no_url.status_code == 422 and "url" in no_url.json()["fields"]
    no_rcpt = admin_api.post("/api/channels", {"name": "e", "kind": "email"})
    assert no_rcpt.status_code == 422 and "recipients" in no_rcpt.json()["fields"]
    assert Channel.objects.count() == 0


def test_deleting_a_channel_removes_it(admin_api):
    channel = make_webhook(admin_api, "https://x/y")
    assert admin_api.delete(f"/api/channels/{channel['id']}").status_code == 204
    assert not Channel.objects.filter(pk=channel["id"]).exists()
    assert admin_api.get(f"/api/channels/{channel['id']}").status_code == 404


# The outbox ---------------------------------------------------------------------------


def test_notify_writes_one_delivery_per_subscribed_channel(admin_api):
    everything = make_webhook(admin_api, "https://a/1")
    published_only = make_webhook(admin_api, "https://a/2", events=["postmortem.published"])
    off = make_webhook(admin_api, "https://a/3", isActive=False)

    with transaction.atomic():
        notify("postmortem.submitted", postmortem_id="pm_1", title="Outage", by="alice")

    event = Event.objects.get()
    assert event.name == "postmortem.submitted"
    assert event.data == {"postmortemId": "pm_1", "title": "Outage", "by": "alice"}
    assert [d.channel_id for d in Delivery.objects.all()] == [everything["id"]]
    notify("postmortem.published", postmortem_id="pm_1", title="Outage", by="alice")
    published = Delivery.objects.filter(event__name="postmortem.published")
    assert sorted(d.channel_id for d in published) == sorted(
        [everything["id"], published_only["id"]]
    )
    assert not Delivery.objects.filter(channel_id=off["id"]).exists()


def test_nothing_is_queued_when_the_change_rolls_back(admin_api):
    make_webhook(admin_api, "https://a/1")
    with pytest.raises(RuntimeError), transaction.atomic():
        notify("postmortem.published", postmortem_id="pm_1", title="Outage", by="alice")
        raise RuntimeError("the change failed")
    assert Event.objects.count() == 0 and Delivery.objects.count() == 0


# Sending ------------------------------------------------------------------------------


def test_a_webhook_is_signed_so_the_documented_recipe_verifies_it(admin_api, receiver):
    channel = make_webhook(admin_api, receiver.url)
    notify("postmortem.published", postmortem_id="pm_1", title="Outage", by="alice")
    assert Worker(FAST).run_once() == 1

    [request] = receiver.wait_for(1)
    verify = documented_verify()
    headers, body = request["headers"], request["body"]
    assert verify(channel["secret"], headers, body)
    assert not verify("whsec_wrong", headers, body)
    assert not verify(channel["secret"], headers, body + b" ")
    stale = {**headers, "X-Hindsight-Timestamp": str(int(time.time()) - 3600)}
    assert not verify(channel["secret"], stale, body)

    delivery = Delivery.objects.get()
    payload = json.loads(body)
    assert payload["id"] == delivery.id == headers["X-Hindsight-Delivery"]
    assert payload["event"] == headers["X-Hindsight-Event"] == "postmortem.published"
    assert payload["data"] == {"postmortemId": "pm_1", "title": "Outage", "by": "alice"}
    assert payload["occurredAt"].endswith("Z")
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.delivered_at is not None
    [attempt] = delivery.attempt_log.all()
    assert attempt.ok and attempt.status_code == 200 and attempt.error == ""


def test_slack_and_email_channels_get_readable_messages(admin_api, receiver, settings):
    settings.BASE_URL = "https://hindsight.example.com"
    slack = admin_api.post("/api/channels", {"name": "S", "kind": "slack", "url": receiver.url})
    email = admin_api.post(
        "/api/channels", {"name": "E", "kind": "email", "recipients": ["sre@example.com"]}
    )
    assert slack.status_code == email.status_code == 201
    assert email.json()["secret"] is None
    notify("postmortem.published", postmortem_id="pm_1", title="Checkout outage", by="alice")
    assert Worker(FAST).run_once() == 2

    text = receiver.json(0)["text"]
    assert 'Post-mortem "Checkout outage" was published by alice.' in text
    assert "<https://hindsight.example.com/postmortems/pm_1|Open in Hindsight>" in text
    [message] = mail.outbox
    assert message.to == ["sre@example.com"]
    assert "Checkout outage" in message.subject
    assert "https://hindsight.example.com/postmortems/pm_1" in message.body
    assert Delivery.objects.filter(status="delivered").count() == 2


def test_retries_back_off_exponentially_until_the_receiver_recovers(admin_api, receiver):
    make_webhook(admin_api, receiver.url)
    receiver.fail_next = 2
    notify("postmortem.published", postmortem_id="pm_1", title="Outage", by="alice")
    delivery = Delivery.objects.get()
    drain_until(Worker(FAST), lambda: Delivery.objects.get().status == "delivered")

    attempts = list(delivery.attempt_log.all())
    assert [a.status_code for a in attempts] == [500, 500, 200]
    assert attempts[0].error == "HTTP 500: boom"
    # With jitter the n-th retry waits between half and all of 0.2 × 2^(n-1) seconds.
    first_gap = (attempts[1].started_at - attempts[0].started_at).total_seconds()
    second_gap = (attempts[2].started_at - attempts[1].started_at).total_seconds()
    assert 0.1 <= first_gap and 0.2 <= second_gap
    assert len(set(receiver.delivery_ids())) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 3 and delivery.last_status_code == 200


def test_a_receiver_that_is_down_gets_the_message_when_it_comes_back(admin_api, receiver):
    make_webhook(admin_api, receiver.url)
    receiver.stop()
    notify("postmortem.published", postmortem_id="pm_1", title="Outage", by="alice")
    worker = Worker(FAST)
    worker.drain()
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "ConnectionRefused" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now() - timedelta(seconds=0.1)

    receiver.start()  # the same port again
    drain_until(worker, lambda: Delivery.objects.get().status == "delivered")
    assert len(receiver.requests) == 1
    assert Delivery.objects.get().attempts >= 2


def test_a_slow_receiver_times_out_and_is_retried(admin_api, receiver):
    make_webhook(admin_api, receiver.url)
    receiver.delay_first = 2
    notify("postmortem.published", postmortem_id="pm_1", title="Outage", by="alice")
    drain_until(Worker(FAST), lambda: Delivery.objects.get().status == "delivered")
    first, second = Delivery.objects.get().attempt_log.all()
    assert not first.ok and "timed out" in first.error and first.status_code is None
    assert 400 <= first.duration_ms < 1500
    assert second.ok


def test_after_max_attempts_it_fails_and_an_admin_can_retry_it(admin_api, receiver):
    make_webhook(admin_api, receiver.url)
    receiver.always_fail = True
    notify("postmortem.published", postmortem_id="pm_1", title="Outage", by="alice")
    worker = Worker(FAST.with_(max_attempts=3, backoff=0.01))
    drain_until(worker, lambda: Delivery.objects.get().status == "failed")
    delivery = Delivery.objects.get()
    assert delivery.attempts == 3 and len(receiver.requests) == 3

    failed = admin_api.get("/api/deliveries?status=failed").json()
    assert failed["total"] == 1
    [row] = failed["items"]
    assert row["id"] == delivery.id and row["lastStatusCode"] == 500
    assert row["event"] == "postmortem.published" and row["channelName"] == "Ops hook"
    assert admin_api.get("/api/deliveries?status=delivered").json()["total"] == 0

    receiver.always_fail = False
    retried = admin_api.post(f"/api/deliveries/{delivery.id}/retry")
    assert retried.status_code == 200, retried.content
    assert retried.json()["status"] == "pending" and retried.json()["attempts"] == 0
    worker.drain()
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 1
    assert receiver.delivery_ids() == [delivery.id] * 4  # the same idempotency key throughout
    detail = admin_api.get(f"/api/deliveries/{delivery.id}").json()
    assert [a["statusCode"] for a in detail["attemptLog"]] == [500, 500, 500, 200]
    assert detail["data"]["title"] == "Outage"
    assert admin_api.post("/api/deliveries/dlv_nope/retry").status_code == 404


def test_an_admin_retries_from_the_django_admin(admin, admin_api, client):
    make_webhook(admin_api, "http://127.0.0.1:9/hook")
    notify("postmortem.published", postmortem_id="pm_1", title="Outage", by="alice")
    Delivery.objects.update(status="failed", attempts=12)
    client.force_login(admin)
    listing = client.get("/admin/notifications/delivery/?status__exact=failed")
    assert listing.status_code == 200
    delivery = Delivery.objects.get()
    response = client.post(
        "/admin/notifications/delivery/",
        {"action": "retry", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 0


# Leases -------------------------------------------------------------------------------


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_runs_out(admin_api):
    make_webhook(admin_api, "http://127.0.0.1:9/hook")
    notify("postmortem.published", postmortem_id="pm_1", title="Outage", by="alice")
    config = WorkerConfig(timeout=0.1, lease=0.3)
    row, token = claim(config, "worker-a")
    assert claim(config, "worker-b") is None  # a second worker does not send it too
    time.sleep(0.35)  # worker-a died without finishing
    again, token_b = claim(config, "worker-b")
    assert again.pk == row.pk and token_b != token

    from hindsight.notifications.delivery import Result

    # worker-a was only slow: its success still counts, and worker-b's late failure
    # does not undo it.
    finish(config, row, token, Result(True, 200), timezone.now(), 5)
    finish(config, again, token_b, Result(False, 500, "HTTP 500"), timezone.now(), 5)
    stored = Delivery.objects.get()
    assert stored.status == "delivered" and stored.locked_by is None
    assert Attempt.objects.count() == 2


# Periodic checks ----------------------------------------------------------------------


def test_overdue_items_and_drafts_fire_once(admin_api, alice, incident, postmortem, settings):
    from hindsight.notifications.checks import run_checks
    from hindsight.postmortems.models import ActionItem, PostMortem

    settings.POSTMORTEM_DUE_HOURS = 24
    make_webhook(admin_api, "http://127.0.0.1:9/hook")
    today = timezone.now().date()
    first, second, third = ActionItem.objects.filter(postmortem_id=postmortem["id"])
    ActionItem.objects.filter(pk=first.pk).update(due_date=today - timedelta(days=1))
    ActionItem.objects.filter(pk=second.pk).update(
        due_date=today - timedelta(days=1), status="DONE"
    )
    ActionItem.objects.filter(pk=third.pk).update(due_date=today)  # due today: not overdue yet
    incident.resolved_at = timezone.now() - timedelta(hours=23)
    incident.save(update_fields=["resolved_at"])

    assert run_checks() == 1  # the item; the draft still has an hour
    incident.resolved_at = timezone.now() - timedelta(hours=25)
    incident.save(update_fields=["resolved_at"])
    assert run_checks() == 1  # now the draft
    assert run_checks() == 0  # and never again

    overdue = Event.objects.filter(name__endswith=".overdue")
    events = {e.name: e for e in overdue}
    assert sorted(events) == ["action_item.overdue", "postmortem.overdue"]
    # The report is a draft: the events name it, not its items (tests/test_hardening_domain).
    assert events["action_item.overdue"].data["postmortem"]["id"] == postmortem["id"]
    assert "actionItem" not in events["action_item.overdue"].data
    assert events["postmortem.overdue"].data["postmortem"]["id"] == postmortem["id"]
    assert Delivery.objects.filter(event__in=overdue).count() == 2

    # A new due date that passes too is a new reminder; a published report is not overdue.
    ActionItem.objects.filter(pk=first.pk).update(due_date=today - timedelta(days=3))
    PostMortem.objects.filter(pk=postmortem["id"]).update(status="PUBLISHED")
    assert run_checks() == 1
    assert Event.objects.filter(name="action_item.overdue").count() == 2


def test_deleting_a_channel_mid_send_is_harmless(admin_api):
    from hindsight.notifications.delivery import Result

    channel = make_webhook(admin_api, "http://127.0.0.1:9/hook")
    notify("postmortem.published", postmortem_id="pm_1", title="Outage", by="alice")
    row, token = claim(FAST, "worker-a")
    assert admin_api.delete(f"/api/channels/{channel['id']}").status_code == 204
    finish(FAST, row, token, Result(True, 200), timezone.now(), 5)
    assert Delivery.objects.count() == 0 and Attempt.objects.count() == 0


def test_an_admin_can_send_a_test_message_to_one_channel(admin_api, receiver):
    quiet = make_webhook(admin_api, receiver.url, events=["postmortem.overdue"])
    queued = admin_api.post(f"/api/channels/{quiet['id']}/test")
    assert queued.status_code == 202 and queued.json()["event"] == "ping"
    Worker(FAST).drain()
    [request] = receiver.wait_for(1)
    assert request["headers"]["X-Hindsight-Event"] == "ping"
    assert documented_verify()(quiet["secret"], request["headers"], request["body"])
    assert Delivery.objects.get().status == "delivered"


# Configuration ------------------------------------------------------------------------


def test_worker_settings_are_read_strictly(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from hindsight.cli import main

    monkeypatch.setenv("HINDSIGHT_NOTIFY_BACKOFF", "0.5")
    monkeypatch.setenv("HINDSIGHT_NOTIFY_MAX_ATTEMPTS", "4")
    config = WorkerConfig.from_env()
    assert config.backoff == 0.5 and config.max_attempts == 4
    monkeypatch.setenv("HINDSIGHT_NOTIFY_BACKOFF", "soon")
    with pytest.raises(ImproperlyConfigured, match="HINDSIGHT_NOTIFY_BACKOFF"):
        WorkerConfig.from_env()
    monkeypatch.setenv("HINDSIGHT_NOTIFY_BACKOFF", "1")
    monkeypatch.setenv("HINDSIGHT_NOTIFY_TIMEOUT", "90")
    with pytest.raises(ImproperlyConfigured, match="HINDSIGHT_NOTIFY_LEASE"):
        WorkerConfig.from_env()
    assert main(["worker", "--once"]) == 2  # a configuration error, before touching anything


def test_email_settings_come_from_hindsight_email_variables(monkeypatch, settings):
    from hindsight.notifications import conf

    settings.BASE_URL = "https://pm.example.com"
    assert conf.email_settings() is None  # Django's own email settings apply
    monkeypatch.setenv("HINDSIGHT_EMAIL_HOST", "smtp.example.com")
    monkeypatch.setenv("HINDSIGHT_EMAIL_USER", "hindsight")
    monkeypatch.setenv("HINDSIGHT_EMAIL_PASSWORD", "s3cret")
    assert conf.email_settings() == {
        "host": "smtp.example.com",
        "port": 587,
        "username": "hindsight",
        "password": "s3cret",
        "use_tls": True,
        "use_ssl": False,
    }
    assert conf.email_from() == "Hindsight <hindsight@pm.example.com>"
    monkeypatch.setenv("HINDSIGHT_EMAIL_SSL", "true")
    assert conf.email_settings()["port"] == 465 and not conf.email_settings()["use_tls"]
