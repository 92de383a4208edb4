"""A post-mortem's history, read back from its Revision rows.

Revision 1 holds every field's first value and each later revision the fields it changed,
so the report at any version is the fold of revisions 1…N. Nested entries (timeline,
action items) are stored with Python field names and are returned with the API's.
"""

from collections.abc import Callable

from hindsight.lib.errors import Invalid
from hindsight.lib.schema import api_name
from hindsight.postmortems.models import PostMortem, Revision

# What a history lists: the report's own revisions, and what the apps built on it add
# (reviews adds its decisions and comments, registering them in its AppConfig.ready, so
# this module never imports it).
ENTRY_TYPES = ("revision", "review", "comment")
EntryProvider = Callable[[PostMortem], list[dict]]
_providers: list[EntryProvider] = []


def register_entries(provider: EntryProvider) -> None:
    """Add PROVIDER(postmortem) → [entry, …] to every history: each entry a dict with
    `type`, `version`, `changed_by` (a user name), `changed_at`, and the fields of its type
    (see entries). Registering again is a no-op."""
    if provider not in _providers:
        _providers.append(provider)


def entries(postmortem: PostMortem, types: list[str] | None = None) -> list[dict]:
    """The report's history, oldest first: every revision (with its changes, in the API's
    names) and, beside them, what others registered (review decisions, comments), read-only.
    Each entry has every key, None where its type has no such thing. TYPES keeps only those."""
    blank = {"changes": {}, "decision": None, "body": None, "section": None}
    blank |= {"comment_id": None, "parent_id": None}
    rows = [
        {
            **blank,
            "type": "revision",
            "version": row.version,
            "changed_by": row.changed_by.username,
            "changed_at": row.changed_at,
            "changes": present_changes(row.changes),
            "revision": row,
        }
        for row in revisions(postmortem)
    ]
    for provider in _providers:
        rows += [{**blank, **entry} for entry in provider(postmortem)]
    if types:
        rows = [row for row in rows if row["type"] in types]
    # Oldest first; a revision comes before what was said about that version at that moment.
    order = {name: index for index, name in enumerate(ENTRY_TYPES)}
    return sorted(rows, key=lambda r: (r["changed_at"], r["version"], order.get(r["type"], 9)))


# Changes whose values are lists of entries stored with Python field names.
NESTED = ("timeline", "actionItems")


def revisions(postmortem: PostMortem) -> list[Revision]:
    return list(postmortem.revisions.select_related("changed_by").order_by("version"))


def as_api(field: str, value):
    if field in NESTED and isinstance(value, list):
        return [
            {api_name(k): v for k, v in entry.items()} if isinstance(entry, dict) else entry
            for entry in value
        ]
    return value


def present_changes(changes: dict) -> dict:
    return {
        field: {"old": as_api(field, change.get("old")), "new": as_api(field, change.get("new"))}
        for field, change in changes.items()
    }


def state_at(rows: list[Revision], version: int) -> dict:
    """Every recorded field's value at VERSION."""
    state: dict = {}
    for row in rows:
        if row.version > version:
            break
        for field, change in row.changes.items():
            state[field] = change.get("new")
    return state


def diff(postmortem: PostMortem, from_version: int, to_version: int | None) -> dict:
    """The fields that differ between two versions, each with its value at FROM (old) and
    at TO (new), and the revisions in between. TO defaults to the current version."""
    current = postmortem.version
    to_version = current if to_version is None else to_version
    for name, value in (("from", from_version), ("to", to_version)):
        if not 1 <= value <= current:
            raise Invalid(
                f"{name}: version {value} does not exist; this post-mortem has versions 1 to"
                f" {current}.",
                fields={name: f"between 1 and {current}"},
            )
    rows = revisions(postmortem)
    before, after = state_at(rows, from_version), state_at(rows, to_version)
    low, high = sorted((from_version, to_version))
    return {
        "from": from_version,
        "to": to_version,
        "changes": {
            field: {"old": as_api(field, before.get(field)), "new": as_api(field, after.get(field))}
            for field in {**before, **after}
            if before.get(field) != after.get(field)
        },
        "revisions": [row for row in rows if low < row.version <= high],
    }
