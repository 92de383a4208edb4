"""What a post-mortem, its timeline events and its action items are made of, declared once.

Each `EntryField` names a column of PostMortem, TimelineEvent or ActionItem with its type,
its limit, whether a new entry must give it, its default, and who may change it once the
report is published. The write path (services), the API's schemas, the stored document, the
web forms, the CSV export, the Markdown export and the history read these tuples; adding a
field to action items is one line here plus its column and migration. `LIST_LIMITS` caps
how many entries each of a report's lists may hold, alike for create, PATCH, the web and
import. (The report's optional sections are declared in sections.py.)

Fields that are `derived` are set by the write path (an item's completion time), returned
by the API and accepted back unchanged, never taken from a client.

`unconfirmed` marks an event or item a template suggested and nobody has confirmed yet:
the write path clears it when someone edits the entry or sends it as false, and publishing
waits for it (services.py, workflow.py).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from hindsight.lib.schema import WEB_ADDRESS_PATTERN, api_name, is_web_address
from hindsight.lib.times import EVENT_TIME_SCHEMA, is_valid_event_time
from hindsight.postmortems import limits
from hindsight.postmortems.models import ItemStatus, Priority
from hindsight.postmortems.sections import Category, EventKind, Horizon


@dataclass(frozen=True)
class EntryField:
    name: str
    type: type  # str, bool, date, datetime or a StrEnum
    max_length: int | None = None
    required: bool = False  # a new entry must give it (an entry with an id may leave it out)
    default: Any = None  # what a new entry gets when it leaves the field out (or sends null)
    follow_through: bool = False  # stays editable once the report is published
    derived: bool = False  # set by the write path, read-only in the API
    check: Callable[[Any], Any] | None = None  # raises ValueError with a message
    pattern: str | None = None  # what `check` accepts, as the OpenAPI says it
    json_schema: dict | None = None  # the same, where one pattern cannot say it
    description: str = ""
    label: str = ""  # a column heading for people (CSV, Markdown)

    @property
    def api_name(self) -> str:
        return api_name(self.name)

    @property
    def heading(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


UNCONFIRMED = EntryField(
    "unconfirmed",
    bool,
    default=False,
    description=(
        "A template's suggestion nobody has confirmed yet: true until someone edits the"
        " entry or sends false; publishing waits for it (or confirmTemplateContent)"
    ),
)


def _event_time(value: str) -> str:
    if not is_valid_event_time(value):
        raise ValueError(
            f"{value!r} is neither a time of day (14:35) nor an ISO 8601 timestamp"
            " (2026-03-01T14:35:00Z)"
        )
    return value


def _has_long_number(value) -> bool:
    if isinstance(value, dict):
        return any(_has_long_number(inner) for inner in value.values())
    if isinstance(value, list):
        return any(_has_long_number(inner) for inner in value)
    return type(value) is int and abs(value) >= 10**limits.NUMBER_DIGITS


def _front_matter(value: dict) -> dict:
    size = len(json.dumps(value, ensure_ascii=False))
    if size > limits.FRONT_MATTER:
        raise ValueError(
            f"holds {size:,} characters as JSON; at most {limits.FRONT_MATTER:,} are allowed"
        )
    if _has_long_number(value):
        # The export writes it as YAML, whose reader refuses such a number (frontmatter.py).
        raise ValueError(f"holds a number of more than {limits.NUMBER_DIGITS} digits")
    for key in value:
        if not key.strip() or len(key) > limits.FRONT_MATTER_KEY or "\n" in key:
            raise ValueError(
                f"{key[:40]!r} is not a key: one line of 1 to {limits.FRONT_MATTER_KEY} characters"
            )
    return value


def _web_address(value: str) -> str:
    if not is_web_address(value):
        raise ValueError("must be an http:// or https:// address")
    return value


# The report's own text. None of it is follow-through: it is locked once published.
REPORT_FIELDS: tuple[EntryField, ...] = (
    EntryField("title", str, limits.TITLE, required=True),
    EntryField("summary", str, limits.PROSE, default=""),
    EntryField("impact", str, limits.PROSE),
    EntryField("root_cause", str, limits.PROSE, label="Root cause"),
    EntryField(
        "front_matter",
        dict,
        limits.FRONT_MATTER,
        check=_front_matter,
        description=(
            "What an imported document's front matter said beyond the keys Hindsight reads"
            " (description, team…), as it came; the Markdown export writes it back"
        ),
        label="Front matter",
    ),
)
# Those of them that are text, for forms and search (the front matter is a JSON object).
REPORT_TEXT_FIELDS = tuple(f for f in REPORT_FIELDS if f.type is str)

EVENT_FIELDS: tuple[EntryField, ...] = (
    EntryField(
        "time",
        str,
        limits.EVENT_TIME,
        required=True,
        check=_event_time,
        json_schema=EVENT_TIME_SCHEMA,
        description=(
            "As written: a time of day (14:35), an ISO 8601 timestamp, or a date whose"
            " day/month order is unknown (03-04-2021 14:35, whose `at` is null)"
        ),
    ),
    EntryField("description", str, limits.ENTRY_TEXT, required=True),
    EntryField("who", str, limits.WHO),
    EntryField("notes", str, limits.ENTRY_TEXT),
    EntryField("kind", EventKind),
    UNCONFIRMED,
)

ITEM_FIELDS: tuple[EntryField, ...] = (
    EntryField("description", str, limits.ENTRY_TEXT, required=True),
    EntryField("owner", str, limits.LINE, follow_through=True),
    EntryField("status", ItemStatus, default=ItemStatus.TODO.value, follow_through=True),
    EntryField("priority", Priority, default=Priority.MEDIUM.value),
    EntryField("due_date", date, follow_through=True, label="Due"),
    EntryField("horizon", Horizon),
    EntryField("why", str, limits.ENTRY_TEXT),
    EntryField("category", Category),
    EntryField(
        "tracker_url",
        str,
        limits.URL,
        follow_through=True,
        check=_web_address,
        pattern=WEB_ADDRESS_PATTERN,
        description="The issue in an external tracker (GitHub, Jira…): an http(s) address",
        label="Tracker",
    ),
    EntryField(
        "completed_at",
        datetime,
        derived=True,
        description="When the item last became DONE; null while it is not DONE",
        label="Completed",
    ),
    UNCONFIRMED,
)


# How many entries each list of a report may hold (its sections' lists: sections.py).
LIST_LIMITS: dict[str, int] = {
    "timeline": limits.TIMELINE_EVENTS,
    "action_items": limits.ACTION_ITEMS,
    "contributors": limits.CONTRIBUTORS,
    "tags": limits.TAGS,
}


def writable(fields: tuple[EntryField, ...]) -> tuple[EntryField, ...]:
    return tuple(f for f in fields if not f.derived)


def names(fields: tuple[EntryField, ...]) -> tuple[str, ...]:
    return tuple(f.name for f in fields)


def defaults(fields: tuple[EntryField, ...]) -> dict[str, Any]:
    """What a new entry holds before the client's values are applied."""
    return {f.name: f.default for f in fields}


def is_enum(field: EntryField) -> bool:
    return isinstance(field.type, type) and issubclass(field.type, StrEnum)


def plain(value) -> Any:
    """A stored value as the JSON the API writes (dates and instants as ISO 8601 text)."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime):
        return instant(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def instant(value: datetime | None) -> str | None:
    """An instant exactly as the API's encoder writes it (milliseconds, Z for UTC)."""
    if value is None:
        return None
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


# The follow-through of an item, for messages: "status, owner, due date and tracker link".
FOLLOW_THROUGH = tuple(f.name for f in ITEM_FIELDS if f.follow_through)
# What an item's owner may change without edit rights on the report: handing the item to
# someone else stays with the report's editors.
OWNER_FOLLOW_THROUGH = tuple(name for name in FOLLOW_THROUGH if name != "owner")
