"""The one write path for post-mortems. The API, the web views and the CLI all call these.

A write is a sequence of small steps, each a function below, inside one transaction that
locks the post-mortem row first (so concurrent writers queue up instead of overwriting each
other): check the version (If-Match) → work out the new state from the request → check the
lock and the workflow → write the scalar columns → write the nested rows → record the
revision → index for search → store the rendered document → queue the events. The returned
post-mortem carries what was written (its nested rows prefetched), so nothing is read again.
A create has no row to lock: it works the whole new report out first, then writes it in
one short transaction, provided its incident is still the version it was worked out from.
"""

import copy
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from hindsight.accounts.services import people_names, users_named
from hindsight.incidents.models import Incident
from hindsight.incidents.signals import Report
from hindsight.lib.compiled import CompiledGet, insert, insert_if
from hindsight.lib.errors import Conflict, Invalid, NotFound, PermissionDenied, StaleVersion
from hindsight.lib.events import notify_all
from hindsight.lib.http import IfMatch, precondition_holds
from hindsight.lib.schema import api_name
from hindsight.lib.times import resolve_event_time
from hindsight.lib.writers import write_transaction
from hindsight.postmortems import document, factors, fields, lint, search, templates, workflow
from hindsight.postmortems.models import (
    UNFINISHED,
    ActionItem,
    Contributor,
    ItemStatus,
    PostMortem,
    Revision,
    Status,
    Tag,
    TimelineEvent,
    due_window,
    named,
    new_action_item_id,
    new_event_id,
)
from hindsight.postmortems.sections import SECTION_NAMES, to_stored

TEXT_FIELDS = fields.names(fields.REPORT_FIELDS)
SEARCHED_FIELDS = fields.names(fields.REPORT_TEXT_FIELDS)
# What related.store_best_match compares (the incident: its services and start), and the
# action items that make this report another's possible recurrence: a change marks the
# report's best match due.
MATCHED_FIELDS = (
    "title",
    "root_cause",
    "contributing_factors",
    "tags",
    "incident_id",
    "action_items",
)
# The incident's fields related.store_best_match compares (services) or asks of a possible
# recurrence (its start): a change marks its reports' best matches due.
MATCHED_INCIDENT_FIELDS = ("services", "started_at")
# Nested lists by their Python name: (API name, declaration, model, id maker, prefetch name).
NESTED = {
    "timeline": ("timeline", fields.EVENT_FIELDS, TimelineEvent, new_event_id, "timeline_events"),
    "action_items": (
        "actionItems",
        fields.ITEM_FIELDS,
        ActionItem,
        new_action_item_id,
        "action_items",
    ),
}


# Loading with permission ---------------------------------------------------------------


def get_postmortem_for(
    user, postmortem_id: str, *, write: bool = False, lock: bool = False, html: bool = False
):
    """Fetch a post-mortem USER may see (404 otherwise, so drafts do not leak their existence)
    and, with WRITE, may edit (403). HTML loads its stored renderings in the same query (for
    a page that shows its text)."""
    queryset = PostMortem.objects.with_report()
    if html:
        queryset = queryset.defer(None).defer("document", "list_row", "markdown")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    postmortem = queryset.filter(pk=postmortem_id).first()
    if postmortem is None or not postmortem.can_be_read_by(user):
        raise NotFound(f"There is no post-mortem {postmortem_id}.", fields={"id": postmortem_id})
    if write and not postmortem.can_be_edited_by(user):
        raise PermissionDenied(
            "Only its author, its contributors and admins can change this post-mortem."
        )
    return postmortem


_incident_by_id = CompiledGet(Incident)  # every create looks one up


def _incident_or_invalid(incident_id: str) -> Incident:
    incident = _incident_by_id(incident_id)
    if incident is None:
        raise Invalid(
            f"There is no incident {incident_id}; create it first (POST /api/incidents).",
            fields={"incidentId": f"unknown incident {incident_id}"},
        )
    return incident


# The state: a post-mortem as plain data, for diffs and history ---------------------------


def _entry(row, entry_fields) -> dict:
    return {"id": row.id, **{f.name: fields.plain(getattr(row, f.name)) for f in entry_fields}}


def snapshot(postmortem: PostMortem) -> dict:
    return {
        "incident_id": postmortem.incident_id,
        **{f: getattr(postmortem, f) for f in TEXT_FIELDS},
        "contributors": postmortem.contributors,
        "tags": postmortem.tags,
        **{name: postmortem.section(name) for name in SECTION_NAMES},
        "timeline": [_entry(e, fields.EVENT_FIELDS) for e in postmortem.timeline],
        "action_items": [_entry(i, fields.ITEM_FIELDS) for i in postmortem.action_item_list],
        "status": postmortem.status,
    }


