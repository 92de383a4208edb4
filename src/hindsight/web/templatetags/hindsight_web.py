from datetime import UTC, datetime

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from heroicons.templatetags.heroicons import heroicon_micro

from hindsight.lib.markdown import Renderings
from hindsight.postmortems import search
from hindsight.web import forms, sectionform

register = template.Library()

# Each status as a word and a heroicon name (the word carries the meaning; the icon helps).
STATUS_TEXT = {
    "DRAFT": ("Draft", "pencil-square"),
    "IN_REVIEW": ("In review", "eye"),
    "PUBLISHED": ("Published", "check-circle"),
    "ARCHIVED": ("Archived", "archive-box"),
    "TODO": ("To do", "stop-circle"),
    "IN_PROGRESS": ("In progress", "arrow-path"),
    "DONE": ("Done", "check"),
}


@register.simple_tag
def icon(name: str, label: str = "") -> SafeString:
    """`{% icon "lock-closed" %}`: a heroicon (micro, 16 px) as inline SVG, so it shows
    whatever fonts the reader has. Decorative (hidden from screen readers) unless LABEL
    names it."""
    attrs = {"class": "icon"}
    if label:
        # heroicons' files say aria-hidden="true" themselves.
        attrs.update(role="img", aria_label=label, aria_hidden="false")
    else:
        attrs.update(focusable="false")
    return heroicon_micro(name, **attrs)


@register.filter
def markdown(text, renderings: Renderings | None = None) -> str:
    """Sanitised HTML (lib/markdown.py), safe to insert; taken from the report's stored
    RENDERINGS when given (the view's `renderings`), so a page renders nothing again."""
    return mark_safe((renderings or Renderings()).html(text))  # noqa: S308 — nh3 sanitised it


@register.filter
def highlighted(snippet: str) -> str:
    """A search snippet with its matched words in <mark>, everything else escaped."""
    return mark_safe(search.highlighted(snippet))  # noqa: S308 — escaped before marking


@register.filter
def status_text(status: str) -> str:
    return STATUS_TEXT.get(status, (status, ""))[0]


@register.simple_tag
def badge(status: str):
    """A status as a word with an icon, so it never depends on colour alone."""
    text, name = STATUS_TEXT.get(status, (status, ""))
    return format_html(
        '<span class="badge badge-{}">{}{}</span>', status.lower(), icon(name) if name else "", text
    )


@register.filter
def utc(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@register.filter
def utc_date(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d") if moment else ""


@register.filter
def utc_time(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%H:%M") if moment else ""


@register.filter
def instant(text: str | None) -> str:
    """An API instant ("2026-03-01T14:30:00.123Z") as `utc` shows a datetime."""
    return utc(datetime.fromisoformat(text)) if text else ""


@register.filter
def duration(seconds: int | None) -> str:
    """3725 → "1 h 2 min"; None → "—"."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes or not parts:
        parts.append(f"{minutes} min")
    return " ".join(parts)


@register.filter
def label(value: str | None) -> str:
    """An enum value for people: IN_PROGRESS → In progress."""
    if not value:
        return ""
    return value.replace("_", " ").capitalize()


@register.filter
def pretty(value) -> str:
    """A stored value for people: text as is, structured sections as indented JSON."""
    import json

    if value is None:
        return "(empty)"
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


@register.filter
def field_label(name: str) -> str:
    """An API field name for people: rootCause → Root cause."""
    import re

    words = re.sub(r"(?<!^)([A-Z])", r" \1", name).lower()
    return words[:1].upper() + words[1:]


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key) if mapping else None


@register.filter
def web_url(value: str | None) -> str:
    """VALUE if it is an http(s) address, else "" (never a javascript: or data: link)."""
    if value and value.lower().startswith(("http://", "https://")):
        return value
    return ""


@register.filter
def editable_by(postmortem, user) -> bool:
    """The model's own rule (PostMortem.can_be_edited_by), for templates."""
    return postmortem.can_be_edited_by(user)


@register.filter
def names_user(owner: str | None, known: set[str]) -> bool:
    """Whether OWNER is one of KNOWN (web/owners.owners_naming_users): a user, not a free
    address such as a team list."""
    return bool(owner) and owner.strip().lower() in (known or ())


@register.filter
def number(value) -> str:
    """45.0 → "45", 12000 → "12,000" (web/sectionform.number_text)."""
    return sectionform.number_text(value)


ENTRY_FORMS = {"item": forms.ActionItemForm, "follow-through": forms.FollowThroughForm}


@register.simple_tag
def shown_entry(entry, refused, form_name: str) -> dict:
    """`{% shown_entry item refused_item "item" as shown %}`: what the entry's form shows
    (web/forms.py shown_entry): shown.values, shown.was, shown.errors, shown.message."""
    return forms.shown_entry(entry, refused, ENTRY_FORMS[form_name])


@register.simple_tag
def was(html_name: str, value):
    """`{% was "item-status" item.status %}`: what the field showed, for web/forms.py's
    EntryForm.changes."""
    return forms.was_input(html_name, value)
