"""Queries the ORM compiles once and the hottest reads run again and again.

Building a query costs Django more than running it: a token check or a report's read by id
takes well under a millisecond in the database and about as much again in `filter()` and
the SQL compiler, on every request. A `CompiledQuery` lets the ORM write the SQL once per
shape (so table names, joins, quoting and the rules written as Q objects stay the ORM's) for
a `values_list` query with its values left open, and then runs that SQL with each request's
values as parameters.
"""

from collections.abc import Callable, Hashable
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet


def _stand_in(index: int, value):
    """A value of VALUE's kind that no real request sends, to find its parameter by."""
    if isinstance(value, int):
        return -(10**15) - index
    return f"\x00open-value-{index}\x00"


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet]):
        """BUILD(shape, *values) returns a values_list queryset using VALUES, whose SQL
        (but not its parameters) depends on SHAPE alone."""
        self._build = build
        self._compiled: dict[tuple, tuple[str, list]] = {}

    def _sql(self, shape: Hashable, values: tuple) -> tuple[str, list]:
        key = (connection.vendor, shape, tuple(type(v) for v in values))
        if key not in self._compiled:
            stand_ins = [_stand_in(i, v) for i, v in enumerate(values)]
            sql, params = self._build(shape, *stand_ins).query.sql_with_params()
            slots = {s: i for i, s in enumerate(stand_ins)}
            # A parameter that is a stand-in becomes "the value at that index".
            compiled = [_Slot(slots[p]) if _hashable(p) and p in slots else p for p in params]
            self._compiled[key] = (sql, compiled)
        return self._compiled[key]

    def first(self, *values, shape: Hashable = None) -> tuple | None:
        """The first row for VALUES, with instants aware as the ORM returns them."""
        sql, params = self._sql(shape, values)
        bound = [values[p.index] if isinstance(p, _Slot) else p for p in params]
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            row = cursor.fetchone()
        if row is None:
            return None
        return tuple(_aware(v) for v in row)


class _Slot:
    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _aware(value):
    # SQLite hands back naive UTC datetimes (the ORM's converters make them aware).
    if settings.USE_TZ and isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
