"""Bulk loader for the benchmark: N realistic post-mortems in a few thousand statements.

Rows are written with bulk_create (incidents, post-mortems, timeline events, action items,
contributors) and indexed for search in bulk (FTS5 rows on SQLite; on PostgreSQL the
search_vector trigger fills it as the rows go in), so 100,000 records load in minutes.

Every post-mortem names one of CODENAMES as the affected system, in its title and root
cause and nowhere else, so searching a codename matches about 1 % of the records.

Run as `python -m bench.seed --count N` (prints a JSON sample of readable ids) (DATABASE_URL / HINDSIGHT_DATA_DIR select the
database); run.py does that for you.
"""

import argparse
import json
import math
import os
import random
import sys
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

# 100 system names, each rare enough to be a 1 % search term (none is an English word that
# the other vocabulary uses, and none stems into another under PostgreSQL's english config).
CODENAMES = """
    aardvark bellwether cassiopeia dromedary edelweiss fennec gargoyle hydrangea ibex
    jacaranda kestrel lorikeet marmoset narwhal ocelot pangolin quokka rosella salamander
    tamarin umbrella vicuna wolverine xylophone yarrow zeppelin albatross bramble cormorant
    dahlia egret foxglove gazelle heron iguana jackal kookaburra lemur mongoose nightjar
    oriole peregrine quetzal raccoon sandpiper toucan urchin vulture walrus xerus yak zebu
    anemone bison caracal dingo emu flamingo gecko hornbill impala jerboa koala lynx mandrill
    newt okapi puffin quail reindeer stoat tapir uakari viper wombat axolotl barracuda
    chinchilla dugong echidna ferret gibbon hedgehog jaguar kinkajou llama meerkat nautilus
    opossum pelican ptarmigan rhea skua tarsier vole weasel yeti zorilla armadillo
    capybara
""".split()

SERVICES = [
    "checkout", "payments", "search", "login", "billing", "notifications", "inventory",
    "shipping", "catalog", "recommendations", "reporting", "gateway", "scheduler", "uploads",
]  # fmt: skip
SYMPTOMS = [
    "Elevated error rates", "Increased latency", "Partial outage", "Complete outage",
    "Degraded performance", "Stale data served", "Failed deployments", "Dropped messages",
    "Timeouts", "Data inconsistency",
]  # fmt: skip
CAUSES = [
    ("connection pool exhaustion", "The connection pool was sized for average load, not peaks."),
    ("certificate expiry", "An internal TLS certificate expired; renewal was manual."),
    ("memory leak", "A cache without eviction grew until the process was killed."),
    ("disk full", "Log rotation was disabled by a configuration change."),
    ("bad configuration push", "A flag was enabled globally instead of for one region."),
    ("DNS misconfiguration", "A record was deleted during a cleanup of unused zones."),
    ("slow query", "A missing index turned a lookup into a full table scan."),
    ("dependency timeout", "An upstream provider slowed down and retries amplified the load."),
    ("race condition", "Two workers processed the same job after a lock expired early."),
    ("capacity shortfall", "Autoscaling reacted too slowly to a marketing campaign."),
]
STEPS = [
    "Alert fired for {svc} error rate",
    "On-call engineer acknowledged the page",
    "Incident channel opened and roles assigned",
    "Rolled back the latest {svc} deployment",
    "Identified {cause} as the likely trigger",
    "Applied mitigation and watched dashboards",
    "Error rates returned to baseline",
    "Customer support notified of the resolution",
]
ACTIONS = [
    "Add alerting on {cause} for {svc}",
    "Write a runbook for {svc} failover",
    "Load test {svc} at three times peak traffic",
    "Automate the manual step taken during mitigation",
    "Review on-call escalation policy",
    "Add a dashboard panel for {svc} saturation",
]
# Each cause's contributing factors, with the category slug each is filed under (None: a
# factor nobody categorised); the slugs are the default list (migration 0014).
FACTORS = {
    "connection pool exhaustion": [("Pool sized for average load", "capacity-load"),
                                   ("No alert on pool saturation", "alerting-gap")],
    "certificate expiry": [("Manual certificate renewal", "runbook-process"),
                           ("No expiry monitoring", "monitoring-gap")],
    "memory leak": [("Cache without eviction", "software-defect"),
                    ("Memory alerts too late", "alerting-gap")],
    "disk full": [("Log rotation disabled by a config change", "configuration"),
                  ("Disk usage not watched", "monitoring-gap")],
    "bad configuration push": [("Global flag rollout", "configuration"),
                               ("No staged rollout", "change-deployment")],
    "DNS misconfiguration": [("Zone cleanup without review", "change-deployment"),
                             ("Unclear ownership of zones", "communication-coordination")],
    "slow query": [("Missing index", "software-defect"),
                   ("No query plan review", "runbook-process")],
    "dependency timeout": [("Upstream provider slowed down", "dependency-third-party"),
                           ("Retries without backoff", "software-defect")],
    "race condition": [("Lock expired early", "software-defect"),
                       ("Manual job restart", "automation")],
    "capacity shortfall": [("Autoscaling too slow", "capacity-load"),
                           ("Campaign not announced to on-call", "communication-coordination")],
}  # fmt: skip
IMPACTS = [
    "FULL_OUTAGE", "PARTIAL_OUTAGE", "DEGRADED_PERFORMANCE", "INCREASED_ERRORS",
    "INCREASED_LATENCY", "CASCADING_FAILURE", "NON_PRODUCTION", "SECURITY", "DATA_LOSS",
]  # fmt: skip
STATUSES = ["PUBLISHED"] * 60 + ["ARCHIVED"] * 15 + ["IN_REVIEW"] * 10 + ["DRAFT"] * 15
AUTHORS = 40
BENCH_USER = "bench"
START = datetime(2025, 5, 15, tzinfo=UTC)
STEP = timedelta(minutes=8)  # 100,000 records span about 18 months
BATCH = 2000
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _id(rng: random.Random, prefix: str) -> str:
    """Same shape as hindsight.lib.ids.new_id, from a seeded generator (fast, repeatable)."""
    return prefix + "_" + "".join(rng.choices(_ALPHABET, k=16))


