"""Queries the ORM compiles once and the hottest paths run again and again.

Building a query costs Django more than running it: a token check or a report's read by id
takes well under a millisecond in the database and about as much again in `filter()` and
the SQL compiler, on every request. A `CompiledQuery` lets the ORM write the SQL once per
shape (so table names, joins, quoting and the rules written as Q objects stay the ORM's) for
a `values_list` query with its values left open, and then runs that SQL with each request's
values as parameters, converting the results with the ORM's own converters.

On PostgreSQL the server prepares each such statement once per connection (unless
HINDSIGHT_DB_PREPARED_STATEMENTS is off) and binds the values itself, so after its first few
runs it stops planning the query again.

Only for values the ORM passes to the database as given: `=` and `IN` on text and integer
columns (ids, digests, names). A lookup that rewrites its value first (`iexact`, `contains`,
dates and instants) must not be compiled, since each request's value would skip that step.
"""

import functools
import threading
from collections.abc import Callable, Hashable

from django.conf import settings
from django.db import connection
from django.db.models import Model, QuerySet


def _stand_in(index: int, value):
    """A value of VALUE's kind that no real request sends, to find its parameter by."""
    if isinstance(value, int):
        return -(10**15) - index
    return f"\x00open-value-{index}\x00"


class _Slot:
    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


class CompiledQuery:
    def __init__(
        self, build: Callable[..., QuerySet], *, count: bool = False, prepared: bool = True
    ):
        """BUILD(shape, *values) returns a values_list queryset using VALUES, whose SQL
        (but not its parameters) depends on SHAPE alone. COUNT: the query answers the number
        of rows BUILD's queryset selects instead. PREPARED: prepared on PostgreSQL (a query
        whose best plan depends on its values, such as a filtered page, plans better
        afresh)."""
        self._build = build
        self._count = count
        self._prepared = prepared
        # Per thread, as Django's connections are: the converters belong to one.
        self._local = threading.local()

    def _compiled(self, shape: Hashable, values: tuple):
        cache = self._local.__dict__.setdefault("cache", {})
        key = (connection.vendor, shape, tuple(type(v) for v in values))
        if key not in cache:
            stand_ins = [_stand_in(i, v) for i, v in enumerate(values)]
            compiler = self._build(shape, *stand_ins).query.get_compiler(connection.alias)
            sql, params = compiler.as_sql()
            slots = {s: i for i, s in enumerate(stand_ins)}
            # A parameter that is a stand-in becomes "the value at that index".
            template = [_Slot(slots[p]) if _is_stand_in(p, slots) else p for p in params]
            if any(_rewritten(p, stand_ins) for p in template):
                # The ORM rewrote a value (a LIKE pattern, say): running the SQL with each
                # request's value as given would be wrong, so this query must not be compiled.
                raise ValueError(f"a value of the shape {shape!r} does not reach the SQL as given")
            converters = compiler.get_converters([col for col, _, _ in compiler.select])
            if self._count:
                sql, converters = f"SELECT COUNT(*) FROM ({sql}) counted", {}
            cache[key] = (sql, template, compiler, converters)
        return cache[key]

    def compiled_shapes(self) -> set:
        """The shapes compiled so far on this thread."""
        return set(self._local.__dict__.get("cache", {}))

    def _bound(self, shape: Hashable, values: tuple):
        """The SQL for SHAPE, its parameters with VALUES in their places, and its converters."""
        sql, template, compiler, converters = self._compiled(shape, values)
        params = [values[p.index] if isinstance(p, _Slot) else p for p in template]
        return sql, params, compiler, converters

    def first(self, *values, shape: Hashable = None) -> tuple | None:
        """The first row for VALUES, its values as the ORM would return them."""
        sql, params, compiler, converters = self._bound(shape, values)
        with _cursor(self._prepared) as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if converters:
            row = next(iter(compiler.apply_converters([row], converters)))
        return tuple(row)

    def rows(self, *values, shape: Hashable = None) -> list[tuple]:
        """Every row for VALUES, as the ORM would return them."""
        sql, params, compiler, converters = self._bound(shape, values)
        with _cursor(self._prepared) as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        return [tuple(row) for row in rows]


def _cursor(prepared: bool):
    """A cursor of Django's (so its query log and error wrapping apply); on PostgreSQL, if
    PREPARED, one that binds on the server and prepares each statement, where the settings
    allow."""
    if (
        not prepared
        or connection.vendor != "postgresql"
        or not getattr(settings, "DB_PREPARED_STATEMENTS", False)
    ):
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        # Django's own wrapping of a cursor it made (BaseDatabaseWrapper._cursor does this).
        return connection._prepare_cursor(_prepared_cursor_class()(connection.connection))


@functools.cache
def _prepared_cursor_class():
    """psycopg's server-binding cursor, as Django's, whose every statement is prepared
    (built on first use: psycopg is imported only where PostgreSQL is used)."""
    from django.db.backends.postgresql.base import ServerBindingCursor
    from psycopg import errors
    from psycopg.pq import TransactionStatus

    class PreparedCursor(ServerBindingCursor):
        def execute(self, query, params=None, **kwargs):
            try:
                return super().execute(query, params, prepare=True, **kwargs)
            except (errors.InvalidSqlStatementName, errors.FeatureNotSupported) as error:
                # The server no longer holds a statement psycopg prepared (a pooler
                # or someone else's DEALLOCATE), or a schema change moved what it
                # answers ("cached plan must not change result type"). Outside a
                # transaction nothing else failed with it: forget every prepared
                # statement (psycopg notices DEALLOCATE ALL) and run it again. In
                # one, the rollback that follows makes psycopg forget them.
                stale = isinstance(error, errors.InvalidSqlStatementName) or (
                    "cached plan" in str(error)
                )
                idle = self.connection.info.transaction_status == TransactionStatus.IDLE
                if not (stale and idle):
                    raise
                self.connection.execute("DEALLOCATE ALL")
                return super().execute(query, params, prepare=True, **kwargs)

        def _convert_query(self, query, params=None):
            # Kept where Django's query log reads it (psycopg's own execute of a
            # prepared statement leaves it unset).
            self._query = super()._convert_query(query, params)
            return self._query

    return PreparedCursor


def _rewritten(param, stand_ins: list) -> bool:
    """Whether PARAM is a text stand-in the ORM changed on its way to the SQL."""
    return isinstance(param, str) and any(
        isinstance(s, str) and s in param and s != param for s in stand_ins
    )


def _is_stand_in(param, slots: dict) -> bool:
    try:
        return param in slots
    except TypeError:  # an unhashable parameter is never a stand-in
        return False


class CompiledGet:
    """MODEL's row by primary key as an instance, through a CompiledQuery."""

    def __init__(self, model: type[Model]):
        self._model = model
        self._fields = tuple(f.attname for f in model._meta.concrete_fields)
        self._query = CompiledQuery(
            lambda shape, pk: model._default_manager.filter(pk=pk).values_list(*self._fields)
        )

    def __call__(self, pk) -> Model | None:
        row = self._query.first(pk)
        return None if row is None else self._model.from_db(connection.alias, self._fields, row)
