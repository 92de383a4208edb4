"""`hindsight demo`: example users, incidents and post-mortems, so a new installation has
something to look at. Everything goes through the services, like any other write.

The data is dated relative to today (incidents in the last few weeks, action items due in
the coming ones) so that it looks current whenever it is loaded. Loading twice is harmless:
a second run finds the demo incidents and stops.
"""

import secrets
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from hindsight import demo_history
from hindsight.accounts.models import Role, User
from hindsight.accounts.services import create_user, get_user
from hindsight.incidents.models import Incident
from hindsight.incidents.services import create_incident
from hindsight.lib.errors import Conflict
from hindsight.lib.writers import write_transaction
from hindsight.postmortems import related
from hindsight.postmortems.models import PostMortem
from hindsight.postmortems.services import create_postmortem, update_postmortem

# Every demo incident id starts with this, which is how a second run recognises the data.
DEMO_PREFIX = "inc_demo_"

USERS = [
    ("admin", "admin@example.com", Role.ADMIN),
    ("alice", "alice@example.com", Role.MEMBER),
    ("bob", "bob@example.com", Role.MEMBER),
    ("carol", "carol@example.com", Role.VIEWER),
]


# The workflow moves that take a report from its first status to its demo status.
_MOVES = {
    "DRAFT": [],
    "IN_REVIEW": [],
    "PUBLISHED": ["PUBLISHED"],
    "ARCHIVED": ["PUBLISHED", "ARCHIVED"],
}


def _day(days_ago: int) -> date:
    return timezone.now().astimezone(UTC).date() - timedelta(days=days_ago)


def _at(day: date, clock: str, *, plus_days: int = 0) -> datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    return datetime.combine(day + timedelta(days=plus_days), time(hours, minutes), tzinfo=UTC)


def _iso(day: date, clock: str, *, plus_days: int = 0) -> str:
    return _at(day, clock, plus_days=plus_days).isoformat().replace("+00:00", "Z")


def _due(days_from_now: int) -> str:
    return (timezone.now().date() + timedelta(days=days_from_now)).isoformat()


def _links(ticket: str, pager: str, channel: str) -> list[dict]:
    return [
        {"label": "Ticket", "url": f"https://tracker.example.com/browse/{ticket}"},
        {"label": "Pager", "url": f"https://pager.example.com/incidents/{pager}"},
        {"label": "Chat", "url": f"https://chat.example.com/archives/{channel}"},
    ]


def _event(when: str, description: str, who: str | None = None, notes: str | None = None):
    return {"time": when, "description": description, "who": who, "notes": notes}


def _item(description: str, owner: str, status: str, priority: str, due: str | None):
    return {
        "description": description,
        "owner": owner,
        "status": status,
        "priority": priority,
        "due_date": due,
    }


