"""The figures across incidents, each computed by the database.

Every figure takes the same `Filters`. Incidents count for everyone; post-mortems and their
action items only where the caller may read them (others' drafts never). Durations are in
seconds; a percentile is nearest-rank (the value at rank ⌈p·n⌉ of the n sorted values, so
the median of 1, 2, 3, 4 is 2); histogram buckets are [low, high); every month of the
period is present, with zeros where nothing happened.

The database counts, along indexes over stored columns (an incident's month and durations,
an item's months and time to done, a report's month and time to publish): GROUP BYs with
CASE sums fill the histograms and each nearest-rank value is the row at its offset along an
index, so a figure over 100,000 incidents reads indexes and returns a few dozen rows.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Lower
from django.utils import timezone

from hindsight.accounts.models import User
from hindsight.accounts.services import users_named
from hindsight.incidents.models import Incident, IncidentType, Severity
from hindsight.lib.dbtime import month_text
from hindsight.postmortems.models import (
    ActionItem,
    Factor,
    ItemStatus,
    PostMortem,
    Priority,
    Status,
    Tag,
    due_window,
    hidden_from,
    readable_by,
)

# Each duration figure and the incident's stored column (seconds since its start) it ranks.
MEASURES = {
    "timeToDetect": "seconds_to_detect",
    "timeToAcknowledge": "seconds_to_acknowledge",
    "timeToMitigate": "seconds_to_mitigate",
    "timeToResolve": "seconds_to_resolve",
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


def _postmortems_matching(filters: Filters, user) -> QuerySet:
    """Post-mortems, readable or not, whose incident is in the period and matches the
    filters."""
    return PostMortem.objects.filter(
        _in_period("incident__started_at", filters),
        _incident_filters(filters, user, prefix="incident__"),
    ).order_by()


def postmortems_for(filters: Filters, user) -> QuerySet:
    """Readable post-mortems whose incident is in the period and matches the filters."""
    reports = _postmortems_matching(filters, user)
    # readable_by, as "not one of the few hidden drafts": checked from an index's ids.
    hidden = hidden_from(user)
    return reports if hidden is None else reports.exclude(pk__in=hidden.values("pk"))


def _few_readable(rows: QuerySet, user) -> QuerySet:
    """ROWS (with a `postmortem`) of reports USER may read, checked row by row: cheaper than
    _readable_rows's list of hidden drafts when only the first few rows are read."""
    readable = PostMortem.objects.filter(readable_by(user), pk=OuterRef("postmortem_id"))
    return rows.filter(Exists(readable))


def items_for(filters: Filters, user) -> QuerySet:
    """Action items whose incident matches the filters (the period applies to each figure's
    own dates, not the incident's), of every report: each figure keeps those of the
    reports USER may read (_readable_rows, or counts less _hidden_rows)."""
    return ActionItem.objects.filter(
        _incident_filters(filters, user, prefix="postmortem__incident__")
    ).order_by()


def _readable_rows(rows: QuerySet, user) -> QuerySet:
    """ROWS (with a `postmortem`) of the reports USER may read."""
    hidden = hidden_from(user)
    return rows if hidden is None else rows.exclude(postmortem__in=hidden.values("pk"))


def _hidden_rows(rows: QuerySet, user) -> QuerySet | None:
    """ROWS of the drafts hidden from USER (None: nothing is hidden from them)."""
    hidden = hidden_from(user)
    return None if hidden is None else rows.filter(postmortem__in=hidden.values("pk"))


