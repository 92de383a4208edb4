"""Action items on their own, across post-mortems (the follow-through)."""

import csv

from django.http import HttpResponse, StreamingHttpResponse
from ninja import Query, Router

from hindsight.actionitems import queries
from hindsight.actionitems import services as bulk
from hindsight.actionitems.schemas import (
    ActionItemFilters,
    ActionItemList,
    BulkResult,
    BulkStatus,
)
from hindsight.lib.http import CONDITIONAL_WRITE, etag, if_match
from hindsight.postmortems import fields, services
from hindsight.postmortems.schemas import ActionItemPatch, ActionItemWithParent

router = Router(tags=["action items"])


def _item_out(postmortem, item) -> dict:
    # Every stored item field, so a field added to ActionItem is returned here too.
    return {
        "id": item.id,
        **{field: getattr(item, field) for field in fields.names(fields.ITEM_FIELDS)},
        "overdue": item.is_overdue,
        "postmortem_id": postmortem.id,
        "postmortem_version": postmortem.version,
    }


@router.get(
    "",
    response=ActionItemList,
    by_alias=True,
    summary="List action items across the post-mortems you may see",
    description="Sorted by due date (none last), priority (HIGH first), then creation."
    " `?format=csv` (or GET /api/action-items.csv) returns every matching item as CSV.",
    openapi_extra={"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}},
)
def list_action_items(request, filters: Query[ActionItemFilters]):
    items = queries.find(request.auth, filters)
    if filters.format == "csv":
        return _csv_response(items)
    total = items.count()
    rows, next_cursor = queries.page(items, limit=filters.limit, cursor=filters.cursor)
    return {"items": rows, "total": total, "next_cursor": next_cursor}


# Mounted at /api/action-items.csv (a router's own paths always start after a slash).
csv_router = Router(tags=["action items"])


@csv_router.get(
    "",
    summary="Export action items as CSV (same filters as the list)",
    response={200: str},
    openapi_extra={"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}},
)
def export_action_items(request, filters: Query[ActionItemFilters]):
    return _csv_response(queries.find(request.auth, filters))


def _csv_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"  # as overdue, and as the API writes it
    return fields.plain(value)


def _declared(name: str):
    return lambda item: _csv_value(getattr(item, name))


# Every declared item field (so a field added to the declaration is exported too), then
# what the list adds about the item and its report.
CSV_COLUMNS = (
    ("id", lambda i: i.id),
    *((f.api_name, _declared(f.name)) for f in fields.ITEM_FIELDS),
    ("overdue", lambda i: "true" if i.is_overdue else "false"),
    ("postmortemId", lambda i: i.postmortem_id),
    ("postmortemTitle", lambda i: i.postmortem.title),
    ("postmortemStatus", lambda i: i.postmortem.status),
    ("createdAt", lambda i: fields.instant(i.created_at)),
    ("updatedAt", lambda i: fields.instant(i.updated_at)),
)


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell starting with these as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_response(items) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow([name for name, _ in CSV_COLUMNS])
        for item in items.iterator(chunk_size=500):
            yield writer.writerow([_cell(get(item)) for _, get in CSV_COLUMNS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="action-items.csv"'
    return response


@router.post(
    "/bulk",
    response=BulkResult,
    by_alias=True,
    summary="Set the status of several action items at once (all or nothing)",
)
def bulk_status(request, payload: BulkStatus):
    items = bulk.set_status(payload.ids, payload.status, by=request.auth)
    return {"items": items, "updated": len(items)}


@router.patch(
    "/{item_id}",
    response=ActionItemWithParent,
    by_alias=True,
    summary="Change one action item (allowed on PUBLISHED for status, owner, due date,"
    " tracker link)",
    openapi_extra=CONDITIONAL_WRITE,
)
def patch_action_item(request, item_id: str, payload: ActionItemPatch, response: HttpResponse):
    postmortem, item = services.update_action_item(
        item_id, payload.data(), by=request.auth, if_match=if_match(request)
    )
    # The ETag is the post-mortem's version: the item is part of that report.
    response["ETag"] = etag(postmortem.version)
    return _item_out(postmortem, item)
