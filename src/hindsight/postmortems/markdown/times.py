"""Times as teams write them in timelines, turned into event times Hindsight accepts.

An event time is a time of day ("14:35"), an ISO 8601 timestamp with its offset, or a date
whose day/month order the document does not settle ("03-04-2021 14:35", its instant
unknown). Documents say "2:54 PM PST", "[12-05 14:00]", "Sep 27 2017 13:06", "**16:58
UTC**", "~13:30-13:45", "19. April, 11:00", "2018-08-22, 03:26pm:", "04-03-2026 15:48 UTC",
"Saturday Oct 30th", "1625", "--:--" or "[???]". `read_time` finds such a time at the start
of a line and gives the event time, the rest of the line, and the time as written whenever
the event time is not literally what was written (so nothing the author wrote is lost).

Every pattern here is matched with `re.match` at a known position of a line's first
HEAD_LIMIT characters, so reading a document stays linear in its length whatever it holds.
"""

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from itertools import islice
from zoneinfo import ZoneInfo

HEAD_LIMIT = 200  # a timestamp starts a line; nothing past this is looked at for one
DOCUMENT_DATES = 2_000  # dates read from a document to settle its day/month order
DOCUMENT_SCAN = 100_000  # characters of a document read for them: its dates are at the top
NEAR = timedelta(days=14)  # a date this close to one the document states is that date


def _fixed(hours: float) -> timezone:
    return UTC if hours == 0 else timezone(timedelta(hours=hours))


# Abbreviations that name one offset, and the regions' names that follow daylight saving.
ZONES: dict[str, tzinfo] = {
    **dict.fromkeys(("UTC", "GMT", "Z", "WET"), UTC),
    **{
        name: _fixed(hours)
        for name, hours in {
            "PST": -8,
            "PDT": -7,
            "MST": -7,
            "MDT": -6,
            "CST": -6,
            "CDT": -5,
            "EST": -5,
            "EDT": -4,
            "AKST": -9,
            "AKDT": -8,
            "HST": -10,
            "BST": 1,
            "WEST": 1,
            "CET": 1,
            "CEST": 2,
            "EET": 2,
            "EEST": 3,
            "MSK": 3,
            "IST": 5.5,
            "SGT": 8,
            "HKT": 8,
            "JST": 9,
            "KST": 9,
            "AEST": 10,
            "AEDT": 11,
            "NZST": 12,
            "NZDT": 13,
        }.items()
    },
    "PT": ZoneInfo("America/Los_Angeles"),
    "MT": ZoneInfo("America/Denver"),
    "CT": ZoneInfo("America/Chicago"),
    "ET": ZoneInfo("America/New_York"),
}
MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
WEEKDAYS = {d: i for i, d in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])}
_MON = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_ORD = r"(?:st|nd|rd|th)?"