@contextmanager
def _explicit_timestamps(*models):
    """Let bulk_create keep the historical created/updated times we give it."""
    saved = []
    for model in models:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                saved.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


ITEM_STATUSES = ["TODO"] * 35 + ["IN_PROGRESS"] * 20 + ["DONE"] * 45


def _skewed(rng: random.Random, median_seconds: float, sigma: float) -> timedelta:
    """A log-normal duration: most short, a long tail (as incident durations are)."""
    return timedelta(seconds=int(rng.lognormvariate(math.log(median_seconds), sigma)) + 1)


def _published(rng: random.Random, incident, created: datetime) -> datetime:
    after = incident.resolved_at or created
    return max(after, created) + _skewed(rng, 36 * 3600, 1.0)


def _factor_section(rng: random.Random, cause: str, rows: list) -> dict:
    """The report's contributing factors (one or two of its cause's, a fifth of them with
    no category), appending (text, category) to ROWS for the Factor rows."""
    from hindsight.postmortems.sections import to_stored

    chosen = rng.sample(FACTORS[cause], rng.randint(1, 2))
    for text, category in chosen:
        rows.append((text, category if rng.random() < 0.8 else None))
    value = [{"factor": text, "category": category} for text, category in rows]
    return {"contributing_factors": _stored_factors(json.dumps(value), to_stored)}


_STORED: dict[str, list] = {}


def _stored_factors(key: str, to_stored) -> list:
    if key not in _STORED:
        _STORED[key] = to_stored("contributing_factors", json.loads(key))
    return _STORED[key]


