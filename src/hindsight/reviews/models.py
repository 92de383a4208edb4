"""Review of a post-mortem while it is IN_REVIEW: comments, requested reviewers, decisions.

A review round starts each time the post-mortem enters IN_REVIEW; only decisions made in the
current round count towards publishing (settings.REQUIRED_APPROVALS). An approval is of the
version the reviewer saw: once the report's text changes after it (anything but its status
and its action items' follow-through), it no longer counts and the report asks for approval
again.
"""

from django.db import models


class Decision(models.TextChoices):
    APPROVED = "APPROVED"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"


class Comment(models.Model):
    postmortem = models.ForeignKey(
        "postmortems.PostMortem", on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # The API name of the section commented on ("rootCause", "timeline"…), or None.
    section = models.CharField(max_length=64, null=True, blank=True)
    body = models.TextField()
    # The post-mortem's version the comment was written against.
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    # A reply answers a comment that is not itself a reply: threads are one level deep.
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    # A thread (its first comment) is resolved as a whole; None while it is open.
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["postmortem", "created_at"], name="comment_pm_idx")]


class ReviewRequest(models.Model):
    postmortem = models.ForeignKey(
        "postmortems.PostMortem", on_delete=models.CASCADE, related_name="review_requests"
    )
    reviewer = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "reviewer"], name="review_request_unique_reviewer"
            )
        ]


class ReviewQuerySet(models.QuerySet):
    def current_round(self, postmortem) -> "ReviewQuerySet":
        """Decisions made since POSTMORTEM last entered IN_REVIEW."""
        return self.filter(postmortem=postmortem, version__gte=round_start(postmortem))


class Review(models.Model):
    postmortem = models.ForeignKey(
        "postmortems.PostMortem", on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True, default="")
    # The post-mortem's version the reviewer saw; compare it with the history to see what
    # changed since.
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["postmortem", "version"], name="review_pm_version_idx")]


def round_start(postmortem) -> int:
    """The version at which POSTMORTEM last entered IN_REVIEW."""
    return postmortem.review_round


def approves_current_text(review: Review, postmortem) -> bool:
    """Whether REVIEW approves the report's text as it stands now."""
    return review.decision == Decision.APPROVED and review.version >= postmortem.text_version


def approvers(postmortem) -> list[str]:
    """User names whose latest decision in the current round approves the current text."""
    latest: dict[int, Review] = {}
    for review in Review.objects.current_round(postmortem).select_related("reviewer"):
        latest[review.reviewer_id] = review
    return sorted(
        r.reviewer.username for r in latest.values() if approves_current_text(r, postmortem)
    )