def _catalogue() -> list[dict]:
    """The incidents and their reports. Each entry: incident fields, then the post-mortem
    (or None), its author, and the status it ends in."""
    d1, d2, d3, d4, d5, d6, d7 = (_day(n) for n in (41, 33, 26, 19, 12, 6, 2))
    return [
        {
            "incident": {
                "id": DEMO_PREFIX + "tls_expiry",
                "title": "Public API unreachable: TLS certificate expired at the edge",
                "severity": "SEV1",
                "services": ["edge-proxy", "public-api"],
                "links": _links("OPS-1874", "PX4Q7T2", "inc-1874-tls-expiry"),
                "started_at": _at(d1, "23:40"),
                "detected_at": _at(d1, "23:44"),
                "acknowledged_at": _at(d1, "23:47"),
                "mitigated_at": _at(d1, "00:31", plus_days=1),
                "resolved_at": _at(d1, "01:05", plus_days=1),
                "details": "Clients saw certificate errors on api.example.com for 51 minutes.",
            },
            "author": "alice",
            "final": "ARCHIVED",
            "postmortem": {
                "title": "Expired TLS certificate on the public API edge",
                "summary": "The certificate for api.example.com expired at 23:40 UTC. Every"
                " HTTPS client refused the connection until a renewed certificate was"
                " deployed 51 minutes later.",
                "impact": "All public API traffic failed for 51 minutes (about 38,000 failed"
                " requests); the web app and mobile clients showed connection errors.",
                "root_cause": "Renewal was automated for the load balancer's certificates but"
                " not for the edge proxy, whose certificate had been installed by hand during"
                " a migration. The expiry alert existed but routed to a retired mailbox.",
                "timeline": [
                    _event(_iso(d1, "23:40"), "Edge certificate expires; TLS handshakes fail"),
                    _event(
                        _iso(d1, "23:44"), "Synthetic check for api.example.com fails", "monitoring"
                    ),
                    _event(
                        _iso(d1, "23:47"), "On-call acknowledges the page", "on-call (platform)"
                    ),
                    _event(
                        _iso(d1, "00:05", plus_days=1),
                        "Cause identified: certificate notAfter is in the past",
                        "on-call (platform)",
                    ),
                    _event(
                        _iso(d1, "00:31", plus_days=1),
                        "Renewed certificate deployed to the edge proxies",
                        "on-call (platform)",
                        "Issued manually through the ACME client; took three attempts because of a rate limit.",
                    ),
                    _event(
                        _iso(d1, "01:05", plus_days=1),
                        "Error rates back to baseline; incident closed",
                    ),
                ],
                "action_items": [
                    _item(
                        "Move edge proxy certificates to automated ACME renewal",
                        "platform@example.com",
                        "DONE",
                        "HIGH",
                        _due(-30),
                    ),
                    _item(
                        "Route certificate-expiry alerts to the platform on-call rotation",
                        "alice@example.com",
                        "DONE",
                        "HIGH",
                        _due(-35),
                    ),
                    _item(
                        "Add a 14-day expiry check for every public hostname to the synthetic monitors",
                        "bob@example.com",
                        "DONE",
                        "MEDIUM",
                        _due(-20),
                    ),
                    _item(
                        "Audit alert destinations for retired mailboxes",
                        "admin@example.com",
                        "DONE",
                        "LOW",
                        _due(-10),
                    ),
                ],
                "contributors": ["alice", "bob@example.com"],
            },
        },
        {
            "incident": {
                "id": DEMO_PREFIX + "checkout_pool",
                "title": "Checkout errors: database connection pool exhausted",
                "severity": "SEV2",
                "services": ["checkout-api", "postgres-orders"],
                "links": _links("OPS-1902", "PB81ZK3", "inc-1902-checkout"),
                "started_at": _at(d2, "14:31"),
                "detected_at": _at(d2, "14:35"),
                "acknowledged_at": _at(d2, "14:40"),
                "mitigated_at": _at(d2, "14:45"),
                "resolved_at": _at(d2, "14:50"),
                "details": "Spike in 500s on /checkout during the spring campaign launch.",
            },
            "author": "alice",
            "final": "PUBLISHED",
            "postmortem": {
                "title": "Database connection pool exhaustion during the campaign launch",
                "summary": "Checkout returned errors for 15 minutes when traffic tripled at the"
                " start of a marketing campaign and the API ran out of database connections.",
                "impact": "About 1,200 customers could not complete a purchase; 4% of the"
                " day's checkout attempts failed.",
                "root_cause": "The connection pool was sized for normal peak traffic and had no"
                " headroom; the campaign was not on the capacity calendar, so no one scaled"
                " ahead of it. Pool saturation had no alert.",
                "timeline": [
                    _event("14:31", "Campaign email sent; traffic starts to climb"),
                    _event("14:35", "Traffic at 3x normal; p99 latency alert fires", "monitoring"),
                    _event("14:38", "Connections exhausted; checkout starts returning 500s"),
                    _event(
                        "14:40", "On-call engineer paged and acknowledges", "on-call (payments)"
                    ),
                    _event(
                        "14:45", "Pool size raised from 20 to 60 per instance", "on-call (payments)"
                    ),
                    _event(
                        "14:50", "Error rate back to normal", notes="Kept at 60 until the review."
                    ),
                ],
                "action_items": [
                    _item(
                        "Alert when pool utilisation stays above 80% for 2 minutes",
                        "alice@example.com",
                        "DONE",
                        "HIGH",
                        _due(-12),
                    ),
                    _item(
                        "Autoscale API instances on connection wait time",
                        "devops@example.com",
                        "IN_PROGRESS",
                        "HIGH",
                        _due(9),
                    ),
                    _item(
                        "Put marketing launches on the shared capacity calendar",
                        "bob@example.com",
                        "TODO",
                        "MEDIUM",
                        _due(21),
                    ),
                    _item(
                        "Load-test checkout at 4x peak before each campaign",
                        "payments@example.com",
                        "TODO",
                        "LOW",
                        _due(45),
                    ),
                ],
                "contributors": ["alice@example.com", "bob@example.com"],
            },
        },
        {
            "incident": {
                "id": DEMO_PREFIX + "search_reindex",
                "title": "Search returned no results after an index migration",
                "severity": "SEV3",
                "services": ["search", "catalog-indexer"],
                "links": _links("OPS-1931", "PQ2M9D6", "inc-1931-search"),
                "started_at": _at(d3, "09:12"),
                "detected_at": _at(d3, "09:58"),
                "acknowledged_at": _at(d3, "10:01"),
                "mitigated_at": _at(d3, "10:20"),
                "resolved_at": _at(d3, "11:45"),
            },
            "author": "bob",
            "final": "PUBLISHED",
            "postmortem": {
                "title": "Empty search results after switching the product index alias",
                "summary": "A scheduled index migration moved the search alias to a new index"
                " before it had finished building, so product search returned nothing for"
                " 68 minutes.",
                "impact": "Product search and category pages were empty; orders dropped by"
                " about 20% during the window.",
                "root_cause": "The migration job switched the alias when the build step exited,"
                " not when the new index's document count matched the source. The build had"
                " exited early on a throttled bulk request and reported success.",
                "timeline": [
                    _event(
                        _iso(d3, "09:12"),
                        "Migration job switches the `products` alias",
                        "catalog-indexer",
                    ),
                    _event(
                        _iso(d3, "09:58"),
                        "Support reports empty search from several customers",
                        "support",
                    ),
                    _event(_iso(d3, "10:01"), "On-call acknowledges", "on-call (search)"),
                    _event(
                        _iso(d3, "10:20"),
                        "Alias pointed back at the previous index",
                        "on-call (search)",
                    ),
                    _event(
                        _iso(d3, "11:45"), "New index rebuilt and verified; alias switched again"
                    ),
                ],
                "action_items": [
                    _item(
                        "Switch the alias only when document counts match within 0.1%",
                        "bob@example.com",
                        "DONE",
                        "HIGH",
                        _due(-5),
                    ),
                    _item(
                        "Treat throttled bulk requests as failures in the indexer",
                        "search@example.com",
                        "IN_PROGRESS",
                        "MEDIUM",
                        _due(6),
                    ),
                    _item(
                        "Alert when search returns zero results for popular queries",
                        "alice@example.com",
                        "TODO",
                        "MEDIUM",
                        _due(14),
                    ),
                ],
                "contributors": ["bob", "alice"],
            },
        },
        {
            "incident": {
                "id": DEMO_PREFIX + "dns_resolution",
                "title": "Intermittent DNS resolution failures on eu-west workers",
                "severity": "SEV3",
                "services": ["job-workers", "dns"],
                "links": _links("OPS-1958", "PT7W3C1", "inc-1958-dns"),
                "started_at": _at(d4, "06:05"),
                "detected_at": _at(d4, "06:40"),
                "acknowledged_at": _at(d4, "06:52"),
                "mitigated_at": _at(d4, "08:10"),
                "resolved_at": _at(d4, "09:30"),
            },
            "author": "alice",
            "final": "IN_REVIEW",
            "postmortem": {
                "title": "DNS lookups timing out on eu-west job workers",
                "summary": "About 8% of background jobs on eu-west failed with DNS timeouts"
                " for three hours after a node image update.",
                "impact": "Webhook deliveries and invoice emails were delayed by up to two"
                " hours; all were retried successfully.",
                "root_cause": "The new node image lowered the conntrack table size; under the"
                " morning batch load UDP DNS packets were dropped. The image change was"
                " reviewed, but the default it altered was not visible in the diff.",
                "timeline": [
                    _event("06:05", "Morning batch starts; first DNS timeouts in worker logs"),
                    _event("06:40", "Job failure rate alert fires", "monitoring"),
                    _event("06:52", "On-call acknowledges", "on-call (platform)"),
                    _event("07:35", "Conntrack drops found in node metrics", "on-call (platform)"),
                    _event(
                        "08:10",
                        "Conntrack limit raised on all eu-west nodes",
                        notes="Applied through the node config, not by hand.",
                    ),
                    _event("09:30", "Backlog drained; incident resolved"),
                ],
                "action_items": [
                    _item(
                        "Pin kernel network settings in the node image build",
                        "platform@example.com",
                        "IN_PROGRESS",
                        "HIGH",
                        _due(4),
                    ),
                    _item(
                        "Show effective sysctl changes in image review diffs",
                        "alice@example.com",
                        "TODO",
                        "MEDIUM",
                        _due(18),
                    ),
                    _item(
                        "Run a local DNS cache on worker nodes",
                        "bob@example.com",
                        "TODO",
                        "LOW",
                        None,
                    ),
                ],
                "contributors": ["alice@example.com"],
            },
        },
        {
            "incident": {
                "id": DEMO_PREFIX + "email_backlog",
                "title": "Notification emails delayed up to three hours",
                "severity": "SEV2",
                "services": ["notifications", "rabbitmq"],
                "links": _links("OPS-1977", "PR5N8H4", "inc-1977-email-delay"),
                "started_at": _at(d5, "11:20"),
                "detected_at": _at(d5, "12:05"),
                "acknowledged_at": _at(d5, "12:09"),
                "mitigated_at": _at(d5, "13:30"),
                "resolved_at": _at(d5, "14:25"),
            },
            "author": "alice",
            "final": "DRAFT",
            "postmortem": {
                "title": "Email queue backlog after a consumer deploy",
                "summary": "Password resets and order confirmations arrived up to three hours"
                " late after a deploy reduced the number of queue consumers.",
                "impact": "Roughly 9,000 emails were delayed; 140 support tickets.",
                "root_cause": "Still being written up: the deploy template's default replica"
                " count overrode the service's own setting.",
                "timeline": [
                    _event(
                        "11:20", "Notifications deploy completes with 2 consumers instead of 12"
                    ),
                    _event("12:05", "Queue depth alert fires", "monitoring"),
                    _event("12:09", "On-call acknowledges", "on-call (messaging)"),
                    _event("13:30", "Consumers scaled back to 12", "on-call (messaging)"),
                ],
                "action_items": [
                    _item(
                        "Fail the deploy when replica count drops by more than half",
                        "devops@example.com",
                        "TODO",
                        "HIGH",
                        _due(10),
                    ),
                    _item(
                        "Prioritise password-reset emails over bulk notifications",
                        "alice@example.com",
                        "TODO",
                        "MEDIUM",
                        _due(30),
                    ),
                ],
                "contributors": ["alice"],
            },
        },
        {
            "incident": {
                "id": DEMO_PREFIX + "metrics_disk",
                "title": "Metrics ingestion paused: disk full on a time-series node",
                "severity": "SEV4",
                "services": ["metrics", "tsdb"],
                "links": _links("OPS-1990", "PK3V6J9", "inc-1990-metrics-disk"),
                "started_at": _at(d6, "03:15"),
                "detected_at": _at(d6, "07:50"),
                "acknowledged_at": _at(d6, "08:02"),
                "mitigated_at": _at(d6, "08:40"),
                "resolved_at": _at(d6, "09:00"),
            },
            "author": "bob",
            "final": "DRAFT",
            "postmortem": {
                "title": "Time-series node ran out of disk during compaction",
                "summary": "One time-series node stopped accepting samples for four and a half"
                " hours; dashboards showed gaps for a third of the hosts.",
                "impact": "No customer impact; internal dashboards and two alerts were blind"
                " for the window.",
                "timeline": [
                    _event("03:15", "Compaction starts and fills the data volume", "tsdb"),
                    _event("07:50", "Gap in dashboards noticed at stand-up"),
                    _event(
                        "08:40", "Volume expanded and ingestion resumed", "on-call (observability)"
                    ),
                ],
                "action_items": [
                    _item(
                        "Alert on free disk below 20% on time-series nodes",
                        "bob@example.com",
                        "TODO",
                        "MEDIUM",
                        _due(7),
                    ),
                    _item(
                        "Alert when a scrape target sends no samples for 10 minutes",
                        "observability@example.com",
                        "TODO",
                        "LOW",
                        _due(28),
                    ),
                ],
                "contributors": [],
            },
        },
        {
            "incident": {
                "id": DEMO_PREFIX + "partner_ratelimit",
                "title": "Partner API requests throttled by a new rate limit",
                "severity": "SEV2",
                "services": ["partner-api", "api-gateway"],
                "links": _links("OPS-2004", "PM9C2X7", "inc-2004-partner-throttle"),
                "started_at": _at(d7, "15:10"),
                "detected_at": _at(d7, "15:26"),
                "acknowledged_at": _at(d7, "15:30"),
                "mitigated_at": _at(d7, "16:02"),
                "resolved_at": _at(d7, "16:02"),
                "details": "Post-mortem not started yet.",
            },
            "author": None,
            "final": None,
            "postmortem": None,
        },
    ]


