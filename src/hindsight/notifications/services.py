"""The one write path for notifications: channels, the outbox, and admins' retries."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Model, Q
from django.utils import timezone
from pydantic.alias_generators import to_camel

from hindsight.accounts.models import User
from hindsight.lib.compiled import CompiledQuery, insert
from hindsight.lib.errors import Conflict, Invalid, NotFound, PermissionDenied
from hindsight.lib.writers import write_transaction
from hindsight.notifications import conf
from hindsight.notifications.delivery import postmortem_url
from hindsight.notifications.models import (
    EVENTS,
    Channel,
    Delivery,
    DeliveryStatus,
    Event,
    Kind,
    new_secret,
)
from hindsight.postmortems.models import PostMortem, Status

CHANNEL_FIELDS = ("name", "kind", "url", "secret", "recipients", "events", "is_active")


def require_admin(user) -> None:
    if not user.is_admin:
        raise PermissionDenied("Only admins can manage notification channels and deliveries.")


# The outbox ---------------------------------------------------------------------------


def _plain(value):
    """DATA as the API writes JSON: camelCase keys, dates as ISO 8601, model instances by
    primary key (users by name)."""
    if isinstance(value, dict):
        return {to_camel(str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, Model):
        return getattr(value, "username", None) or str(value.pk)
    return value


# Drafts in shared places ----------------------------------------------------------------
#
# Channels are configured by admins and read by whoever is on them, so an event about a
# draft carries only what any signed-in user may see of it: the event, the report's id and
# link, its incident (and, for a reminder, when it was due). Email about a draft goes only to
# the channel's recipients who may read it.


def _about(data: dict) -> tuple[str | None, str | None, str | None]:
    """The post-mortem an event's DATA is about: (id, status, incident id), each None where
    DATA does not say (nested `postmortem` object or flat names)."""
    nested = data.get("postmortem")
    if isinstance(nested, dict):
        return nested.get("id"), nested.get("status"), nested.get("incidentId")
    return (
        data.get("postmortem_id") or data.get("postmortemId"),
        data.get("status"),
        data.get("incident_id") or data.get("incidentId"),
    )


def _drafts(announcements: list[tuple[str, dict]]) -> dict[str, str | None]:
    """The drafts the announced events are about: {id: incident id}. The domain's events
    say the report's status and incident; only events that do not are looked up."""
    drafts, unknown = {}, set()
    for _, data in announcements:
        pm_id, status, incident_id = _about(data)
        if pm_id is None:
            continue
        if status is None or (status == Status.DRAFT and incident_id is None):
            unknown.add(pm_id)
        elif status == Status.DRAFT:
            drafts[pm_id] = incident_id
    if unknown:
        rows = PostMortem.objects.filter(pk__in=unknown, status=Status.DRAFT)
        drafts.update(rows.values_list("pk", "incident_id"))
    return drafts


def _draft_view(data: dict, pm_id: str, incident_id: str | None) -> dict:
    """DATA cut down to what any viewer may see of a draft, in DATA's own shape."""
    public = {
        "id": pm_id,
        "status": Status.DRAFT,
        "incident_id": incident_id,
        "url": postmortem_url(pm_id),
    }
    if isinstance(data.get("postmortem"), dict):
        view = {"postmortem": public}
    else:
        view = {f"postmortem_{k}" if k == "id" else k: v for k, v in public.items()}
    # A reminder's deadline follows from the incident alone.
    view.update({key: data[key] for key in ("resolvedAt", "dueAt") if key in data})
    return view


def _readers(recipients: list[str], pm_id: str) -> list[str]:
    """The RECIPIENTS whose every account (by email, in any case) may read draft PM_ID."""
    draft = PostMortem.objects.prefetch_related("contributor_rows").filter(pk=pm_id).first()
    if draft is None or not recipients:
        return []
    wanted = Q()
    for address in recipients:
        wanted |= Q(email__iexact=address)
    accounts: dict[str, list] = {}
    for user in User.objects.filter(wanted, is_active=True):
        accounts.setdefault(user.email.lower(), []).append(user)
    return [
        address
        for address in recipients
        if accounts.get(address.lower())
        and all(draft.can_be_read_by(user) for user in accounts[address.lower()])
    ]


def _deliveries(event: Event, channels: list[Channel], draft_id: str | None, now):
    for channel in channels:
        if not channel.wants(event.name):
            continue
        recipients = None
        if draft_id is not None and channel.kind == Kind.EMAIL:
            recipients = _readers(channel.recipients, draft_id)
            if not recipients:
                continue
        yield Delivery(event=event, channel=channel, next_attempt_at=now, recipients=recipients)


def _shared(data: dict, drafts: dict) -> tuple[dict, str | None]:
    """What channels may be told of DATA, and the draft it is about (None if not one)."""
    pm_id = _about(data)[0]
    if pm_id in drafts:
        return _draft_view(data, pm_id, drafts[pm_id]), pm_id
    return data, None


# The outbox, continued -----------------------------------------------------------------


def record_events(announcements: list[tuple[str, dict]]) -> list[Event]:
    """record_event() for the events of one change: the channels are read once and the
    events and their deliveries written in one INSERT each. Part of the announcing change's
    transaction (no savepoint of its own): if this fails, the change is rolled back."""
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        drafts = _drafts(announcements)
        shared = [_shared(data, drafts) for _, data in announcements]
        events = [
            Event(name=name, occurred_at=now, data=_plain(data))
            for (name, _), (data, _) in zip(announcements, shared, strict=True)
        ]
        insert(events)
        channels = active_channels()
        insert(
            [
                delivery
                for event, (_, draft_id) in zip(events, shared, strict=True)
                for delivery in _deliveries(event, channels, draft_id, now)
            ]
        )
    return events


