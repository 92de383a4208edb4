"""The one write path for review: comments, requested reviewers and decisions."""

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from hindsight.accounts.models import User
from hindsight.lib.errors import Conflict, Invalid, NotFound, PermissionDenied
from hindsight.lib.events import notify
from hindsight.lib.schema import api_name
from hindsight.lib.writers import write_transaction
from hindsight.postmortems.models import PostMortem, Status, named
from hindsight.postmortems.sections import SECTION_NAMES
from hindsight.postmortems.services import get_postmortem_for
from hindsight.postmortems.workflow import status_words
from hindsight.reviews.models import (
    Comment,
    Decision,
    Review,
    ReviewRequest,
    approves_current_text,
    round_start,
)

# What a comment may be about: the report's fields and sections, by their API names.
SECTIONS = (
    "title",
    "summary",
    "impact",
    "rootCause",
    "timeline",
    "actionItems",
    "contributors",
    "tags",
    *(api_name(name) for name in SECTION_NAMES),
)


def _in_review(postmortem: PostMortem, doing: str) -> None:
    if postmortem.status != Status.IN_REVIEW:
        raise Conflict(
            f"Only a post-mortem in review can be {doing}; this one is"
            f" {status_words(postmortem.status)}.",
            fields={"status": postmortem.status},
        )


def _not_viewer(user, doing: str) -> None:
    if not user.can_write:
        raise PermissionDenied(f"Viewers can read post-mortems but not {doing}.")


def comments(user, postmortem_id: str) -> list[Comment]:
    return comments_of(get_postmortem_for(user, postmortem_id))


def comments_of(postmortem: PostMortem) -> list[Comment]:
    """The comments of a post-mortem already loaded with permission, oldest first."""
    return list(postmortem.comments.select_related("author", "resolved_by"))


def add_comment(
    postmortem_id: str, *, body: str, section: str | None, by, parent_id: int | None = None
) -> Comment:
    """Anyone who may read the post-mortem, except viewers, comments while it is IN_REVIEW.
    A draft the caller may not read is a 404 for viewers too, as if it did not exist.

    A reply (PARENT_ID) answers a comment of the same report that is not itself a reply,
    and is about the same section: SECTION may be left out, and naming another is refused."""
    if section is not None and section not in SECTIONS:
        raise Invalid(
            f"section: {section} is not a part of a post-mortem.",
            fields={"section": f"one of {', '.join(SECTIONS)}"},
        )
    if not body.strip():
        raise Invalid("body: a comment cannot be empty.", fields={"body": "empty"})
    with write_transaction():
        postmortem = get_postmortem_for(by, postmortem_id, lock=True)
        _not_viewer(by, "comment on them")
        _in_review(postmortem, "commented on")
        parent = None
        if parent_id is not None:
            parent = postmortem.comments.filter(pk=parent_id).first()
            if parent is None:
                raise Invalid(
                    f"parentId: this post-mortem has no comment {parent_id} to reply to.",
                    fields={"parentId": "no such comment on this post-mortem"},
                )
            if parent.parent_id is not None:
                raise Invalid(
                    "parentId: that comment is itself a reply; reply to the comment that"
                    " starts its thread.",
                    fields={"parentId": f"a reply; its thread starts at {parent.parent_id}"},
                )
            if section is not None and section != parent.section:
                raise Invalid(
                    "section: a reply is about what the comment it answers is about.",
                    fields={"section": f"must be {parent.section or 'left out'}"},
                )
            section = parent.section
        return Comment.objects.create(
            postmortem=postmortem,
            author=by,
            section=section,
            body=body,
            version=postmortem.version,
            parent=parent,
        )


def may_resolve(comment: Comment, postmortem: PostMortem, user) -> bool:
    """Whether USER may resolve (or reopen) COMMENT's thread: its author, the report's
    creator and contributors, and admins. The API, the report page and its buttons ask
    this one function."""
    return comment.author_id == user.pk or postmortem.can_be_edited_by(user)


