"""What the home and report pages show: read-only queries over what the user may see.
The post-mortem list is postmortems.listing, the API's own."""

from django.db.models import Count, Q

from hindsight.postmortems.models import (
    ActionItem,
    ItemStatus,
    PostMortem,
    Status,
    named,
)
from hindsight.reviews import services as reviews


def with_counts(queryset):
    return queryset.select_related("incident", "created_by").annotate(
        open_action_items=Count(
            "action_items", filter=~Q(action_items__status=ItemStatus.DONE), distinct=True
        )
    )


def home(user) -> dict:
    visible = PostMortem.objects.visible_to(user)
    owner = Q()
    for identity in user.identities:
        owner |= Q(owner__iexact=identity)
    return {
        "drafts": with_counts(visible.filter(named(user), status=Status.DRAFT)).order_by(
            "-updated_at"
        )[:20],
        "awaiting": with_counts(reviews.awaiting_review_by(user, visible)).order_by("-updated_at")[
            :20
        ],
        "ready": reviews.ready_to_publish(user, with_counts(visible).order_by("-updated_at")),
        "my_items": ActionItem.objects.filter(owner, postmortem__in=visible)
        .exclude(status=ItemStatus.DONE)
        .select_related("postmortem")
        .order_by("due_date", "postmortem__created_at", "position")[:50],
        "published": with_counts(visible.filter(status=Status.PUBLISHED)).order_by("-published_at")[
            :10
        ],
    }


def review(postmortem, user) -> dict:
    """What the report page shows about review: comments, reviewers, decisions, why this
    user may not approve (the reviews service's own reason), and the version they last
    reviewed, to offer "changes since"."""
    state = reviews.review_state_of(postmortem)
    seen = [r.version for r in state["reviews"] if r.reviewer_id == user.pk]
    return {
        "comments": reviews.comments_of(postmortem),
        "review": state,
        "approval_refusal": reviews.approval_refusal(postmortem, user),
        "since_version": max(seen, default=None),
    }


def completion(postmortem) -> dict:
    items = postmortem.action_item_list
    return {
        "items_done": sum(1 for item in items if item.status == ItemStatus.DONE),
        "items_total": len(items),
    }
