"""Times as teams write them in timelines, turned into event times Hindsight accepts.

An event time is a time of day ("14:35") or an ISO 8601 timestamp in UTC. Documents say
"2:54 PM PST", "[12-05 14:00]", "Sep 27 2017 13:06", "**16:58 UTC**", "~13:30-13:45",
"19. April, 11:00", "--:--" or "[???]". `read_time` finds such a time at the start of a
line and gives the event time, the rest of the line, and the time as written whenever the
event time is not literally what was written (so nothing the author wrote is lost).
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

ZONES = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "PST": -8,
    "PDT": -7,
    "MST": -7,
    "MDT": -6,
    "CST": -6,
    "CDT": -5,
    "EST": -5,
    "EDT": -4,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "IST": 5.5,
}
MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_ZONE = r"(?:UTC|GMT|PST|PDT|MST|MDT|CST|CDT|EST|EDT|BST|CEST|CET|IST|Z)\b"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\s*(?:[ap]\.?m\.?\b)?"

_HEAD = re.compile(
    rf"""^(?P<lead>[\s*_\[(~`]*)
    (?:(?P<date>
        (?P<iso>\d{{4}}-{{1,2}}\d{{1,2}}-\d{{1,2}}|\d{{4,5}}-\d{{1,2}}-\d{{1,2}}|\d{{4}}/\d{{1,2}}/\d{{1,2}})
      | (?P<dmy>\d{{1,2}}/\d{{1,2}}/\d{{2,4}})
      | (?P<md>\d{{1,2}}-\d{{1,2}})(?=[\sT])
      | (?P<mon1>{_MON})\s+(?P<day1>\d{{1,2}})(?:st|nd|rd|th)?,?(?:\s+(?P<year1>\d{{4}}))?,?
      | (?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?P<mon2>{_MON}),?(?:\s+(?P<year2>\d{{4}}))?,?
    )(?:[\sT]+(?:at\s+)?|$|(?=[\])*_:|-]))?)?
    (?P<clock>{_CLOCK}|--:--|\?{{2,}})?
    \s*(?P<zone>{_ZONE})?
    (?:\s*(?:-|–|to)\s*(?P<end>{_CLOCK}))?
    \s*(?P<zone2>\(?{_ZONE}\)?)?
    (?P<tail>[\s*_\])`]*)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_SEPARATOR = re.compile(r"^\s*(?:[-–—:|,]|\.(?!\d))\s*")


@dataclass
class Clock:
    """What the reader of one timeline knows so far: its zone and the current date."""

    zone: float | None = None
    day: date | None = None
    last: datetime | None = None
    last_time: str | None = None  # the previous entry's event time, as given
    notes: list[str] = field(default_factory=list)


@dataclass
class ReadTime:
    time: str  # a valid event time
    rest: str  # the line after the time and its separator
    written: str | None  # the time as written, when `time` is not literally that


def zone_of(text: str) -> float | None:
    """A zone named in a timeline's intro or heading ("All times in PST", "Time (UTC)")."""
    match = re.search(rf"\b({_ZONE})", text)
    if match and match.group(1).upper() != "Z":
        return ZONES[match.group(1).upper()]
    return None


def _clock(text: str) -> time | None:
    match = re.match(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([ap])?", text.strip(), re.I)
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    seconds = int(match.group(3) or 0)
    meridiem = (match.group(4) or "").lower()
    if meridiem == "p" and hours < 12:
        hours += 12
    elif meridiem == "a" and hours == 12:
        hours = 0
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return time(hours, minutes, seconds)


def _date(match, clock: Clock) -> date | None:
    year = clock.day.year if clock.day else None
    try:
        if match.group("iso"):
            parts = re.split(r"[-/]+", match.group("iso"))
            y, m, d = int(parts[0]), int(parts[1]), int(parts[2])
            if y > 9999:  # "20202-01-16": a typo for 2020
                y = int(str(y)[:4])
            return date(y, m, d)
        if match.group("dmy"):
            d, m, y = (int(p) for p in match.group("dmy").split("/"))
            return date(y + 2000 if y < 100 else y, m, d)
        if match.group("md"):
            m, d = (int(p) for p in match.group("md").split("-"))
            return date(year, m, d) if year else None
        mon = match.group("mon1") or match.group("mon2")
        day = match.group("day1") or match.group("day2")
        given = match.group("year1") or match.group("year2")
        y = int(given) if given else year
        return date(y, MONTHS[mon[:3].lower()], int(day)) if y else None
    except (ValueError, TypeError):
        return None


def read_time(line: str, clock: Clock) -> ReadTime | None:
    """The time at the start of LINE, or None when it does not start with one."""
    found = _read_time(line, clock)
    if found is not None:
        clock.last_time = found.time
    return found


def _read_time(line: str, clock: Clock) -> ReadTime | None:
    match = _HEAD.match(line)
    if not match or not (match.group("date") or match.group("clock")):
        return None
    written = line[len(match.group("lead")) : match.end("tail")].strip(" *_[]()`~")
    rest = _SEPARATOR.sub("", line[match.end() :], count=1).strip()
    if match.group("date") and not match.group("clock") and rest[:1].isdigit():
        return None  # "2021-06-28 2" is not a time
    day = _date(match, clock) if match.group("date") else None
    if match.group("date") and day is None and not match.group("clock"):
        return None
    zone_name = match.group("zone") or (match.group("zone2") or "").strip("()")
    zone = ZONES[zone_name.upper()] if zone_name else clock.zone
    tod = _clock(match.group("clock")) if match.group("clock") else None
    explicit_day = day is not None
    if day is None:
        day = clock.day
    if day is not None:
        clock.day = day
    if tod is None and day is None:
        # "--:--", "[???]" or a clock like 25:99: keep the place, say what was written.
        value = _previous(clock)
        return ReadTime(value, rest, written)
    if tod is None:
        moment = datetime.combine(day, time(0, 0), tzinfo=_tz(zone))
        if match.group("clock") and clock.last and clock.last >= moment:
            moment = clock.last  # "--:--" on a day already under way: keep the place
    elif day is None:
        value = tod.strftime("%H:%M" if tod.second == 0 else "%H:%M:%S")
        if zone:
            shifted = datetime.combine(date(2000, 1, 1), tod) - timedelta(hours=zone)
            value = shifted.strftime("%H:%M" if tod.second == 0 else "%H:%M:%S")
        return ReadTime(value, rest, None if value == written else written)
    else:
        moment = datetime.combine(day, tod, tzinfo=_tz(zone))
        if not explicit_day and clock.last and moment < clock.last - timedelta(hours=6):
            moment += timedelta(days=1)  # the clock went past midnight
            clock.day = moment.date()
    clock.last = moment
    value = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return ReadTime(value, rest, None if value == written else written)


def _tz(offset: float | None):
    return timezone(timedelta(hours=offset or 0))


def _previous(clock: Clock) -> str:
    return clock.last_time or "00:00"


def first_date(text: str) -> date | None:
    """The first full date (ISO, "Sep 27 2017", "January 23rd, 2019") in TEXT."""
    match = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", text)
    candidates = []
    if match:
        try:
            candidates.append((match.start(), date(*map(int, match.groups()))))
        except ValueError:
            pass
    for found in re.finditer(
        rf"\b({_MON})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", text, re.IGNORECASE
    ):
        try:
            day = date(int(found.group(3)), MONTHS[found.group(1)[:3].lower()], int(found.group(2)))
        except ValueError:
            continue
        candidates.append((found.start(), day))
        break
    return min(candidates)[1] if candidates else None