def ensure_users():
    """The benchmark's member (`bench`) and the other authors; returns (bench, authors)."""
    from hindsight.accounts.models import Role, User

    bench = User.objects.filter(username=BENCH_USER).first()
    if bench is None:
        bench = User(username=BENCH_USER, email="bench@example.com", role=Role.MEMBER)
        bench.set_unusable_password()  # it signs in with a token only
        bench.save()
    names = [f"engineer{i:02d}" for i in range(AUTHORS)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    new = []
    for name in names:
        if name not in existing:
            user = User(username=name, email=f"{name}@example.com", role=Role.MEMBER)
            user.set_unusable_password()
            new.append(user)
    User.objects.bulk_create(new)
    authors = list(User.objects.filter(username__in=names).order_by("username"))
    return bench, authors


def seed(count: int, *, seed_value: int = 1, progress=None) -> int:
    """Add COUNT post-mortems after those already there; returns the new total."""
    from django.db import transaction

    from hindsight.postmortems import document, export
    from hindsight.postmortems.models import PostMortem

    bench, authors = ensure_users()
    first = PostMortem.objects.count()
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        with transaction.atomic():
            _write_batch(first + done, size, bench, authors, seed_value)
            # Each report's stored document, as the write path would have left it.
            document.refresh_stale(batch=size)
        done += size
        if progress:
            progress(done)
    # Each report's Markdown export, as `hindsight worker` stores it after a write (any left
    # from an earlier run too).
    while export.store_due_markdown(limit=1000):
        pass
    return first + done


def analyze() -> None:
    """Table and index statistics, as a database in use has them (SQLite's planner needs them
    to prefer the indexes that answer the insights alone; PostgreSQL's word counts are the
    related ranking's)."""
    from django.db import connection

    with connection.cursor() as cursor:
        # On PostgreSQL, VACUUM too: the seed's own updates (the stored exports, the ranking)
        # leave old row versions that autovacuum clears in a database in use, and a search
        # visits every one its index still points at.
        if connection.vendor == "postgresql":
            cursor.execute("SET statement_timeout = 0")  # the settings' limit is for requests
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")


def rank(ids: list[str]) -> int:
    """The best and kept related matches of the reports IDS that are due, each in its own
    write, as `hindsight worker` finds them (after ANALYZE: on PostgreSQL the ranking reads
    the word counts it keeps); returns how many. The bench ranks only the reports it asks
    /related for: the worker ranks about 40 a second on a 2-core machine, so all 100,000
    would take most of an hour, and a read costs the same however many others are ranked."""
    from hindsight.postmortems import related

    ranked = 0
    while found := related.refresh_due_best_matches(limit=100, among=ids):
        ranked += found
        print(f"\r  ranked {ranked:,}", end="", file=sys.stderr, flush=True)
    return ranked


def _write_batch(start: int, size: int, bench, authors, seed_value: int) -> None:
    from django.db import connection

    from hindsight.incidents.models import Incident
    from hindsight.postmortems.models import (
        ActionItem,
        Contributor,
        Factor,
        PostMortem,
        TimelineEvent,
        new_search_key,
    )

    rng = random.Random(f"{seed_value}:{start}")
    incidents, postmortems, events, items, contributors, factors = [], [], [], [], [], []
    now = datetime.now(UTC)
    for index in range(start, start + size):
        created = START + index * STEP
        started = created - timedelta(hours=rng.randint(6, 72))
        svc = rng.choice(SERVICES)
        codename = CODENAMES[index % len(CODENAMES)]
        cause, why = rng.choice(CAUSES)
        symptom = rng.choice(SYMPTOMS)
        users = rng.randint(50, 50_000)
        # Durations are heavily skewed (a few incidents take days), and some times were
        # never recorded: the insights leave those out of that figure only.
        detected = started + _skewed(rng, 300, 1.2)
        acknowledged = detected + _skewed(rng, 180, 1.0)
        mitigated = acknowledged + _skewed(rng, 2400, 1.3)
        resolved = mitigated + _skewed(rng, 5400, 1.2)
        minutes = max(4, int((resolved - started).total_seconds() // 60))
        incident = Incident(
            id=_id(rng, "inc"),
            title=f"{symptom} in {svc}",
            severity=rng.choice(["SEV1", "SEV2", "SEV2", "SEV3", "SEV3", "SEV4"]),
            type="NEAR_MISS" if rng.random() < 0.08 else "INCIDENT",
            impact_categories=sorted(set(rng.sample(IMPACTS, rng.randint(1, 2)))),
            services=[svc, rng.choice(SERVICES)],
            links=[{"label": "ticket", "url": f"https://tracker.example.com/INC-{index}"}],
            started_at=started,
            detected_at=detected if rng.random() < 0.95 else None,
            acknowledged_at=acknowledged if rng.random() < 0.85 else None,
            mitigated_at=mitigated if rng.random() < 0.75 else None,
            resolved_at=resolved if rng.random() < 0.97 else None,
            created_at=started,
            updated_at=started,
        )
        incidents.append(incident)
        # About 1 % of the records are the bench user's own; 3 % name it as a contributor.
        author = bench if rng.random() < 0.01 else rng.choice(authors)
        status = rng.choice(STATUSES)
        factor_rows: list[tuple[str, str | None]] = []
        pm = PostMortem(
            id=_id(rng, "pm"),
            incident=incident,
            title=f"{symptom} in {svc} caused by {cause} on {codename}",
            summary=(
                f"For {minutes} minutes the {svc} service showed {symptom.lower()}."
                f" The on-call team traced it to {cause} and restored service."
            ),
            impact=f"About {users:,} users were affected; {rng.randint(0, 40)} support tickets.",
            root_cause=f"{why} The {codename} cluster had no safeguard against {cause}.",
            status=status,
            # Published some hours to weeks after resolution (about two thirds on time).
            published_at=_published(rng, incident, created)
            if status in ("PUBLISHED", "ARCHIVED")
            else None,
            sections=_factor_section(rng, cause, factor_rows),
            created_at=created,
            updated_at=created + timedelta(hours=rng.randint(0, 96)),
            created_by=author,
            incident_started_at=incident.started_at,
            incident_resolved_at=incident.resolved_at,
            version=rng.randint(1, 6),
            search_key=new_search_key(),
        )
        postmortems.append(pm)
        for position, step in enumerate(rng.sample(STEPS, 5)):
            moment = started + timedelta(minutes=position * minutes // 5)
            events.append(
                TimelineEvent(
                    id=_id(rng, "evt"),
                    postmortem=pm,
                    time=moment.strftime("%H:%M"),
                    description=step.format(svc=svc, cause=cause),
                    who=rng.choice(authors).username if rng.random() < 0.5 else None,
                    position=position,
                )
            )
        for position, (text, category) in enumerate(factor_rows):
            factors.append(
                Factor(postmortem=pm, position=position, text=text, category_id=category)
            )
        done_items = status == "ARCHIVED"
        for position, action in enumerate(rng.sample(ACTIONS, 3)):
            item_status = "DONE" if done_items else rng.choice(ITEM_STATUSES)
            completed = created + _skewed(rng, 14 * 86400, 1.0)
            if item_status == "DONE" and completed > now:
                item_status = "IN_PROGRESS"  # it cannot have been done in the future
            items.append(
                ActionItem(
                    id=_id(rng, "act"),
                    postmortem=pm,
                    description=action.format(svc=svc, cause=cause),
                    owner=f"{rng.choice(authors).username}@example.com",
                    status=item_status,
                    priority=rng.choice(["HIGH", "MEDIUM", "LOW"]),
                    due_date=(created + timedelta(days=rng.randint(7, 60))).date(),
                    completed_at=completed if item_status == "DONE" else None,
                    position=position,
                    created_at=created,
                    updated_at=completed if item_status == "DONE" else created,
                )
            )
        names = {u.email for u in rng.sample(authors, rng.randint(1, 3))}
        if rng.random() < 0.03:
            names.add(bench.email)
        for position, name in enumerate(sorted(names)):
            contributors.append(
                Contributor(postmortem=pm, value=name, key=name.lower(), position=position)
            )

    with _explicit_timestamps(Incident, PostMortem, ActionItem):
        Incident.objects.bulk_create(incidents)
        PostMortem.objects.bulk_create(postmortems)
        TimelineEvent.objects.bulk_create(events)
        ActionItem.objects.bulk_create(items)
        Contributor.objects.bulk_create(contributors)
        Factor.objects.bulk_create(factors)

    # PostgreSQL's search document is computed by its trigger as the rows are inserted.
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO postmortem_fts (rowid, title, summary, impact, root_cause)"
                " VALUES (%s, %s, %s, %s, %s)",
                [
                    (pm.search_key, pm.title, pm.summary, pm.impact or "", pm.root_cause or "")
                    for pm in postmortems
                ],
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True, help="post-mortems to add")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--sample", type=int, default=5000, help="readable ids to print (default 5000)"
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hindsight.settings")
    import django

    django.setup()
    from django.db import connection

    from hindsight.lib.migrate import migrate_locked

    migrate_locked()

    def progress(done: int) -> None:
        print(f"\r  seeded {done:,}/{args.count:,}", end="", file=sys.stderr, flush=True)

    seed(args.count, seed_value=args.seed, progress=progress)
    print(file=sys.stderr)
    ids = sample(args.sample)
    if connection.vendor == "postgresql":
        analyze()
    if rank(ids["ids"]):
        print(file=sys.stderr)
    # After the ranking on SQLite too: statistics taken while no report had a best match
    # would tell its planner that looking one up by best match reads the whole table.
    analyze()
    json.dump(ids, sys.stdout)
    print()
    return 0


def sample(size: int) -> dict:
    """What the load scripts need: ids the bench user may read, and an incident to cite."""
    from hindsight.incidents.models import Incident
    from hindsight.postmortems.models import PostMortem

    bench, _ = ensure_users()
    # In a fixed order: PostgreSQL hands rows over as they lie, which moves as they are
    # written, and the sample must be the one seed ranked.
    ids = list(PostMortem.objects.visible_to(bench).order_by("id").values_list("id", flat=True))
    return {
        "total": PostMortem.objects.count(),
        "ids": random.Random(0).sample(ids, min(size, len(ids))),
        "incident": Incident.objects.values_list("id", flat=True).first(),
        "codenames": CODENAMES,
    }


if __name__ == "__main__":
    sys.exit(main())
