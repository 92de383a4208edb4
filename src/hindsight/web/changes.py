"""Edits as the web app makes them, expressed through the post-mortem services.

The services take whole nested lists ("the timeline should now be this"); the web app's
small steps (add one event, move one up) are built here from the current state and sent
with that state's version, so a write made in between is never overwritten.
"""

from dataclasses import dataclass, field

from hindsight.lib.errors import StaleVersion
from hindsight.lib.schema import api_name
from hindsight.postmortems import services
from hindsight.postmortems.models import PostMortem, Revision
from hindsight.postmortems.sections import SECTION_NAMES, to_stored
from hindsight.web.sectionform import label


def timeline(postmortem: PostMortem) -> list[dict]:
    return services.snapshot(postmortem)["timeline"]


def action_items(postmortem: PostMortem) -> list[dict]:
    return services.snapshot(postmortem)["action_items"]


def save_timeline(postmortem: PostMortem, events: list[dict], *, by) -> PostMortem:
    return services.update_postmortem(
        postmortem.id, {"timeline": events}, by=by, if_match=postmortem.version
    )


def save_action_items(postmortem: PostMortem, items: list[dict], *, by) -> PostMortem:
    return services.update_postmortem(
        postmortem.id, {"action_items": items}, by=by, if_match=postmortem.version
    )


def with_event_moved(events: list[dict], event_id: str, step: int) -> list[dict]:
    """Swap the event with its neighbour. The services keep the list chronological, so
    this only changes the order of events that share the same time."""
    index = next(i for i, e in enumerate(events) if e["id"] == event_id)
    other = index + step
    if 0 <= other < len(events):
        events[index], events[other] = events[other], events[index]
    return events


def tied_neighbours(postmortem: PostMortem) -> dict[str, tuple[bool, bool]]:
    """For each event id: whether it can move up / down (a neighbour shares its time)."""
    events = postmortem.timeline
    keys = [e.sort_key[:2] for e in events]
    return {
        e.id: (i > 0 and keys[i - 1] == keys[i], i + 1 < len(events) and keys[i + 1] == keys[i])
        for i, e in enumerate(events)
    }


# Conflicting edits ----------------------------------------------------------------------


@dataclass
class Conflict:
    """Someone saved the report after the version the person started from."""

    current: PostMortem
    revisions: list[Revision]
    fields: list[dict] = field(default_factory=list)  # {"name", "label", "theirs"}
    theirs_only: list[str] = field(default_factory=list)  # changed by them, not by this person


def _stored(name: str, value):
    return to_stored(name, value) if name in SECTION_NAMES else value


def save_report(postmortem_id: str, data: dict, *, base_version: int, by):
    """Save the edit form's fields, made against BASE_VERSION.

    If others saved meanwhile, fields only they changed keep their value, fields only this
    person changed are applied, and a field both changed is a conflict: nothing is saved and
    the Conflict says what the others wrote. Returns (post-mortem, None) or (None, Conflict).
    """
    version = base_version
    for _attempt in range(3):
        try:
            return services.update_postmortem(postmortem_id, data, by=by, if_match=version), None
        except StaleVersion:
            current = services.get_postmortem_for(by, postmortem_id, write=True)
            revisions = list(
                Revision.objects.filter(postmortem_id=postmortem_id, version__gt=base_version)
                .select_related("changed_by")
                .order_by("version")
            )
            at_base, theirs = {}, {}
            for revision in revisions:
                for name, change in revision.changes.items():
                    at_base.setdefault(name, change["old"])
                    theirs[name] = change["new"]
            mine, clashes, theirs_only = {}, [], []
            for key, value in data.items():
                name = api_name(key)
                if name in at_base:
                    stored = _stored(key, value)
                    if stored in (at_base[name], theirs[name]):
                        theirs_only.append(key)
                        continue  # untouched by this person, or the same change: keep theirs
                    clashes.append({"name": key, "label": label(key), "theirs": theirs[name]})
                mine[key] = value
            if clashes:
                return None, Conflict(
                    current=current, revisions=revisions, fields=clashes, theirs_only=theirs_only
                )
            data, version = mine, current.version
    raise StaleVersion("The post-mortem keeps changing; reload it and try again.")
