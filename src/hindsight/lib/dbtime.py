"""Time arithmetic the databases do alike, usable in queries and in stored (generated)
columns: both are deterministic (PostgreSQL: immutable), so they can be indexed."""

from django.db.models import Func, IntegerField


class Seconds(Func):
    """Whole seconds from the second timestamp to the first (null when either is)."""

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


class MonthNumber(Func):
    """The UTC month of a timestamp as the number YYYYMM (202603 for March 2026)."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, conn, **extra):
        # Django stores UTC text, 'YYYY-MM-DD HH:MM:SS'; the digits are read directly
        # (strftime with a format would need a literal %, which the SQL cannot carry here).
        return self.as_sql(
            compiler,
            conn,
            template="(CAST(substr(%(expressions)s, 1, 4) AS INTEGER) * 100"
            " + CAST(substr(%(expressions)s, 6, 2) AS INTEGER))",
            **extra,
        )

    def as_postgresql(self, compiler, conn, **extra):
        return self.as_sql(
            compiler,
            conn,
            template="CAST(EXTRACT(YEAR FROM (%(expressions)s AT TIME ZONE 'UTC')) * 100"
            " + EXTRACT(MONTH FROM (%(expressions)s AT TIME ZONE 'UTC')) AS INTEGER)",
            **extra,
        )


def month_text(number: int) -> str:
    """'2026-03' for 202603."""
    return f"{number // 100:04d}-{number % 100:02d}"
