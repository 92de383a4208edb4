"""The post-mortem list, one query for the API and the web: what filters mean, the orders a
page can be sorted in, and a page of rows read from each report's stored list row.

A page costs the same whatever the table's size: rows are read through the visibility
filter with their stored row (no JOIN/GROUP BY over action items, no query per row), paged
by keyset on the sort column, and counted up to COUNT_LIMIT only.
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from hindsight.incidents.models import Incident
from hindsight.lib.errors import Invalid
from hindsight.lib.filters import distinct_values
from hindsight.lib.pagination import bounded_count, decode_cursor, encode_cursor, offset_page
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
    queryset = matching(user, filters)
    words = (filters.q or "").strip()
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
    if snippets and words:
        found = search.snippets([row.data["id"] for row in result], words)
        for row in result:
            row.snippet = found.get(row.data["id"], "")
    return Page(result, total, exact, next_cursor)


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
    columns = COLUMNS if key in COLUMNS else (*COLUMNS, key)
    rows = list(queryset.values(*columns)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][key]
        plain = last.isoformat() if isinstance(last, datetime) else last
        next_cursor = encode_cursor([plain, rows[-1]["id"]])
    return rows, next_cursor


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