def _ensure_users() -> Iterator[str]:
    for name, email, role in USERS:
        existing = User.objects.filter(username__iexact=name).first()
        if existing is not None:
            yield f"  {name}: already exists, kept as it is ({existing.role})"
            continue
        password = secrets.token_urlsafe(12)
        try:
            create_user(name, password=password, email=email, role=role)
        except Conflict:  # the email belongs to someone else already
            create_user(name, password=password, role=role)
        yield f"  {name} ({role}): password {password}"


def load_demo() -> Iterator[str]:
    """Load the demo data set, yielding what it does line by line."""
    if Incident.objects.filter(pk__startswith=DEMO_PREFIX).exists():
        yield "The demo data is already loaded; nothing to do."
        return
    statuses: Counter[str] = Counter()
    with write_transaction():
        yield "Users (passwords are shown only now; change them in the admin):"
        yield from _ensure_users()
        users = {name: get_user(name) for name, _, _ in USERS}
        for entry in _catalogue():
            author = users[entry["author"] or "alice"]
            incident = create_incident(entry["incident"], by=author)
            if entry["postmortem"] is None:
                continue
            final = entry["final"]
            start = "DRAFT" if final == "DRAFT" else "IN_REVIEW"
            data = {"incident_id": incident.pk, "status": start, **entry["postmortem"]}
            postmortem = create_postmortem(data, by=author)
            for step in _MOVES[final]:
                postmortem = update_postmortem(
                    postmortem.pk, {"status": step}, by=author, if_match=postmortem.version
                )
            statuses[postmortem.status] += 1
        history = demo_history.load(users)
    # What `hindsight worker` would do in the background: each report's best match, so the
    # Insights page counts the possible recurrences on a new install at once.
    while related.refresh_due_best_matches(limit=500):
        pass
    incidents = Incident.objects.filter(pk__startswith=DEMO_PREFIX).count()
    statuses = Counter(
        PostMortem.objects.filter(incident__id__startswith=DEMO_PREFIX).values_list(
            "status", flat=True
        )
    )
    summary = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    yield f"Loaded {incidents} incidents and {sum(statuses.values())} post-mortems ({summary});"
    yield f"  {history} of the incidents make up 18 months of history for the Insights page."
    yield "Next: `hindsight token new alice` gives an API token for alice."