def _chronological(events: list[dict], start) -> list[dict]:
    def key(pair):
        position, event = pair
        stub = TimelineEvent(time=event["time"], position=position)
        stub.at = resolve_event_time(event["time"], start)
        return stub.sort_key

    return [event for _, event in sorted(enumerate(events), key=key)]


def _desired_list(kind: str, current: list[dict], submitted: list[dict]) -> list[dict]:
    """Merge a submitted nested list into the current one: entries with an id update that
    entry (fields left out keep their value), entries without one are new (they get an id
    here) and must give the required fields, and entries not submitted are removed."""
    api_kind, entry_fields, _, new_id, _ = NESTED[kind]
    by_id = {entry["id"]: entry for entry in current}
    seen: set[str] = set()
    desired = []
    for index, entry in enumerate(submitted):
        entry_id = entry.get("id")
        if entry_id:
            if entry_id not in by_id:
                raise Invalid(
                    f"{api_kind}[{index}].id: {entry_id} is not an entry of this post-mortem;"
                    " leave the id out to add a new entry.",
                    fields={f"{api_kind}[{index}].id": f"unknown id {entry_id}"},
                )
            if entry_id in seen:
                raise Invalid(
                    f"{api_kind}[{index}].id: {entry_id} is listed twice.",
                    fields={f"{api_kind}[{index}].id": "duplicate id"},
                )
            seen.add(entry_id)
            merged = dict(by_id[entry_id])
        else:
            merged = {"id": new_id(), **fields.defaults(entry_fields)}
        for field in fields.writable(entry_fields):
            if field.name in entry:
                merged[field.name] = fields.plain(entry[field.name])
        if entry_id:
            _confirm_when_edited(merged, by_id[entry_id], entry_fields)
        for field in entry_fields:
            if field.required and not merged.get(field.name):
                raise Invalid(
                    f"{api_kind}[{index}].{field.api_name} is required.",
                    fields={f"{api_kind}[{index}].{field.api_name}": "required"},
                )
        desired.append(merged)
    return desired


def _confirm_when_edited(merged: dict, old: dict, entry_fields) -> None:
    """An edit confirms a template's suggestion. Only a new entry can start unconfirmed:
    true sent for one already confirmed is a read-back (a copy read before someone
    confirmed it) and keeps it confirmed."""
    if not old["unconfirmed"]:
        merged["unconfirmed"] = False
        return
    edited = any(
        merged[f.name] != old[f.name]
        for f in fields.writable(entry_fields)
        if f is not fields.UNCONFIRMED
    )
    if edited:
        merged["unconfirmed"] = False


def confirm_all(entries: list[dict]) -> list[dict]:
    return [dict(entry, unconfirmed=False) if entry["unconfirmed"] else entry for entry in entries]


def _derive_completion(before: list[dict], after: list[dict], now) -> None:
    """An item's completedAt: set when it becomes DONE, cleared when it leaves DONE."""
    was_done = {item["id"] for item in before if item["status"] == ItemStatus.DONE}
    for item in after:
        if item["status"] != ItemStatus.DONE:
            item["completed_at"] = None
        elif item["id"] not in was_done:
            item["completed_at"] = fields.instant(now)


def _desired_state(before: dict, data: dict, incident: Incident, *, status: str, now) -> dict:
    """The report's state once DATA (a validated body, Python names) is applied to BEFORE."""
    check_list_limits(data)
    after = dict(before)
    for field in fields.REPORT_FIELDS:
        if field.name in data:
            value = data[field.name]
            after[field.name] = {} if value is None and field.type is dict else value
    after["incident_id"] = incident.pk
    for name in ("contributors", "tags"):
        if name in data:
            after[name] = _clean_labels(data[name])
    for name in SECTION_NAMES:
        if name in data:
            after[name] = to_stored(name, data[name])
    if "timeline" in data:
        events = _desired_list("timeline", before["timeline"], data["timeline"])
        after["timeline"] = _chronological(events, incident.started_at)
    if "action_items" in data:
        after["action_items"] = _desired_list(
            "action_items", before["action_items"], data["action_items"]
        )
        _derive_completion(before["action_items"], after["action_items"], now)
    after["status"] = status
    return after


def check_list_limits(data: dict) -> None:
    """The API's schemas refuse an over-long list already; this holds the same declared
    limits for every other caller (the web's one-entry additions, the CLI)."""
    for name, limit in fields.LIST_LIMITS.items():
        if len(data.get(name) or ()) > limit:
            raise Invalid(
                f"{api_name(name)} holds {len(data[name]):,} entries; at most {limit:,} are allowed.",
                fields={api_name(name): f"at most {limit} entries"},
                limit=limit,
            )


# A report before its first write: what each field holds when a create body leaves it out.
EMPTY_STATE = {
    "incident_id": None,
    **fields.defaults(fields.REPORT_FIELDS),
    "front_matter": {},
    "contributors": [],
    "tags": [],
    **{name: to_stored(name, None) for name in SECTION_NAMES},
    "timeline": [],
    "action_items": [],
    "status": None,
}


