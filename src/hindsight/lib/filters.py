"""Limits on list filters, so one query string cannot make one query arbitrarily costly."""

from hindsight.lib.errors import Invalid

# Each value of a repeated filter such as `tag` adds a condition (an EXISTS per tag) to the
# query; past a few the query gets slow on PostgreSQL and no person needs more.
MAX_REPEATED_FILTER = 10


def distinct_values(values: list[str], *, name: str, limit: int = MAX_REPEATED_FILTER) -> list:
    """VALUES stripped, without repeats (case-insensitively) in their first order; Invalid
    (422) naming the parameter when more than LIMIT distinct values are left."""
    seen: dict[str, str] = {}
    for value in values:
        text = str(value).strip()
        seen.setdefault(text.casefold(), text)
    if len(seen) > limit:
        raise Invalid(
            f"At most {limit} different values of {name} may be given, not {len(seen)}.",
            fields={name: f"at most {limit} values"},
        )
    return list(seen.values())
