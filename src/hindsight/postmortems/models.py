import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from hindsight.lib.dbtime import MonthNumber, Seconds
from hindsight.lib.ids import new_id
from hindsight.lib.times import resolve_event_time, time_of_day
from hindsight.postmortems import limits
from hindsight.postmortems.sections import empty_value


class Status(models.TextChoices):
    DRAFT = "DRAFT"
    IN_REVIEW = "IN_REVIEW"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"


class ItemStatus(models.TextChoices):
    # Labels as the status badges say them (web/templatetags status_text), so a menu and a
    # badge side by side read alike.
    TODO = "TODO", "To do"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    DONE = "DONE", "Done"


class Priority(models.TextChoices):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


# Statuses in which a post-mortem is still being written, so it can be late.
UNFINISHED = (Status.DRAFT, Status.IN_REVIEW)


def due_window() -> timedelta:
    """How long after its incident is resolved a post-mortem is due (read per call, so tests
    can override the setting)."""
    return timedelta(hours=settings.POSTMORTEM_DUE_HOURS)


def due_after(resolved: datetime | None) -> datetime | None:
    """When a post-mortem of an incident resolved at RESOLVED is due; None while it is not
    resolved, or when that lies past the last instant there is (resolved in 9999: never)."""
    if resolved is None:
        return None
    try:
        return resolved + due_window()
    except OverflowError:
        return None


def new_postmortem_id() -> str:
    return new_id("pm")


def new_search_key() -> int:
    return secrets.randbits(62) + 1


def named(user) -> Q:
    """Post-mortems USER created or is a contributor of (bound to them when saved)."""
    mine = Contributor.objects.filter(postmortem=OuterRef("pk"), user_id=user.pk)
    return Q(created_by_id=user.pk) | Exists(mine)


def readable_by(user) -> Q:
    """The one visibility rule, as a filter: drafts are private to their creator, their
    contributors and admins; everything else is readable by every signed-in user.
    PostMortem.can_be_read_by answers the same for a loaded report."""
    if user.is_admin:
        return Q()
    not_draft = ~Q(status=Status.DRAFT)
    if not user.can_write:
        return not_draft
    return not_draft | named(user)


def _generated(expression) -> models.GeneratedField:
    """A number the database keeps from other columns of the row (stored, so indexable)."""
    return models.GeneratedField(
        expression=expression, output_field=models.BigIntegerField(null=True), db_persist=True
    )


def hidden_from(user) -> "PostMortemQuerySet | None":
    """The post-mortems readable_by(USER) leaves out (None when it leaves out none): the
    drafts USER is not named on. Few, so rows of other tables that belong to readable
    reports are counted fastest as "not one of these" (NOT IN a short list) rather than
    "one of the readable ones" (IN a list of almost every report)."""
    if user.is_admin:
        return None
    drafts = PostMortem.objects.filter(status=Status.DRAFT)
    return drafts.exclude(named(user)) if user.can_write else drafts


class PostMortemQuerySet(models.QuerySet):
    def visible_to(self, user) -> "PostMortemQuerySet":
        return self.filter(readable_by(user))

    def overdue(self, now: datetime | None = None) -> "PostMortemQuerySet":
        """Drafts and reports in review whose incident was resolved longer ago than the due
        window. An unresolved incident's post-mortem is never overdue."""
        cutoff = (now or timezone.now()) - due_window()
        return self.filter(status__in=UNFINISHED, incident__resolved_at__lt=cutoff)

    def with_report(self) -> "PostMortemQuerySet":
        """Everything the API returns for one post-mortem, in five queries whatever its size
        (the stored document is left out: whoever loads the rows renders from them)."""
        return (
            self.select_related("incident", "created_by")
            .defer("document", "list_row", "html", "markdown")
            .prefetch_related("timeline_events", "action_items", "contributor_rows", "tag_rows")
        )


# Statuses in which a post-mortem is done with: its incident needs no other.
FINISHED = (Status.PUBLISHED, Status.ARCHIVED)


