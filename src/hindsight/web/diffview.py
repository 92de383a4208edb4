"""A history diff (postmortems/history.diff) made readable, in one style for every field.

Each field becomes a list of changes, each at a path a person reads
(`Impact analysis › Users › Total affected`): a value changed (`4,000 → 4,100`), a text
changed (a line diff), or an entry or value added or removed. Structured sections are
walked field by field; timeline events and action items are matched by id and rows of a
section (contributing factors, whys…) by position where they differ. Numbers are shown as
numbers (4,100; 45, not 45.0), statuses and enums as words (In review, To do, High).
Everything here is plain text; the template escapes it, so nothing a person wrote is ever
inserted as HTML."""

import difflib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hindsight.postmortems.sections import SECTION_NAMES
from hindsight.web.sectionform import label as section_label
from hindsight.web.sectionform import number_text

SEPARATOR = " › "
EMPTY = "(empty)"

# Keys whose values are enums: shown as words.
ENUM_WORDS = {
    "DRAFT": "Draft",
    "IN_REVIEW": "In review",
    "PUBLISHED": "Published",
    "ARCHIVED": "Archived",
    "TODO": "To do",
    "IN_PROGRESS": "In progress",
    "DONE": "Done",
    "IMMEDIATE": "Immediate (this week)",
    "SHORT_TERM": "Short term (this month)",
    "LONG_TERM": "Long term (this quarter)",
}
ENUM_KEYS = {"status", "priority", "kind", "horizon", "category", "severity"}

# Fields in the order the report shows them; anything else after, by name.
ORDER = (
    "title",
    "status",
    "summary",
    "impact",
    "rootCause",
    "timeline",
    "actionItems",
    "contributors",
    "tags",
)
# Entry keys that are bookkeeping, not what a person wrote.
HIDDEN_KEYS = {"id", "position", "at"}


@dataclass
class Change:
    path: list[str]
    kind: str  # "value", "text", "added" or "removed"
    old: str = ""
    new: str = ""
    lines: list[tuple[str, str]] = field(default_factory=list)  # (" ", "+", "-"), text

    @property
    def where(self) -> str:
        return SEPARATOR.join(self.path)


@dataclass
class FieldDiff:
    name: str
    label: str
    changes: list[Change] = field(default_factory=list)


def words(key: str) -> str:
    """An API name for people: rootCause → Root cause, sla_credits → SLA credits."""
    snake = re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
    return section_label(snake)


def value_text(value, key: str = "") -> str:
    """One value for people: numbers grouped (4,100; 45.0 → 45), enums as words."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number_text(value)  # as the report and the editor show numbers
    if isinstance(value, str):
        if key in ENUM_KEYS:
            return ENUM_WORDS.get(value, value.replace("_", " ").capitalize())
        if key.endswith("At"):
            return _moment(value)
        return value
    if isinstance(value, list):
        return ", ".join(value_text(v, key) for v in value)
    if isinstance(value, dict):
        return "; ".join(
            f"{words(k)}: {value_text(v, k)}" for k, v in value.items() if v not in (None, "", [])
        )
    return str(value)


def _moment(text: str) -> str:
    """A stored instant (completedAt, publishedAt…) as the pages show times: UTC, minutes."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def line_diff(old: str | None, new: str | None) -> list[tuple[str, str]]:
    """Lines kept (" "), removed ("-") and added ("+"), in reading order."""
    rows = []
    for line in difflib.ndiff((old or "").splitlines(), (new or "").splitlines()):
        mark, text = line[:1], line[2:]
        if mark in (" ", "+", "-"):
            rows.append((mark, text))
    return rows


def _entry_label(entry: dict) -> str:
    """What a person calls an entry: its description or first text, after its time."""
    for key in ("description", "factor", "why", "label", "heading", "audience", "title"):
        if entry.get(key):
            text = str(entry[key])
            return f"{entry['time']} — {text}" if entry.get("time") else text
    if entry.get("time"):
        return str(entry["time"])
    return value_text({k: v for k, v in entry.items() if k not in HIDDEN_KEYS})


