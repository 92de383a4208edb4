"""The timeline as the edit page draws it: the report's events with the incident's
milestones (started, detected, acknowledged, mitigated, resolved) placed among them in
time order, each milestone with the time since the one before."""

from dataclasses import dataclass
from datetime import datetime

from hindsight.lib.times import resolve_event_time

MILESTONES = (
    ("started_at", "Started"),
    ("detected_at", "Detected"),
    ("acknowledged_at", "Acknowledged"),
    ("mitigated_at", "Mitigated"),
    ("resolved_at", "Resolved"),
)


@dataclass
class Milestone:
    label: str
    at: datetime
    previous: str | None = None  # the milestone before it, if any
    since: int | None = None  # seconds since that one


def milestones(incident) -> list[Milestone]:
    """The incident's recorded milestones in time order (a milestone not recorded is left
    out), each with the seconds since the previous one."""
    found = [
        Milestone(label, getattr(incident, name))
        for name, label in MILESTONES
        if getattr(incident, name) is not None
    ]
    found.sort(key=lambda m: m.at)  # stable: equal times keep the declared order
    for before, milestone in zip(found, found[1:], strict=False):
        milestone.previous = before.label
        milestone.since = int((milestone.at - before.at).total_seconds())
    return found


def entries(postmortem) -> list[tuple[str, object]]:
    """("milestone", Milestone) and ("event", TimelineEvent) in time order. An event whose
    instant is unknown keeps its place; milestones go before the first event after them."""
    pending = milestones(postmortem.incident)
    shown: list[tuple[str, object]] = []
    for event in postmortem.timeline:
        while pending and event.at is not None and pending[0].at <= event.at:
            shown.append(("milestone", pending.pop(0)))
        shown.append(("event", event))
    shown.extend(("milestone", m) for m in pending)
    return shown


def preview(events: list[dict], incident) -> list[dict]:
    """Events about to be added, each with the instant its time names (or None)."""
    return [{**e, "at": resolve_event_time(e["time"], incident.started_at)} for e in events]
