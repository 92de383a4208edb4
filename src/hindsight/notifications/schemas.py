from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictBool

from hindsight.lib.schema import In, Out
from hindsight.notifications.models import DeliveryStatus, Kind

Name = Annotated[str, Field(min_length=1, max_length=100)]
Url = Annotated[str, Field(max_length=2000)]
Secret = Annotated[str, Field(min_length=16, max_length=200)]
Email = Annotated[str, Field(min_length=3, max_length=254)]


class ChannelCreate(In):
    name: Name
    kind: Kind
    url: Url = ""
    secret: Secret | None = Field(None, description="Webhook only; generated when left out")
    recipients: list[Email] = Field(default_factory=list, description="Email only")
    events: list[str] = Field(default_factory=list, description="Empty: every event")
    is_active: StrictBool = True


class ChannelPatch(In):
    name: Name | None = None
    # Accepted back unchanged (a client may send what it read), refused if different.
    kind: Kind | None = Field(None, json_schema_extra={"readOnly": True})
    url: Url | None = None
    secret: Secret | None = None
    rotate_secret: StrictBool = Field(False, description="Replace the secret with a new random one")
    recipients: list[Email] | None = None
    events: list[str] | None = None
    is_active: StrictBool | None = None


class ChannelOut(Out):
    id: str
    name: str
    kind: Kind
    url: str
    secret_hint: str = Field(description="The secret's first characters; never the secret")
    recipients: list[str]
    events: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class ChannelWithSecret(ChannelOut):
    secret: str | None = Field(description="Shown only here; store it now")


class AttemptOut(Out):
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str
    ok: bool
    worker: str


class DeliveryOut(Out):
    id: str = Field(description="The idempotency key receivers see")
    event: str
    event_id: str
    occurred_at: datetime
    channel_id: str
    channel_name: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str
    delivered_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_event(obj) -> str:
        return obj.event.name

    @staticmethod
    def resolve_occurred_at(obj) -> datetime:
        return obj.event.occurred_at

    @staticmethod
    def resolve_channel_name(obj) -> str:
        return obj.channel.name


class DeliveryDetail(DeliveryOut):
    data: dict
    attempt_log: list[AttemptOut]

    @staticmethod
    def resolve_data(obj) -> dict:
        return obj.event.data

    @staticmethod
    def resolve_attempt_log(obj) -> list:
        return list(obj.attempt_log.all())


class DeliveryList(Out):
    items: list[DeliveryOut]
    total: int
    next_cursor: str | None