def _blank(value) -> bool:
    return value in (None, "", [], {}) or (
        isinstance(value, dict) and all(_blank(v) for v in value.values())
    )


def _walk(path: list[str], key: str, old, new) -> list[Change]:
    """The changes from OLD to NEW at PATH, KEY being the value's own name."""
    if old == new or (_blank(old) and _blank(new)):
        return []
    if isinstance(old, dict | None) and isinstance(new, dict | None) and (old or new):
        before, after = old or {}, new or {}
        return [
            change
            for name in dict.fromkeys([*before, *after])
            if name not in HIDDEN_KEYS
            for change in _walk([*path, words(name)], name, before.get(name), after.get(name))
        ]
    if isinstance(old, list | None) and isinstance(new, list | None):
        before, after = old or [], new or []
        if any(isinstance(v, dict) for v in before + after):
            return _entries(path, before, after)
        shown_old = [value_text(v, key) for v in before]
        shown_new = [value_text(v, key) for v in after]
        return [Change(path, "removed", old=v) for v in shown_old if v not in shown_new] + [
            Change(path, "added", new=v) for v in shown_new if v not in shown_old
        ]
    if isinstance(old, str | None) and isinstance(new, str | None):
        if "\n" in (old or "") + (new or ""):
            return [Change(path, "text", lines=line_diff(old, new))]
    return [Change(path, "value", old=value_text(old, key), new=value_text(new, key))]


def _entries(path: list[str], before: list[dict], after: list[dict]) -> list[Change]:
    """Entries with ids (events, action items) are matched by id; rows without one by
    their place, once the rows left alone are set aside."""
    if any(isinstance(e, dict) and e.get("id") for e in before + after):
        old_by_id = {e["id"]: e for e in before if e.get("id")}
        new_by_id = {e["id"]: e for e in after if e.get("id")}
        changes = [
            Change(path, "removed", old=_entry_label(e))
            for e in before
            if (e["id"] not in new_by_id if e.get("id") else e not in after)
        ]
        changes += [
            Change(path, "added", new=_entry_label(e))
            for e in after
            if (e["id"] not in old_by_id if e.get("id") else e not in before)
        ]
        for entry in after:
            previous = old_by_id.get(entry.get("id"))
            if previous is not None and previous != entry:
                changes += _walk([*path, _entry_label(entry)], "", previous, entry)
        return changes
    changes: list[Change] = []
    matcher = difflib.SequenceMatcher(a=[repr(e) for e in before], b=[repr(e) for e in after])
    for op, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if op == "equal":
            continue
        olds, news = before[a_start:a_end], after[b_start:b_end]
        for offset in range(min(len(olds), len(news))):
            place = [*path, str(b_start + offset + 1)]
            changes += _walk(place, "", olds[offset], news[offset])
        changes += [Change(path, "removed", old=_entry_label(e)) for e in olds[len(news) :] if e]
        changes += [Change(path, "added", new=_entry_label(e)) for e in news[len(olds) :] if e]
    return changes


def field_diff(name: str, old, new) -> FieldDiff:
    label = words(name)
    return FieldDiff(name, label, _walk([label], name, old, new))


def _rank(name: str) -> tuple:
    if name in ORDER:
        return (0, ORDER.index(name), name)
    sections = [words(s) for s in SECTION_NAMES]
    if words(name) in sections:
        return (1, sections.index(words(name)), name)
    return (2, 0, name)


def readable(changes: dict) -> list[FieldDiff]:
    """CHANGES ({field: {old, new}}) as FieldDiffs, in the order the report shows them;
    a field whose change nobody could see (empty to empty) is left out."""
    diffs = [
        field_diff(name, c.get("old"), c.get("new"))
        for name, c in sorted(changes.items(), key=lambda item: _rank(item[0]))
    ]
    return [d for d in diffs if d.changes]
