"""What the home and report pages show: read-only queries over what the user may see.
The post-mortem list is postmortems.listing, the API's own."""

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.utils import timezone

from hindsight.incidents.models import Incident
from hindsight.postmortems.models import (
    ActionItem,
    ItemStatus,
    PostMortem,
    Status,
    named,
    readable_by,
)
from hindsight.postmortems.services import needs_postmortem
from hindsight.reviews import services as reviews


def with_counts(queryset):
    return queryset.select_related("incident", "created_by").annotate(
        open_action_items=Count(
            "action_items", filter=~Q(action_items__status=ItemStatus.DONE), distinct=True
        )
    )


def home(user) -> dict:
    visible = PostMortem.objects.visible_to(user)
    today = timezone.localdate()
    late = Case(
        When(due_date__lt=today, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return {
        "drafts": with_counts(visible.filter(named(user), status=Status.DRAFT)).order_by(
            "-updated_at"
        )[:20],
        "awaiting": with_counts(reviews.awaiting_review_by(user, visible)).order_by("-updated_at")[
            :20
        ],
        "ready": reviews.ready_to_publish(user, with_counts(visible).order_by("-updated_at")),
        # Overdue first, then the soonest due, undated last.
        "my_items": ActionItem.objects.owned_by(user)
        .filter(postmortem__in=visible)
        .exclude(status=ItemStatus.DONE)
        .select_related("postmortem")
        .annotate(late=late)
        .order_by("late", F("due_date").asc(nulls_last=True), "postmortem__created_at", "position")[
            :50
        ],
        "published": with_counts(visible.filter(status=Status.PUBLISHED)).order_by("-published_at")[
            :10
        ],
        "needing": needing_postmortem(user),
    }


def needing_postmortem(user, limit: int = 10) -> list:
    """The incidents that need a post-mortem, most recently resolved first, each with its
    late post-mortems as `late_reports`: (title, id) for those USER may read, (None, None)
    for a draft USER may not (it exists, but its title is not theirs to see)."""
    incidents = list(needs_postmortem().order_by("-resolved_at", "-id")[:limit])
    readable = (
        Value(True, output_field=BooleanField())
        if user.is_admin  # readable_by is Q() for admins: every report
        else Case(
            When(readable_by(user), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    reports = (
        PostMortem.objects.filter(incident__in=[i.pk for i in incidents])
        .annotate(readable=readable)
        .order_by("created_at", "id")
        .values("id", "incident_id", "title", "status", "readable")
    )
    late: dict[str, list] = {}
    for row in reports:
        shown = (row["title"], row["id"]) if row["readable"] else (None, None)
        late.setdefault(row["incident_id"], []).append(shown)
    for incident in incidents:
        incident.late_reports = late.get(incident.pk, [])
    return incidents


def incident_list(filters: dict):
    """Incidents filtered as the list form asks, newest first, each annotated with
    `needs_pm` (postmortems.services.needs_postmortem, the rule the home page uses too)."""
    queryset = Incident.objects.all()
    if filters.get("severity"):
        queryset = queryset.filter(severity=filters["severity"])
    if filters.get("service"):
        # The post-mortem list's rule, in the API and the web: a prefix of a service's
        # name, in any case.
        queryset = queryset.matching_service(filters["service"])
    if filters.get("started_from"):
        queryset = queryset.filter(started_at__date__gte=filters["started_from"])
    if filters.get("started_to"):
        queryset = queryset.filter(started_at__date__lte=filters["started_to"])
    # Any post-mortem counts, a draft the reader may not see included (as in needs_postmortem).
    has_one = Exists(PostMortem.objects.filter(incident=OuterRef("pk")))
    choice = filters.get("postmortem")
    if choice == "yes":
        queryset = queryset.filter(has_one)
    elif choice == "no":
        queryset = queryset.filter(~has_one)
    elif choice == "needed":
        queryset = needs_postmortem(queryset)
    needs = Exists(needs_postmortem().filter(pk=OuterRef("pk")))
    return queryset.annotate(needs_pm=needs).order_by("-created_at", "-id")


def review(postmortem, user) -> dict:
    """What the report page shows about review: comments, reviewers, decisions, why this
    user may not approve (the reviews service's own reason), and the version they last
    reviewed, to offer "changes since"."""
    state = reviews.review_state_of(postmortem)
    seen = [r.version for r in state["reviews"] if r.reviewer_id == user.pk]
    comments = reviews.comments_of(postmortem)
    threads = comment_threads(postmortem, comments, user)
    by_section: dict[str, list[dict]] = {}
    for thread in threads:
        by_section.setdefault(thread["comment"].section or "", []).append(thread)
    return {
        "comments": comments,
        "threads": by_section.pop("", []),
        "section_threads": by_section,
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


def comment_threads(postmortem, comments, user) -> list[dict]:
    """COMMENTS as threads (a comment and its replies, oldest first), each saying whether
    USER may resolve it (the reviews service's rule) and whether anyone still can."""
    threads: dict[int, dict] = {}
    for comment in comments:
        if comment.parent_id is None:
            threads[comment.pk] = {
                "comment": comment,
                "replies": [],
                "may_resolve": postmortem.status != Status.ARCHIVED
                and reviews.may_resolve(comment, postmortem, user),
            }
    for comment in comments:
        if comment.parent_id in threads:
            threads[comment.parent_id]["replies"].append(comment)
    return list(threads.values())
