"""The periodic checks the worker runs: overdue action items and overdue post-mortem drafts,
by the same rules the lists flag them (ActionItem/PostMortem.objects.overdue).

Each condition fires once: its event carries a dedupe key (unique in the database), so
several workers checking at the same moment still record it once. An action item fires
again only if its due date moves and passes again.
"""

from django.db import IntegrityError

from hindsight.notifications.delivery import postmortem_url
from hindsight.notifications.models import Event
from hindsight.notifications.services import record_event
from hindsight.postmortems.models import ActionItem, PostMortem, Status


def _postmortem_data(pm: PostMortem) -> dict:
    return {
        "id": pm.id,
        "title": pm.title,
        "status": pm.status,
        "incidentId": pm.incident_id,
        "url": postmortem_url(pm.id),
    }


def _fire_once(name: str, key: str, data: dict) -> bool:
    try:
        record_event(name, data, dedupe_key=key)
    except IntegrityError:  # another worker recorded it a moment ago
        return False
    return True


def _unfired(keys: list[str]) -> set[str]:
    fired = set(Event.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    return set(keys) - fired


def overdue_action_items(today=None) -> int:
    """Fire action_item.overdue for each item past its due date and not DONE."""
    items = list(
        ActionItem.objects.overdue(today)
        .exclude(postmortem__status=Status.ARCHIVED)
        .select_related("postmortem")
        .order_by("due_date", "id")
    )
    keyed = {f"action_item.overdue:{i.id}:{i.due_date.isoformat()}": i for i in items}
    unfired = _unfired(list(keyed))
    fired = 0
    for key, item in keyed.items():
        if key not in unfired:
            continue
        data = {
            "actionItem": {
                "id": item.id,
                "description": item.description,
                "owner": item.owner,
                "status": item.status,
                "priority": item.priority,
                "dueDate": item.due_date.isoformat(),
            },
            "postmortem": _postmortem_data(item.postmortem),
        }
        fired += _fire_once("action_item.overdue", key, data)
    return fired


def overdue_postmortems(now=None) -> int:
    """Fire postmortem.overdue for each DRAFT or IN_REVIEW post-mortem whose incident was
    resolved more than POSTMORTEM_DUE_HOURS ago."""
    rows = list(
        PostMortem.objects.overdue(now)
        .select_related("incident")
        .order_by("incident__resolved_at", "id")
        .only("id", "title", "status", "incident_id", "incident__resolved_at")
    )
    keyed = {f"postmortem.overdue:{pm.id}": pm for pm in rows}
    unfired = _unfired(list(keyed))
    fired = 0
    for key, pm in keyed.items():
        if key not in unfired:
            continue
        due_at = pm.due_at
        data = {
            "postmortem": _postmortem_data(pm),
            "resolvedAt": pm.incident.resolved_at.isoformat().replace("+00:00", "Z"),
            "dueAt": due_at.isoformat().replace("+00:00", "Z"),
        }
        fired += _fire_once("postmortem.overdue", key, data)
    return fired


def run_checks() -> int:
    return overdue_action_items() + overdue_postmortems()