# Create --------------------------------------------------------------------------------


def create_postmortem(data: dict, *, by) -> PostMortem:
    """Create a post-mortem (DRAFT unless IN_REVIEW is asked for) with its nested lists.

    Everything a new report's rows follow from — its state, its stored document, the lint,
    its revision and its events — is worked out before the write transaction, so on SQLite,
    where one writer at a time holds the database, the writer holds it for the writes and
    the few reads that must see the database as they do (the factor categories, the users
    contributors name, the channels). A caller that opens its own write transaction around
    this (the web form, which may create the incident too; an import) holds it throughout.
    """
    if not may_create_postmortem(by):
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
    new = _new_report(data, _incident_or_invalid(data["incident_id"]), status=status, by=by)
    with write_transaction():
        for attempt in range(1, ATTEMPTS + 1):
            if _insert(new):
                return new.postmortem
            if attempt < ATTEMPTS:
                # The incident changed since it was read: the report is worked out again
                # with the incident as it is now (on SQLite, where this writer now holds
                # the database, the second try always stores it).
                incident = _incident_or_invalid(data["incident_id"])
                new = _new_report(data, incident, status=status, by=by)
    raise Conflict(
        f"The incident {data['incident_id']} kept changing while this post-mortem was being"
        " saved; nothing was saved. Send it again.",
        fields={"incidentId": "changed while saving"},
    )


# Tries at storing a new report whose incident keeps changing under it (PostgreSQL only:
# on SQLite the second always succeeds).
ATTEMPTS = 5


@dataclass
class NewReport:
    """A post-mortem ready to be stored: its instance (nested rows prefetched, stored
    document rendered), the rows beside it, its first revision and the events it causes."""

    postmortem: PostMortem
    state: dict
    labels: dict
    plans: list
    revision: Revision
    events: list


def _new_report(data: dict, incident: Incident, *, status: str, by) -> NewReport:
    now = timezone.now()
    state = _desired_state(EMPTY_STATE, data, incident, status=status, now=now)
    postmortem = PostMortem(
        incident=incident,
        created_by=by,
        status=state["status"],
        sections=_sections_column(state),
        template_hints=data.get("template_hints") or {},
        created_at=now,
        updated_at=now,
        incident_started_at=incident.started_at,
        incident_resolved_at=incident.resolved_at,
        **{f: state[f] for f in TEXT_FIELDS if state[f] is not None},
    )
    labels = {
        "contributor_rows": _labels(postmortem, Contributor, state["contributors"]),
        "tag_rows": _labels(postmortem, Tag, state["tags"]),
    }
    postmortem._prefetched_objects_cache = dict(labels)
    plans = [_plan_nested(postmortem, kind, [], state[kind], now=now) for kind in NESTED]
    for name, value in document.columns(postmortem, now=now).items():
        setattr(postmortem, name, value)
    _check_lint(postmortem)
    return NewReport(
        postmortem=postmortem,
        state=state,
        labels=labels,
        plans=plans,
        revision=_revision(postmortem, dict.fromkeys(state), state, list(state), by=by),
        events=_announcements(postmortem, EMPTY_STATE, state, by=by),
    )


def _still_at_version(incident: Incident) -> tuple[str, list]:
    """SQL that holds while INCIDENT is at the version it was read at. On PostgreSQL it also
    keeps the incident from changing until the writing transaction ends (FOR SHARE): an
    incident change waits, then renders the new report again with the others about it."""
    quote = connection.ops.quote_name
    table, pk, version = (
        quote(name) for name in (Incident._meta.db_table, Incident._meta.pk.column, "version")
    )
    share = " FOR SHARE" if connection.vendor == "postgresql" else ""
    sql = f"EXISTS (SELECT 1 FROM {table} WHERE {pk} = %s AND {version} = %s{share})"
    return sql, [incident.pk, incident.version]


def _insert(new: NewReport) -> bool:
    """The new report's rows, one INSERT a table (no delete: there is nothing to replace),
    its revision, its search entry and its events; none of them (False) if its incident is
    no longer the version the report was worked out from."""
    postmortem = new.postmortem
    # Here, not when the report is worked out: a category retired or deleted meanwhile is
    # refused (400), not stored (or failed on its foreign key).
    factors.check([], new.state["contributing_factors"])
    if not insert_if(postmortem, *_still_at_version(postmortem.incident)):
        return False
    for rows in new.labels.values():
        _write_labels(rows)
    for plan in new.plans:
        plan.save()
    factors.write_rows(postmortem, new.state["contributing_factors"], new=True)
    insert([new.revision])
    search.reindex(postmortem, new=True)  # its best match: due (the model's default)
    notify_all(new.events)
    return True


# Update --------------------------------------------------------------------------------