_LEAD = re.compile(r"[\s*_\[(~`>]{0,20}")
_WEEKDAY = re.compile(r"(mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6}\.?,?\s{1,3}", re.I)
_ISO = re.compile(r"(\d{4,5})(?:-{1,2}|/|\.)(\d{1,2})[-/.](\d{1,2})(?!\d)")
_NUMERIC = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\d:])")
_MONTH_DAY = re.compile(r"(\d{1,2})-(\d{1,2})(?=[\sT])")
_MON_DAY = re.compile(
    rf"({_MON})\s{{1,3}}(\d{{1,2}}){_ORD}(?!\d)(?:,?\s{{1,3}}(\d{{4}})(?!\d))?", re.I
)
_DAY_MON = re.compile(
    rf"(\d{{1,2}}){_ORD}\.?\s{{1,3}}({_MON})(?:,?\s{{1,3}}(\d{{4}})(?!\d))?", re.I
)
_DATE_END = re.compile(r",?(?:[\sT]{1,3}(?:at\s{1,3})?|(?=[\])*_:|-]))")
_CLOCK = re.compile(
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d{1,6})?(?:\s?([ap])\.?m\b\.?)?(?!\d)", re.I
)
_APPROX = re.compile(r"(?:[~≈]|ca\.|circa|approx\.?|about)\s{0,3}", re.I)
_CLOCK_MERIDIEM = re.compile(r"(\d{1,2})\s?([ap])\.?m\b\.?", re.I)
_CLOCK_DOTTED = re.compile(r"(\d{1,2})\.(\d{2})(?![\d.])")  # "11.50", after a date only
# "1625": four digits are a time only where a separator, a zone or the line's end follows.
_CLOCK_COMPACT = re.compile(
    r"([01]\d|2[0-3])([0-5]\d)(?:\s?(?:h|hrs|hours)\b)?(?=\s?[-–—:|*_)\]]|\s[A-Z]|$)"
)
_UNKNOWN = re.compile(r"--:--|\?\?:\?\?|[xX]{2}:[xX]{2}|\?{2,}")
_ZONE = re.compile(r"\s?\(?([A-Za-z]{1,5})(?:\s?([+-])(\d{1,2})(?::?(\d{2}))?)?\)?(?![A-Za-z\d])")
_OFFSET = re.compile(r"\s?\(?([+-])(0\d|1[0-4]):?(\d{2})\)?(?!\d)")
_RANGE = re.compile(r"\s{0,3}(?:-|–|—|to)\s{0,3}")
_TAIL = re.compile(r"[\s*_\])`:]{0,12}")
_SEPARATOR = re.compile(r"\s{0,8}(?:[-–—:|,]{1,8}|\.(?!\d))?\s{0,8}")
_FOOTNOTE = re.compile(r"(?:\[\^[^\]\s]{1,20}\]|[¹²³⁴⁵⁶⁷⁸⁹⁰]{1,3})\s{0,4}")
_ZONE_NAME = re.compile(r"\b[A-Z]{2,5}\b")
_TIMES_WORD = re.compile(r"\btimes?\b|\($", re.I)
_DOC_NUMERIC = re.compile(r"(?<![\d.])(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?![\d.])")
_DOC_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_DOC_NAMED = re.compile(
    rf"\b({_MON})\s{{1,3}}(\d{{1,2}}){_ORD}(?:\s?[-–]\s?\d{{1,2}}{_ORD})?,?\s{{1,3}}(\d{{4}})\b"
    rf"|\b(\d{{1,2}}){_ORD}\.?\s{{1,3}}({_MON}),?\s{{1,3}}(\d{{4}})\b",
    re.I,
)


@dataclass
class Document:
    """What a whole document says about dates, read once and only when asked."""

    order: str | None  # "dmy" or "mdy" when the document settles it, else None
    year: int | None  # the year of the first full date, for dates written without one
    reference: date | None  # the first full date, for a zone's offset when no day is known


def read_document(text: str, known: list[date]) -> Document:
    """The day/month order of TEXT's numeric dates: one with a field above 12 settles it;
    else its unambiguous dates (ISO, month names, KNOWN) pick the reading that lands near
    them. A document whose numeric dates contradict each other settles nothing. The first
    DOCUMENT_DATES of each kind in its first DOCUMENT_SCAN characters are enough to say, and
    keep this quick on any input."""
    text = text[:DOCUMENT_SCAN]
    stated = list(known)
    for found in islice(_DOC_ISO.finditer(text), DOCUMENT_DATES):
        stated.append(_safe_date(int(found[1]), int(found[2]), int(found[3])))
    for found in islice(_DOC_NAMED.finditer(text), DOCUMENT_DATES):
        if found[1]:
            stated.append(_safe_date(int(found[3]), MONTHS[found[1][:3].lower()], int(found[2])))
        else:
            stated.append(_safe_date(int(found[6]), MONTHS[found[5][:3].lower()], int(found[4])))
    stated = [d for d in stated if d is not None]
    votes = {"dmy": 0, "mdy": 0}
    ambiguous = []
    first_numeric = None
    for found in islice(_DOC_NUMERIC.finditer(text), DOCUMENT_DATES):
        a, b, y = int(found[1]), int(found[3]), int(found[4])
        if a > 12 and 1 <= b <= 12:
            votes["dmy"] += 1
        elif b > 12 and 1 <= a <= 12:
            votes["mdy"] += 1
        elif 1 <= a <= 12 and 1 <= b <= 12 and a != b and y > 0:
            ambiguous.append((a, b, y))
        first_numeric = first_numeric or (a, b, y)
    order = None
    if votes["dmy"] and not votes["mdy"]:
        order = "dmy"
    elif votes["mdy"] and not votes["dmy"]:
        order = "mdy"
    elif not votes["dmy"] and stated:
        ordered = sorted(stated)
        near = {"dmy": 0, "mdy": 0}
        for a, b, y in ambiguous:
            for name, day in (("dmy", date(y, b, a)), ("mdy", date(y, a, b))):
                if _near(ordered, day):
                    near[name] += 1
        if near["dmy"] and not near["mdy"]:
            order = "dmy"
        elif near["mdy"] and not near["dmy"]:
            order = "mdy"
    reference = stated[0] if stated else None
    year = reference.year if reference else first_numeric[2] if first_numeric else None
    return Document(order, year, reference)


