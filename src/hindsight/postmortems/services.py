"""The one write path for post-mortems. The API, the web views and the CLI all call these.

Every function runs in one transaction and locks the post-mortem row first, so concurrent
writers queue up instead of overwriting each other; If-Match (a version number) lets a
client refuse to apply an edit made against a state it has not seen.
"""

from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hindsight.incidents.models import Incident
from hindsight.lib.errors import Conflict, Invalid, NotFound, PermissionDenied, StaleVersion
from hindsight.lib.events import notify
from hindsight.lib.times import resolve_event_time
from hindsight.postmortems import search, templates, workflow
from hindsight.postmortems.models import (
    ActionItem,
    Contributor,
    PostMortem,
    Revision,
    Status,
    Tag,
    TimelineEvent,
    new_action_item_id,
    new_event_id,
)
from hindsight.postmortems.sections import SECTION_NAMES, to_stored

TEXT_FIELDS = ("title", "summary", "impact", "root_cause")
EVENT_FIELDS = ("time", "description", "who", "notes", "kind")
ITEM_FIELDS = (
    "description",
    "owner",
    "status",
    "priority",
    "due_date",
    "horizon",
    "why",
    "category",
    "tracker_url",
)
ITEM_DEFAULTS = {
    "owner": None,
    "status": "TODO",
    "priority": "MEDIUM",
    "due_date": None,
    "horizon": None,
    "why": None,
    "category": None,
    "tracker_url": None,
}
EVENT_DEFAULTS = {"who": None, "notes": None, "kind": None}


# Names as the API writes them, for error messages and the recorded history.
def api_name(field: str) -> str:
    """The camelCase name the API uses for a Python field name."""
    head, *rest = field.split("_")
    return head + "".join(part.title() for part in rest)


# Loading with permission ---------------------------------------------------------------


def get_postmortem_for(user, postmortem_id: str, *, write: bool = False, lock: bool = False):
    """Fetch a post-mortem USER may see (404 otherwise, so drafts do not leak their existence)
    and, with WRITE, may edit (403)."""
    queryset = PostMortem.objects.with_report()
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    try:
        postmortem = queryset.get(pk=postmortem_id)
    except PostMortem.DoesNotExist:
        postmortem = None
    if postmortem is None or not postmortem.can_be_read_by(user):
        raise NotFound(f"There is no post-mortem {postmortem_id}.", fields={"id": postmortem_id})
    if write and not postmortem.can_be_edited_by(user):
        raise PermissionDenied(
            "Only its author, its contributors and admins can change this post-mortem."
        )
    return postmortem


def _incident_or_invalid(incident_id: str) -> Incident:
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        raise Invalid(
            f"There is no incident {incident_id}; create it first (POST /api/incidents).",
            fields={"incidentId": f"unknown incident {incident_id}"},
        )
    return incident


# Snapshots: the post-mortem as plain data, for diffs and history ------------------------


def _event_data(event: TimelineEvent) -> dict:
    return {"id": event.id, **{f: getattr(event, f) for f in EVENT_FIELDS}}


def _item_data(item: ActionItem) -> dict:
    data = {"id": item.id, **{f: getattr(item, f) for f in ITEM_FIELDS}}
    if isinstance(data["due_date"], date):
        data["due_date"] = data["due_date"].isoformat()
    return data


def snapshot(postmortem: PostMortem) -> dict:
    return {
        "incident_id": postmortem.incident_id,
        **{f: getattr(postmortem, f) for f in TEXT_FIELDS},
        "contributors": postmortem.contributors,
        "tags": postmortem.tags,
        **{name: postmortem.section(name) for name in SECTION_NAMES},
        "timeline": [_event_data(e) for e in postmortem.timeline],
        "action_items": [_item_data(i) for i in postmortem.action_item_list],
        "status": postmortem.status,
    }


def _chronological(events: list[dict], start) -> list[dict]:
    def key(pair):
        position, event = pair
        stub = TimelineEvent(time=event["time"], position=position)
        stub.at = resolve_event_time(event["time"], start)
        return stub.sort_key

    return [event for _, event in sorted(enumerate(events), key=key)]


REQUIRED = {"timeline": ("time", "description"), "actionItems": ("description",)}


