"""The quality lint: findings that help a team write a specific, blameless report.

Each rule reads a report in the API's shape (camelCase: GET's body, an export's record, or
what the Markdown importer reads from a file), so the API, the write path and the offline
`hindsight lint` command all check the same thing. docs/lint.md documents every rule with an
example that triggers it and one that does not; tests/test_lint.py checks both.

Blame is language that makes a person the subject of a failure ("the engineer forgot to",
"Alice should have"); a system failing ("the job failed to start") is not blame.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str
    field: str
    hint: str
    # The words that triggered the rule, so a tool reading a file can point at its line.
    excerpt: str = field(default="", compare=False)

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "field": self.field,
            "hint": self.hint,
        }


RULES = {
    "blame-language": ERROR,
    "template-text-left": ERROR,
    "missing-detection-event": WARNING,
    "missing-resolution-event": WARNING,
    "timeline-out-of-order": WARNING,
    "item-without-owner": WARNING,
    "item-without-due-date": WARNING,
    "vague-action": WARNING,
    "no-contributing-factors": WARNING,
    "impact-without-numbers": WARNING,
    "timeline-gap": INFO,
    "empty-section": INFO,
    "summary-too-long": INFO,
}

# Who may be blamed: generic people and pronouns, to which a report's own names are added.
_PEOPLE = (
    r"the (?:on-?call |new |junior |senior |responsible )?"
    r"(?:engineer|developer|operator|admin|administrator|sre|intern|employee|person|dev|team member)"
    r"|someone|somebody|he|she|they"
)
_FAILING = (
    r"should(?:n't| not)? have|failed to|forgot(?:ten)?(?: to)?|didn't|did not|neglected to"
    r"|was careless|were careless|made a mistake|messed up|ignored"
)
_NOT_A_CONDITION = r"(?<!\bif )(?<!\bunless )(?<!\bwhether )(?<!\bin case )"
_BLAME_WORDS = re.compile(
    r"\b(human error|careless(?:ly|ness)?|(?:the )?fault of|(?:is|was|are|were) to blame)\b",
    re.IGNORECASE,
)
_VAGUE = re.compile(
    r"^\s*(?:investigate|look into|monitor better|be (?:more )?careful|try to|"
    r"think about|consider|pay (?:more )?attention)\b"
    r"|\b(?:be (?:more )?careful|monitor (?:it |things )?better|pay more attention"
    r"|improve (?:monitoring|communication|processes?)\s*[.!]?\s*$)",
    re.IGNORECASE,
)
_DETECTION = re.compile(
    r"\b(detect\w*|alert\w*|paged|page fired|noticed|reported|spotted|discovered|"
    r"first (?:sign|report))\b",
    re.IGNORECASE,
)
_RESOLUTION = re.compile(
    r"\b(resolv\w*|restor\w*|recover\w*|back to normal|fully operational|all clear|"
    r"incident (?:closed|over))\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d")
_NAME_WORD = re.compile(r"^[A-Z][\w'-]+$")

# The texts of a report that are prose a person wrote, by field name.
_PROSE = ("summary", "impact", "rootCause", "trigger", "lessonsLearned")


def check(report: dict, *, names: Iterable[str] = ()) -> list[Finding]:
    """Every finding on REPORT (the API's shape), errors first. NAMES are people's names
    (users of the instance) that count as blamed when made the subject of a failure; the
    report's own contributors and owners count too (not a timeline's actors, which are
    often systems: "Monitoring failed to fire" is no blame)."""
    people = _people_pattern([*names, *_names_in(report)])
    findings: list[Finding] = []
    for name, text in _texts(report):
        findings += _blame(name, text, people)
    findings += _template_left(report)
    findings += _timeline(report)
    findings += _items(report)
    findings += _sections(report)
    order = {severity: n for n, severity in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: order[f.severity])


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def blocks_on_errors() -> bool:
    """HINDSIGHT_LINT_BLOCK=error: errors refuse submit, publish and a create into review."""
    return settings.LINT_BLOCK == "error"


def _q(text: str | None, limit: int = 80) -> str:
    """TEXT on one line, shortened for a message."""
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _finding(rule: str, message: str, field_name: str, hint: str, excerpt: str = "") -> Finding:
    return Finding(rule, RULES[rule], message, field_name, hint, excerpt)


# Blame -----------------------------------------------------------------------------------


def _names_in(report: dict) -> list[str]:
    found = list(report.get("contributors") or [])
    found += [i.get("owner") or "" for i in report.get("actionItems") or []]
    return found


def _people_pattern(names: Iterable[str]) -> re.Pattern:
    """People as the subject of a sentence: the generic ones, and each name (a full name,
    its first word, or an address's local part) that reads as a name."""
    words = set()
    for name in names:
        name = (name or "").strip()
        if "@" in name:
            name = name.split("@", 1)[0].replace(".", " ")
        for candidate in (name, name.split(" ", 1)[0]):
            if len(candidate) >= 2 and all(
                _NAME_WORD.match(w.capitalize()) for w in candidate.split()
            ):
                words.add(re.escape(candidate))
    alternatives = "|".join(sorted(words, key=len, reverse=True) + [_PEOPLE])
    # A condition is no accusation: "customers had to remove the SDK if they did not know
    # the workaround" says what a case required, not whose fault it was.
    return re.compile(
        rf"{_NOT_A_CONDITION}\b(?P<who>{alternatives})\s+(?:\w+ly\s+)?(?P<failing>{_FAILING})\b",
        re.IGNORECASE,
    )


def _texts(report: dict):
    """(field, text) for every prose text of REPORT a person wrote."""
    for name in _PROSE:
        if isinstance(report.get(name), str):
            yield name, report[name]
    for n, event in enumerate(report.get("timeline") or []):
        yield f"timeline[{n}].description", event.get("description") or ""
        if event.get("notes"):
            yield f"timeline[{n}].notes", event["notes"]
    for n, item in enumerate(report.get("actionItems") or []):
        yield f"actionItems[{n}].description", item.get("description") or ""
    for n, factor in enumerate(report.get("contributingFactors") or []):
        for key in ("factor", "howItContributed", "whyItExisted"):
            if factor.get(key):
                yield f"contributingFactors[{n}].{key}", factor[key]
    whys = report.get("fiveWhys") or {}
    for n, why in enumerate(whys.get("whys") or []):
        for key in ("why", "answer"):
            if why.get(key):
                yield f"fiveWhys.whys[{n}].{key}", why[key]


def _blame(name: str, text: str, people: re.Pattern) -> list[Finding]:
    found = []
    for match in people.finditer(text):
        found.append(
            _finding(
                "blame-language",
                f"“{match.group(0)}” makes a person the subject of the failure.",
                name,
                "Describe what in the system or process allowed it: what made the mistake"
                " easy to make and hard to catch.",
                match.group(0),
            )
        )
    for match in _BLAME_WORDS.finditer(text):
        found.append(
            _finding(
                "blame-language",
                f"“{match.group(0)}” assigns blame instead of explaining a cause.",
                name,
                "Name the conditions (tooling, process, pressure, missing safeguards) that"
                " led to the outcome.",
                match.group(0),
            )
        )
    return found


# Template content ------------------------------------------------------------------------

PLACEHOLDER_TIMES = {"00:00", "HH:MM", "hh:mm", "--:--", "XX:XX", "xx:xx", "??:??", "TBD"}


def _template_left(report: dict) -> list[Finding]:
    found = []
    for kind, key in (("event", "timeline"), ("action item", "actionItems")):
        for n, entry in enumerate(report.get(key) or []):
            if entry.get("unconfirmed"):
                found.append(
                    _finding(
                        "template-text-left",
                        f"The {kind} “{_q(entry.get('description'))}” is a template suggestion"
                        " nobody has confirmed.",
                        f"{key}[{n}]",
                        "Edit it to say what happened here, confirm it, or delete it.",
                        entry.get("description", ""),
                    )
                )
            elif key == "timeline" and (entry.get("time") or "").strip() in PLACEHOLDER_TIMES:
                found.append(
                    _finding(
                        "template-text-left",
                        f"The event “{_q(entry.get('description'))}” still has the"
                        f" placeholder time {entry.get('time')}.",
                        f"timeline[{n}].time",
                        "Give the time it happened (14:35, or a full timestamp).",
                        entry.get("time", ""),
                    )
                )
    return found


# Timeline --------------------------------------------------------------------------------


def _instant(event: dict) -> datetime | None:
    """When EVENT happened: its `at`, else its time when that is a full timestamp (a file
    read offline has no incident to anchor times of day to)."""
    for value in (event.get("at"), event.get("time")):
        if isinstance(value, datetime):
            return value
        if isinstance(value, str) and "T" in value:
            try:
                found = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return found if found.tzinfo else found.replace(tzinfo=UTC)
    return None


def _is(event: dict, kind: str, words: re.Pattern) -> bool:
    return event.get("kind") == kind or bool(words.search(event.get("description") or ""))


def _timeline(report: dict) -> list[Finding]:
    events = report.get("timeline") or []
    found = []
    if not any(_is(e, "DETECTION", _DETECTION) for e in events):
        found.append(
            _finding(
                "missing-detection-event",
                "The timeline does not say when or how the problem was detected.",
                "timeline",
                "Add the event where someone or something noticed (an alert, a report),"
                " of kind DETECTION.",
            )
        )
    if not any(_is(e, "RESOLUTION", _RESOLUTION) for e in events):
        found.append(
            _finding(
                "missing-resolution-event",
                "The timeline does not say when the incident was resolved.",
                "timeline",
                "Add the event where service was restored, of kind RESOLUTION.",
            )
        )
    timed = [(n, e, _instant(e)) for n, e in enumerate(events)]
    timed = [(n, e, at) for n, e, at in timed if at is not None]
    for (_, _, before), (n, event, at) in zip(timed, timed[1:], strict=False):
        if at < before:
            found.append(
                _finding(
                    "timeline-out-of-order",
                    f"“{_q(event.get('description'))}” ({event.get('time')}) comes before the"
                    " event listed above it.",
                    f"timeline[{n}].time",
                    "Check the time, or move the event to its place.",
                    event.get("time", ""),
                )
            )
    found += _gaps(events, timed)
    return found


def _gaps(events: list[dict], timed: list) -> list[Finding]:
    """Silences longer than the setting between the first detection and the last resolution."""
    limit = settings.LINT_TIMELINE_GAP_MINUTES
    start = next((at for _, e, at in timed if _is(e, "DETECTION", _DETECTION)), None)
    end = next((at for _, e, at in reversed(timed) if _is(e, "RESOLUTION", _RESOLUTION)), None)
    if start is None or end is None or end < start:
        return []
    window = sorted((row for row in timed if start <= row[2] <= end), key=lambda row: row[2])
    found = []
    for (_, _, before), (n, event, at) in zip(window, window[1:], strict=False):
        minutes = (at - before).total_seconds() / 60
        if minutes > limit:
            found.append(
                _finding(
                    "timeline-gap",
                    f"{minutes:.0f} minutes pass without an event before"
                    f" “{_q(event.get('description'))}”.",
                    f"timeline[{n}]",
                    "What was the team doing meanwhile? Investigation steps and dead ends are"
                    " worth recording.",
                    event.get("time", ""),
                )
            )
    return found


# Action items ----------------------------------------------------------------------------


def _items(report: dict) -> list[Finding]:
    found = []
    for n, item in enumerate(report.get("actionItems") or []):
        description = item.get("description") or ""
        if not (item.get("owner") or "").strip():
            found.append(
                _finding(
                    "item-without-owner",
                    f"Nobody owns “{_q(description)}”.",
                    f"actionItems[{n}].owner",
                    "Name a person or a team that will see it through.",
                    description,
                )
            )
        if not item.get("dueDate") and item.get("status") != "DONE":
            found.append(
                _finding(
                    "item-without-due-date",
                    f"“{_q(description)}” has no due date.",
                    f"actionItems[{n}].dueDate",
                    "Give it a date so follow-through can be tracked and reminded.",
                    description,
                )
            )
        if _VAGUE.search(description):
            found.append(
                _finding(
                    "vague-action",
                    f"“{_q(description)}” does not say what will be done.",
                    f"actionItems[{n}].description",
                    "Write a concrete change with a visible result: “Alert when the pool is"
                    " 80 % used”, not “monitor better”.",
                    description,
                )
            )
    return found


# Sections --------------------------------------------------------------------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _sections(report: dict) -> list[Finding]:
    found = []
    if not report.get("contributingFactors"):
        found.append(
            _finding(
                "no-contributing-factors",
                "No contributing factors are listed.",
                "contributingFactors",
                "Incidents rarely have one cause: list the conditions that made this one"
                " possible or worse.",
            )
        )
    impact = report.get("impact")
    if not _blank(impact) and not _NUMBER.search(impact):
        found.append(
            _finding(
                "impact-without-numbers",
                "The impact gives no figure.",
                "impact",
                "Say how many users, requests, orders or minutes were affected, even roughly.",
            )
        )
    for name in ("summary", "impact", "rootCause"):
        if _blank(report.get(name)):
            found.append(
                _finding(
                    "empty-section",
                    f"The {_label(name)} is empty.",
                    name,
                    f"Write the {_label(name)}, or say why there is nothing to say.",
                )
            )
    for name, value in report.items():
        if name in _PROSE and name not in ("summary", "impact", "rootCause") and value == "":
            found.append(
                _finding(
                    "empty-section",
                    f"The {_label(name)} is empty.",
                    name,
                    f"Write the {_label(name)}, or remove the section.",
                )
            )
    words = len((report.get("summary") or "").split())
    limit = settings.LINT_SUMMARY_WORDS
    if words > limit:
        found.append(
            _finding(
                "summary-too-long",
                f"The summary has {words} words (more than {limit}).",
                "summary",
                "Keep the summary to what a reader needs first; the details have sections.",
            )
        )
    return found


def _label(name: str) -> str:
    return {"rootCause": "root cause", "lessonsLearned": "lessons learned"}.get(name, name)
