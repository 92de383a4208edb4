"""The outbox: channels admins configure, events the domain announces, and one delivery per
(event, channel) that the worker sends until it succeeds or runs out of attempts."""

import secrets

from django.db import models
from django.db.models import Q

from hindsight.lib.ids import new_id

# What the domain announces (see hindsight.lib.events.notify) and the worker's checks add.
EVENTS = (
    "postmortem.submitted",
    "review.approved",
    "review.changes_requested",
    "postmortem.published",
    "postmortem.overdue",
    "action_item.assigned",
    "action_item.overdue",
)


class Kind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook (signed JSON)"
    SLACK = "slack", "Slack incoming webhook"
    EMAIL = "email", "Email"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


def new_channel_id() -> str:
    return new_id("ch")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Channel(models.Model):
    """Where notifications go. The webhook secret is kept as written, because the worker
    needs it to sign; the API shows it only in the response that creates or rotates it."""

    id = models.CharField(primary_key=True, max_length=32, default=new_channel_id)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    url = models.URLField(max_length=2000, blank=True, help_text="Webhook or Slack URL.")
    secret = models.CharField(max_length=200, blank=True, help_text="Signs webhook payloads.")
    recipients = models.JSONField(default=list, blank=True, help_text="Email addresses.")
    # Event names this channel wants; empty means every event.
    events = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.name} ({self.kind})"

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events

    @property
    def secret_hint(self) -> str:
        return self.secret[:10] + "…" if self.secret else ""


def new_outbox_event_id() -> str:
    return new_id("ntf")


class Event(models.Model):
    """Something that happened, recorded in the transaction that made it happen."""

    id = models.CharField(primary_key=True, max_length=32, default=new_outbox_event_id)
    name = models.CharField(max_length=50)
    occurred_at = models.DateTimeField()
    data = models.JSONField(default=dict)
    # Set by the periodic checks so that each condition fires once (unique when set).
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self):
        return f"{self.name} {self.id}"


def new_delivery_id() -> str:
    return new_id("dlv")


class Delivery(models.Model):
    """One event for one channel. Its id is the idempotency key receivers see: every
    attempt, including a repeat after a worker died mid-send, carries the same one."""

    id = models.CharField(primary_key=True, max_length=32, default=new_delivery_id)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    # For an email channel: whom this message goes to, when not the channel's whole list (an
    # event about a draft goes only to the recipients who may read it).
    recipients = models.JSONField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    # Attempts since it was created or last retried by an admin (the log keeps them all).
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker's lease: while it is in the future the delivery is being sent; once it has
    # passed (the worker died) the delivery is due again.
    locked_until = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=100, null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_due_idx",
            ),
            models.Index(fields=["status", "created_at"], name="delivery_status_idx"),
        ]

    def __str__(self):
        return f"{self.id} ({self.status})"


class Attempt(models.Model):
    """One try at sending a delivery: what the receiver answered, or why it could not."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    ok = models.BooleanField(default=False)
    worker = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["started_at", "id"]
