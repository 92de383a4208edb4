"""Keyset (cursor) pagination: a page costs the same on the first and the thousandth page."""

import base64
import json
from datetime import datetime

from django.db.models import Q

from hindsight.lib.errors import Invalid


def encode_cursor(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list):
            raise ValueError
        return values
    except ValueError:
        raise Invalid(
            "cursor is not one this server gave out; start again without it.",
            fields={"cursor": "invalid"},
        ) from None


def keyset_page(queryset, *, field: str, descending: bool, limit: int, cursor: str | None):
    """One page of QUERYSET ordered by (FIELD, id), and the cursor of the next page."""
    direction = "-" if descending else ""
    queryset = queryset.order_by(f"{direction}{field}", f"{direction}id")
    if cursor:
        values = decode_cursor(cursor)
        if len(values) != 2 or not isinstance(values[1], str):
            raise Invalid("cursor is malformed.", fields={"cursor": "invalid"})
        try:
            moment = datetime.fromisoformat(values[0])
        except (TypeError, ValueError):
            raise Invalid("cursor is malformed.", fields={"cursor": "invalid"}) from None
        op = "lt" if descending else "gt"
        queryset = queryset.filter(
            Q(**{f"{field}__{op}": moment}) | Q(**{field: moment, f"id__{op}": values[1]})
        )
    rows = list(queryset[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        if isinstance(last, dict):  # a .values() queryset
            next_cursor = encode_cursor([last[field].isoformat(), last["id"]])
        else:
            next_cursor = encode_cursor([getattr(last, field).isoformat(), last.pk])
    return rows, next_cursor


# Counting every matching row would make each page cost as much as the whole table; past
# this many, a list reports the bound and says the figure is a lower bound.
COUNT_LIMIT = 1000


def bounded_count(queryset, limit: int = COUNT_LIMIT) -> tuple[int, bool]:
    """(number of rows, exact?): exact up to LIMIT, else (LIMIT, False) meaning "at least"."""
    return bounded(queryset.order_by()[: limit + 1].count(), limit)


def bounded(counted: int, limit: int = COUNT_LIMIT) -> tuple[int, bool]:
    """bounded_count's answer for COUNTED rows, counted up to LIMIT and one more."""
    return (counted, True) if counted <= limit else (limit, False)


def offset_page(queryset, *, limit: int, cursor: str | None):
    """Pages of a ranked result (search), where no column orders the rows."""
    offset = 0
    if cursor:
        values = decode_cursor(cursor)
        if len(values) != 2 or values[0] != "o" or not isinstance(values[1], int) or values[1] < 0:
            raise Invalid("cursor is malformed.", fields={"cursor": "invalid"})
        offset = values[1]
    rows = list(queryset[offset : offset + limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(["o", offset + limit])
    return rows, next_cursor
