"""Admin-only API: notification channels and the delivery log."""

from django.http import HttpResponse
from ninja import Query, Router, Schema
from ninja import Status as HttpStatus
from pydantic import Field

from hindsight.lib.pagination import keyset_page
from hindsight.notifications import services
from hindsight.notifications.models import Channel, Delivery, DeliveryStatus
from hindsight.notifications.schemas import (
    ChannelCreate,
    ChannelOut,
    ChannelPatch,
    ChannelWithSecret,
    DeliveryDetail,
    DeliveryList,
    DeliveryOut,
)

channels = Router(tags=["notifications"])
deliveries = Router(tags=["notifications"])


def _with_secret(channel: Channel, secret: str | None) -> dict:
    data = ChannelOut.model_validate(channel).model_dump()
    return {**data, "secret": secret}


@channels.get("", response=list[ChannelOut], by_alias=True, summary="List channels (admins)")
def list_channels(request):
    services.require_admin(request.auth)
    return list(Channel.objects.all())


@channels.post(
    "",
    response={201: ChannelWithSecret},
    by_alias=True,
    summary="Create a channel (admins); a webhook's secret is returned this once",
)
def create_channel(request, payload: ChannelCreate, response: HttpResponse):
    channel = services.create_channel(payload.given(), by=request.auth)
    response["Location"] = f"/api/channels/{channel.id}"
    return HttpStatus(201, _with_secret(channel, channel.secret or None))


@channels.get("/{channel_id}", response=ChannelOut, by_alias=True, summary="Get a channel")
def get_channel(request, channel_id: str):
    return services.get_channel_for(request.auth, channel_id)


@channels.patch(
    "/{channel_id}",
    response=ChannelWithSecret,
    by_alias=True,
    summary="Change a channel; `secret` is returned only when set or rotated",
)
def patch_channel(request, channel_id: str, payload: ChannelPatch):
    channel, secret = services.update_channel(channel_id, payload.given(), by=request.auth)
    return _with_secret(channel, secret)


@channels.delete("/{channel_id}", response={204: None}, summary="Delete a channel and its log")
def delete_channel(request, channel_id: str):
    services.delete_channel(channel_id, by=request.auth)
    return HttpStatus(204, None)


@channels.post(
    "/{channel_id}/test",
    response={202: DeliveryOut},
    by_alias=True,
    summary="Queue a `ping` message for this channel",
)
def test_channel(request, channel_id: str):
    return HttpStatus(202, services.send_test(channel_id, by=request.auth))


class DeliveryFilters(Schema):
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = None
    status: DeliveryStatus | None = None
    channel_id: str | None = Field(None, alias="channelId")
    event: str | None = None


@deliveries.get("", response=DeliveryList, by_alias=True, summary="The delivery log (admins)")
def list_deliveries(request, filters: Query[DeliveryFilters]):
    services.require_admin(request.auth)
    queryset = Delivery.objects.select_related("event", "channel")
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.channel_id:
        queryset = queryset.filter(channel_id=filters.channel_id)
    if filters.event:
        queryset = queryset.filter(event__name=filters.event)
    total = queryset.count()
    rows, next_cursor = keyset_page(
        queryset, field="created_at", descending=True, limit=filters.limit, cursor=filters.cursor
    )
    return {"items": rows, "total": total, "next_cursor": next_cursor}


@deliveries.get(
    "/{delivery_id}", response=DeliveryDetail, by_alias=True, summary="One delivery and attempts"
)
def get_delivery(request, delivery_id: str):
    return services.get_delivery_for(request.auth, delivery_id)


@deliveries.post(
    "/{delivery_id}/retry",
    response=DeliveryDetail,
    by_alias=True,
    summary="Send again now, with a fresh set of attempts",
)
def retry_delivery(request, delivery_id: str):
    return services.retry_delivery(delivery_id, by=request.auth)
