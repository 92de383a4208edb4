"""Finding action items across post-mortems: the filters and the order of the list."""

from datetime import date, datetime, timedelta

from django.db.models import Case, DateField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from hindsight.accounts.models import User
from hindsight.incidents.models import Incident
from hindsight.lib.errors import Invalid
from hindsight.lib.pagination import decode_cursor, encode_cursor
from hindsight.postmortems.models import PRIORITY_RANK, ActionItem, PostMortem

# Items without a due date sort after every dated one.
NO_DUE_DATE = date(9999, 12, 31)

# The list's order: soonest due, then most urgent, then oldest; the last keys make it total.
ORDER = (
    ("due_key", date.fromisoformat),
    ("priority_rank", int),
    ("created_at", datetime.fromisoformat),
    ("postmortem_id", str),
    ("position", int),
    ("id", str),
)


def find(user, filters) -> QuerySet:
    """Items USER may see that match FILTERS (an ActionItemFilters), in the list's order."""
    today = timezone.localdate()
    items = ActionItem.objects.visible_to(user)
    if filters.mine:
        items = items.owned_by(user)
    if filters.owner and filters.owner.strip():
        items = owned_as(items, filters.owner.strip())
    if filters.status:
        items = items.filter(status__in=filters.status)
    if filters.priority:
        items = items.filter(priority__in=filters.priority)
    if filters.horizon:
        items = items.filter(horizon__in=filters.horizon)
    if filters.category:
        items = items.filter(category__in=filters.category)
    if filters.overdue is True:
        items = items.overdue(today)
    elif filters.overdue is False:
        items = items.exclude(pk__in=ActionItem.objects.overdue(today).values("pk"))
    if filters.due_this_week:
        items = items.filter(due_date__gte=today, due_date__lt=today + timedelta(days=7))
    if filters.no_due_date:
        items = items.filter(due_date__isnull=True)
    if filters.postmortem_id:
        items = items.filter(postmortem_id=filters.postmortem_id)
    if filters.service:
        items = items.filter(
            postmortem__incident__in=Incident.objects.with_service(filters.service.strip())
        )
    return ordered(items.select_related("postmortem"))


# How many reports the Action Items page's post-mortem picker offers (the most recently
# updated ones; the chosen one always).
PICKER_SIZE = 200


def picker_choices(user, query) -> list[tuple[str, str, str]]:
    """(id, title, status) of the post-mortems USER may see that the picker offers: the
    most recently updated, and the one QUERY's `postmortemId` names if USER may see it."""
    visible = PostMortem.objects.visible_to(user)
    rows = list(
        visible.order_by("-updated_at", "-id").values_list("id", "title", "status")[:PICKER_SIZE]
    )
    chosen = query.get("postmortemId")
    if chosen and all(row[0] != chosen for row in rows):
        rows += list(visible.filter(pk=chosen).values_list("id", "title", "status"))
    return rows


def owned_as(items, text: str):
    """ITEMS whose owner is TEXT, in any case; when TEXT is a user's name or email, the
    items owned under either (`bob` finds those owned by bob@example.com too)."""
    person = User.objects.filter(Q(username__iexact=text) | Q(email__iexact=text)).first()
    return items.owned_by(person) if person else items.filter(owner__iexact=text)


def ordered(items: QuerySet) -> QuerySet:
    rank = Case(
        *(When(priority=p, then=Value(r)) for p, r in PRIORITY_RANK.items()),
        default=Value(len(PRIORITY_RANK)),
        output_field=IntegerField(),
    )
    return items.annotate(
        due_key=Coalesce("due_date", Value(NO_DUE_DATE, output_field=DateField())),
        priority_rank=rank,
    ).order_by(*(name for name, _ in ORDER))


def page(items: QuerySet, *, limit: int, cursor: str | None):
    """One page of ordered ITEMS after CURSOR (keyset on the whole sort key), and the
    cursor of the next page."""
    if cursor:
        values = decode_cursor(cursor)
        if len(values) != len(ORDER):
            raise Invalid("cursor is malformed.", fields={"cursor": "invalid"})
        try:
            values = [parse(v) for (_, parse), v in zip(ORDER, values, strict=True)]
        except (TypeError, ValueError):
            raise Invalid("cursor is malformed.", fields={"cursor": "invalid"}) from None
        items = items.filter(_after(values))
    rows = list(items[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([_plain(getattr(last, name)) for name, _ in ORDER])
    return rows, next_cursor


def _after(values: list) -> Q:
    """Rows whose sort key comes after VALUES: (a > x) or (a = x and (b > y or …))."""
    names = [name for name, _ in ORDER]
    condition = Q()
    for index in range(len(names)):
        equal = {names[i]: values[i] for i in range(index)}
        condition |= Q(**equal, **{f"{names[index]}__gt": values[index]})
    return condition


def _plain(value):
    return value.isoformat() if isinstance(value, date | datetime) else value
