"""The figures across incidents, each computed by the database.

Every figure takes the same `Filters`. Incidents count for everyone; post-mortems and their
action items only where the caller may read them (others' drafts never). Durations are in
seconds; a percentile is nearest-rank (the value at rank ⌈p·n⌉ of the n sorted values, so
the median of 1, 2, 3, 4 is 2); histogram buckets are [low, high); every month of the
period is present, with zeros where nothing happened.

The database sorts and counts: window functions pick the ranked rows and CASE sums fill the
histograms, so a figure over 100,000 incidents returns a few dozen rows to Python.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Window
from django.db.models.functions import DenseRank, Lower
from django.utils import timezone

from hindsight.accounts.models import User
from hindsight.accounts.services import users_named
from hindsight.incidents.models import Incident, IncidentType, Severity
from hindsight.postmortems.models import (
    ActionItem,
    Factor,
    ItemStatus,
    PostMortem,
    Priority,
    Status,
    Tag,
    due_window,
    readable_by,
)

MEASURES = {
    "timeToDetect": "detected_at",
    "timeToAcknowledge": "acknowledged_at",
    "timeToMitigate": "mitigated_at",
    "timeToResolve": "resolved_at",
}
MINUTE, HOUR, DAY = 60, 3600, 86400
# Incident durations are heavily skewed: fixed buckets, medians and p90s, never a mean.
DURATION_BUCKETS = [
    (0, 5 * MINUTE),
    (5 * MINUTE, 15 * MINUTE),
    (15 * MINUTE, HOUR),
    (HOUR, 4 * HOUR),
    (4 * HOUR, DAY),
    (DAY, None),
]
WEEK = 7 * DAY
AGE_BUCKETS = [(0, WEEK), (WEEK, 4 * WEEK), (4 * WEEK, 91 * DAY), (91 * DAY, None)]


@dataclass(frozen=True)
class Filters:
    start: date | None = None  # `from`, inclusive
    end: date | None = None  # `to`, inclusive
    service: str | None = None
    severity: str | None = None
    tag: str | None = None
    type: str | None = None


# SQL pieces that differ between the databases -------------------------------------------


class Seconds(Func):
    """Whole seconds from the second expression to the first."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(
            compiler,
            conn,
            template="CAST(ROUND((julianday(%(expressions)s)) * 86400) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler, conn, **extra):
        return self.as_sql(
            compiler,
            conn,
            template="CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS BIGINT)",
            arg_joiner=" - ",
            **extra,
        )


class MonthOf(Func):
    """'YYYY-MM' of a stored UTC timestamp."""

    output_field = IntegerField()  # never converted: read back by raw SQL only

    def as_sqlite(self, compiler, conn, **extra):
        # The format travels as a parameter: a literal % in the SQL would be read as one.
        sql, params = self.as_sql(compiler, conn, template="strftime(%%s, %(expressions)s)")
        return sql, ("%Y-%m", *params)

    def as_postgresql(self, compiler, conn, **extra):
        return self.as_sql(
            compiler, conn, template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM')"
        )