def update_postmortem(postmortem_id: str, data: dict, *, by, if_match: IfMatch | int | None = None):
    """Apply a partial update (JSON merge semantics, nested lists as desired lists)."""
    with write_transaction():
        # With its stored HTML, so the texts this change leaves alone are not rendered again.
        postmortem = get_postmortem_for(by, postmortem_id, write=True, lock=True, html=True)
        return _apply(postmortem, data, by=by, if_match=if_match)


def needs_postmortem(
    incidents: QuerySet[Incident] | None = None, *, now: datetime | None = None
) -> QuerySet[Incident]:
    """The INCIDENTS (all by default) that need a post-mortem: resolved, and with no
    post-mortem at all, or with only post-mortems past their due time (still DRAFT or
    IN_REVIEW, HINDSIGHT_POSTMORTEM_DUE_HOURS after the resolution: PostMortem.is_overdue).
    A draft counts as existing whoever may read it; a published or archived one, or an
    unfinished one still within its time, settles it. An unresolved incident needs none yet."""
    cutoff = (now or timezone.now()) - due_window()
    incidents = Incident.objects.all() if incidents is None else incidents
    any_postmortem = PostMortem.objects.filter(incident=OuterRef("pk"))
    finished = any_postmortem.exclude(status__in=UNFINISHED)
    return (
        incidents.filter(resolved_at__isnull=False)
        .exclude(Exists(finished))
        .filter(~Exists(any_postmortem) | Q(resolved_at__lt=cutoff))
    )


def may_create_postmortem(user) -> bool:
    return user.can_write


def may_follow_through(postmortem: PostMortem, owner: str | None, user) -> bool:
    """Whether USER may change the follow-through (status, due date, tracker link) of an
    item owned by OWNER, in any status but ARCHIVED: the report's editors (admins, creator,
    contributors), and the item's owner when OWNER names USER, whatever USER's role."""
    if postmortem.status == Status.ARCHIVED:
        return False
    return postmortem.can_be_edited_by(user) or _owns(owner, user)


def _owns(owner: str | None, user) -> bool:
    return bool(owner) and owner.strip().lower() in user.identities


def items_followable_by(user, items) -> set[str]:
    """The ids of ITEMS (their post-mortems loaded) whose follow-through USER may change:
    may_follow_through for a page of items from many reports, in one query."""
    reports = {item.postmortem_id: item.postmortem for item in items}
    if user.is_admin:
        editable = set(reports)
    elif user.can_write:
        editable = set(
            PostMortem.objects.filter(named(user), pk__in=reports).values_list("pk", flat=True)
        )
    else:
        editable = set()
    return {
        item.id
        for item in items
        if item.postmortem.status != Status.ARCHIVED
        and (item.postmortem_id in editable or _owns(item.owner, user))
    }


def may_change_owner(postmortem: PostMortem, user) -> bool:
    """Handing an item to someone else stays with the report's editors."""
    return postmortem.status != Status.ARCHIVED and postmortem.can_be_edited_by(user)


def update_action_item(item_id: str, data: dict, *, by, if_match: IfMatch | int | None = None):
    """Change one action item; returns (post-mortem, item). Its owner may change its
    follow-through (status, owner, due date, tracker link) without edit rights on the
    report."""
    with write_transaction():
        postmortem_id = (
            ActionItem.objects.filter(pk=item_id).values_list("postmortem_id", flat=True).first()
        )
        if postmortem_id is None:
            raise NotFound(f"There is no action item {item_id}.", fields={"id": item_id})
        try:
            postmortem = get_postmortem_for(by, postmortem_id, lock=True, html=True)
        except NotFound:
            raise NotFound(f"There is no action item {item_id}.", fields={"id": item_id}) from None
        current = snapshot(postmortem)["action_items"]
        item = next(i for i in current if i["id"] == item_id)
        if not postmortem.can_be_edited_by(by):
            if not may_follow_through(postmortem, item["owner"], by):
                raise PermissionDenied(
                    "Only the report's authors, its admins and the item's owner can change it."
                )
            # Sending a field's current value unchanged is not changing it.
            beyond = sorted(
                name
                for name in data
                if name not in fields.OWNER_FOLLOW_THROUGH and data[name] != item.get(name)
            )
            if beyond:
                raise PermissionDenied(
                    "As the item's owner you may change its status, due date and tracker"
                    " link only.",
                    fields={api_name(f): "not yours to change" for f in beyond},
                )
        submitted = [dict(i, **data) if i["id"] == item_id else i for i in current]
        postmortem = _apply(postmortem, {"action_items": submitted}, by=by, if_match=if_match)
        item_row = next(i for i in postmortem.action_item_list if i.id == item_id)
        return postmortem, item_row


def _check_version(postmortem: PostMortem, if_match: IfMatch | int | None) -> None:
    if not precondition_holds(if_match, postmortem.version):
        raise StaleVersion(
            f"The post-mortem is at version {postmortem.version}, not {if_match}."
            " Reload it and apply your change again.",
            fields={"If-Match": f"not the current version: {if_match}"},
            currentVersion=postmortem.version,
        )