class PostMortem(models.Model):
    id = models.CharField(primary_key=True, max_length=limits.ID, default=new_postmortem_id)
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="postmortems"
    )
    title = models.CharField(max_length=limits.TITLE)
    summary = models.TextField(blank=True, default="")
    impact = models.TextField(null=True, blank=True)
    root_cause = models.TextField(null=True, blank=True)
    # An imported document's front matter beyond the keys the importer reads (fields.py).
    front_matter = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    # Set by the write path (not auto_now), so the stored document says exactly what is stored.
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="postmortems"
    )
    version = models.PositiveIntegerField(default=1)
    # The version at which the report last entered IN_REVIEW: review decisions from it on
    # make the current round (set by the write path).
    review_round = models.PositiveIntegerField(default=1)
    # The version at which the report's text last changed (anything but its status and its
    # action items' follow-through): an approval of an earlier version no longer counts.
    text_version = models.PositiveIntegerField(default=1)
    # The optional sections (see sections.py), keyed by their Python names.
    sections = models.JSONField(default=dict, blank=True)
    # The prompts of the template it was created from (camelCase, by field): guidance the
    # editor shows beside each field, never the report's text.
    template_hints = models.JSONField(default=dict, blank=True, editable=False)
    # Row id of this record in the SQLite FTS5 index (see search.py); unused on PostgreSQL.
    # SQLite also indexes it with what a search reads of the row (migration 0029).
    search_key = models.BigIntegerField(unique=True, default=new_search_key, editable=False)
    # PostgreSQL full-text document (GIN-indexed by a migration), kept current in the
    # writing transaction; unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    # The report as the API returns it, stored by each write in the writing transaction so a
    # read is one query (see document.py): GET's JSON and the list's row; RENDER_VERSION
    # tells which version of the code wrote them.
    document = models.TextField(default="", editable=False)
    list_row = models.TextField(default="", editable=False)
    # The document holds what changes with time alone (overdue flags, the due time) as it
    # stood when written, under these settings ("" before they were recorded), until this
    # instant (null: they never change again); a read inside that serves the text as stored.
    document_terms = models.CharField(max_length=100, default="", editable=False)
    document_exact_until = models.DateTimeField(null=True, editable=False)
    # Its most similar other post-mortem, its score and whether that is a possible
    # recurrence (related.store_best_match), so the factors insight counts recurrences
    # without ranking every report on each request. A write that changes what is compared
    # marks it due; `hindsight worker` finds it again in the background
    # (related.refresh_due_best_matches), so a write never waits for the ranking.
    best_match = models.ForeignKey(
        "self", null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    best_match_score = models.FloatField(null=True, editable=False)
    best_match_recurrence = models.BooleanField(default=False, editable=False)
    best_match_due = models.BooleanField(default=True, editable=False)
    # Its best matches, [[id, score], …] best first (related.KEPT of them; null until first
    # found), kept with the best match, so /related reads them instead of ranking.
    related_kept = models.JSONField(null=True, editable=False)
    # What the related post-mortems compare of it (similarity.compared), written with the
    # document, so a candidate is read from its row alone.
    compared = models.TextField(default="", editable=False)
    # The HTML of its Markdown texts (lib/markdown.py Renderings), rendered with the
    # document, so a page or an export of this version renders none of them again.
    html = models.TextField(default="", editable=False)
    render_version = models.PositiveIntegerField(default=0, db_index=True, editable=False)
    # The Markdown export, stored by the first export of what it says (export.py
    # stored_markdown): the digest of the record and the code it was made from, then the text.
    markdown = models.TextField(default="", editable=False)
    # Copies of its incident's start and resolution, kept by the write path (on create, on a
    # change of incident, and when the incident's times change: services.follow_incident),
    # so the insights count reports by month and time to publish from this row alone; and
    # from them the database keeps the month (YYYYMM, UTC) and the seconds from resolution
    # to publication.
    incident_started_at = models.DateTimeField(null=True, editable=False)
    incident_resolved_at = models.DateTimeField(null=True, editable=False)
    incident_month = _generated(MonthNumber("incident_started_at"))
    seconds_to_publish = _generated(Seconds("published_at", "incident_resolved_at"))

    objects = PostMortemQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["created_at", "id"], name="pm_created_idx"),
            models.Index(fields=["updated_at", "id"], name="pm_updated_idx"),
            models.Index(fields=["status", "created_at"], name="pm_status_created_idx"),
            models.Index(fields=["created_by", "created_at"], name="pm_author_created_idx"),
            models.Index(fields=["incident", "created_at"], name="pm_incident_created_idx"),
            # With the id, so the insights check "not hidden from the caller" from the index
            # (and the resolution, which the post-mortem figure counts by).
            models.Index(
                fields=["incident_month", "seconds_to_publish", "incident_resolved_at", "id"],
                name="pm_month_publish_idx",
            ),
            models.Index(
                fields=["seconds_to_publish", "incident_month", "id"], name="pm_publish_month_idx"
            ),
            # A report's incident without reading the report's (long) row: the factors
            # figure counts incidents through it.
            models.Index(fields=["id", "incident"], name="pm_incident_of_idx"),
            # The drafts hidden from a user (hidden_from), read from the index alone.
            models.Index(fields=["status", "created_by", "id"], name="pm_status_author_idx"),
            # The possible recurrences, lowest id first, walked without reading the table.
            models.Index(
                fields=["id", "best_match"],
                condition=models.Q(best_match_recurrence=True),
                name="pm_recurrences_idx",
            ),
            models.Index(
                fields=["updated_at"],
                condition=models.Q(best_match_due=True),
                name="pm_best_match_due_idx",
            ),
            # The reports whose Markdown export is to be stored (export.store_due_markdown).
            models.Index(
                fields=["updated_at"], condition=models.Q(markdown=""), name="pm_markdown_due_idx"
            ),
        ]

    def __str__(self):
        return f"{self.id}: {self.title}"

    @property
    def due_at(self) -> datetime | None:
        return due_after(self.incident.resolved_at)

    @property
    def is_overdue(self) -> bool:
        due = self.due_at
        return self.status in UNFINISHED and due is not None and due < timezone.now()

    @property
    def is_locked(self) -> bool:
        """Published and archived reports no longer change their text or timeline."""
        return self.status in (Status.PUBLISHED, Status.ARCHIVED)

    def names(self, user) -> bool:
        """Whether USER created this post-mortem or is one of its contributors."""
        if self.created_by_id == user.pk:
            return True
        return any(row.user_id == user.pk for row in self.contributor_rows.all())

    def can_be_read_by(self, user) -> bool:
        """readable_by() for a loaded report, answered from its prefetched contributors."""
        if user.is_admin or self.status != Status.DRAFT:
            return True
        return user.can_write and self.names(user)

    def can_be_edited_by(self, user) -> bool:
        return user.is_admin or (user.can_write and self.names(user))

    @property
    def contributors(self) -> list[str]:
        return [row.value for row in self.contributor_rows.all()]

    @property
    def timeline(self) -> list["TimelineEvent"]:
        """Events in chronological order; those whose instant is unknown keep their place."""
        start = self.incident.started_at
        events = list(self.timeline_events.all())
        for event in events:
            event.at = resolve_event_time(event.time, start)
        return sorted(events, key=lambda e: e.sort_key)

    @property
    def tags(self) -> list[str]:
        return [row.name for row in self.tag_rows.all()]

    def section(self, name: str):
        return self.sections.get(name, empty_value(name))

    @property
    def action_item_list(self) -> list["ActionItem"]:
        return list(self.action_items.all())


