"""The post-mortem list, one query for the API and the web: what filters mean, the orders a
page can be sorted in, and a page of rows read from each report's stored list row.

A page costs the same whatever the table's size: rows are read through the visibility
filter with their stored row (no JOIN/GROUP BY over action items, no query per row), paged
by keyset on the sort column, and counted up to COUNT_LIMIT only.
"""

import json
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date, datetime

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Value, When, Window
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from hindsight.incidents.models import Incident
from hindsight.lib.compiled import CompiledQuery
from hindsight.lib.errors import Invalid
from hindsight.lib.filters import distinct_values
from hindsight.lib.pagination import (
    COUNT_LIMIT,
    bounded,
    bounded_count,
    decode_cursor,
    encode_cursor,
    offset_page,
)
from hindsight.postmortems import document, search
from hindsight.postmortems.models import Factor, PostMortem, Status, Tag

# Reports in workflow order; an incident without a severity sorts after SEV4.
_STATUS_RANK = Case(
    *(When(status=s, then=Value(rank)) for rank, s in enumerate(Status.values)),
    default=Value(len(Status.values)),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class Sort:
    """One order of the list: the column (or expression) rows are sorted and keyed on,
    and how a cursor's value for it is read back."""

    column: str
    expression: object | None
    kind: type

    def annotate(self, queryset):
        if self.expression is None:
            return queryset
        return queryset.annotate(**{self.column: self.expression})


# The API's `sort` values. Each is keyed with the id after it, so the order is total.
SORTS = {
    "createdAt": Sort("created_at", None, datetime),
    "updatedAt": Sort("updated_at", None, datetime),
    "title": Sort("sort_title", Lower("title"), str),
    "status": Sort("sort_status", _STATUS_RANK, int),
    "severity": Sort("sort_severity", Coalesce("incident__severity", Value("SEV9")), str),
}
SORT_HELP = (
    "The column rows are sorted by: " + ", ".join(SORTS) + ". Without it, the best match "
    "comes first when `q` is given, else the newest (createdAt)."
)
SERVICE_HELP = "An incident service that starts with this, in any case (`check` finds `Checkout`)"


@dataclass
class ListFilters:
    """What a list asks for; the API's query parameters and the web's filter form alike."""

    status: list[str] = field(default_factory=list)
    severity: list[str] = field(default_factory=list)
    incident_id: str | None = None
    created_by: str | None = None
    tag: list[str] = field(default_factory=list)
    service: str | None = None
    overdue: bool | None = None
    created_from: date | None = None
    created_to: date | None = None
    # The incident's: its type, and the days (UTC) it started in; a factor's category.
    type: str | None = None
    incident_from: date | None = None
    incident_to: date | None = None
    factor_category: str | None = None
    q: str | None = None
    sort: str | None = None
    order: str = "desc"
    limit: int = 20
    cursor: str | None = None


@dataclass
class Row:
    """A list row as the API returns it (`data`), and what the web table shows beside it."""

    data: dict
    incident_title: str
    severity: str | None
    snippet: str = ""


@dataclass
class Page:
    rows: list[Row]
    total: int
    exact: bool
    next_cursor: str | None

    def body(self) -> dict:
        return {
            "items": [row.data for row in self.rows],
            "total": self.total,
            "totalIsExact": self.exact,
            "nextCursor": self.next_cursor,
        }


# What a page reads: the stored row and the columns keyset paging and read-time values need.
COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "incident__resolved_at",
    "incident__title",
    "incident__severity",
    "list_row",
    "render_version",
)


def matching(user, filters: ListFilters):
    """The post-mortems USER may see that FILTERS select, unordered."""
    queryset = PostMortem.objects.visible_to(user)
    if filters.status:
        queryset = queryset.filter(status__in=filters.status)
    if filters.severity:
        queryset = queryset.filter(incident__severity__in=filters.severity)
    if filters.incident_id:
        queryset = queryset.filter(incident_id=filters.incident_id)
    if filters.created_by:
        queryset = queryset.filter(created_by__username__iexact=filters.created_by.strip())
    if filters.service and filters.service.strip():
        queryset = queryset.filter(incident__in=Incident.objects.matching_service(filters.service))
    if filters.overdue is not None:
        late = PostMortem.objects.overdue().values("pk")
        queryset = (
            queryset.filter(pk__in=late) if filters.overdue else queryset.exclude(pk__in=late)
        )
    if filters.created_from:
        queryset = queryset.filter(created_at__date__gte=filters.created_from)
    if filters.created_to:
        queryset = queryset.filter(created_at__date__lte=filters.created_to)
    if filters.type:
        queryset = queryset.filter(incident__type=filters.type)
    if filters.incident_from:
        queryset = queryset.filter(incident__started_at__date__gte=filters.incident_from)
    if filters.incident_to:
        queryset = queryset.filter(incident__started_at__date__lte=filters.incident_to)
    if filters.factor_category:
        queryset = queryset.filter(
            Exists(
                Factor.objects.filter(
                    postmortem=OuterRef("pk"), category_id=filters.factor_category
                )
            )
        )
    for tag in distinct_values(filters.tag, name="tag"):
        queryset = queryset.filter(
            Exists(Tag.objects.filter(postmortem=OuterRef("pk"), name__iexact=tag))
        )
    return queryset


