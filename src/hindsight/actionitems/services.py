"""Changes to many action items at once, each through the post-mortems' one write path."""

from hindsight.lib.errors import DomainError, Invalid, NotFound
from hindsight.lib.writers import write_transaction
from hindsight.postmortems import services
from hindsight.postmortems.models import ActionItem


def set_status(ids: list[str], status: str, *, by) -> list[ActionItem]:
    """Give every item in IDS the STATUS, all or nothing: the first refusal undoes the rest
    and is raised again naming the item. Items are changed in post-mortem order, so two
    bulk changes over the same reports lock them in the same order and cannot deadlock."""
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise Invalid(
            f"ids lists {', '.join(duplicates)} more than once.",
            fields={"ids": f"duplicate id {duplicates[0]}"},
        )
    parents = dict(ActionItem.objects.filter(pk__in=ids).values_list("pk", "postmortem_id"))
    position = {item_id: index for index, item_id in enumerate(ids)}
    in_lock_order = sorted(ids, key=lambda i: (parents.get(i, ""), i))
    with write_transaction():
        for item_id in in_lock_order:
            try:
                services.update_action_item(item_id, {"status": status}, by=by)
            except DomainError as exc:
                raise type(exc)(
                    f"Action item {_named(item_id, exc)}: {exc.message} Nothing was changed.",
                    fields={f"ids[{position[item_id]}]": exc.message},
                    failedId=item_id,
                    **{k: v for k, v in exc.extra.items() if k != "failedId"},
                ) from exc
    changed = ActionItem.objects.filter(pk__in=ids).select_related("postmortem")
    return sorted(changed, key=lambda item: position[item.pk])


def _named(item_id: str, refusal: DomainError) -> str:
    """The item as the refusal names it: by its description when the caller may know it
    (anything but a NotFound, which must not tell what the item says), else by its id."""
    if isinstance(refusal, NotFound):
        return item_id
    description = (
        ActionItem.objects.filter(pk=item_id).values_list("description", flat=True).first()
    )
    if not description:
        return item_id
    text = " ".join(description.split())
    return f"“{text if len(text) <= 80 else text[:79] + '…'}”"