def _apply(postmortem: PostMortem, data: dict, *, by, if_match: IfMatch | int | None) -> PostMortem:
    _check_version(postmortem, if_match)
    incident = (
        _incident_or_invalid(data["incident_id"]) if "incident_id" in data else postmortem.incident
    )
    now = timezone.now()
    before = snapshot(postmortem)
    target = data.get("status") or postmortem.status
    data = dict(data)
    confirm = data.pop("confirm_template_content", None)
    after = _desired_state(before, data, incident, status=target, now=now)
    if confirm:
        after["timeline"] = confirm_all(after["timeline"])
        after["action_items"] = confirm_all(after["action_items"])
    changed = [field for field in after if after[field] != before[field]]
    if not changed:
        return postmortem
    _check_lock(postmortem, before, after, changed)
    if "contributing_factors" in changed:
        factors.check(before["contributing_factors"], after["contributing_factors"])
    if _changes_text(before, after, changed):
        # Set before the workflow check, so a publish that also rewrites the text counts
        # no approval of the text it replaces.
        postmortem.text_version = postmortem.version + 1
    if target != postmortem.status:
        workflow.check_move(
            postmortem,
            target,
            by,
            action_items=after["action_items"],
            timeline=after["timeline"],
        )
    plans = _write_rows(postmortem, before, after, changed, now=now)
    _write_columns(postmortem, after, changed, incident, now=now)
    if target != before["status"]:
        _check_lint(postmortem)
    for plan in plans:
        plan.save()
    if "contributing_factors" in changed:
        factors.write_rows(postmortem, after["contributing_factors"])
    _record(postmortem, before, after, changed, by=by)
    if any(f in changed for f in SEARCHED_FIELDS):
        search.reindex(postmortem)
    _announce(postmortem, before, after, by=by)
    return postmortem


def _check_lint(postmortem: PostMortem) -> None:
    """With HINDSIGHT_LINT_BLOCK=error, a report with lint errors goes neither into review
    nor out as published (checked on what is about to be stored; the write is rolled back)."""
    if postmortem.status not in (Status.IN_REVIEW, Status.PUBLISHED) or not lint.blocks_on_errors():
        return
    findings = lint.check(postmortem.rendered, names=people_names())
    if lint.has_errors(findings):
        errors = [f for f in findings if f.severity == lint.ERROR]
        raise Conflict(
            f"This post-mortem has {len(errors)} lint error{'s' if len(errors) != 1 else ''}"
            f" to fix before it goes {'into review' if postmortem.status == Status.IN_REVIEW else 'out'}: "
            + "; ".join(f.message for f in errors[:5]),
            fields={f.field: f.rule for f in errors},
            findings=[f.as_dict() for f in findings],
        )


def lint_postmortem(user, postmortem_id: str) -> list[lint.Finding]:
    """The lint findings on a post-mortem USER may read (NotFound otherwise)."""
    return lint.check(document.read(user, postmortem_id), names=people_names())


def lint_loaded(postmortem: PostMortem) -> list[lint.Finding]:
    """The lint findings on a post-mortem already loaded with its rows (a page's)."""
    return lint.check(document.render(postmortem), names=people_names())


def _check_lock(postmortem: PostMortem, before: dict, after: dict, changed: list[str]) -> None:
    """A published report keeps its text; only its action items' follow-through moves on."""
    if postmortem.status == Status.ARCHIVED:
        raise Conflict(
            "This post-mortem is archived and read-only.",
            fields={api_name(f): "read-only once archived" for f in changed},
            allowed=[],
        )
    if not postmortem.is_locked:
        return
    refused = [f for f in changed if f not in ("status", "action_items")]
    if "action_items" in changed and not _only_follow_through(
        before["action_items"], after["action_items"]
    ):
        refused.append("action_items")
    if refused:
        names = ", ".join(f.replace("_", " ") for f in refused)
        raise Conflict(
            f"This post-mortem is {workflow.status_words(postmortem.status)} and locked:"
            f" {names} can no longer change."
            " Only action items' status, owner, due date and tracker link stay editable.",
            fields={api_name(f): "locked after publishing" for f in refused},
            allowed=[str(s) for s in workflow.TRANSITIONS[postmortem.status]],
        )


def _changes_text(before: dict, after: dict, changed: list[str]) -> bool:
    """Whether the change touches the report's text: anything but its status and its action
    items' follow-through (what a reviewer approved)."""
    # Confirming a template's suggestion states it as fact without changing its words.
    changed = [f for f in changed if not _only_confirmed(before.get(f), after.get(f), f)]
    if any(f not in ("status", "action_items") for f in changed):
        return True
    return "action_items" in changed and not _only_follow_through(
        before["action_items"], after["action_items"]
    )