def set_resolved(postmortem_id: str, comment_id: int, *, resolved: bool, by) -> Comment:
    """Resolve a comment thread (or reopen it), in any status but ARCHIVED: the thread is
    its first comment; resolving a resolved thread again changes nothing."""
    with write_transaction():
        postmortem = get_postmortem_for(by, postmortem_id, lock=True)
        comment = (
            postmortem.comments.select_related("author", "resolved_by")
            .filter(pk=comment_id)
            .first()
        )
        if comment is None:
            raise NotFound(f"This post-mortem has no comment {comment_id}.")
        if not may_resolve(comment, postmortem, by):
            raise PermissionDenied(
                "Only the comment's author, the report's author and contributors, or an admin"
                " can resolve a comment."
            )
        if postmortem.status == Status.ARCHIVED:
            raise Conflict(
                "An archived post-mortem is read-only, its comments too.",
                fields={"status": postmortem.status},
            )
        if comment.parent_id is not None:
            raise Invalid(
                "resolved: a reply is resolved with its thread; resolve the comment that"
                " starts it.",
                fields={"resolved": f"resolve comment {comment.parent_id} instead"},
            )
        if resolved and comment.resolved_at is None:
            comment.resolved_at, comment.resolved_by = timezone.now(), by
        elif not resolved:
            comment.resolved_at, comment.resolved_by = None, None
        comment.save(update_fields=["resolved_at", "resolved_by"])
        return comment


def _user_named(name: str) -> User | None:
    name = name.strip()
    return User.objects.filter(Q(username__iexact=name) | Q(email__iexact=name)).first()


def request_reviewers(postmortem_id: str, names: list[str], *, by) -> list[ReviewRequest]:
    """Ask the users NAMES (user names or emails) to review; asking twice changes nothing.
    Its authors and admins may ask, before publishing; authors cannot be asked."""
    with write_transaction():
        postmortem = get_postmortem_for(by, postmortem_id, write=True, lock=True)
        if postmortem.status not in (Status.DRAFT, Status.IN_REVIEW):
            raise Conflict(
                "Reviewers are asked before publishing; this post-mortem is"
                f" {status_words(postmortem.status)}.",
                fields={"status": postmortem.status},
            )
        reviewers, problems = [], {}
        for index, name in enumerate(names):
            user = _user_named(name)
            if user is None:
                problems[f"reviewers[{index}]"] = f"there is no user {name}"
            elif not user.can_write:
                problems[f"reviewers[{index}]"] = f"{user.username} is a viewer and cannot review"
            elif postmortem.names(user):
                problems[f"reviewers[{index}]"] = (
                    f"{user.username} is an author of this post-mortem and cannot review it"
                )
            else:
                reviewers.append(user)
        if problems:
            raise Invalid("; ".join(problems.values()).capitalize() + ".", fields=problems)
        for user in reviewers:
            ReviewRequest.objects.get_or_create(
                postmortem=postmortem, reviewer=user, defaults={"requested_by": by}
            )
        return list(postmortem.review_requests.select_related("reviewer"))


AUTHORS_CANNOT_APPROVE = (
    "You cannot approve a post-mortem you wrote or contributed to;"
    " ask another team member to review it."
)


def approval_refusal(postmortem: PostMortem, user) -> str | None:
    """Why USER cannot approve POSTMORTEM now, or None if they can (what the UI shows
    instead of the Approve button; submit_review enforces the same rules)."""
    if not user.can_write:
        return "Viewers can read post-mortems but not review them."
    if postmortem.status != Status.IN_REVIEW:
        return (
            "Only a post-mortem in review can be reviewed; this one is"
            f" {status_words(postmortem.status)}."
        )
    if postmortem.names(user):
        return AUTHORS_CANNOT_APPROVE
    return None


def submit_review(postmortem_id: str, *, decision: str, comment: str, by) -> Review:
    """Approve or request changes on the version the reviewer sees now. The post-mortem's
    creator and contributors cannot approve it."""
    with write_transaction():
        postmortem = get_postmortem_for(by, postmortem_id, lock=True)
        _not_viewer(by, "review them")
        _in_review(postmortem, "reviewed")
        if decision == Decision.APPROVED and postmortem.names(by):
            raise PermissionDenied(
                AUTHORS_CANNOT_APPROVE,
                fields={"decision": "authors cannot approve their own post-mortem"},
            )
        review = Review.objects.create(
            postmortem=postmortem,
            reviewer=by,
            decision=decision,
            comment=comment,
            version=postmortem.version,
        )
        notify(
            "review.approved" if decision == Decision.APPROVED else "review.changes_requested",
            postmortem_id=postmortem.id,
            title=postmortem.title,
            status=postmortem.status,
            incident_id=postmortem.incident_id,
            by=by.username,
            version=postmortem.version,
            comment=comment,
        )
        return review