def _desired_list(kind, current: list[dict], submitted: list[dict], fields, defaults) -> list:
    """Merge a submitted nested list into the current one: entries with an id update that
    entry (fields left out keep their value), entries without one are new and must give
    the required fields, and entries not submitted are removed."""
    by_id = {entry["id"]: entry for entry in current}
    seen: set[str] = set()
    desired = []
    for index, entry in enumerate(submitted):
        entry_id = entry.get("id")
        if entry_id:
            if entry_id not in by_id:
                raise Invalid(
                    f"{kind}[{index}].id: {entry_id} is not an entry of this post-mortem;"
                    " leave the id out to add a new entry.",
                    fields={f"{kind}[{index}].id": f"unknown id {entry_id}"},
                )
            if entry_id in seen:
                raise Invalid(
                    f"{kind}[{index}].id: {entry_id} is listed twice.",
                    fields={f"{kind}[{index}].id": "duplicate id"},
                )
            seen.add(entry_id)
            merged = dict(by_id[entry_id])
        else:
            merged = {"id": None, **defaults}
        for field in fields:
            if field in entry:
                value = entry[field]
                merged[field] = value.isoformat() if isinstance(value, date) else value
        for field in REQUIRED[kind]:
            if not merged.get(field):
                raise Invalid(
                    f"{kind}[{index}].{field} is required.",
                    fields={f"{kind}[{index}].{field}": "required"},
                )
        desired.append(merged)
    return desired


# Create --------------------------------------------------------------------------------


def create_postmortem(data: dict, *, by) -> PostMortem:
    """Create a post-mortem (DRAFT unless IN_REVIEW is asked for) with its nested lists."""
    if not by.can_write:
        raise PermissionDenied("Viewers cannot create post-mortems.")
    if data.get("template"):
        data = templates.prefill(data["template"], data)
    status = data.get("status") or Status.DRAFT
    if status not in workflow.INITIAL:
        raise Invalid(
            f"A post-mortem starts as DRAFT or IN_REVIEW, not {status}.",
            fields={"status": "must be DRAFT or IN_REVIEW when creating"},
            allowed=[str(s) for s in workflow.INITIAL],
        )
    with transaction.atomic():
        incident = _incident_or_invalid(data["incident_id"])
        postmortem = PostMortem.objects.create(
            incident=incident,
            created_by=by,
            status=status,
            sections={n: to_stored(n, data[n]) for n in SECTION_NAMES if data.get(n) is not None},
            **{f: data.get(f) for f in TEXT_FIELDS if data.get(f) is not None},
        )
        _write_contributors(postmortem, data.get("contributors") or [])
        _write_tags(postmortem, data.get("tags") or [])
        events = _desired_list(
            "timeline", [], data.get("timeline") or [], EVENT_FIELDS, EVENT_DEFAULTS
        )
        items = _desired_list(
            "actionItems", [], data.get("action_items") or [], ITEM_FIELDS, ITEM_DEFAULTS
        )
        _write_events(postmortem, _chronological(events, incident.started_at))
        _write_items(postmortem, items)
        search.reindex(postmortem)
        fresh = get_postmortem_for(by, postmortem.pk)
        after = snapshot(fresh)
        Revision.objects.create(
            postmortem=fresh,
            version=1,
            changed_by=by,
            changes={api_name(k): {"old": None, "new": v} for k, v in after.items()},
        )
        _announce(fresh, {"status": None, "action_items": []}, after, by=by)
    return fresh


# Update --------------------------------------------------------------------------------


def update_postmortem(postmortem_id: str, data: dict, *, by, if_match: int | None = None):
    """Apply a partial update (JSON merge semantics, nested lists as desired lists)."""
    with transaction.atomic():
        postmortem = get_postmortem_for(by, postmortem_id, write=True, lock=True)
        return _apply(postmortem, data, by=by, if_match=if_match)


def may_follow_through(postmortem: PostMortem, owner: str | None, user) -> bool:
    """Whether USER may change the follow-through (status, owner, due date, tracker link)
    of an item owned by OWNER: the report's editors, and the item's owner if a member."""
    if postmortem.can_be_edited_by(user):
        return True
    return user.can_write and (owner or "").lower() in user.identities


def update_action_item(item_id: str, data: dict, *, by, if_match: int | None = None):
    """Change one action item; returns (post-mortem, item). Its owner may change its
    follow-through (status, owner, due date) even without edit rights on the report."""
    with transaction.atomic():
        postmortem_id = (
            ActionItem.objects.filter(pk=item_id).values_list("postmortem_id", flat=True).first()
        )
        if postmortem_id is None:
            raise NotFound(f"There is no action item {item_id}.", fields={"id": item_id})
        try:
            postmortem = get_postmortem_for(by, postmortem_id, lock=True)
        except NotFound:
            raise NotFound(f"There is no action item {item_id}.", fields={"id": item_id}) from None
        current = snapshot(postmortem)["action_items"]
        item = next(i for i in current if i["id"] == item_id)
        if not postmortem.can_be_edited_by(by):
            if not may_follow_through(postmortem, item["owner"], by):
                raise PermissionDenied(
                    "Only the report's authors, its admins and the item's owner can change it."
                )
            beyond = sorted(set(data) - set(ActionItem.FOLLOW_THROUGH_FIELDS))
            if beyond:
                raise PermissionDenied(
                    "As the item's owner you may change its status, owner, due date and"
                    " tracker link only.",
                    fields={api_name(f): "not yours to change" for f in beyond},
                )
        submitted = [dict(i, **data) if i["id"] == item_id else i for i in current]
        postmortem = _apply(postmortem, {"action_items": submitted}, by=by, if_match=if_match)
        item_row = next(i for i in postmortem.action_item_list if i.id == item_id)
        return postmortem, item_row


