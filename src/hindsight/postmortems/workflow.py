"""The status workflow: DRAFT → IN_REVIEW → PUBLISHED → ARCHIVED, and IN_REVIEW → DRAFT."""

from hindsight.lib.errors import Conflict, PermissionDenied
from hindsight.postmortems.models import ItemStatus, PostMortem, Status

TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.DRAFT: (Status.IN_REVIEW,),
    Status.IN_REVIEW: (Status.DRAFT, Status.PUBLISHED),
    Status.PUBLISHED: (Status.ARCHIVED,),
    Status.ARCHIVED: (),
}

# A new post-mortem may start here; anything else must go through the workflow.
INITIAL = (Status.DRAFT, Status.IN_REVIEW)


def allowed_moves(postmortem: PostMortem, user) -> list[str]:
    """The statuses USER may move POSTMORTEM to now (what the UI offers as buttons)."""
    if not postmortem.can_be_edited_by(user):
        return []
    moves = list(TRANSITIONS[postmortem.status])
    if Status.ARCHIVED in moves and open_action_items(postmortem):
        moves.remove(Status.ARCHIVED)
    return [str(m) for m in moves]


def open_action_items(postmortem: PostMortem) -> list:
    return [item for item in postmortem.action_items.all() if item.status != ItemStatus.DONE]


def check_move(postmortem: PostMortem, target: str, user, *, action_items: list[dict]) -> None:
    """Raise unless USER may move POSTMORTEM from its status to TARGET, given the action
    items it will have once the rest of the same change is applied."""
    if not postmortem.can_be_edited_by(user):
        raise PermissionDenied("Only the author, a contributor or an admin can change the status.")
    allowed = [str(m) for m in TRANSITIONS[postmortem.status]]
    if target not in allowed:
        raise Conflict(
            f"A post-mortem cannot move from {postmortem.status} to {target}.",
            fields={"status": f"allowed from {postmortem.status}: {', '.join(allowed) or 'none'}"},
            allowed=allowed,
        )
    if target == Status.ARCHIVED:
        still_open = [i for i in action_items if i["status"] != ItemStatus.DONE]
        if still_open:
            listing = "; ".join(f"{i['id']} ({i['description'][:60]})" for i in still_open)
            raise Conflict(
                f"Cannot archive while {len(still_open)} action item(s) are not DONE: {listing}.",
                fields={"status": "action items still open"},
                allowed=[m for m in allowed if m != Status.ARCHIVED],
                openActionItems=[i["id"] for i in still_open],
            )
