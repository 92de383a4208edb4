"""Eighteen months of history for `hindsight demo`, so the Insights page shows trends on a
new install: about 120 incidents across services and severities, near misses, contributing
factors with categories, action items done early, late or not yet, post-mortems published
on time and late, and one recurrence (a failure whose fix was done before it came back).

Deterministic: one seeded random generator, dates counted back from the day it is loaded.
Reports are written through the services like any other; the dates a write sets to "now"
(publication, an item's creation and completion) are then moved back to when they happened
in the story, and the reports' stored documents rendered again.
"""

import random
from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from hindsight.incidents.services import create_incident
from hindsight.postmortems import document
from hindsight.postmortems.models import ActionItem, PostMortem
from hindsight.postmortems.services import create_postmortem, update_postmortem

PREFIX = "inc_demo_h"  # within demo.DEMO_PREFIX, so a second run recognises it
COUNT = 120
SEED = 2026

SERVICES = ["checkout", "search", "payments", "login", "notifications", "inventory", "gateway"]
# (what happened, root cause, factor, its category, the fix)
CAUSES = [
    ("connection pool exhaustion", "The database connection pool was sized for average load and ran out at peak.", "Pool size fixed at 20", "capacity-load", "Size the pool from load tests and alert at 80 % use"),
    ("a bad configuration push", "A flag was enabled for every region instead of one.", "Config pushed without a canary", "configuration", "Roll configuration out region by region"),
    ("an expired certificate", "A TLS certificate installed by hand expired; nothing renewed it.", "Manual renewal", "infrastructure-hardware", "Renew every certificate automatically"),
    ("a provider slowdown", "An upstream provider slowed down and our retries multiplied the load.", "Retries without backoff", "dependency-third-party", "Retry with backoff and a budget"),
    ("a release regression", "A release changed a query and turned a lookup into a full scan.", "No query plan review", "change-deployment", "Check query plans in review"),
    ("a race between workers", "Two workers took the same job after its lock expired early.", "Lock shorter than the job", "software-defect", "Renew job locks while work runs"),
    ("a missed alert", "The error-rate alert pointed at a retired channel, so nobody was paged.", "Alert routing never tested", "alerting-gap", "Test alert routes every month"),
    ("a full disk", "Log rotation was disabled by a configuration change and the disk filled.", "Disk usage not monitored", "monitoring-gap", "Alert on disk use above 80 %"),
]  # fmt: skip
# The failure that comes back: used by the recurrence's two reports only.
RECURRING = (
    "a cache stampede",
    "When the catalogue cache expired, every checkout worker rebuilt it at once and"
    " overloaded the product database.",
    "Cache entries expire all at the same moment",
    "capacity-load",
    "Rebuild the catalogue cache in one worker, behind a lock",
)
IMPACTS = ["DEGRADED_PERFORMANCE", "INCREASED_ERRORS", "INCREASED_LATENCY", "PARTIAL_OUTAGE", "FULL_OUTAGE"]  # fmt: skip
SEVERITIES = ["SEV1"] * 1 + ["SEV2"] * 3 + ["SEV3"] * 4 + ["SEV4"] * 2
MINUTE = timedelta(minutes=1)


def _minutes(rng: random.Random, low: int, high: int) -> timedelta:
    """A skewed duration: most short, a few long (incident durations are)."""
    return MINUTE * int(low + (high - low) * rng.random() ** 3)


