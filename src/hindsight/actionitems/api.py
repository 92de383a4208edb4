"""Action items on their own, across post-mortems (the follow-through)."""

from django.http import HttpResponse
from ninja import Router

from hindsight.lib.http import etag, if_match_version
from hindsight.postmortems import services
from hindsight.postmortems.schemas import ActionItemPatch, ActionItemWithParent

router = Router(tags=["action items"])


def _item_out(postmortem, item) -> dict:
    # Every stored item field, so a field added to ActionItem is returned here too.
    return {
        "id": item.id,
        **{field: getattr(item, field) for field in services.ITEM_FIELDS},
        "postmortem_id": postmortem.id,
        "postmortem_version": postmortem.version,
    }


@router.patch(
    "/{item_id}",
    response=ActionItemWithParent,
    by_alias=True,
    summary="Change one action item (allowed on PUBLISHED for status, owner, due date)",
)
def patch_action_item(request, item_id: str, payload: ActionItemPatch, response: HttpResponse):
    postmortem, item = services.update_action_item(
        item_id, payload.data(), by=request.auth, if_match=if_match_version(request)
    )
    # The ETag is the post-mortem's version: the item is part of that report.
    response["ETag"] = etag(postmortem.version)
    return _item_out(postmortem, item)
