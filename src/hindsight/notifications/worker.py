"""`hindsight worker`: sends due deliveries from the outbox and runs the periodic checks.

Claiming: a worker takes one due delivery at a time by setting a lease (`locked_until`)
in a short transaction, with a conditional UPDATE that only one worker can win. On
PostgreSQL the row is first chosen with SELECT … FOR UPDATE SKIP LOCKED, so workers never
wait for each other; on SQLite, writers are serialised and the UPDATE alone decides. The
send happens outside any transaction. A worker that dies
mid-send leaves its lease behind; once the lease passes, another worker sends the delivery
again with the same idempotency key (at-least-once). In the normal case a lease outlives
the send (it must be longer than the timeout), so no two workers send the same delivery.
"""

import logging
import os
import random
import secrets
import socket
import threading
import time
from datetime import timedelta

from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from hindsight.lib import sqlite_stats
from hindsight.notifications import checks, delivery
from hindsight.notifications.conf import WorkerConfig
from hindsight.notifications.models import Attempt, Delivery, DeliveryStatus
from hindsight.postmortems import export, related
from hindsight.postmortems.models import PostMortem

log = logging.getLogger("hindsight.worker")


def backoff_delay(config: WorkerConfig, attempts: int) -> float:
    """Exponential backoff with jitter: after attempt N, between half and all of
    BACKOFF × 2^(N-1), capped at BACKOFF_MAX; the jitter spreads a burst of retries."""
    ceiling = min(config.backoff_max, config.backoff * 2 ** (attempts - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _due(now):
    return Delivery.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now),
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now,
        channel__is_active=True,
    ).order_by("next_attempt_at", "id")


def claim(config: WorkerConfig, worker: str) -> tuple[Delivery, str] | None:
    """Lease the next due delivery to WORKER; returns it with the claim's token, or None."""
    now = timezone.now()
    token = f"{worker}/{secrets.token_hex(4)}"
    lease = {"locked_until": now + timedelta(seconds=config.lease), "locked_by": token}
    with transaction.atomic():
        due = _due(now).values_list("pk", flat=True)
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True, of=("self",))
        pk = due.first()
        # The conditional UPDATE is the claim: of two workers that picked the same row, only
        # one changes it (SQLite also runs this whole block under its write lock).
        claimed = pk is not None and _due(now).filter(pk=pk).update(**lease)
    if not claimed:
        return None
    row = Delivery.objects.select_related("event", "channel").filter(pk=pk).first()
    return (row, token) if row and row.locked_by == token else None


def finish(
    config: WorkerConfig, row: Delivery, token: str, result: delivery.Result, started, ms: int
):
    """Record the attempt and move the delivery on: delivered, due again later, or failed."""
    now = timezone.now()
    attempts = row.attempts + 1
    outcome = {
        "attempts": attempts,
        "last_status_code": result.status_code,
        "last_error": result.error[:2000],
        "locked_until": None,
        "locked_by": None,
        "updated_at": now,
    }
    with transaction.atomic():
        # Lock the row first: if an admin deleted its channel meanwhile, there is nothing to
        # record (and the delete waits for us on PostgreSQL).
        if not Delivery.objects.select_for_update().filter(pk=row.pk).exists():
            return
        Attempt.objects.create(
            delivery_id=row.pk,
            started_at=started,
            duration_ms=ms,
            status_code=result.status_code,
            error=result.error[:2000],
            ok=result.ok,
            worker=token.rsplit("/", 1)[0][:100],
        )
        mine = Delivery.objects.filter(pk=row.pk, locked_by=token)
        if result.ok:
            if not mine.update(status=DeliveryStatus.DELIVERED, delivered_at=now, **outcome):
                # Our lease ran out and another worker holds it; the message did arrive.
                Delivery.objects.filter(pk=row.pk, status=DeliveryStatus.PENDING).update(
                    status=DeliveryStatus.DELIVERED,
                    delivered_at=now,
                    attempts=F("attempts") + 1,
                    locked_until=None,
                    locked_by=None,
                    updated_at=now,
                )
            return
        if attempts >= config.max_attempts:
            mine.update(status=DeliveryStatus.FAILED, **outcome)
            log.warning(
                "delivery %s failed for good after %d attempts: %s", row.pk, attempts, result.error
            )
        else:
            delay = backoff_delay(config, attempts)
            mine.update(next_attempt_at=now + timedelta(seconds=delay), **outcome)
            log.warning(
                "delivery %s attempt %d failed (%s); next in %.1f s",
                row.pk,
                attempts,
                result.error,
                delay,
            )


def send_one(config: WorkerConfig, worker: str) -> bool:
    """Claim, send and record one delivery; False when none is due."""
    claimed = claim(config, worker)
    if claimed is None:
        return False
    row, token = claimed
    started, clock = timezone.now(), time.monotonic()
    try:
        result = delivery.send(row, timeout=config.timeout)
    except Exception as error:  # a bug in one message must not stop the worker
        log.exception("sending delivery %s raised", row.pk)
        result = delivery.Result(False, None, f"{type(error).__name__}: {error}")
    ms = int((time.monotonic() - clock) * 1000)
    finish(config, row, token, result, started, ms)
    return True


class Worker:
    def __init__(self, config: WorkerConfig, name: str | None = None):
        self.config = config
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = threading.Event()
        self._next_check = 0.0

    def stop(self) -> None:
        """Finish the delivery in hand, then return from run()."""
        self.stopping.set()

    def drain(self) -> int:
        """Send deliveries until none is due (or a stop is asked for)."""
        sent = 0
        while not self.stopping.is_set() and send_one(self.config, self.name):
            sent += 1
        return sent

    def check(self) -> int:
        # Between checks, the reports' kept best matches are found again where writes
        # marked them due (postmortems/related.py): in the background, never in a request.
        related.refresh_due_best_matches()
        export.store_due_markdown()  # so an export reads its text instead of rendering it
        sqlite_stats.analyze_if_grown(PostMortem._meta.db_table)  # a no-op on PostgreSQL
        fired = checks.run_checks()
        self._next_check = time.monotonic() + self.config.check_interval
        return fired

    def run_once(self) -> int:
        self.check()
        return self.drain()

    def run(self) -> None:
        while not self.stopping.is_set():
            close_old_connections()  # CONN_MAX_AGE and health checks, as per request
            try:
                if time.monotonic() >= self._next_check:
                    self.check()
                self.drain()
            except DatabaseError:
                log.exception("database error; trying again in %s s", self.config.poll)
                close_old_connections()
            self.stopping.wait(self.config.poll)
        close_old_connections()