def _readable_groups(rows: QuerySet, user, key: str, sums: str = "") -> dict:
    """key → (COUNT(*), *SUMS) over the ROWS of reports USER may read, as the counts over
    all ROWS less those over the rows of the drafts hidden from USER. Both read along an
    index: the first needs no look at the reports, the second starts from the few hidden
    drafts, where checking every row's report costs a probe per row."""

    def grouped(queryset) -> dict:
        sql, params = _sql(queryset)
        extra = f", {sums}" if sums else ""
        counted = _rows(f"SELECT {key}, COUNT(*){extra} FROM ({sql}) AS g GROUP BY {key}", params)
        return {row[0]: [int(v or 0) for v in row[1:]] for row in counted}

    counts = grouped(rows)
    hidden = _hidden_rows(rows, user)
    if hidden is not None:
        for group, less in grouped(hidden).items():
            counts[group] = [a - b for a, b in zip(counts[group], less, strict=True)]
    return {group: values for group, values in counts.items() if values[0]}


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


def _bucket_sql(buckets, column: str) -> list[str]:
    """One SUM per bucket [low, high) of COLUMN (high None: no upper bound)."""
    return [
        f"SUM(CASE WHEN {column} >= {int(low)}{f' AND {column} < {int(high)}' if high else ''}"
        " THEN 1 ELSE 0 END)"
        for low, high in buckets
    ]


# The figures -----------------------------------------------------------------------------


def _joined(keys, *parts: dict) -> dict:
    """One answer from the PARTS of a figure, its KEYS in that order."""
    merged = {key: value for part in parts for key, value in part.items()}
    return {key: merged[key] for key in keys}


def _in_parts(compute, keys, *parts) -> None:
    """COMPUTE's answer is PARTS' answers joined, its KEYS in that order: insights/kept.py
    keeps each part for as long as it holds."""
    compute.parts = parts
    compute.join = lambda *answers: _joined(keys, *answers)


def _timeless(compute):
    """Marks COMPUTE's answer as changing only when something it counts is written, never
    with time alone (insights/kept.py keeps such an answer until a write)."""
    compute.timeless = True
    return compute


@_timeless
def incident_counts(filters: Filters, user) -> dict:
    """Incidents per month by severity, and the share of near misses."""
    rows = (
        incidents_for(filters, user)
        .filter(started_month__isnull=False)
        .values_list("started_month", "severity", "type")
    )
    sql, params = _sql(rows)
    counted = [
        (month_text(month), *rest)
        for month, *rest in _rows(
            f"SELECT started_month, severity, type, COUNT(*) FROM ({sql}) AS i"
            " GROUP BY started_month, severity, type",
            params,
        )
    ]
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


@_timeless
def durations(filters: Filters, user) -> dict:
    """Time to detect, acknowledge, mitigate and resolve: count, median, p90, histogram,
    and per month count and median. An incident missing a time is left out of that figure."""
    base = incidents_for(filters, user)
    started = base.filter(started_month__isnull=False)
    # Two queries, so each reads one end of the month index (MIN and MAX together scan).
    seen = [
        started.aggregate(first=Min("started_month"))["first"],
        started.aggregate(last=Max("started_month"))["last"],
    ]
    months = _period_months(filters, [month_text(m) for m in seen if m])
    out = {}
    for name, column in MEASURES.items():
        # A stored duration is null without a start, so this alone reads only the index of
        # (month, duration).
        values = base.filter(**{f"{column}__isnull": False}).values_list("started_month", column)
        overall, by_month = _picked(*_sql(values), "started_month", column, DURATION_BUCKETS)
        by_month = {month_text(key): figure for key, figure in by_month.items()}
        overall["byMonth"] = [
            {"month": m, **by_month.get(m, {"count": 0, "median": None})} for m in months
        ]
        out[name] = overall
    return out


def _at_ranks(values_sql: str, params, month: str, value: str, picks) -> list:
    """For each (KEY, RANK) of PICKS, the VALUE at RANK (from 1) in VALUE order among the
    rows of MONTH = KEY (KEY None: among all rows), read as LIMIT 1 OFFSET RANK - 1 along an
    index, all in one query."""
    selects, pick_params = [], []
    for key, rank in picks:
        where = f" WHERE {month} = %s" if key is not None else ""
        selects.append(
            f"(SELECT {value} FROM ({values_sql}) AS p{where} ORDER BY {value} LIMIT 1 OFFSET %s)"
        )
        pick_params += [*params, *([key] if key is not None else []), rank - 1]
    return list(_rows("SELECT " + ", ".join(selects), pick_params)[0]) if selects else []


