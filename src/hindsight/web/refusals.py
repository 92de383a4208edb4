"""The one place the web app turns a refused change into what the person sees.

A record that does not exist (or that the person may not know of) is the 404 page. Every
other refusal — invalid input, a workflow or lock conflict, a permission the person lacks
for this change — is a message the view shows where the person is looking: in the form they
sent (htmx swaps it in), beside the field it names, or in the block they acted on. Access to
a page as a whole is checked before any change (get_postmortem_for), so those stay 403 pages.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from pydantic.alias_generators import to_snake

from hindsight.lib.errors import DomainError, NotFound

ITEM_STATUS_WORDS = {"TODO": "to do", "IN_PROGRESS": "in progress", "DONE": "done"}


def refusal(exc: DomainError) -> str:
    """The message to show for EXC; NotFound propagates to the 404 page. A refusal that
    names records says them in words: the open action items that keep a report from being
    archived are listed by their descriptions, each a link to its row (#item-<id>)."""
    if isinstance(exc, NotFound):
        raise exc
    items = exc.extra.get("openActionItemDetails")
    if items:
        return _waiting_items(items)
    return exc.message


def form_refusal(form) -> tuple[dict[str, str], str]:
    """An invalid FORM's messages by field, and all of them in one sentence ("due date: Enter
    a valid date.")."""
    errors = {name: " ".join(texts) for name, texts in form.errors.items()}
    said = "; ".join(f"{name.replace('_', ' ')}: {text}" for name, text in errors.items())
    return errors, said


def named_fields(exc: DomainError, message: str) -> dict[str, str]:
    """The form fields EXC names (by their API names: trackerUrl, actionItems.0.dueDate),
    each with MESSAGE, so an entry's form marks them and moves the focus to the first."""
    return {to_snake(str(name).rsplit(".", 1)[-1]): message for name in exc.fields or {}}


def _waiting_items(items: list[dict]) -> SafeString:
    count = len(items)
    noun = "open action item" if count == 1 else "open action items"
    listed = format_html_join(
        "",
        '<li><a href="#item-{}">{}</a> <span class="muted small">({})</span></li>',
        (
            (i["id"], i["description"], ITEM_STATUS_WORDS.get(i["status"], i["status"]))
            for i in items
        ),
    )
    return format_html(
        'Archiving waits for {} {}:<ul class="refused-items">{}</ul>', count, noun, listed
    )