def _near(ordered: list[date], day: date) -> bool:
    index = bisect_left(ordered, day)
    return any(abs(ordered[i] - day) <= NEAR for i in (index - 1, index) if 0 <= i < len(ordered))


@dataclass
class Clock:
    """What the reader of one document's timeline knows so far: its zone, the current date,
    and what the document as a whole says about its dates."""

    zone: tzinfo | None = None
    day: date | None = None
    unsure: str | None = None  # the current date as written, when its order is not settled
    last: datetime | None = None
    last_time: str | None = None  # the previous entry's event time, as given
    notes: list[str] = field(default_factory=list)
    pending: dict | None = None  # an event whose text is on the lines after its time
    warnings: list[str] = field(default_factory=list)
    text: str = ""  # the whole document, read for its dates only when a date needs it
    known: list[date] = field(default_factory=list)
    _document: Document | None = None

    @property
    def document(self) -> Document:
        if self._document is None:
            self._document = read_document(
                self.text, [*self.known, *([self.day] if self.day else [])]
            )
        return self._document

    def probe(self) -> "Clock":
        """A copy to try lines on without moving this clock; the document is read once."""
        return Clock(
            zone=self.zone,
            day=self.day,
            unsure=self.unsure,
            text=self.text,
            _document=self.document,
        )

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


@dataclass
class ReadTime:
    time: str  # a valid event time
    rest: str  # the line after the time and its separator
    written: str | None  # the time as written, when `time` is not literally that
    has_clock: bool = True  # False for a date alone ("2021-06-28", "Saturday Oct 30th")


def zone_of(text: str) -> tzinfo | None:
    """A zone named in a timeline's intro or heading ("All times in PST", "Time (UTC)",
    "(All times CEST)", "UTC+2"). Two-letter names (PT, ET) count only where times are
    spoken of or in brackets, as they are words too."""
    text = text[:20_000]
    for name in _ZONE_NAME.finditer(text):
        if name[0] not in ZONES or name[0] == "Z":
            continue
        if len(name[0]) == 2 and not _TIMES_WORD.search(
            text[max(0, name.start() - 30) : name.start()]
        ):
            continue
        found = _Found()
        _scan_zone(text, name.start(), found)
        return found.zone
    return None


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _clock_value(hours: int, minutes: int, seconds: int, meridiem: str) -> time | None:
    meridiem = meridiem.lower()
    if meridiem and not 1 <= hours <= 12:
        return None
    if meridiem == "p" and hours < 12:
        hours += 12
    elif meridiem == "a" and hours == 12:
        hours = 0
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return time(hours, minutes, seconds)


@dataclass
class _Found:
    """The parts of a timestamp, as the scanner found them."""

    day: date | None = None
    unsure: str | None = None  # a numeric date whose order the document leaves open
    dated: bool = False  # a date was written (even one that is not a real day)
    yearless: bool = False  # "Oct 30th" in a document that gives no year anywhere
    clock: time | None = None
    clock_written: bool = False  # a clock was written ("--:--" and "25:99" too)
    zone: tzinfo | None = None
    end: int = 0


def _weekday_year(month: int, day: int, weekday: int | None, year: int | None) -> int | None:
    """The year of a date written without one: the document's, or the one next to it
    where the weekday written beside it says so ("Saturday Dec 30th" in early January)."""
    if year is None or weekday is None:
        return year
    for candidate in (year, year - 1, year + 1):
        day_found = _safe_date(candidate, month, day)
        if day_found and day_found.weekday() == weekday:
            return candidate
    return year