def _only_confirmed(before, after, name: str) -> bool:
    """Whether the nested list NAME differs between BEFORE and AFTER in unconfirmed only."""
    if name not in NESTED:
        return False
    strip = [{k: v for k, v in e.items() if k != "unconfirmed"} for e in before]
    return strip == [{k: v for k, v in e.items() if k != "unconfirmed"} for e in after]


# Confirming an item (unconfirmed → false) is no edit of its text either.
_LOCKED_ITEM_FIELDS = tuple(
    f.name
    for f in fields.ITEM_FIELDS
    if not f.follow_through and not f.derived and f is not fields.UNCONFIRMED
)


def _only_follow_through(before: list[dict], after: list[dict]) -> bool:
    """Whether AFTER has the same items as BEFORE, differing in follow-through only."""
    if [i["id"] for i in after] != [i["id"] for i in before]:
        return False
    old = {i["id"]: i for i in before}
    return all(item[f] == old[item["id"]][f] for item in after for f in _LOCKED_ITEM_FIELDS)


# Writing -------------------------------------------------------------------------------


def _sections_column(state: dict) -> dict:
    return {name: state[name] for name in SECTION_NAMES if state[name] not in (None, [])}


def _write_columns(postmortem: PostMortem, after: dict, changed: list[str], incident, *, now):
    """The post-mortem's own row: one conditional UPDATE of the changed columns, the version
    and the stored document, rendered from the report as it now stands in memory."""
    columns = {f: after[f] for f in TEXT_FIELDS if f in changed}
    columns["text_version"] = postmortem.text_version  # moved by _apply when the text changed
    if any(name in changed for name in SECTION_NAMES):
        columns["sections"] = _sections_column(after)
    if "incident_id" in changed:
        columns["incident"] = incident
        columns["incident_started_at"] = incident.started_at
        columns["incident_resolved_at"] = incident.resolved_at
    if any(f in changed for f in MATCHED_FIELDS):
        columns["best_match_due"] = True  # found again by `hindsight worker`, not here
    old_version = postmortem.version
    if "status" in changed:
        columns["status"] = after["status"]
        if after["status"] == Status.IN_REVIEW:
            columns["review_round"] = old_version + 1
        if after["status"] == Status.PUBLISHED and postmortem.published_at is None:
            columns["published_at"] = now
    columns.update(version=old_version + 1, updated_at=now)
    for name, value in columns.items():
        setattr(postmortem, name, value)
    columns.update(document.columns(postmortem))
    updated = PostMortem.objects.filter(pk=postmortem.pk, version=old_version).update(**columns)
    if updated != 1:  # only reachable if a writer bypassed the row lock
        raise StaleVersion("The post-mortem changed while saving; reload and try again.")
    if columns.get("best_match_due"):
        mark_referrers_due([postmortem.pk])


def mark_referrers_due(postmortem_ids) -> None:
    """The reports whose kept best match is one of POSTMORTEM_IDS compared themselves with
    it as it was: mark them due too, so a report grown less alike (or deleted) is not kept
    as anyone's best match. One UPDATE along the best_match index."""
    PostMortem.objects.filter(best_match_id__in=postmortem_ids, best_match_due=False).update(
        best_match_due=True
    )


def _write_rows(postmortem: PostMortem, before: dict, after: dict, changed: list[str], *, now):
    """Contributors and tags are replaced; the nested lists are planned in memory (and
    prefetched on the post-mortem) and returned, for the caller to save."""
    cache = postmortem._prefetched_objects_cache
    for name, model, cache_name in (
        ("contributors", Contributor, "contributor_rows"),
        ("tags", Tag, "tag_rows"),
    ):
        if name in changed:
            previous = cache.get(cache_name, [])
            model.objects.filter(postmortem=postmortem).delete()
            rows = _labels(postmortem, model, after[name], previous)
            _write_labels(rows)
            cache[cache_name] = rows
    return [
        _plan_nested(postmortem, kind, before[kind], after[kind], now=now)
        for kind in NESTED
        if kind in changed
    ]


def _clean_labels(values: list[str]) -> list[str]:
    """Trimmed, without blanks, each once (case-insensitively), in the order given."""
    cleaned, keys = [], set()
    for value in values:
        value = value.strip()
        if value and value.lower() not in keys:
            keys.add(value.lower())
            cleaned.append(value)
    return cleaned


def _labels(postmortem: PostMortem, model, values: list[str], previous=()) -> list:
    if model is Contributor:
        return _contributors(postmortem, values, previous)
    return [
        Tag(postmortem=postmortem, name=name, position=index) for index, name in enumerate(values)
    ]