def review_state(user, postmortem_id: str) -> dict:
    return review_state_of(get_postmortem_for(user, postmortem_id))


def review_state_of(postmortem: PostMortem) -> dict:
    """Who was asked, who decided what in the current round, and what publishing needs, of
    a post-mortem already loaded with permission (three queries)."""
    start = round_start(postmortem)
    reviews = list(postmortem.reviews.select_related("reviewer"))
    latest: dict[int, Review] = {}
    for review in reviews:
        if review.version >= start:  # the current round, as Review.objects.current_round
            latest[review.reviewer_id] = review
    requested = list(postmortem.review_requests.select_related("reviewer", "requested_by"))
    return {
        "required_approvals": settings.REQUIRED_APPROVALS,
        "approvals": sorted(
            r.reviewer.username for r in latest.values() if approves_current_text(r, postmortem)
        ),
        "round_started_at_version": start,
        "text_changed_at_version": postmortem.text_version,
        "reviewers": [
            {
                "reviewer": r.reviewer.username,
                "requested_by": r.requested_by.username,
                "requested_at": r.requested_at,
                "decision": latest[r.reviewer_id].decision if r.reviewer_id in latest else None,
                "reviewed_version": (
                    latest[r.reviewer_id].version if r.reviewer_id in latest else None
                ),
            }
            for r in requested
        ],
        "reviews": reviews,
    }


# What waits for whom ---------------------------------------------------------------------


def awaiting_review_by(user, postmortems):
    """Of POSTMORTEMS (a queryset already limited to what USER may read): those IN_REVIEW
    where USER is a requested reviewer and has not decided in the current round."""
    asked = ReviewRequest.objects.filter(postmortem=OuterRef("pk"), reviewer_id=user.pk)
    decided = Review.objects.filter(
        postmortem=OuterRef("pk"), reviewer_id=user.pk, version__gte=OuterRef("review_round")
    )
    return postmortems.filter(Exists(asked), ~Exists(decided), status=Status.IN_REVIEW)


def ready_to_publish(user, postmortems) -> list[PostMortem]:
    """Of POSTMORTEMS: USER's own (created or contributed) IN_REVIEW reports whose current
    round has the approvals publishing needs and no open request for changes."""
    mine = list(postmortems.filter(named(user), status=Status.IN_REVIEW))
    decisions = Review.objects.filter(postmortem__in=[p.pk for p in mine]).order_by(
        "created_at", "id"
    )
    latest: dict[str, dict[int, str]] = {}
    rounds = {p.pk: p.review_round for p in mine}
    for review in decisions.values("postmortem_id", "reviewer_id", "decision", "version"):
        if review["version"] >= rounds[review["postmortem_id"]]:
            latest.setdefault(review["postmortem_id"], {})[review["reviewer_id"]] = review[
                "decision"
            ]
    ready = []
    for postmortem in mine:
        round_decisions = latest.get(postmortem.pk, {}).values()
        approvals = sum(1 for d in round_decisions if d == Decision.APPROVED)
        if approvals >= settings.REQUIRED_APPROVALS and Decision.CHANGES_REQUESTED not in (
            round_decisions
        ):
            ready.append(postmortem)
    return ready


def history_entries(postmortem: PostMortem) -> list[dict]:
    """Review decisions and comments as entries of the report's history
    (postmortems.history.entries, which calls this once the app is ready)."""
    decisions = [
        {
            "type": "review",
            "version": review.version,
            "changed_by": review.reviewer.username,
            "changed_at": review.created_at,
            "decision": review.decision,
            "body": review.comment or None,
        }
        for review in postmortem.reviews.select_related("reviewer")
    ]
    said = [
        {
            "type": "comment",
            "version": comment.version,
            "changed_by": comment.author.username,
            "changed_at": comment.created_at,
            "body": comment.body,
            "section": comment.section,
            "comment_id": comment.pk,
            "parent_id": comment.parent_id,
        }
        for comment in postmortem.comments.select_related("author")
    ]
    return decisions + said