def _scan_date(head: str, pos: int, clock: Clock, found: _Found) -> int:
    weekday = None
    match = _WEEKDAY.match(head, pos)
    if match and (_MON_DAY.match(head, match.end()) or _DAY_MON.match(head, match.end())):
        weekday = WEEKDAYS[match[1][:3].lower()]
        pos = match.end()
    if match := _ISO.match(head, pos):
        y = int(match[1])
        if y > 9999:  # "20202-01-16": a typo for 2020
            y = int(str(y)[:4])
        found.day = _safe_date(y, int(match[2]), int(match[3]))
    elif match := _NUMERIC.match(head, pos):
        a, b, y = int(match[1]), int(match[3]), int(match[4])
        y = y + 2000 if y < 100 else y
        if a > 12 or a == b:
            order = "dmy"
        elif b > 12:
            order = "mdy"
        else:
            order = clock.document.order
        if order == "dmy":
            found.day = _safe_date(y, b, a)
        elif order == "mdy":
            found.day = _safe_date(y, a, b)
        else:
            found.unsure = f"{a:02d}{match[2]}{b:02d}{match[2]}{y:04d}"
    elif match := _MONTH_DAY.match(head, pos):
        year = clock.day.year if clock.day else clock.document.year
        m, d = int(match[1]), int(match[2])
        found.day = _safe_date(year, m, d) if year else None
        found.yearless = not year
    elif match := _MON_DAY.match(head, pos) or _DAY_MON.match(head, pos):
        named_first = match.re is _MON_DAY
        mon, day = (match[1], match[2]) if named_first else (match[2], match[1])
        month = MONTHS[mon[:3].lower()]
        given = int(match[3]) if match[3] else None
        year = given or (clock.day.year if clock.day else clock.document.year)
        year = year if given else _weekday_year(month, int(day), weekday, year)
        found.day = _safe_date(year, month, int(day)) if year else None
        found.yearless = not year
    else:
        return pos
    found.dated = True
    end = _DATE_END.match(head, match.end())
    return end.end() if end else match.end()


def _scan_clock(head: str, start: int, found: _Found) -> int:
    approx = _APPROX.match(head, start)  # "~13:30", "approx. 14:00"
    pos = approx.end() if approx else start
    if match := _CLOCK.match(head, pos):
        found.clock = _clock_value(int(match[1]), int(match[2]), int(match[3] or 0), match[4] or "")
    elif match := _CLOCK_MERIDIEM.match(head, pos):
        found.clock = _clock_value(int(match[1]), 0, 0, match[2])
    elif match := _UNKNOWN.match(head, pos):
        found.clock = None
    elif found.dated and (match := _CLOCK_DOTTED.match(head, pos)):
        found.clock = _clock_value(int(match[1]), int(match[2]), 0, "")
    elif match := _CLOCK_COMPACT.match(head, pos):
        found.clock = _clock_value(int(match[1]), int(match[2]), 0, "")
    else:
        return start
    found.clock_written = True
    return match.end()


def _scan_zone(head: str, pos: int, found: _Found, offsets: bool = True) -> int:
    if offsets and (match := _OFFSET.match(head, pos)):
        hours = int(match[2]) + int(match[3]) / 60
        found.zone = _fixed(-hours if match[1] == "-" else hours)
        return match.end()
    match = _ZONE.match(head, pos)
    if match is None:
        return pos
    name = match[1]
    if not (name.isupper() or name.upper() in ("UTC", "GMT")) or name.upper() not in ZONES:
        return pos  # "14:00 et al": zones are written in capitals
    zone = ZONES[name.upper()]
    if match[2]:
        hours = int(match[3]) + int(match[4] or 0) / 60
        zone = _fixed(-hours if match[2] == "-" else hours)
    found.zone = zone
    return match.end()


def _scan_range(head: str, pos: int) -> int:
    match = _RANGE.match(head, pos)
    if match is None:
        return pos
    end = _CLOCK.match(head, match.end()) or _CLOCK_MERIDIEM.match(head, match.end())
    return end.end() if end else pos


def _scan(head: str, clock: Clock) -> _Found | None:
    found = _Found()
    pos = _LEAD.match(head).end()
    pos = _scan_date(head, pos, clock, found)
    pos = _scan_clock(head, pos, found)
    if not (found.dated or found.clock_written):
        return None
    if found.clock_written:
        # "13:30-13:45" is a range, never a clock with an offset of -13:45.
        pos = _scan_range(head, _scan_zone(head, pos, found, offsets=False))
        pos = _scan_zone(head, pos, found)
    found.end = _TAIL.match(head, pos).end()
    return found