def page(user, filters: ListFilters, *, snippets: bool = False) -> Page:
    """One page of the list. SNIPPETS: each row of a search also gets a passage around the
    matched words (search.snippets, one more query for the page)."""
    words = (filters.q or "").strip()
    if _plain(filters):
        rows, total, exact, next_cursor = _plain_page(user, filters)
        page = _page_of(rows, total, exact, next_cursor)
        return _with_snippets(page, words) if snippets and words else page
    queryset = matching(user, filters)
    if words:
        total, exact = bounded_count(search.matching(queryset, words))
    else:
        total, exact = bounded_count(queryset)
    if words and not filters.sort:
        ranked = search.apply(queryset.values(*COLUMNS), words)
        rows, next_cursor = offset_page(ranked, limit=filters.limit, cursor=filters.cursor)
    else:
        if words:
            queryset = search.matching(queryset, words)
        rows, next_cursor = _keyset_page(
            queryset,
            SORTS[filters.sort or "createdAt"],
            descending=filters.order == "desc",
            limit=filters.limit,
            cursor=filters.cursor,
        )
    page = _page_of(rows, total, exact, next_cursor)
    return _with_snippets(page, words) if snippets and words else page


def _with_snippets(page: Page, words: str) -> Page:
    found = search.snippets([row.data["id"] for row in page.rows], words)
    for row in page.rows:
        row.snippet = found.get(row.data["id"], "")
    return page


def _page_of(rows: list[dict], total: int, exact: bool, next_cursor: str | None) -> Page:
    now = timezone.now()
    result = [
        Row(
            data=document.finish_row(
                json.loads(row["list_row"]), resolved_at=row["incident__resolved_at"], now=now
            )
            if row["render_version"] == document.RENDER_VERSION
            else document.list_row_afresh(row["id"], now=now),
            incident_title=row["incident__title"],
            severity=row["incident__severity"],
        )
        for row in rows
    ]
    return Page(result, total, exact, next_cursor)


# The first page of a list filtered only by equality (status, severity, incident, type,
# factor category) and perhaps searched: the list as most people open it. Building its two
# queries costs the ORM several times what running them costs the database, so each is
# compiled once per shape (lib/compiled.py): which filters, how many values, the sort,
# whether it is searched. The search words reach the SQL as their full-text query, as given.
_EQUALITY_FILTERS = ("status", "severity", "incident_id", "type", "factor_category")
_DEFAULTS = ListFilters()
# Every other filter, so one added to ListFilters is never left out of this test.
_OTHER_FILTERS = tuple(
    f.name
    for f in dataclass_fields(ListFilters)
    if f.name not in (*_EQUALITY_FILTERS, "q", "sort", "order", "limit")
)


def _plain(filters: ListFilters) -> bool:
    if filters.q is not None and search.query_for(filters.q.strip()) is None:
        return False  # no word to look for: the ORM's path answers the empty page
    return all(getattr(filters, name) == getattr(_DEFAULTS, name) for name in _OTHER_FILTERS)


def _plain_shape(user, filters: ListFilters) -> tuple[tuple, tuple]:
    """The SHAPE of a plain list (everything its SQL depends on) and its VALUES."""
    present = tuple(
        len(value) if isinstance(value, list) else int(value is not None)
        for value in (getattr(filters, name) for name in _EQUALITY_FILTERS)
    )
    values = [user.pk, *user.identities]
    for name in _EQUALITY_FILTERS:
        value = getattr(filters, name)
        values += value if isinstance(value, list) else [] if value is None else [value]
    expression = search.query_for(filters.q.strip()) if filters.q is not None else None
    if expression is not None:
        values.append(expression)
    sort = filters.sort or ("createdAt" if expression is None else None)
    shape = (document.Reader.shape(user), present, expression is not None, sort)
    return (*shape, filters.order, filters.limit), tuple(values)


def _plain_queryset(shape: tuple, values: tuple):
    """The plain list's queryset for SHAPE with VALUES (stand-ins when compiling), its
    full-text query (or None) and its filters."""
    user_shape, present, searched, sort, order, limit = shape
    who, rest = values[: 1 + user_shape[2]], list(values[1 + user_shape[2] :])
    given = {}
    for name, count in zip(_EQUALITY_FILTERS, present, strict=True):
        taken, rest = rest[:count], rest[count:]
        if isinstance(getattr(_DEFAULTS, name), list):
            given[name] = taken
        elif count:
            given[name] = taken[0]
    expression = rest[0] if searched else None
    filters = ListFilters(**given, sort=sort, order=order, limit=limit)
    return matching(document.Reader(user_shape, *who), filters), expression, filters


def _plain_count(shape: tuple, *values):
    queryset, expression, _ = _plain_queryset(shape, values)
    if expression is not None:
        queryset = search.narrowed(queryset, expression, ranked=False)
    return queryset.order_by().values_list("pk")[: COUNT_LIMIT + 1]