def _rows(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _sql(queryset: QuerySet) -> tuple[str, tuple]:
    return queryset.query.sql_with_params()


# Filters ---------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _in_period(field: str, filters: Filters) -> Q:
    q = Q()
    if filters.start:
        q &= Q(**{f"{field}__gte": _day_start(filters.start)})
    if filters.end:
        q &= Q(**{f"{field}__lt": _day_start(filters.end) + timedelta(days=1)})
    return q


def _incident_filters(filters: Filters, user, prefix: str = "") -> Q:
    """The filters that concern the incident (its service, severity, type; a tag of one of
    its post-mortems the user may read), as a Q over Incident or, with PREFIX, a relation."""
    q = Q()
    if filters.severity:
        q &= Q(**{f"{prefix}severity": filters.severity})
    if filters.type:
        q &= Q(**{f"{prefix}type": filters.type})
    if filters.service:
        q &= Q(**{f"{prefix}pk__in": Incident.objects.with_service(filters.service).values("pk")})
    if filters.tag:
        tagged = PostMortem.objects.filter(
            readable_by(user),
            Exists(Tag.objects.filter(postmortem=OuterRef("pk"), name__iexact=filters.tag)),
        )
        q &= Q(**{f"{prefix}pk__in": tagged.values("incident_id")})
    return q


def incidents_for(filters: Filters, user) -> QuerySet:
    return Incident.objects.filter(
        _in_period("started_at", filters), _incident_filters(filters, user)
    ).order_by()


def postmortems_for(filters: Filters, user) -> QuerySet:
    """Readable post-mortems whose incident is in the period and matches the filters."""
    return PostMortem.objects.filter(
        readable_by(user),
        _in_period("incident__started_at", filters),
        _incident_filters(filters, user, prefix="incident__"),
    ).order_by()


def items_for(filters: Filters, user) -> QuerySet:
    """Action items of readable post-mortems whose incident matches the filters (the period
    applies to each figure's own dates, not the incident's)."""
    return ActionItem.objects.filter(
        _incident_filters(filters, user, prefix="postmortem__incident__"),
        postmortem__in=PostMortem.objects.filter(readable_by(user)).values("pk"),
    ).order_by()


# Months ----------------------------------------------------------------------------------


def months_between(first: str | None, last: str | None) -> list[str]:
    """Every 'YYYY-MM' from FIRST to LAST inclusive."""
    if not first or not last or first > last:
        return []
    year, month = map(int, first.split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _period_months(filters: Filters, seen: list[str]) -> list[str]:
    """The months a figure spans: the filters' period, else from the first to the last
    month with data."""
    first = filters.start.strftime("%Y-%m") if filters.start else min(seen, default=None)
    last = filters.end.strftime("%Y-%m") if filters.end else max(seen, default=None)
    return months_between(first, last)


# Ranked values ---------------------------------------------------------------------------


def _bucket_sql(buckets, *, window: bool) -> list[str]:
    """One SUM per bucket [low, high) of the column v (high None: no upper bound)."""
    over = " OVER ()" if window else ""
    return [
        f"SUM(CASE WHEN v >= {int(low)}{f' AND v < {int(high)}' if high else ''}"
        f" THEN 1 ELSE 0 END){over}"
        for low, high in buckets
    ]


def _ranked(values_sql: str, params, buckets) -> tuple[dict, dict[str, dict]]:
    """From SQL selecting (month, v): the overall count, median and p90 with a histogram
    over BUCKETS, and each month's count and median, in one query that returns only the
    ranked rows. Ranks are integers: (n + 1) / 2 is ⌈n/2⌉, (9n + 9) / 10 is ⌈9n/10⌉."""
    histogram = ", ".join(
        f"{sum_sql} AS h{i}" for i, sum_sql in enumerate(_bucket_sql(buckets, window=True))
    )
    sql = f"""
        SELECT month, v, rn_month, n_month, rn, n, {", ".join(f"h{i}" for i in range(len(buckets)))}
        FROM (
            SELECT month, v,
                ROW_NUMBER() OVER (PARTITION BY month ORDER BY v) AS rn_month,
                COUNT(*) OVER (PARTITION BY month) AS n_month,
                ROW_NUMBER() OVER (ORDER BY v) AS rn,
                COUNT(*) OVER () AS n,
                {histogram}
            FROM ({values_sql}) AS ranked_values
        ) AS ranks
        WHERE rn_month = (n_month + 1) / 2 OR rn = (n + 1) / 2 OR rn = (9 * n + 9) / 10
    """
    overall = {"count": 0, "median": None, "p90": None}
    counts = [0] * len(buckets)
    by_month: dict[str, dict] = {}
    for month, value, rn_month, n_month, rn, n, *histogram_counts in _rows(sql, params):
        overall["count"] = n
        counts = histogram_counts
        if rn == (n + 1) // 2:
            overall["median"] = value
        if rn == (9 * n + 9) // 10:
            overall["p90"] = value
        if rn_month == (n_month + 1) // 2:
            by_month[month] = {"count": n_month, "median": value}
    overall["histogram"] = [
        {"low": low, "high": high, "count": int(count or 0)}
        for (low, high), count in zip(buckets, counts, strict=True)
    ]
    return overall, by_month


# The figures -----------------------------------------------------------------------------


def incident_counts(filters: Filters, user) -> dict:
    """Incidents per month by severity, and the share of near misses."""
    rows = (
        incidents_for(filters, user)
        .filter(started_at__isnull=False)
        .annotate(month=MonthOf("started_at"))
        .values_list("month", "severity", "type")
    )
    sql, params = _sql(rows)
    counted = _rows(
        f"SELECT month, severity, type, COUNT(*) FROM ({sql}) AS i GROUP BY month, severity, type",
        params,
    )
    severities = [*Severity.values, "none"]
    months = {
        m: {"month": m, "total": 0, "nearMisses": 0, "bySeverity": dict.fromkeys(severities, 0)}
        for m in _period_months(filters, [row[0] for row in counted])
    }
    total = near = 0
    for month, severity, kind, count in counted:
        if month not in months:
            continue
        entry = months[month]
        entry["total"] += count
        entry["bySeverity"][severity or "none"] += count
        total += count
        if kind == IncidentType.NEAR_MISS:
            entry["nearMisses"] += count
            near += count
    return {
        "total": total,
        "nearMisses": near,
        "nearMissShare": round(near / total, 4) if total else None,
        "byMonth": list(months.values()),
    }


def durations(filters: Filters, user) -> dict:
    """Time to detect, acknowledge, mitigate and resolve: count, median, p90, histogram,
    and per month count and median. An incident missing a time is left out of that figure."""
    base = incidents_for(filters, user).filter(started_at__isnull=False)
    sql, params = _sql(base.annotate(m=MonthOf("started_at")).values_list("m"))
    seen = _rows(f"SELECT MIN(m), MAX(m) FROM ({sql}) AS i", params)[0]
    months = _period_months(filters, [m for m in seen if m])
    out = {}
    for name, field in MEASURES.items():
        values = (
            base.filter(**{f"{field}__isnull": False})
            .annotate(month=MonthOf("started_at"), v=Seconds(field, "started_at"))
            .values_list("month", "v")
        )
        overall, by_month = _ranked(*_sql(values), DURATION_BUCKETS)
        overall["byMonth"] = [
            {"month": m, **by_month.get(m, {"count": 0, "median": None})} for m in months
        ]
        out[name] = overall
    return out


def postmortem_timeliness(filters: Filters, user) -> dict:
    """Per month (of the incident's start): post-mortems of resolved incidents, how many were
    published within the due window of resolution, and the median time from resolution to
    publication; and the drafts overdue now."""
    window = int(due_window().total_seconds())
    reports = postmortems_for(filters, user).filter(
        incident__resolved_at__isnull=False, incident__started_at__isnull=False
    )
    published = reports.filter(published_at__isnull=False)
    values = published.annotate(
        month=MonthOf("incident__started_at"), v=Seconds("published_at", "incident__resolved_at")
    ).values_list("month", "v")
    overall, by_month = _ranked(*_sql(values), [(0, None)])
    sql, params = _sql(
        reports.annotate(
            month=MonthOf("incident__started_at"),
            v=Seconds("published_at", "incident__resolved_at"),
        ).values_list("month", "v", "published_at")
    )
    counted = _rows(
        f"""SELECT month, COUNT(*),
                SUM(CASE WHEN published_at IS NOT NULL AND v <= {window} THEN 1 ELSE 0 END)
            FROM ({sql}) AS p GROUP BY month""",
        params,
    )
    months = {
        m: {"month": m, "resolved": 0, "publishedOnTime": 0, "medianToPublish": None}
        for m in _period_months(filters, [row[0] for row in counted])
    }
    resolved = on_time = 0
    for month, count, timely in counted:
        if month in months:
            months[month].update(resolved=count, publishedOnTime=int(timely or 0))
            months[month]["medianToPublish"] = by_month.get(month, {}).get("median")
            resolved += count
            on_time += int(timely or 0)
    for entry in months.values():
        n = entry["resolved"]
        entry["onTimeShare"] = round(entry["publishedOnTime"] / n, 4) if n else None
    overdue = (
        PostMortem.objects.filter(readable_by(user))
        .overdue()
        .filter(
            _incident_filters(filters, user, prefix="incident__"),
            _in_period("incident__started_at", filters),
        )
    )
    return {
        "dueHours": window // HOUR,
        "resolved": resolved,
        "publishedOnTime": on_time,
        "onTimeShare": round(on_time / resolved, 4) if resolved else None,
        "medianToPublish": overall["median"],
        "overdueNow": overdue.count(),
        "byMonth": list(months.values()),
    }


def action_item_figures(filters: Filters, user, *, now=None) -> dict:
    now = now or timezone.now()
    items = items_for(filters, user)
    opened = _per_month(items.filter(_in_period("created_at", filters)), "created_at")
    completed = _per_month(
        items.filter(_in_period("completed_at", filters), completed_at__isnull=False),
        "completed_at",
    )
    months = _period_months(filters, [*opened, *completed])
    by_month = [
        {"month": m, "opened": opened.get(m, 0), "completed": completed.get(m, 0)} for m in months
    ]
    open_items = items.exclude(status=ItemStatus.DONE)
    ages = _bucket_counts(
        open_items.annotate(v=Seconds(_now(now), "created_at")).values_list("v"), AGE_BUCKETS
    )
    return {
        "byMonth": by_month,
        "openByAge": [
            {"low": low, "high": high, "count": count}
            for (low, high), count in zip(AGE_BUCKETS, ages, strict=True)
        ],
        "byPriority": _by_priority(items, filters),
        "overdueByOwner": _overdue_by_owner(open_items, now),
        "publishedFollowThrough": _follow_through(filters, user),
    }


class _Now(Func):
    """A timestamp parameter, compared as the stored values are."""

    output_field = IntegerField()

    def __init__(self, moment: datetime):
        super().__init__()
        self.moment = moment

    def as_sql(self, compiler, conn, **extra):
        value = conn.ops.adapt_datetimefield_value(self.moment)
        return "%s", [value]

    def as_postgresql(self, compiler, conn, **extra):
        return "CAST(%s AS timestamptz)", [self.moment]


def _now(now: datetime) -> _Now:
    return _Now(now)


def _per_month(items: QuerySet, field: str) -> dict[str, int]:
    sql, params = _sql(items.annotate(month=MonthOf(field)).values_list("month"))
    return dict(_rows(f"SELECT month, COUNT(*) FROM ({sql}) AS i GROUP BY month", params))


def _bucket_counts(values: QuerySet, buckets) -> list[int]:
    sql, params = _sql(values)
    sums = ", ".join(_bucket_sql(buckets, window=False))
    row = _rows(f"SELECT {sums} FROM ({sql}) AS b", params)[0]
    return [int(count or 0) for count in row]


def _by_priority(items: QuerySet, filters: Filters) -> list[dict]:
    """Per priority: items opened in the period, how many are done, and the median time
    from opening to done."""
    opened = items.filter(_in_period("created_at", filters))
    sql, params = _sql(opened.values_list("priority", "status"))
    counts = {
        priority: (total, int(done or 0))
        for priority, total, done in _rows(
            f"SELECT priority, COUNT(*), SUM(CASE WHEN status = 'DONE' THEN 1 ELSE 0 END)"
            f" FROM ({sql}) AS i GROUP BY priority",
            params,
        )
    }
    done = opened.filter(status=ItemStatus.DONE, completed_at__isnull=False).annotate(
        month=Lower("priority"), v=Seconds("completed_at", "created_at")
    )
    _, medians = _ranked(*_sql(done.values_list("month", "v")), [(0, None)])
    out = []
    for priority in Priority.values:
        total, finished = counts.get(priority, (0, 0))
        out.append(
            {
                "priority": priority,
                "opened": total,
                "done": finished,
                "completionRate": round(finished / total, 4) if total else None,
                "medianToDone": medians.get(priority.lower(), {}).get("median"),
            }
        )
    return out


def _overdue_by_owner(open_items: QuerySet, now: datetime) -> list[dict]:
    """Overdue open items per owner, owners compared case-insensitively and named as the
    user they name where they do; most overdue first."""
    today = timezone.localdate(now)
    sql, params = _sql(
        open_items.filter(due_date__lt=today, owner__isnull=False)
        .exclude(owner="")
        .annotate(key=Lower("owner"))
        .values_list("key")
    )
    counted = _rows(f"SELECT key, COUNT(*) FROM ({sql}) AS o GROUP BY key", params)
    users = users_named(key for key, _ in counted)
    names = dict(User.objects.filter(pk__in=list(users.values())).values_list("pk", "username"))
    merged: dict[str, dict] = {}
    for key, count in counted:
        user_id = users.get(key)
        name = names.get(user_id, key)
        entry = merged.setdefault(
            name, {"owner": name, "user": name if user_id else None, "overdue": 0}
        )
        entry["overdue"] += count
    return sorted(merged.values(), key=lambda e: (-e["overdue"], e["owner"]))


def _follow_through(filters: Filters, user) -> dict:
    """Published post-mortems whose action items are all done, not all done, or that have
    none (counted apart)."""
    published = postmortems_for(filters, user).filter(status=Status.PUBLISHED)
    open_item = ActionItem.objects.filter(postmortem=OuterRef("pk")).exclude(status=ItemStatus.DONE)
    any_item = ActionItem.objects.filter(postmortem=OuterRef("pk"))
    sql, params = _sql(
        published.annotate(has_items=Exists(any_item), has_open=Exists(open_item)).values_list(
            "has_items", "has_open"
        )
    )
    counts = {
        (bool(a), bool(b)): n
        for a, b, n in _rows(
            f"SELECT has_items, has_open, COUNT(*) FROM ({sql}) AS p GROUP BY has_items, has_open",
            params,
        )
    }
    all_done = counts.get((True, False), 0)
    not_done = counts.get((True, True), 0)
    with_items = all_done + not_done
    return {
        "published": with_items + counts.get((False, False), 0),
        "allDone": all_done,
        "notAllDone": not_done,
        "noActionItems": counts.get((False, False), 0),
        "allDoneShare": round(all_done / with_items, 4) if with_items else None,
    }


# Factors ---------------------------------------------------------------------------------

LISTED = 20  # post-mortems listed behind each count (the count itself is exact)


def factor_figures(filters: Filters, user) -> dict:
    """Contributing-factor categories and services, ranked by the number of incidents they
    appear in, each with (up to LISTED of) the readable post-mortems behind the count."""
    reports = postmortems_for(filters, user)
    rows = Factor.objects.filter(postmortem__in=reports.values("pk"), category__isnull=False)
    ranked = list(
        rows.values("category_id", "category__name")
        .annotate(incidents=Count("postmortem__incident", distinct=True))
        .order_by("-incidents", "category_id")
    )
    behind = _listed(
        rows.annotate(
            rank=Window(DenseRank(), partition_by=[F("category_id")], order_by="postmortem_id")
        )
        .filter(rank__lte=LISTED)
        .values_list("category_id", "postmortem_id", "postmortem__title")
        .distinct()
    )
    categories = [
        {
            "slug": row["category_id"],
            "name": row["category__name"],
            "incidents": row["incidents"],
            "postmortems": behind.get(row["category_id"], []),
        }
        for row in ranked
    ]
    return {
        "categories": categories,
        "uncategorisedFactors": Factor.objects.filter(
            postmortem__in=reports.values("pk"), category__isnull=True
        ).count(),
        "services": _services(filters, user, reports),
        "possibleRecurrences": possible_recurrences(reports, user),
    }


def possible_recurrences(reports: QuerySet, user) -> dict:
    """Of REPORTS, those whose kept best match (related.store_best_match) is a possible
    recurrence and one USER may read too: the count, and up to LISTED of them, lowest id
    first, each with its match."""
    # EXISTS per flagged report (found by the partial index), not IN (every readable id).
    match_readable = PostMortem.objects.filter(readable_by(user), pk=OuterRef("best_match_id"))
    recurring = reports.filter(Exists(match_readable), best_match_recurrence=True)
    listed = recurring.order_by("pk").values_list("pk", "title", "best_match", "best_match__title")
    return {
        "count": recurring.count(),
        "postmortems": [
            {"id": pk, "title": title, "matchId": match, "matchTitle": match_title}
            for pk, title, match, match_title in listed[:LISTED]
        ],
    }


def _listed(rows) -> dict[str, list[dict]]:
    """key → [{id, title}] from (key, id, title) rows."""
    out: dict[str, list[dict]] = {}
    for key, pk, title in rows:
        out.setdefault(key, []).append({"id": pk, "title": title})
    for entries in out.values():
        entries.sort(key=lambda e: e["id"])
    return out


def _services(filters: Filters, user, reports: QuerySet) -> list[dict]:
    """Services ranked by the incidents in the period that name them (everyone sees
    incidents), each with the readable post-mortems of those incidents."""
    sql, params = _sql(incidents_for(filters, user).values_list("id", "services"))
    counted = _rows(
        f"SELECT s.value, COUNT(DISTINCT i.id) AS n FROM {_each_service(f'({sql})', 'i')}"
        " GROUP BY s.value ORDER BY n DESC, s.value",
        params,
    )
    sql, params = _sql(
        reports.annotate(report_id=F("pk"), services=F("incident__services")).values_list(
            "report_id", "title", "services"
        )
    )
    listed = _rows(
        f"""SELECT value, report_id, title FROM (
                SELECT s.value AS value, p.report_id AS report_id, p.title AS title,
                    DENSE_RANK() OVER (PARTITION BY s.value ORDER BY p.report_id) AS rank
                FROM {_each_service(f"({sql})", "p")}
            ) AS ranked WHERE rank <= {LISTED}""",
        params,
    )
    by_incident = _listed(listed)
    return [
        {"service": name, "incidents": n, "postmortems": by_incident.get(name, [])}
        for name, n in counted
    ]


def _each_service(rows_sql: str, alias: str) -> str:
    """FROM clause: each row of ROWS_SQL (which has a column `services`, a JSON list) once
    per service it names, as s.value."""
    if connection.vendor == "postgresql":
        return (
            f"{rows_sql} AS {alias}, jsonb_array_elements_text({alias}.services::jsonb) AS s(value)"
        )
    return f"{rows_sql} AS {alias}, json_each({alias}.services) AS s"