class Contributor(models.Model):
    """A person named as contributor: a user name or an email, kept as written.

    `key` is the lower-cased value. When the contributors are saved, each is bound to the
    one user whose name or email it is (`user`): that user may see and edit the
    post-mortem, whatever their name or email becomes. A contributor that named no user
    when saved (or several, an old collision) grants nothing, also to a user made later.
    """

    postmortem = models.ForeignKey(
        PostMortem, on_delete=models.CASCADE, related_name="contributor_rows"
    )
    value = models.CharField(max_length=limits.LINE)
    key = models.CharField(max_length=limits.LINE)
    user = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["key", "postmortem"], name="contributor_key_idx"),
            models.Index(fields=["user", "postmortem"], name="contributor_user_idx"),
        ]


class Tag(models.Model):
    """A free label (team, component, cause class); `?tag=` filters the list by it."""

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="tag_rows")
    name = models.CharField(max_length=limits.TAG)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["name", "postmortem"], name="tag_name_idx")]


class TimelineEvent(models.Model):
    id = models.CharField(primary_key=True, max_length=limits.ID)
    postmortem = models.ForeignKey(
        PostMortem, on_delete=models.CASCADE, related_name="timeline_events"
    )
    # Kept exactly as written ("14:35" or an ISO 8601 timestamp); the instant is derived.
    time = models.CharField(max_length=limits.EVENT_TIME)
    description = models.TextField()
    who = models.CharField(max_length=limits.WHO, null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    kind = models.CharField(max_length=20, null=True, blank=True)
    # A template's suggestion nobody has confirmed yet (fields.UNCONFIRMED).
    unconfirmed = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    at = None  # filled by PostMortem.timeline

    @property
    def sort_key(self):
        # Known instants first in time order; then times of day with no date, by clock.
        if self.at is not None:
            return (0, self.at.timestamp(), self.position)
        tod = time_of_day(self.time)
        seconds = tod.hour * 3600 + tod.minute * 60 + tod.second if tod else 0
        return (1, seconds, self.position)


PRIORITY_RANK = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}


class ActionItemQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ActionItemQuerySet":
        """Items of the post-mortems USER may read."""
        return self.filter(postmortem__in=PostMortem.objects.visible_to(user))

    def overdue(self, today: date | None = None) -> "ActionItemQuerySet":
        return self.exclude(status=ItemStatus.DONE).filter(
            due_date__lt=today or timezone.localdate()
        )

    def owned_by(self, user) -> "ActionItemQuerySet":
        """Items whose owner names USER (their user name or email, in any case)."""
        mine = Q()
        for identity in user.identities:
            mine |= Q(owner__iexact=identity)
        return self.filter(mine)