def _apply(postmortem: PostMortem, data: dict, *, by, if_match: int | None) -> PostMortem:
    if if_match is not None and if_match != postmortem.version:
        raise StaleVersion(
            f"The post-mortem changed since version {if_match}; it is now at version"
            f" {postmortem.version}. Reload it and apply your change again.",
            fields={"If-Match": f"stale version {if_match}"},
            currentVersion=postmortem.version,
        )
    before = snapshot(postmortem)
    after = dict(before)
    for field in TEXT_FIELDS:
        if field in data:
            after[field] = data[field]
    if "incident_id" in data:
        after["incident_id"] = data["incident_id"]
        incident = _incident_or_invalid(data["incident_id"])
    else:
        incident = postmortem.incident
    if "contributors" in data:
        after["contributors"] = _clean_labels(data["contributors"])
    if "tags" in data:
        after["tags"] = _clean_labels(data["tags"])
    for name in SECTION_NAMES:
        if name in data:
            after[name] = to_stored(name, data[name])
    if "timeline" in data:
        events = _desired_list(
            "timeline", before["timeline"], data["timeline"], EVENT_FIELDS, EVENT_DEFAULTS
        )
        after["timeline"] = _chronological(events, incident.started_at)
    if "action_items" in data:
        after["action_items"] = _desired_list(
            "actionItems", before["action_items"], data["action_items"], ITEM_FIELDS, ITEM_DEFAULTS
        )
    target = data.get("status") or postmortem.status
    after["status"] = target

    changed = [field for field in after if after[field] != before[field]]
    if not changed:
        return postmortem
    _check_lock(postmortem, before, after, changed)
    if target != postmortem.status:
        workflow.check_move(postmortem, target, by, action_items=after["action_items"])

    now = timezone.now()
    columns = {f: after[f] for f in TEXT_FIELDS if f in changed}
    if any(name in changed for name in SECTION_NAMES):
        columns["sections"] = {
            name: after[name] for name in SECTION_NAMES if after[name] not in (None, [])
        }
    if "incident_id" in changed:
        columns["incident"] = incident
    if "status" in changed:
        columns["status"] = target
        if target == Status.PUBLISHED and postmortem.published_at is None:
            columns["published_at"] = now
    updated = PostMortem.objects.filter(pk=postmortem.pk, version=postmortem.version).update(
        version=F("version") + 1, updated_at=now, **columns
    )
    if updated != 1:  # only reachable if a writer bypassed the row lock
        raise StaleVersion("The post-mortem changed while saving; reload and try again.")
    if "contributors" in changed:
        postmortem.contributor_rows.all().delete()
        _write_contributors(postmortem, after["contributors"])
    if "tags" in changed:
        postmortem.tag_rows.all().delete()
        _write_tags(postmortem, after["tags"])
    if "timeline" in changed:
        _write_events(postmortem, after["timeline"])
    if "action_items" in changed:
        _write_items(postmortem, after["action_items"])
    if any(f in changed for f in TEXT_FIELDS):
        for field, value in columns.items():
            setattr(postmortem, field, value)
        search.reindex(postmortem)
    Revision.objects.create(
        postmortem=postmortem,
        version=postmortem.version + 1,
        changed_by=by,
        changes={api_name(f): {"old": before[f], "new": after[f]} for f in changed},
    )
    fresh = get_postmortem_for(by, postmortem.pk)
    _announce(fresh, before, after, by=by)
    return fresh


def _announce(postmortem: PostMortem, before: dict, after: dict, *, by) -> None:
    """Tell the notifications seam what this change meant (in the writing transaction)."""
    common = {"postmortem_id": postmortem.id, "title": postmortem.title, "by": by.username}
    if after["status"] != before["status"]:
        if after["status"] == Status.IN_REVIEW:
            notify("postmortem.submitted", version=postmortem.version, **common)
        elif after["status"] == Status.PUBLISHED:
            notify("postmortem.published", version=postmortem.version, **common)
    owners = {item["id"]: item["owner"] for item in before["action_items"]}
    for item in postmortem.action_item_list:
        if item.owner and (item.owner or "").lower() != (owners.get(item.id) or "").lower():
            notify(
                "action_item.assigned",
                item_id=item.id,
                owner=item.owner,
                description=item.description,
                due_date=item.due_date.isoformat() if item.due_date else None,
                **common,
            )