def _picked(values_sql: str, params, month: str, value: str, buckets) -> tuple[dict, dict]:
    """From SQL selecting the columns MONTH and VALUE: the overall count, median and p90
    with a histogram over BUCKETS, and each month's count and median, read along indexes
    instead of sorting every row: one GROUP BY counts each month and its histogram, then each
    nearest-rank value is the row at its rank in VALUE order (LIMIT 1 OFFSET rank - 1),
    which the database walks along an index of (MONTH, VALUE) or (VALUE, MONTH)."""
    sums = ", ".join(_bucket_sql(buckets, value))
    counted = _rows(
        f"SELECT {month}, COUNT(*), {sums} FROM ({values_sql}) AS c GROUP BY {month}", params
    )
    n = sum(row[1] for row in counted)
    picks = [(None, (n + 1) // 2), (None, (9 * n + 9) // 10)] if n else []
    picks += [(key, (count + 1) // 2) for key, count, *_ in counted]
    values = _at_ranks(values_sql, params, month, value, picks)
    histogram = [sum(int(row[2 + i] or 0) for row in counted) for i in range(len(buckets))]
    overall = {
        "count": n,
        "median": values[0] if n else None,
        "p90": values[1] if n else None,
        "histogram": [
            {"low": low, "high": high, "count": count}
            for (low, high), count in zip(buckets, histogram, strict=True)
        ],
    }
    month_values = values[2:] if n else []
    by_month = {
        key: {"count": count, "median": median}
        for (key, count, *_), median in zip(counted, month_values, strict=True)
    }
    return overall, by_month


def postmortem_timeliness(filters: Filters, user) -> dict:
    """Per month (of the incident's start): post-mortems of resolved incidents, how many were
    published within the due window of resolution, and the median time from resolution to
    publication; and the drafts overdue now."""
    return _joined(
        POSTMORTEM_KEYS, postmortem_publication(filters, user), postmortems_overdue(filters, user)
    )


POSTMORTEM_KEYS = (
    "dueHours",
    "resolved",
    "publishedOnTime",
    "onTimeShare",
    "medianToPublish",
    "overdueNow",
    "byMonth",
)


@_timeless
def postmortem_publication(filters: Filters, user) -> dict:
    """postmortem_timeliness's figures of the past: what was published, and how soon."""
    window = int(due_window().total_seconds())
    # The report's copies of its incident's times, and the month and time to publish the
    # database keeps from them, so this reads the reports' rows and indexes alone.
    # A time to publish implies a resolution (no need to read it) and a report once
    # published, which is never a draft again (workflow.TRANSITIONS): everyone may read
    # those, so their times are ranked along the index with no look at who asks.
    values = (
        _postmortems_matching(filters, user)
        .filter(incident_month__isnull=False, seconds_to_publish__isnull=False)
        .values_list("incident_month", "seconds_to_publish")
    )
    reports = postmortems_for(filters, user).filter(
        incident_month__isnull=False, incident_resolved_at__isnull=False
    )
    overall, by_month = _picked(*_sql(values), "incident_month", "seconds_to_publish", [(0, None)])
    by_month = {month_text(key): figure for key, figure in by_month.items()}
    sql, params = _sql(reports.values_list("incident_month", "seconds_to_publish"))
    counted = [
        (month_text(month), count, timely)
        for month, count, timely in _rows(
            f"""SELECT incident_month, COUNT(*),
                    SUM(CASE WHEN seconds_to_publish <= {window} THEN 1 ELSE 0 END)
                FROM ({sql}) AS p GROUP BY incident_month""",
            params,
        )
    ]
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
    return {
        "dueHours": window // HOUR,
        "resolved": resolved,
        "publishedOnTime": on_time,
        "onTimeShare": round(on_time / resolved, 4) if resolved else None,
        "medianToPublish": overall["median"],
        "byMonth": list(months.values()),
    }


def postmortems_overdue(filters: Filters, user) -> dict:
    """postmortem_timeliness's figure of now: the drafts overdue (which time alone turns)."""
    overdue = (
        PostMortem.objects.filter(readable_by(user))
        .overdue()
        .filter(
            _incident_filters(filters, user, prefix="incident__"),
            _in_period("incident__started_at", filters),
        )
    )
    return {"overdueNow": overdue.count()}


_in_parts(postmortem_timeliness, POSTMORTEM_KEYS, postmortem_publication, postmortems_overdue)


def action_item_figures(filters: Filters, user, *, now=None) -> dict:
    """Action items opened and completed per month, open ones by age, completion by
    priority, overdue ones per owner, and the published reports' follow-through."""
    return _joined(
        ACTION_ITEM_KEYS,
        action_item_history(filters, user),
        action_items_now(filters, user, now=now),
    )


ACTION_ITEM_KEYS = (
    "byMonth",
    "openByAge",
    "byPriority",
    "overdueByOwner",
    "publishedFollowThrough",
)


@_timeless
def action_item_history(filters: Filters, user) -> dict:
    """action_item_figures's figures of the past: per month, by priority, follow-through."""
    items = items_for(filters, user)
    opened = _per_month(items.filter(_in_period("created_at", filters)), user, "created_month")
    completed = _per_month(
        items.filter(_in_period("completed_at", filters), completed_month__isnull=False),
        user,
        "completed_month",
    )
    months = _period_months(filters, [*opened, *completed])
    by_month = [
        {"month": m, "opened": opened.get(m, 0), "completed": completed.get(m, 0)} for m in months
    ]
    return {
        "byMonth": by_month,
        "byPriority": _by_priority(items, user, filters),
        "publishedFollowThrough": _follow_through(filters, user),
    }


def action_items_now(filters: Filters, user, *, now=None) -> dict:
    """action_item_figures's figures of now, which time alone moves: open items by age, and
    overdue ones per owner."""
    now = now or timezone.now()
    open_items = items_for(filters, user).filter(
        status__in=[s for s in ItemStatus.values if s != ItemStatus.DONE]
    )
    ages = _ages(open_items, user, now)
    return {
        "openByAge": [
            {"low": low, "high": high, "count": count}
            for (low, high), count in zip(AGE_BUCKETS, ages, strict=True)
        ],
        "overdueByOwner": _overdue_by_owner(open_items, user, now),
    }


_in_parts(action_item_figures, ACTION_ITEM_KEYS, action_item_history, action_items_now)


def _ages(open_items: QuerySet, user, now: datetime) -> list[int]:
    """Open items per age bucket [low, high), age in whole seconds (rounded) since opening,
    counted by comparing the opening time with each bound, not by computing every item's
    age: round(age) >= low exactly when opened at or before now - low + ½ s. Over all items
    each bucket is one range of the index of (status, opening time), counted from the index
    alone; the hidden drafts' few items are counted in one pass from their reports."""

    def opened_by(age: int) -> datetime:
        return now - timedelta(seconds=age) + timedelta(microseconds=500_000)

    buckets = []
    for low, high in AGE_BUCKETS:
        q = Q(created_at__lte=opened_by(low))
        if high is not None:
            q &= Q(created_at__gt=opened_by(high))
        buckets.append(q)
    ages = [open_items.filter(q).count() for q in buckets]
    hidden = _hidden_rows(open_items, user)
    if hidden is not None:
        row = hidden.aggregate(**{f"b{n}": Count("pk", filter=q) for n, q in enumerate(buckets)})
        ages = [count - row[f"b{n}"] for n, count in enumerate(ages)]
    return ages


def _per_month(items: QuerySet, user, column: str) -> dict[str, int]:
    counted = _readable_groups(items.values_list(column), user, column)
    return {month_text(month): values[0] for month, values in counted.items()}


def _by_priority(items: QuerySet, user, filters: Filters) -> list[dict]:
    """Per priority: items opened in the period, how many are done, and the median time
    from opening to done."""
    opened = items.filter(_in_period("created_at", filters))
    # Per priority: opened, done, and done with a completion time (those the median ranks).
    counts = _readable_groups(
        opened.values_list("priority", "status", "completed_at"),
        user,
        "priority",
        "SUM(CASE WHEN status = 'DONE' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN status = 'DONE' AND completed_at IS NOT NULL THEN 1 ELSE 0 END)",
    )
    done = _readable_rows(opened, user).filter(
        status=ItemStatus.DONE, seconds_to_done__isnull=False
    )
    ranked = [(priority, (timed + 1) // 2) for priority, (_, _, timed) in counts.items() if timed]
    picked = _at_ranks(
        *_sql(done.values_list("priority", "seconds_to_done")),
        "priority",
        "seconds_to_done",
        ranked,
    )
    medians = {priority: {"median": v} for (priority, _), v in zip(ranked, picked, strict=True)}
    out = []
    for priority in Priority.values:
        total, finished, _ = counts.get(priority, (0, 0, 0))
        out.append(
            {
                "priority": priority,
                "opened": total,
                "done": finished,
                "completionRate": round(finished / total, 4) if total else None,
                "medianToDone": medians.get(priority, {}).get("median"),
            }
        )
    return out


def _overdue_by_owner(open_items: QuerySet, user, now: datetime) -> list[dict]:
    """Overdue open items per owner, owners compared case-insensitively and named as the
    user they name where they do; most overdue first."""
    today = timezone.localdate(now)
    overdue = (
        open_items.filter(due_date__lt=today, owner__isnull=False)
        .exclude(owner="")
        .annotate(owner_key=Lower("owner"))
        .values_list("owner_key")
    )
    counted = [
        (key, values[0]) for key, values in _readable_groups(overdue, user, "owner_key").items()
    ]
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
    # Published reports are readable by everyone: no visibility check to make per report.
    published = PostMortem.objects.filter(
        _in_period("incident__started_at", filters),
        _incident_filters(filters, user, prefix="incident__"),
        status=Status.PUBLISHED,
    ).order_by()
    # One look at each report's items (along the index of report and status): 1 when one is
    # open, 0 when all are done, null when it has none.
    state = (
        ActionItem.objects.filter(postmortem=OuterRef("pk"))
        .order_by()
        .values("postmortem")
        .annotate(open=Max(Case(When(status=ItemStatus.DONE, then=Value(0)), default=Value(1))))
        .values("open")
    )
    sql, params = _sql(published.annotate(state=Subquery(state)).values_list("state"))
    by_state = dict(_rows(f"SELECT state, COUNT(*) FROM ({sql}) AS p GROUP BY state", params))
    counts = {
        (True, False): by_state.get(0, 0),
        (True, True): by_state.get(1, 0),
        (False, False): by_state.get(None, 0),
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


@_timeless
def factor_figures(filters: Filters, user) -> dict:
    """Contributing-factor categories and services, ranked by the number of incidents they
    appear in, each with (up to LISTED of) the readable post-mortems behind the count."""
    factors = Factor.objects.filter(
        _in_period("postmortem__incident__started_at", filters),
        _incident_filters(filters, user, prefix="postmortem__incident__"),
    ).order_by()
    rows = _readable_rows(factors, user)
    categorised = rows.filter(category__isnull=False)
    first = _few_readable(factors.filter(category__isnull=False), user)
    ranked = list(
        categorised.values("category_id", "category__name")
        .annotate(incidents=Count("postmortem__incident", distinct=True))
        .order_by("-incidents", "category_id")
    )
    categories = [
        {
            "slug": row["category_id"],
            "name": row["category__name"],
            "incidents": row["incidents"],
            "postmortems": _first_reports(
                first.filter(category_id=row["category_id"]).values_list(
                    "postmortem_id", "postmortem__title"
                ),
                "postmortem_id",
            ),
        }
        for row in ranked
    ]
    return {
        "categories": categories,
        "uncategorisedFactors": rows.filter(category__isnull=True).count(),
        "services": _services(filters, user),
        "possibleRecurrences": recurrences(filters, user),
    }


@_timeless
def recurrences(filters: Filters, user) -> dict:
    """possible_recurrences of the readable reports the filters select (the Insights page)."""
    return possible_recurrences(postmortems_for(filters, user), user)


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


def _first_reports(rows: QuerySet, order: str) -> list[dict]:
    """The first LISTED distinct (id, title) of ROWS by id: read along an index in id order
    until LISTED are found, instead of ranking every row."""
    sql, params = _sql(rows)
    return _distinct_reports(sql, params, order)


def _distinct_reports(sql: str, params, order: str, where: str = "", where_params=()) -> list:
    picked = _rows(
        f"SELECT * FROM ({sql}) AS r {where} ORDER BY {order} LIMIT {LISTED * 4}",
        [*params, *where_params],
    )
    out, seen = [], set()
    for pk, title, *_ in picked:  # a report can be behind a count twice (two factors)
        if pk not in seen and len(out) < LISTED:
            seen.add(pk)
            out.append({"id": pk, "title": title})
    if len(out) < LISTED and len(picked) == LISTED * 4:
        # Many rows per report: read the rest of the way with DISTINCT (rare).
        picked = _rows(
            f"SELECT DISTINCT * FROM ({sql}) AS r {where} ORDER BY {order} LIMIT {LISTED}",
            [*params, *where_params],
        )
        out = [{"id": pk, "title": title} for pk, title, *_ in picked]
    return out


def _services(filters: Filters, user) -> list[dict]:
    """Services ranked by the incidents in the period that name them (everyone sees
    incidents), each with the readable post-mortems of those incidents."""
    sql, params = _sql(incidents_for(filters, user).values_list("id", "services"))
    counted = _rows(
        f"SELECT s.value, COUNT(DISTINCT i.id) AS n FROM {_each_service(f'({sql})', 'i')}"
        " GROUP BY s.value ORDER BY n DESC, s.value",
        params,
    )
    # Only the first few reports of each service are read: each is checked as it is read.
    reports = PostMortem.objects.filter(
        readable_by(user),
        _in_period("incident__started_at", filters),
        _incident_filters(filters, user, prefix="incident__"),
    ).order_by()
    sql, params = _sql(
        reports.annotate(report_id=F("pk"), services=F("incident__services")).values_list(
            "report_id", "title", "services"
        )
    )
    return [
        {
            "service": name,
            "incidents": n,
            "postmortems": _distinct_reports(
                sql, params, "report_id", f"WHERE {_names_service('r')}", [name]
            ),
        }
        for name, n in counted
    ]


def _names_service(alias: str) -> str:
    """SQL: the row ALIAS's `services` (a JSON list) holds the parameter."""
    if connection.vendor == "postgresql":
        return (
            f"EXISTS (SELECT 1 FROM jsonb_array_elements_text({alias}.services::jsonb)"
            " AS s(value) WHERE s.value = %s)"
        )
    return f"EXISTS (SELECT 1 FROM json_each({alias}.services) AS s WHERE s.value = %s)"


def _each_service(rows_sql: str, alias: str) -> str:
    """FROM clause: each row of ROWS_SQL (which has a column `services`, a JSON list) once
    per service it names, as s.value."""
    if connection.vendor == "postgresql":
        return (
            f"{rows_sql} AS {alias}, jsonb_array_elements_text({alias}.services::jsonb) AS s(value)"
        )
    return f"{rows_sql} AS {alias}, json_each({alias}.services) AS s"