def _plain_ranked(shape: tuple, *values):
    """A ranked page's ids (and the next page's first), best match first, each with the
    number of matches. Only the ids: every match is sorted, and a sort carries what the
    query selects, so selecting the stored rows here would read and copy each match's
    (_ROWS_BY_ID reads the page's). The count comes with them because ranking has visited
    every match already: a count of its own would find them all again."""
    queryset, expression, filters = _plain_queryset(shape, values)
    ranked = search.narrowed(queryset.values("pk"), expression, ranked=True)
    ranked = ranked.annotate(matches=Window(Count("pk")))
    return ranked.values_list("pk", "matches")[: filters.limit + 1]


def _plain_rows(shape: tuple, *values):
    queryset, expression, filters = _plain_queryset(shape, values)
    if expression is not None:
        queryset = search.narrowed(queryset, expression, ranked=False)
    sort = SORTS[filters.sort]
    direction = "-" if filters.order == "desc" else ""
    queryset = sort.annotate(queryset).order_by(f"{direction}{sort.column}", f"{direction}id")
    return queryset.values_list(*_page_columns(sort))[: filters.limit + 1]


# Not prepared (lib/compiled.py): how many rows a filter or a search term matches decides
# the best plan, which a prepared statement's generic plan cannot know.
_COUNT = CompiledQuery(_plain_count, count=True, prepared=False)
_ROWS = CompiledQuery(_plain_rows, prepared=False)


def _plain_rows_by_id(key: tuple, *values):
    """The rows of a ranked page's ids (the first COUNT of VALUES), read through the list's
    own filters and visibility again: a report made a draft between the two reads is not
    shown to someone who may not read it."""
    shape, count = key
    queryset, _, _ = _plain_queryset(shape, values[count:])
    return queryset.filter(pk__in=values[:count]).values_list(*COLUMNS)


_RANKED = CompiledQuery(_plain_ranked, prepared=False)
_ROWS_BY_ID = CompiledQuery(_plain_rows_by_id)


def _page_columns(sort: Sort | None) -> tuple[str, ...]:
    return COLUMNS if sort is None or sort.column in COLUMNS else (*COLUMNS, sort.column)


def _plain_page(user, filters: ListFilters):
    shape, values = _plain_shape(user, filters)
    sort = SORTS[shape[3]] if shape[3] else None
    if sort is None:  # ranked: the next page is by offset, as offset_page's
        ranked = _RANKED.rows(*values, shape=shape)
        total, exact = bounded(ranked[0][1] if ranked else 0)
        ids = [pk for pk, _ in ranked]
        more = len(ids) > filters.limit
        ids = ids[: filters.limit]
        found = {
            row[0]: dict(zip(COLUMNS, row, strict=True))
            for row in (_ROWS_BY_ID.rows(*ids, *values, shape=(shape, len(ids))) if ids else [])
        }
        # A report deleted (or hidden) between the two reads is left out.
        rows = [found[pk] for pk in ids if pk in found]
        return rows, total, exact, encode_cursor(["o", filters.limit]) if more else None
    (counted,) = _COUNT.first(*values, shape=shape)
    total, exact = bounded(counted)
    columns = _page_columns(sort)
    rows = [dict(zip(columns, row, strict=True)) for row in _ROWS.rows(*values, shape=shape)]
    rows, next_cursor = _cut(rows, sort, filters.limit)
    return rows, total, exact, next_cursor


def _keyset_page(queryset, sort: Sort, *, descending: bool, limit: int, cursor: str | None):
    """Rows ordered by (SORT, id), after CURSOR, and the cursor of the next page."""
    queryset = sort.annotate(queryset)
    direction = "-" if descending else ""
    key = sort.column
    queryset = queryset.order_by(f"{direction}{key}", f"{direction}id")
    if cursor:
        value, last_id = _read_cursor(cursor, sort)
        op = "lt" if descending else "gt"
        queryset = queryset.filter(
            Q(**{f"{key}__{op}": value}) | Q(**{key: value, f"id__{op}": last_id})
        )
    rows = list(queryset.values(*_page_columns(sort))[: limit + 1])
    return _cut(rows, sort, limit)


def _cut(rows: list[dict], sort: Sort, limit: int) -> tuple[list[dict], str | None]:
    """ROWS (LIMIT and one more, if there is more) as a page and the cursor of the next."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1][sort.column]
    plain = last.isoformat() if isinstance(last, datetime) else last
    return rows, encode_cursor([plain, rows[-1]["id"]])


def _read_cursor(cursor: str, sort: Sort):
    values = decode_cursor(cursor)
    if len(values) != 2 or not isinstance(values[1], str):
        raise Invalid("cursor is malformed.", fields={"cursor": "invalid"})
    try:
        if sort.kind is datetime:
            return datetime.fromisoformat(values[0]), values[1]
        if type(values[0]) is not sort.kind:
            raise TypeError
        return values[0], values[1]
    except (TypeError, ValueError):
        raise Invalid("cursor is malformed.", fields={"cursor": "invalid"}) from None