def _contributors(postmortem: PostMortem, values: list[str], previous) -> list[Contributor]:
    """Contributor rows for VALUES. A contributor kept from PREVIOUS rows keeps the user it
    was bound to (so a later rename, or a new user with its old email, moves nothing); the
    others are bound by `_write_labels` when they are written."""
    bound = {row.key: row.user_id for row in previous if row.user_id is not None}
    return [
        Contributor(
            postmortem=postmortem,
            value=value,
            key=value.lower(),
            user_id=bound.get(value.lower()),
            position=index,
        )
        for index, value in enumerate(values)
    ]


def _write_labels(rows: list) -> None:
    """Insert a report's contributor or tag ROWS. A contributor not bound yet is bound to
    the user its value names (none if it names none) here, in the writing transaction: to
    whoever holds that name or email as the row is stored."""
    unbound = [row for row in rows if isinstance(row, Contributor) and row.user_id is None]
    users = users_named([row.value for row in unbound])
    for row in unbound:
        row.user_id = users.get(row.key)
    insert(rows)


@dataclass
class NestedPlan:
    """The statements that bring one nested list's rows to their new state."""

    model: type
    removed: set
    to_update: list
    to_create: list
    columns: list

    def save(self) -> None:
        if self.removed:
            self.model.objects.filter(pk__in=self.removed).delete()
        if self.to_update:
            self.model.objects.bulk_update(self.to_update, self.columns)
        insert(self.to_create)


def _plan_nested(postmortem: PostMortem, kind: str, before: list[dict], after: list[dict], *, now):
    """Plan KIND's rows from BEFORE to AFTER: delete the removed, update only the entries that
    changed or moved (their updated_at too, where the model has one), insert the new. The rows
    in their new order become the post-mortem's prefetched list at once."""
    _, entry_fields, model, _, cache_name = NESTED[kind]
    names = fields.names(entry_fields)
    stamped = any(f.name == "updated_at" for f in model._meta.concrete_fields)
    old_entries = {entry["id"]: entry for entry in before}
    cache = postmortem._prefetched_objects_cache
    old_rows = {row.id: row for row in cache.get(cache_name, [])}
    removed = set(old_entries) - {entry["id"] for entry in after}
    rows, to_update, to_create, columns = [], [], [], {"position"}
    for position, entry in enumerate(after):
        values = {name: entry[name] for name in names}
        row = old_rows.get(entry["id"])
        if row is None:
            row = model(id=entry["id"], postmortem=postmortem, position=position, **values)
            if stamped:
                row.created_at = row.updated_at = now
            to_create.append(row)
        else:
            edited = values != {name: old_entries[entry["id"]][name] for name in names}
            if edited or row.position != position:
                for name, value in values.items():
                    setattr(row, name, value)
                row.position = position
                if edited:
                    columns.update(names)
                    if stamped:
                        row.updated_at = now
                        columns.add("updated_at")
                to_update.append(row)
        rows.append(row)
    for row in to_create + to_update:
        _from_plain(row, entry_fields)
    cache[cache_name] = rows
    return NestedPlan(model, removed, to_update, to_create, sorted(columns))


def _from_plain(row, entry_fields) -> None:
    """Give ROW's date and instant fields their Python types again (the state holds them as
    text), so the returned post-mortem reads like one loaded from the database."""
    for field in entry_fields:
        value = getattr(row, field.name)
        if isinstance(value, str) and field.type is not str:
            setattr(row, field.name, row._meta.get_field(field.name).to_python(value))


def _revision(postmortem: PostMortem, before: dict, after: dict, changed: list[str], *, by):
    return Revision(
        postmortem=postmortem,
        version=postmortem.version,
        changed_by=by,
        changes={api_name(f): {"old": before[f], "new": after[f]} for f in changed},
    )


def _record(postmortem: PostMortem, before: dict, after: dict, changed: list[str], *, by):
    insert([_revision(postmortem, before, after, changed, by=by)])


def _announcements(postmortem: PostMortem, before: dict, after: dict, *, by) -> list:
    """The events this change means, for the notifications seam."""
    common = {
        "postmortem_id": postmortem.id,
        "title": postmortem.title,
        # Status and incident let notifications tell a draft's events apart without a query.
        "status": postmortem.status,
        "incident_id": postmortem.incident_id,
        "by": by.username,
    }
    events = []
    if after["status"] != before["status"]:
        if after["status"] == Status.IN_REVIEW:
            events.append(("postmortem.submitted", {"version": postmortem.version, **common}))
        elif after["status"] == Status.PUBLISHED:
            events.append(("postmortem.published", {"version": postmortem.version, **common}))
    owners = {item["id"]: item["owner"] for item in before["action_items"]}
    for item in after["action_items"]:
        if item["owner"] and item["owner"].lower() != (owners.get(item["id"]) or "").lower():
            assigned = {
                "item_id": item["id"],
                "owner": item["owner"],
                "description": item["description"],
                "due_date": item["due_date"],
            }
            events.append(("action_item.assigned", {**assigned, **common}))
    return events


def _announce(postmortem: PostMortem, before: dict, after: dict, *, by) -> None:
    """Tell the notifications seam what this change meant (in the writing transaction)."""
    notify_all(_announcements(postmortem, before, after, by=by))