class ActionItem(models.Model):
    id = models.CharField(primary_key=True, max_length=limits.ID)
    postmortem = models.ForeignKey(
        PostMortem, on_delete=models.CASCADE, related_name="action_items"
    )
    description = models.TextField()
    owner = models.CharField(max_length=limits.LINE, null=True, blank=True)
    status = models.CharField(max_length=12, choices=ItemStatus.choices, default=ItemStatus.TODO)
    priority = models.CharField(max_length=6, choices=Priority.choices, default=Priority.MEDIUM)
    due_date = models.DateField(null=True, blank=True)
    horizon = models.CharField(max_length=12, null=True, blank=True)
    why = models.TextField(null=True, blank=True)
    category = models.CharField(max_length=16, null=True, blank=True)
    # The issue in an external tracker (GitHub, Jira…) that carries the work: http(s) only.
    tracker_url = models.CharField(max_length=limits.URL, null=True, blank=True)
    # Set by the write path when the item becomes DONE, cleared when it leaves DONE.
    completed_at = models.DateTimeField(null=True, blank=True)
    # A template's suggestion nobody has confirmed yet (fields.UNCONFIRMED).
    unconfirmed = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the write path (bulk_update skips auto_now), only when the item changed.
    updated_at = models.DateTimeField(default=timezone.now)
    # Kept by the database from the columns above, for the insights: the months (YYYYMM,
    # UTC) it was opened and completed and the seconds from one to the other. Each index
    # ends with the report, so the figures check the caller may read it from the index.
    created_month = _generated(MonthNumber("created_at"))
    completed_month = _generated(MonthNumber("completed_at"))
    seconds_to_done = _generated(Seconds("completed_at", "created_at"))

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["owner", "status"], name="actionitem_owner_idx"),
            models.Index(fields=["status", "due_date"], name="actionitem_due_idx"),
            models.Index(fields=["created_month", "postmortem"], name="actionitem_opened_idx"),
            models.Index(fields=["completed_month", "postmortem"], name="actionitem_completed_idx"),
            models.Index(
                fields=["priority", "status", "seconds_to_done", "postmortem"],
                name="actionitem_done_idx",
            ),
            # Whether a report's items are all done, without reading the items.
            models.Index(fields=["postmortem", "status"], name="actionitem_report_status_idx"),
            models.Index(
                fields=["priority", "status", "created_at", "completed_at", "postmortem"],
                name="actionitem_priority_done_idx",
            ),
            models.Index(fields=["status", "created_at", "postmortem"], name="actionitem_age_idx"),
            # Overdue items by owner, from the index alone (SQLite reads a generated column
            # from the row, so the owners are lower-cased as they are counted).
            models.Index(
                fields=["status", "due_date", "owner", "postmortem"],
                name="actionitem_overdue_owner_idx",
            ),
        ]

    @property
    def is_overdue(self) -> bool:
        """Past its due date and not DONE (due today is not overdue yet)."""
        return (
            self.status != ItemStatus.DONE
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )


class Revision(models.Model):
    """One accepted change to a post-mortem: who, when, and each field's old and new value."""

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    changed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["postmortem", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "version"], name="revision_unique_version"
            )
        ]


def new_event_id() -> str:
    return new_id("evt")


def new_action_item_id() -> str:
    return new_id("act")


class Template(models.Model):
    """A team's own post-mortem template, kept in the database beside the built-in files in
    catalog/. BODY is what it pre-fills (tags, timeline events, action items) and HINTS its
    prompts per field, both in the API's camelCase form and validated with the same
    TemplateBody schema as those files (templates.py)."""

    slug = models.SlugField(max_length=limits.TEMPLATE_SLUG, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    body = models.JSONField(default=dict, blank=True)
    hints = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="postmortem_templates"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "slug"]

    def __str__(self):
        return self.slug

    def can_be_changed_by(self, user) -> bool:
        return user.is_admin or (user.can_write and self.created_by_id == user.pk)


class FactorCategory(models.Model):
    """A kind of contributing factor (capacity/load, configuration, …) from a list the
    admins keep. The slug never changes, so renaming keeps old reports counted under it;
    a retired category stays on the reports that have it but is offered to no new one."""

    slug = models.SlugField(max_length=50, primary_key=True)
    name = models.CharField(max_length=100)
    retired = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name_plural = "factor categories"

    def __str__(self):
        return self.name


class Factor(models.Model):
    """A report's contributing factor as a row of its own (its section keeps the full
    text), so factors can be counted in SQL by category and found by search. Written by
    the write path whenever the report's contributing factors change."""

    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="factor_rows")
    position = models.PositiveIntegerField(default=0)
    text = models.TextField()
    category = models.ForeignKey(
        FactorCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="factors"
    )

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["category", "postmortem"], name="factor_category_idx")]
