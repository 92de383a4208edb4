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
from django.db.models import AutoField, Model, QuerySet


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


class CompiledInsert:
    """INSERTs of MODEL's instances without the ORM's per-call work: `bulk_create` builds an
    InsertQuery and compiles it on every call, which for the few rows a write adds costs
    several times the statement itself. The SQL is written once per number of rows; each
    value is prepared by its field as `save()` prepares it (`pre_save`, so auto_now and
    auto_now_add apply, then `get_db_prep_save`). What the database fills in (an automatic
    primary key, generated columns) comes back through RETURNING onto the instances, as
    bulk_create's does, as the database gives it (integers here, which need no converting).
    No signals are sent (nothing here listens to them) and, like bulk_create, no `save()`
    is called. Narrower than bulk_create, and refused rather than misread: an automatic
    primary key given by hand, or an expression (F, Now()) as a value."""

    def __init__(self, model: type[Model]):
        self._model = model
        concrete = model._meta.local_concrete_fields
        # isinstance answers True for BigAutoField and SmallAutoField too.
        filled = [f for f in concrete if isinstance(f, AutoField) or f.generated]
        self._fields = [f for f in concrete if f not in filled]
        self._returned = filled
        self._local = threading.local()

    def _sql(self, rows: int, condition: str | None = None) -> str:
        cache = self._local.__dict__.setdefault("cache", {})
        key = (connection.vendor, rows, condition)
        if key not in cache:
            quote = connection.ops.quote_name
            values = ", ".join(["%s"] * len(self._fields))
            sql = (
                f"INSERT INTO {quote(self._model._meta.db_table)}"
                f" ({', '.join(quote(f.column) for f in self._fields)})"
            )
            if condition is None:
                sql += " VALUES " + ", ".join([f"({values})"] * rows)
            else:
                sql += f" SELECT {values} WHERE {condition}"
            if self._returned:
                sql += f" RETURNING {', '.join(quote(f.column) for f in self._returned)}"
            cache[key] = sql
        return cache[key]

    def __call__(self, objs: list[Model]) -> None:
        if not objs:
            return
        size = connection.ops.bulk_batch_size(self._fields, objs) or len(objs)
        with connection.cursor() as cursor:
            for start in range(0, len(objs), size):
                batch = objs[start : start + size]
                cursor.execute(self._sql(len(batch)), self._params(batch))
                self._returning(cursor, batch)

    def insert_if(self, obj: Model, condition: str, params: list) -> bool:
        """Insert OBJ only where the SQL CONDITION holds as the INSERT runs (one statement,
        so nothing changes in between); whether it was inserted."""
        with connection.cursor() as cursor:
            cursor.execute(self._sql(1, condition), self._params([obj]) + list(params))
            return self._returning(cursor, [obj]) == 1

    def _params(self, batch: list[Model]) -> list:
        params = []
        for obj in batch:
            # As save() does: a foreign key to an object not saved yet is an error, not NULL.
            obj._prepare_related_fields_for_save(operation_name="insert")
            for field in self._returned:
                if isinstance(field, AutoField) and getattr(obj, field.attname) is not None:
                    raise ValueError(f"{obj!r}: CompiledInsert takes no {field.name} given")
            for field in self._fields:
                value = field.pre_save(obj, True)
                if hasattr(value, "resolve_expression"):
                    raise ValueError(f"{obj!r}: CompiledInsert takes values, not {value!r}")
                params.append(field.get_db_prep_save(value, connection=connection))
        return params

    def _returning(self, cursor, batch: list[Model]) -> int:
        """Put what the database filled in onto BATCH's instances; how many were inserted."""
        if self._returned:
            rows = cursor.fetchall()
            # Rows come back in the order they were given (bulk_create relies on it too).
            for obj, values in zip(batch, rows, strict=False):
                for field, value in zip(self._returned, values, strict=True):
                    setattr(obj, field.attname, value)
            inserted = len(rows)
        else:
            inserted = cursor.rowcount
        for obj in batch[:inserted]:
            obj._state.adding = False
            obj._state.db = connection.alias
        return inserted


@functools.cache
def _inserter(model: type[Model]) -> CompiledInsert:
    return CompiledInsert(model)


def insert(objs: list[Model]) -> None:
    """Insert OBJS, instances of one model, through that model's CompiledInsert."""
    if objs:
        _inserter(type(objs[0]))(objs)


def insert_if(obj: Model, condition: str, params: list) -> bool:
    """Insert OBJ where CONDITION holds (CompiledInsert.insert_if); whether it was."""
    return _inserter(type(obj)).insert_if(obj, condition, params)