def load(users: dict) -> int:
    """Write the history; returns how many incidents it made."""
    rng = random.Random(SEED)
    today = timezone.now().astimezone(UTC).date()
    authors = [users["alice"], users["bob"]]
    backdate: list[tuple[str, datetime | None, list[tuple[str, datetime, datetime | None]]]] = []
    for n in range(COUNT):
        day = today - timedelta(days=int(rng.uniform(20, 540)))
        started = datetime.combine(day, time(rng.randint(0, 23), rng.randint(0, 59)), tzinfo=UTC)
        service = rng.choice(SERVICES)
        what, root, factor, category, fix = rng.choice(CAUSES)
        if n in (0, COUNT - 1):  # the recurrence: one failure, fixed, and back a year on
            service, (what, root, factor, category, fix) = "checkout", RECURRING
            back = 400 if n == 0 else 30
            started = datetime.combine(today - timedelta(days=back), time(14, 5), tzinfo=UTC)
        near_miss = rng.random() < 0.12
        detected = started + _minutes(rng, 1, 90)
        acknowledged = detected + _minutes(rng, 1, 30)
        mitigated = acknowledged + _minutes(rng, 5, 240)
        resolved = mitigated + _minutes(rng, 5, 600)
        incident = create_incident(
            {
                "id": f"{PREFIX}{n:03d}",
                "title": f"{service.capitalize()}: {what}",
                "severity": "SEV4" if near_miss else rng.choice(SEVERITIES),
                "type": "NEAR_MISS" if near_miss else "INCIDENT",
                "impact_categories": [] if near_miss else rng.sample(IMPACTS, rng.randint(1, 2)),
                "services": [service],
                "started_at": started,
                "detected_at": detected,
                "acknowledged_at": acknowledged,
                "mitigated_at": mitigated,
                "resolved_at": resolved,
            },
            by=authors[0],
        )
        if rng.random() < 0.12 and n != COUNT - 1:
            continue  # no post-mortem yet: the home page's "needs a post-mortem"
        author = rng.choice(authors)
        items = []
        for k in range(rng.randint(0, 3) if n != 0 else 2):
            due = (resolved + timedelta(days=rng.randint(7, 60))).date()
            items.append(
                {
                    "description": fix if k == 0 else f"Add a runbook step for {what}",
                    "owner": rng.choice(["alice", "bob", "platform@example.com"]),
                    "priority": rng.choice(["HIGH", "MEDIUM", "LOW"]),
                    "due_date": due.isoformat(),
                }
            )
        report = create_postmortem(
            {
                "incident_id": incident.pk,
                "title": f"{service.capitalize()} {'nearly failed' if near_miss else 'failed'}: {what}",
                "summary": f"The {service} service {'nearly failed' if near_miss else 'failed'} because of {what}.",
                "impact": "No user saw an error." if near_miss else f"About {rng.randint(2, 90) * 100:,} users saw errors or slow pages.",
                "root_cause": root,
                "contributing_factors": [{"factor": factor, "category": category}],
                "tags": [service],
                "action_items": items,
                "status": "IN_REVIEW",
            },
            by=author,
        )  # fmt: skip
        late = rng.random() < 0.35
        published = resolved + timedelta(hours=rng.randint(60, 400) if late else rng.randint(4, 46))
        if n != 0 and (published.date() >= today or rng.random() < 0.08):
            update_postmortem(report.pk, {"status": "DRAFT"}, by=author, if_match=report.version)
            published = None
        else:
            report = update_postmortem(
                report.pk, {"status": "PUBLISHED"}, by=author, if_match=report.version
            )
        plan = []
        for item in report.action_item_list:
            created = resolved + timedelta(hours=rng.randint(1, 48))
            done = None
            if n == 0 or rng.random() < 0.65:
                due = datetime.combine(item.due_date, time(17), tzinfo=UTC)
                done = due + timedelta(days=rng.randint(-5, 25))  # early or late
                done = max(done, created + timedelta(hours=2))
                if done.date() >= today:
                    done = None
            plan.append((item.pk, created, done))
        backdate.append((report.pk, published, plan))
    _backdate(backdate)
    return COUNT


def _backdate(plan) -> None:
    """Move publication and item dates back to when they happened in the story."""
    for pk, published, items in plan:
        if published is not None:
            PostMortem.objects.filter(pk=pk).update(published_at=published, updated_at=published)
        for item_pk, created, done in items:
            ActionItem.objects.filter(pk=item_pk).update(
                created_at=created,
                updated_at=done or created,
                completed_at=done,
                status="DONE" if done else "TODO",
            )
    document.restore([pk for pk, _, _ in plan])