CHANNEL_COLUMNS = tuple(f.attname for f in Channel._meta.concrete_fields)
_active_channels = CompiledQuery(
    lambda shape: Channel.objects.filter(is_active=True).values_list(*CHANNEL_COLUMNS)
)


def active_channels() -> list[Channel]:
    """The channels events are delivered to (read by every write that announces one)."""
    return [
        Channel.from_db(connection.alias, CHANNEL_COLUMNS, row) for row in _active_channels.rows()
    ]


def record_event(name: str, data: dict, *, dedupe_key: str | None = None) -> Event:
    """Write EVENT and one pending delivery per active channel that wants it, in the
    caller's transaction: they are committed, or rolled back, with the change itself."""
    now = timezone.now()
    with write_transaction():
        data, draft_id = _shared(data, _drafts([(name, data)]))
        event = Event.objects.create(
            name=name, occurred_at=now, data=_plain(data), dedupe_key=dedupe_key
        )
        insert(list(_deliveries(event, active_channels(), draft_id, now)))
    return event


# Channels -----------------------------------------------------------------------------


def _validated(data: dict, channel: Channel) -> None:
    fields: dict[str, str] = {}
    unknown = sorted(set(data.get("events") or []) - set(EVENTS))
    if unknown:
        fields["events"] = f"unknown event(s) {', '.join(unknown)}; known: {', '.join(EVENTS)}"
    if channel.kind in (Kind.WEBHOOK, Kind.SLACK):
        if not channel.url.startswith(("http://", "https://")):
            fields["url"] = f"a {channel.kind} channel needs an http:// or https:// URL"
    elif channel.kind == Kind.EMAIL:
        if not channel.recipients:
            fields["recipients"] = "an email channel needs at least one address"
        elif any("@" not in r for r in channel.recipients):
            fields["recipients"] = "every recipient must be an email address"
        elif not conf.email_configured():
            fields["kind"] = "email is not configured on this server (HINDSIGHT_EMAIL_HOST)"
    if fields:
        raise Invalid(
            "The channel is not valid: " + "; ".join(f"{k}: {v}" for k, v in fields.items()),
            fields=fields,
        )


def create_channel(data: dict, *, by) -> Channel:
    """Create a channel; a webhook without a secret gets a random one, which the caller
    shows once."""
    require_admin(by)
    channel = Channel(**{f: data[f] for f in CHANNEL_FIELDS if data.get(f) is not None})
    if channel.kind == Kind.WEBHOOK and not channel.secret:
        channel.secret = new_secret()
    _validated(data, channel)
    channel.save()
    return channel


def get_channel_for(user, channel_id: str) -> Channel:
    require_admin(user)
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise NotFound(f"There is no channel {channel_id}.", fields={"id": channel_id})
    return channel


def update_channel(channel_id: str, data: dict, *, by) -> tuple[Channel, str | None]:
    """Change a channel; returns it and the new secret when one was set or rotated."""
    with write_transaction():
        channel = get_channel_for(by, channel_id)
        if "kind" in data and data["kind"] != channel.kind:
            raise Invalid(
                "A channel's kind cannot change; create a new channel instead.",
                fields={"kind": "cannot change"},
            )
        new = None
        if data.pop("rotate_secret", False):
            new = data["secret"] = data.get("secret") or new_secret()
        elif data.get("secret"):
            new = data["secret"]
        for field in CHANNEL_FIELDS:
            if field in data and data[field] is not None:
                setattr(channel, field, data[field])
        _validated(data, channel)
        channel.save()
    return channel, new


def delete_channel(channel_id: str, *, by) -> None:
    """Delete a channel with its delivery log (deactivate it to keep the log)."""
    with write_transaction():
        get_channel_for(by, channel_id).delete()


def send_test(channel_id: str, *, by) -> Delivery:
    """Queue a `ping` for one channel, whatever its subscriptions."""
    with write_transaction():
        channel = get_channel_for(by, channel_id)
        now = timezone.now()
        event = Event.objects.create(
            name="ping",
            occurred_at=now,
            data={"message": "A test message from Hindsight.", "by": by.username},
        )
        return Delivery.objects.create(event=event, channel=channel, next_attempt_at=now)


# Deliveries ---------------------------------------------------------------------------


def get_delivery_for(user, delivery_id: str) -> Delivery:
    require_admin(user)
    delivery = (
        Delivery.objects.select_related("event", "channel")
        .prefetch_related("attempt_log")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise NotFound(f"There is no delivery {delivery_id}.", fields={"id": delivery_id})
    return delivery


def retry_delivery(delivery_id: str, *, by) -> Delivery:
    """Make a delivery due now with a fresh set of attempts (same idempotency key)."""
    with write_transaction():
        require_admin(by)
        now = timezone.now()
        updated = (
            Delivery.objects.filter(pk=delivery_id)
            .exclude(status=DeliveryStatus.PENDING, locked_until__gt=now)
            .update(
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                locked_until=None,
                locked_by=None,
                updated_at=now,
            )
        )
        if not updated:
            delivery = get_delivery_for(by, delivery_id)
            raise Conflict(
                f"Delivery {delivery_id} is being sent right now; wait for the attempt to end.",
                fields={"status": delivery.status},
            )
        return get_delivery_for(by, delivery_id)


def retry_deliveries(queryset) -> int:
    """The admin action: retry every selected delivery that is not being sent now."""
    now = timezone.now()
    return queryset.exclude(status=DeliveryStatus.PENDING, locked_until__gt=now).update(
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        locked_until=None,
        locked_by=None,
        updated_at=now,
    )
