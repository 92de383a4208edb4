"""Parsing of the times people write in timelines and incident records."""

import re
from datetime import UTC, date, datetime, time

_TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def parse_time_of_day(value: str) -> time | None:
    match = _TIME_OF_DAY.match(value.strip())
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return time(int(hours), int(minutes), int(seconds or 0))


def parse_timestamp(value: str) -> datetime | None:
    """An ISO 8601 timestamp as a UTC datetime; one written without a zone is taken as UTC."""
    text = value.strip()
    if not text or not text[0].isdigit() or len(text) < 16:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+06:00 is before the first instant there is
        return None


# A date whose day/month order is not known ("03-04-2021 14:35", as an import keeps it
# when the document does not settle it): a valid event time whose instant is unknown.
_UNSURE_DATE_TIME = re.compile(
    r"^(0[1-9]|1[0-2])([-/.])(0[1-9]|1[0-2])\2(\d{4}) (\d{2}:\d{2}(?::\d{2})?)(?:Z|[+-]\d{2}:\d{2})?$"
)


def unsure_date_time(value: str) -> time | None:
    """The time of day of a date-and-time whose day/month order is unknown, else None."""
    match = _UNSURE_DATE_TIME.match(value.strip())
    if not match or match.group(1) == match.group(3):
        return None
    return parse_time_of_day(match.group(5))


def time_of_day(value: str) -> time | None:
    """The clock an event time shows, for ordering events whose instant is unknown."""
    return parse_time_of_day(value) or unsure_date_time(value)


def _unsure_date_pattern() -> str:
    """_UNSURE_DATE_TIME as JSON Schema can say it: the two leading fields differ (else the
    date would be certain), so each first field lists the second fields it may meet."""
    months = [f"{m:02d}" for m in range(1, 13)]
    pairs = "|".join(
        f"{first}{sep}({'|'.join(m for m in months if m != first)}){sep}"
        for first in months
        for sep in ("-", "/", r"\.")
    )
    clock = r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?"
    return rf"^({pairs})\d{{4}} {clock}(Z|[+-]\d{{2}}:\d{{2}})?$"


# What is_valid_event_time accepts, for the OpenAPI: a time of day, an RFC 3339 timestamp
# (the ISO 8601 form clients send; the parser takes a few more), or an unsure date.
EVENT_TIME_SCHEMA = {
    "anyOf": [
        {"pattern": _TIME_OF_DAY.pattern},
        {"format": "date-time"},
        {"pattern": _unsure_date_pattern()},
    ]
}


def is_valid_event_time(value: str) -> bool:
    return (
        parse_time_of_day(value) is not None
        or parse_timestamp(value) is not None
        or unsure_date_time(value) is not None
    )


def resolve_event_time(value: str, start: datetime | None) -> datetime | None:
    """The UTC instant a timeline entry names.

    A time-of-day ("14:35") is taken on the incident's start date in UTC, and is unknown
    (None) while the incident has no start time; so is a date whose day/month order is
    unknown ("03-04-2021 14:35").
    """
    stamp = parse_timestamp(value)
    if stamp is not None:
        return stamp
    tod = parse_time_of_day(value)
    if tod is None or start is None:
        return None
    day: date = start.astimezone(UTC).date()
    return datetime.combine(day, tod, tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    """UTC ISO 8601 with a Z, as every timestamp in the API is written."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


_FIRST_WORDS = re.compile(r"\s*(\S+)(?:\s+(\S+))?")
_SEPARATOR = re.compile(r"[-–—:|]+(?:\s+|$)")
_MERIDIEM = re.compile(r"[ap]\.?m\b\.?", re.IGNORECASE)


def split_event_line(line: str) -> tuple[str, str] | None:
    """An event written on one line ("14:35 Traffic spike detected", "2026-03-01T14:35Z
    Deploy", "2026-03-01 14:35 - Deploy") as (time, text): the time is one an event may
    have (is_valid_event_time, as the API checks it), kept as written; the text follows it
    after an optional separator (-, –, —, :, |) and may be empty. None when the line does
    not start with such a time, or with a 12-hour one ("2:35 PM": never read as 02:35)."""
    found = _FIRST_WORDS.match(line)
    if not found:
        return None
    first, second = found.group(1), found.group(2)
    candidates = []
    if second is not None:
        # A date and a time of day: "2026-03-01 14:35" (with a trailing colon, "14:35:").
        candidates.append((f"{first} {second}", found.end(2)))
        candidates.append((f"{first} {second.rstrip(':,')}", found.end(2)))
    candidates.append((first, found.end(1)))
    candidates.append((first.rstrip(":,"), found.end(1)))
    for written, end in candidates:
        if written and is_valid_event_time(written):
            rest = line[end:].strip()
            if _MERIDIEM.match(rest):
                return None
            return written, _SEPARATOR.sub("", rest, count=1) if _SEPARATOR.match(rest) else rest
    return None
