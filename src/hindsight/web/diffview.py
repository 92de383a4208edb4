"""A history diff (postmortems/history.diff) made readable: prose as a line diff, lists of
entries as added, removed and changed entries. Everything here is plain text; the template
escapes it, so nothing a person wrote is ever inserted as HTML."""

import difflib
import json
from dataclasses import dataclass, field


@dataclass
class FieldDiff:
    name: str
    kind: str  # "text", "entries", "values" or "value"
    lines: list[tuple[str, str]] = field(default_factory=list)  # (" ", "+", "-"), text
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)  # {label, fields: [(name, old, new)]}
    old: str = ""
    new: str = ""


def _plain(value) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def _label(entry: dict) -> str:
    for key in ("description", "title", "name", "time"):
        if entry.get(key):
            text = str(entry[key])
            return f"{entry['time']} — {text}" if key != "time" and entry.get("time") else text
    return _plain(entry)


def line_diff(old: str | None, new: str | None) -> list[tuple[str, str]]:
    """Lines kept (" "), removed ("-") and added ("+"), in reading order."""
    rows = []
    for line in difflib.ndiff((old or "").splitlines(), (new or "").splitlines()):
        mark, text = line[:1], line[2:]
        if mark in (" ", "+", "-"):
            rows.append((mark, text))
    return rows


def _entries(values: list) -> bool:
    return bool(values) and all(isinstance(v, dict) for v in values)


def field_diff(name: str, old, new) -> FieldDiff:
    if isinstance(old, str | None) and isinstance(new, str | None) and (old or new):
        if "\n" not in (old or "") + (new or ""):
            return FieldDiff(name, "value", old=_plain(old), new=_plain(new))
        return FieldDiff(name, "text", lines=line_diff(old, new))
    if isinstance(old, list | None) and isinstance(new, list | None):
        before, after = old or [], new or []
        if _entries(before + after):
            return _entries_diff(name, before, after)
        kept_old = [_plain(v) for v in before]
        kept_new = [_plain(v) for v in after]
        return FieldDiff(
            name,
            "values",
            added=[v for v in kept_new if v not in kept_old],
            removed=[v for v in kept_old if v not in kept_new],
        )
    return FieldDiff(name, "value", old=_plain(old), new=_plain(new))


def _entries_diff(name: str, before: list[dict], after: list[dict]) -> FieldDiff:
    """Entries are matched by id; one without an id (recorded before it was given one)
    matches only an identical entry."""
    old_by_id = {e["id"]: e for e in before if e.get("id")}
    new_by_id = {e["id"]: e for e in after if e.get("id")}

    def gone(entry, others_by_id, others):
        return entry["id"] not in others_by_id if entry.get("id") else entry not in others

    result = FieldDiff(name, "entries")
    result.removed = [_label(e) for e in before if gone(e, new_by_id, after)]
    result.added = [_label(e) for e in after if gone(e, old_by_id, before)]
    for entry in after:
        previous = old_by_id.get(entry.get("id"))
        if previous is None or previous == entry:
            continue
        fields = [
            (key, _plain(previous.get(key)), _plain(entry.get(key)))
            for key in dict.fromkeys([*previous, *entry])
            if key != "id" and previous.get(key) != entry.get(key)
        ]
        result.changed.append({"label": _label(entry), "fields": fields})
    return result


def readable(changes: dict) -> list[FieldDiff]:
    """CHANGES ({field: {old, new}}) as FieldDiffs, in a stable order (by field name)."""
    return [field_diff(name, c.get("old"), c.get("new")) for name, c in sorted(changes.items())]
