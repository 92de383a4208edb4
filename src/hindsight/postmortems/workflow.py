"""The status workflow: DRAFT → IN_REVIEW → PUBLISHED → ARCHIVED, and IN_REVIEW → DRAFT.

Publishing needs settings.REQUIRED_APPROVALS approvals, and waits while the report holds
timeline events or action items a template suggested that nobody has confirmed. Who has
approved is the review app's to say: it registers its answer with `register_approvers` in
its AppConfig.ready, so the workflow does not import it (reviews imports postmortems, never
the reverse).
"""

from collections.abc import Callable

from django.conf import settings

from hindsight.lib.errors import Conflict, PermissionDenied
from hindsight.postmortems.models import ItemStatus, PostMortem, Status

Approvers = Callable[[PostMortem], list[str]]


def _no_approvals_system(postmortem: PostMortem) -> list[str]:
    return []


_approvers: Approvers = _no_approvals_system


def register_approvers(provider: Approvers) -> None:
    """Make PROVIDER(postmortem) the answer to who has approved a report in its current
    review round. The last registration wins."""
    global _approvers
    _approvers = provider


def approvers(postmortem: PostMortem) -> list[str]:
    """User names who have approved POSTMORTEM in its current review round; none when no
    review app is installed (then only REQUIRED_APPROVALS = 0 lets a report be published)."""
    return _approvers(postmortem)


TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.DRAFT: (Status.IN_REVIEW,),
    Status.IN_REVIEW: (Status.DRAFT, Status.PUBLISHED),
    Status.PUBLISHED: (Status.ARCHIVED,),
    Status.ARCHIVED: (),
}

# A new post-mortem may start here; anything else must go through the workflow.
INITIAL = (Status.DRAFT, Status.IN_REVIEW)

# A status as a refusal says it, in a sentence ("this one is a draft").
STATUS_WORDS = {
    Status.DRAFT: "a draft",
    Status.IN_REVIEW: "in review",
    Status.PUBLISHED: "published",
    Status.ARCHIVED: "archived",
}


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def allowed_moves(postmortem: PostMortem, user) -> list[str]:
    """The statuses USER may move POSTMORTEM to now (what the UI offers as buttons)."""
    if not postmortem.can_be_edited_by(user):
        return []
    moves = list(TRANSITIONS[postmortem.status])
    if Status.ARCHIVED in moves and open_action_items(postmortem):
        moves.remove(Status.ARCHIVED)
    if Status.PUBLISHED in moves and len(approvers(postmortem)) < settings.REQUIRED_APPROVALS:
        moves.remove(Status.PUBLISHED)
    return [str(m) for m in moves]


def open_action_items(postmortem: PostMortem) -> list:
    return [item for item in postmortem.action_items.all() if item.status != ItemStatus.DONE]


def unconfirmed(timeline: list[dict], action_items: list[dict]) -> dict[str, list[dict]]:
    """The template suggestions nobody has confirmed, by list (API names), each with what a
    person recognises it by; empty lists when there are none."""
    return {
        "timeline": [
            {"id": e["id"], "time": e["time"], "description": e["description"]}
            for e in timeline
            if e.get("unconfirmed")
        ],
        "actionItems": [
            {"id": i["id"], "description": i["description"]}
            for i in action_items
            if i.get("unconfirmed")
        ],
    }


def describe_unconfirmed(left: dict[str, list[dict]]) -> list[str]:
    """Each unconfirmed entry as a person reads it: "Timeline event 00:00 First alert"."""
    return [
        f"Timeline event {e['time']} {_short(e['description'], 60)}" for e in left["timeline"]
    ] + [f"Action item {_short(i['description'], 60)}" for i in left["actionItems"]]


def check_move(
    postmortem: PostMortem,
    target: str,
    user,
    *,
    action_items: list[dict],
    timeline: list[dict] | None = None,
) -> None:
    """Raise unless USER may move POSTMORTEM from its status to TARGET, given the action
    items and timeline it will have once the rest of the same change is applied (the
    timeline left out: its stored events)."""
    if not postmortem.can_be_edited_by(user):
        raise PermissionDenied("Only the author, a contributor or an admin can change the status.")
    allowed = [str(m) for m in TRANSITIONS[postmortem.status]]
    if target not in allowed:
        onward = " or ".join(status_words(m) for m in allowed) or "nowhere: it is final"
        raise Conflict(
            f"A post-mortem that is {status_words(postmortem.status)} cannot become"
            f" {status_words(target)}; it can move to {onward}.",
            fields={"status": f"allowed from {postmortem.status}: {', '.join(allowed) or 'none'}"},
            allowed=allowed,
        )
    if target == Status.PUBLISHED:
        _check_approvals(postmortem, allowed)
        if timeline is None:
            timeline = [
                {
                    "id": e.id,
                    "time": e.time,
                    "description": e.description,
                    "unconfirmed": e.unconfirmed,
                }
                for e in postmortem.timeline
            ]
        _check_confirmed(unconfirmed(timeline, action_items), allowed)
    if target == Status.ARCHIVED:
        still_open = [i for i in action_items if i["status"] != ItemStatus.DONE]
        if still_open:
            shown = "; ".join(_short(i["description"]) for i in still_open)
            raise Conflict(
                f"Archiving waits for {_plural(len(still_open), 'open action item')}: {shown}.",
                fields={"status": "action items still open"},
                allowed=[m for m in allowed if m != Status.ARCHIVED],
                openActionItems=[i["id"] for i in still_open],
                # The same items in words, for whoever shows the refusal to a person.
                openActionItemDetails=[
                    {"id": i["id"], "description": i["description"], "status": i["status"]}
                    for i in still_open
                ],
            )


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_confirmed(left: dict[str, list[dict]], allowed: list[str]) -> None:
    described = describe_unconfirmed(left)
    if not described:
        return
    raise Conflict(
        f"Cannot publish yet: {len(described)} template suggestion(s) are unconfirmed: "
        + "; ".join(described)
        + ". Confirm or edit each one, delete those that did not happen, or send"
        " confirmTemplateContent: true with the status to confirm them all and publish.",
        fields={"status": f"{len(described)} unconfirmed template suggestion(s)"},
        allowed=[m for m in allowed if m != Status.PUBLISHED],
        unconfirmed=left,
    )


def _check_approvals(postmortem: PostMortem, allowed: list[str]) -> None:
    needed = settings.REQUIRED_APPROVALS
    if not needed:
        return
    approved = approvers(postmortem)
    if len(approved) < needed:
        has = f"has {len(approved)} ({', '.join(approved)})" if approved else "has none yet"
        raise Conflict(
            f"Publishing waits for {_plural(needed, 'approval')} in this review round; it"
            f" {has}. Ask reviewers other than its authors to approve it.",
            fields={"status": f"needs {needed} approvals, has {len(approved)}"},
            allowed=[m for m in allowed if m != Status.PUBLISHED],
            requiredApprovals=needed,
            approvals=approved,
        )