def _check_lock(postmortem: PostMortem, before: dict, after: dict, changed: list[str]) -> None:
    """A published report keeps its text; only its action items' follow-through moves on."""
    if postmortem.status == Status.ARCHIVED:
        raise Conflict(
            "This post-mortem is archived and read-only.",
            fields={api_name(f): "read-only once archived" for f in changed},
            allowed=[],
        )
    if postmortem.status != Status.PUBLISHED:
        return
    refused = [f for f in changed if f not in ("status", "action_items")]
    if "action_items" in changed:
        old = {i["id"]: i for i in before["action_items"]}
        new_ids = [i["id"] for i in after["action_items"]]
        if new_ids != [i["id"] for i in before["action_items"]]:
            refused.append("action_items")
        else:
            for item in after["action_items"]:
                locked = [f for f in ITEM_FIELDS if f not in ActionItem.FOLLOW_THROUGH_FIELDS]
                if any(item[f] != old[item["id"]][f] for f in locked):
                    refused.append("action_items")
                    break
    if refused:
        names = ", ".join(api_name(f) for f in refused)
        raise Conflict(
            f"This post-mortem is published and locked: {names} can no longer change."
            " Only action items' status, owner, due date and tracker link stay editable.",
            fields={api_name(f): "locked after publishing" for f in refused},
            allowed=[str(s) for s in workflow.TRANSITIONS[postmortem.status]],
        )


# Writing nested rows ------------------------------------------------------------------


def _clean_labels(values: list[str]) -> list[str]:
    """Trimmed, without blanks, each once (case-insensitively), in the order given."""
    cleaned, keys = [], set()
    for value in values:
        value = value.strip()
        if value and value.lower() not in keys:
            keys.add(value.lower())
            cleaned.append(value)
    return cleaned


def _write_contributors(postmortem: PostMortem, values: list[str]) -> None:
    Contributor.objects.bulk_create(
        Contributor(postmortem=postmortem, value=value, key=value.lower(), position=index)
        for index, value in enumerate(_clean_labels(values))
    )


def _write_tags(postmortem: PostMortem, names: list[str]) -> None:
    Tag.objects.bulk_create(
        Tag(postmortem=postmortem, name=name, position=index)
        for index, name in enumerate(_clean_labels(names))
    )


def _write_rows(model, postmortem, fields, after: list[dict], new_id):
    kept = {entry["id"] for entry in after if entry["id"]}
    model.objects.filter(postmortem=postmortem).exclude(pk__in=kept).delete()
    to_update, to_create = [], []
    for position, entry in enumerate(after):
        values = {f: entry[f] for f in fields}
        if entry["id"] is None:
            to_create.append(model(id=new_id(), postmortem=postmortem, position=position, **values))
        else:
            to_update.append(
                model(id=entry["id"], postmortem=postmortem, position=position, **values)
            )
    if to_update:
        model.objects.bulk_update(to_update, [*fields, "position"])
    if to_create:
        model.objects.bulk_create(to_create)


def _write_events(postmortem, after):
    _write_rows(TimelineEvent, postmortem, EVENT_FIELDS, after, new_event_id)


def _write_items(postmortem, after):
    _write_rows(ActionItem, postmortem, ITEM_FIELDS, after, new_action_item_id)


# Delete --------------------------------------------------------------------------------


def delete_postmortem(postmortem_id: str, *, by, if_match: int | None = None) -> None:
    """Only a DRAFT can be deleted, by its creator or an admin; anything further along is
    part of the record and is archived instead."""
    with transaction.atomic():
        postmortem = get_postmortem_for(by, postmortem_id, lock=True)
        if not (by.is_admin or postmortem.created_by_id == by.pk):
            raise PermissionDenied("Only the post-mortem's creator or an admin can delete it.")
        if postmortem.status != Status.DRAFT:
            raise Conflict(
                f"A {postmortem.status} post-mortem cannot be deleted; only drafts can."
                + (" Archive it instead." if postmortem.status == Status.PUBLISHED else ""),
                fields={"status": postmortem.status},
                allowed=workflow.allowed_moves(postmortem, by),
            )
        if if_match is not None and if_match != postmortem.version:
            raise StaleVersion(
                f"The post-mortem changed since version {if_match}; reload it before deleting.",
                fields={"If-Match": f"stale version {if_match}"},
                currentVersion=postmortem.version,
            )
        search.unindex(postmortem)
        postmortem.delete()