def read_time(line: str, clock: Clock) -> ReadTime | None:
    """The time at the start of LINE, or None when it does not start with one."""
    found = _read_time(line, clock)
    if found is not None:
        clock.last_time = found.time
    return found


def clean(text: str) -> str:
    """Event text without the separators, closing markup and footnote marks left between
    the time and the words ("**21:48:** x", ":::: x", "[^1] x")."""
    for _ in range(3):
        before = text
        text = _SEPARATOR.sub("", text, count=1).lstrip()
        text = _FOOTNOTE.sub("", text, count=1) if _FOOTNOTE.match(text) else text
        for mark in ("**", "__"):
            # A mark left at the start closes one opened before the time: drop it alone.
            if text.startswith(mark) and text.count(mark) % 2 == 1:
                text = text[len(mark) :]
        if text == before:
            break
    return text.strip()


def _read_time(line: str, clock: Clock) -> ReadTime | None:
    head = line[:HEAD_LIMIT]
    found = _scan(head, clock)
    if found is None:
        return None
    lead = _LEAD.match(head).end()
    written = line[lead : found.end].strip(" *_[]()`~:")
    rest = clean(line[found.end :])
    if found.dated and not found.clock_written and rest[:1].isdigit():
        return None  # "2021-06-28 2" is not a time
    if found.yearless:
        clock.day, clock.unsure, clock.last = None, None, None  # its times are times of day
    elif found.dated and found.day is None and found.unsure is None and not found.clock_written:
        return None
    zone = found.zone or clock.zone
    if found.unsure is not None:
        clock.day, clock.unsure, clock.last = None, found.unsure, None
    elif found.day is not None:
        clock.day, clock.unsure = found.day, None
    explicit_day = found.day is not None
    day = clock.day
    if clock.unsure is not None and not explicit_day:
        return _unsure(clock, found, zone, rest, written)
    if found.clock is None and day is None:
        # "--:--", "[???]" or a clock like 25:99: keep the place, say what was written.
        return ReadTime(clock.last_time or "00:00", rest, written, found.clock_written)
    if found.clock is None:
        moment = datetime.combine(day, time(0, 0), tzinfo=zone or UTC)
        if found.clock_written and clock.last and clock.last >= moment:
            moment = clock.last  # "--:--" on a day already under way: keep the place
    elif day is None:
        tod = found.clock
        value = _hhmm(tod)
        if zone is not None:
            on = clock.document.reference or date(2000, 1, 1)
            shifted = datetime.combine(on, tod, tzinfo=zone).astimezone(UTC)
            value = _hhmm(shifted.time())
        return ReadTime(value, rest, None if value == written else written)
    else:
        moment = datetime.combine(day, found.clock, tzinfo=zone or UTC)
        if not explicit_day and clock.last and moment < clock.last - timedelta(hours=6):
            moment += timedelta(days=1)  # the clock went past midnight
            clock.day = moment.date()
    clock.last = moment
    value = iso(moment)
    return ReadTime(value, rest, None if value == written else written, found.clock_written)


def _unsure(clock: Clock, found: _Found, zone, rest: str, written: str) -> ReadTime:
    """A time on a day written as 03-04-2021 that the document does not settle: kept with
    that date as written, so its instant is unknown, and said in the import's warnings."""
    written_day = clock.unsure
    a, b, y = int(written_day[:2]), int(written_day[3:5]), int(written_day[6:])
    clock.warn(
        f"Timeline: {written_day} may be {a} {date(y, b, a):%B} or {b} {date(y, a, b):%B %Y};"
        " the document does not say which, so its events keep the date as written and have"
        " no instant (at is null). Write dates as YYYY-MM-DD to settle it."
    )
    tod = found.clock or time(0, 0)
    value = f"{written_day} {_hhmm(tod)}"
    if zone is not None:
        offsets = {
            datetime.combine(d, tod, tzinfo=zone).utcoffset()
            for d in (date(y, a, b), date(y, b, a))
        }
        if len(offsets) == 1:
            minutes = int(offsets.pop().total_seconds() // 60)
            sign = "-" if minutes < 0 else "+"
            value += f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}" if minutes else "Z"
    return ReadTime(value, rest, None if value == written else written, found.clock_written)


def _hhmm(tod: time) -> str:
    return tod.strftime("%H:%M" if tod.second == 0 else "%H:%M:%S")


def iso(moment: datetime) -> str:
    """ISO 8601 with the offset the document gave (Z for UTC)."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


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