# The incident ------------------------------------------------------------------------


def reports_about_incident(incident: Incident, user) -> list[Report]:
    """The post-mortems about INCIDENT, for its edit rule (incidents.services.edit_refusal);
    registered in PostmortemsConfig.ready. Two queries, whatever their number."""
    reports = PostMortem.objects.filter(incident=incident)
    mine = set(reports.filter(named(user)).values_list("pk", flat=True))
    return [
        Report(
            label=f"post-mortem {pk}",
            status=status,
            locked=status in (Status.PUBLISHED, Status.ARCHIVED),
            named=pk in mine,
        )
        for pk, status in reports.values_list("pk", "status")
    ]


# The incident fields a post-mortem's answer shows: event instants (and so their order) are
# resolved against startedAt, dueAt and overdue follow resolvedAt. A change is recorded on
# the report under these names.
INCIDENT_FIELDS_SHOWN = {"started_at": "incidentStartedAt", "resolved_at": "incidentResolvedAt"}


def follow_incident(sender, *, incident: Incident, before: dict, by, **kwargs) -> None:
    """After INCIDENT changed (BEFORE: the old values of the fields that changed), give each
    report whose GET now answers differently a new version (so its ETag changes), store its
    document again and record the incident's change in its history, in the incident's
    transaction. Connected to incident_changed in PostmortemsConfig.ready.

    The report's own lock does not apply (its text is unchanged: who may change the
    incident of a published report is the incident's rule), and its text_version stays,
    so approvals of its text still count."""
    reports_of_incident = PostMortem.objects.filter(incident=incident)
    if any(field in before for field in MATCHED_INCIDENT_FIELDS):
        # Their matches, and the matches of those who found them, compared what changed.
        mark_referrers_due(reports_of_incident.values("pk"))
        reports_of_incident.update(best_match_due=True)
    shown = [field for field in INCIDENT_FIELDS_SHOWN if field in before]
    if not shown:
        return
    # The reports' copies of the incident's times (the insights read them), whatever else
    # their answers show.
    reports_of_incident.update(
        incident_started_at=incident.started_at, incident_resolved_at=incident.resolved_at
    )
    old_incident = copy.copy(incident)
    for field in shown:
        setattr(old_incident, field, before[field])
    now = timezone.now()
    reports = (
        PostMortem.objects.with_report()
        .defer(None)
        .defer("document", "list_row")  # the stored HTML is reused: no text changed
        .select_for_update(of=("self",))
        .filter(incident=incident)
        .order_by("pk")
    )
    for postmortem in reports:
        answers = []
        for state in (old_incident, incident):
            postmortem.incident = state
            body = document.render(postmortem)
            answers.append(
                document.finish(
                    body, status=postmortem.status, resolved_at=state.resolved_at, now=now
                )
            )
        if answers[0] == answers[1]:
            continue
        old_version = postmortem.version
        postmortem.version, postmortem.updated_at = old_version + 1, now
        columns = {"version": postmortem.version, "updated_at": now}
        columns.update(document.columns(postmortem))
        PostMortem.objects.filter(pk=postmortem.pk, version=old_version).update(**columns)
        Revision.objects.create(
            postmortem=postmortem,
            version=postmortem.version,
            changed_by=by,
            changes={
                INCIDENT_FIELDS_SHOWN[field]: {
                    "old": fields.instant(before[field]),
                    "new": fields.instant(getattr(incident, field)),
                }
                for field in shown
            },
        )


# Delete --------------------------------------------------------------------------------


def delete_postmortem(postmortem_id: str, *, by, if_match: IfMatch | int | None = None) -> None:
    """Only a DRAFT can be deleted, by its creator or an admin; anything further along is
    part of the record and is archived instead."""
    with write_transaction():
        postmortem = get_postmortem_for(by, postmortem_id, lock=True)
        if not (by.is_admin or postmortem.created_by_id == by.pk):
            raise PermissionDenied("Only the post-mortem's creator or an admin can delete it.")
        if postmortem.status != Status.DRAFT:
            raise Conflict(
                f"This post-mortem is {workflow.status_words(postmortem.status)} and cannot be"
                " deleted; only drafts can."
                + (" Archive it instead." if postmortem.status == Status.PUBLISHED else ""),
                fields={"status": postmortem.status},
                allowed=workflow.allowed_moves(postmortem, by),
            )
        if not precondition_holds(if_match, postmortem.version):
            raise StaleVersion(
                f"The post-mortem is at version {postmortem.version}, not {if_match};"
                " reload it before deleting.",
                fields={"If-Match": f"not the current version: {if_match}"},
                currentVersion=postmortem.version,
            )
        search.unindex(postmortem)
        mark_referrers_due([postmortem.pk])  # their kept match is about to be gone
        postmortem.delete()
