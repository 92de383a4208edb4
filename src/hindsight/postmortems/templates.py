"""Post-mortem templates: data, never code.

Built-in templates are files shipped in catalog/ (one YAML file each); teams add their own
through the API, stored as Template rows. Each has two parts, in the API's own camelCase
form and validated by the same TemplateBody schema:

- `hints`: its prompts, per field ("Which services, endpoints and instances failed."). The
  editor shows them beside each field; they are never stored as the report's text.
- `body`: what it pre-fills: tags, and the typical timeline events and action items, which a
  new report stores as unconfirmed suggestions (`unconfirmed: true`) until someone edits or
  confirms each one; publishing waits for them (workflow.py).

Whatever a create body gives itself wins over the template's pre-fill. The suggested events
are at 00:00: a valid time (so the report saves) that nobody mistakes for a real one.
"""

import re
from functools import cache
from importlib import resources

import yaml
from django.db import IntegrityError
from pydantic import ValidationError

from hindsight.lib.errors import Conflict, Invalid, NotFound, PermissionDenied
from hindsight.lib.schema import api_name
from hindsight.lib.writers import write_transaction
from hindsight.postmortems.models import Template
from hindsight.postmortems.schemas import TemplateBody

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# What a template's body may pre-fill (API names); everything else a template says is a hint.
PREFILLED = ("tags", "timeline", "actionItems")


@cache
def _catalog() -> dict[str, dict]:
    found = {}
    for entry in sorted(resources.files("hindsight.postmortems").joinpath("catalog").iterdir()):
        if entry.name.endswith(".yaml"):
            document = yaml.safe_load(entry.read_text(encoding="utf-8"))
            found[document["slug"]] = document
    return found


def is_builtin(slug: str) -> bool:
    return slug in _catalog()


def _row(
    slug: str, name: str, description: str, hints: dict, *, builtin: bool, created_by=None
) -> dict:
    return {
        "slug": slug,
        "name": name,
        "description": description,
        "builtin": builtin,
        "created_by": created_by,
        "hints": hints or {},
    }


def list_templates() -> list[dict]:
    """Slug, name, description and hints of every template, built-in and the team's, by
    name."""
    rows = [
        _row(slug, t["name"], t["description"], t.get("hints"), builtin=True)
        for slug, t in _catalog().items()
    ]
    rows += [
        _row(
            t.slug, t.name, t.description, t.hints, builtin=False, created_by=t.created_by.username
        )
        for t in Template.objects.select_related("created_by")
    ]
    return sorted(rows, key=lambda row: (row["name"].lower(), row["slug"]))


def _unknown(slug: str) -> Invalid:
    known = ", ".join(sorted([*_catalog(), *Template.objects.values_list("slug", flat=True)]))
    return Invalid(
        f"There is no template {slug!r}; choose one of: {known or 'none'}.",
        fields={"template": f"unknown template {slug}"},
    )


def find_template(slug: str) -> dict | None:
    """One template with its hints and body (camelCase, as POSTed), or None."""
    builtin = _catalog().get(slug)
    if builtin is not None:
        return {
            **_row(
                slug, builtin["name"], builtin["description"], builtin.get("hints"), builtin=True
            ),
            "body": builtin.get("postmortem") or {},
        }
    row = Template.objects.select_related("created_by").filter(slug=slug).first()
    if row is None:
        return None
    return {
        **_row(
            row.slug,
            row.name,
            row.description,
            row.hints,
            builtin=False,
            created_by=row.created_by.username,
        ),
        "body": row.body,
    }


def get_template(slug: str) -> dict:
    """Like find_template, for a slug a client chose: Invalid (naming it) if there is none."""
    template = find_template(slug)
    if template is None:
        raise _unknown(slug)
    return template


def _validated(body: dict, where: str) -> dict:
    """BODY checked against TemplateBody and normalised to its camelCase JSON form."""
    try:
        parsed = TemplateBody.model_validate(body)
    except ValidationError as exc:
        fields = {}
        for error in exc.errors():
            path = ".".join(str(p) for p in error["loc"])
            fields[f"{where}.{path}" if path else where] = error["msg"].removeprefix(
                "Value error, "
            )
        summary = "; ".join(f"{k}: {v}" for k, v in fields.items())
        raise Invalid(f"The template {where} is not valid: {summary}", fields=fields) from None
    data = parsed.data()  # refuses nulls where a list or text is required
    named = _people(parsed)
    if named:
        fields = {f"{where}.{path}": "a template names no one" for path in named}
        raise Invalid(
            f"A template cannot name people ({', '.join(fields)}): whoever it names would be"
            " given rights on every post-mortem made from it. Leave them out; add"
            " contributors and owners to each report instead.",
            fields=fields,
        )
    for kind in ("timeline", "action_items"):
        for index, entry in enumerate(data.get(kind) or []):
            if entry.get("id"):
                name = "actionItems" if kind == "action_items" else kind
                raise Invalid(
                    f"{where}.{name}[{index}].id: a template's entries have no id; leave it out.",
                    fields={f"{where}.{name}[{index}].id": "not allowed in a template"},
                )
    return {
        key: value
        for key, value in parsed.model_dump(mode="json", by_alias=True, exclude_unset=True).items()
        if key in {TemplateBody.model_fields[f].alias or f for f in TemplateBody.WRITABLE}
    }


def validate_body(body: dict, *, where: str = "body") -> dict:
    """What a template pre-fills, checked: tags, timeline events and action items only."""
    checked = _validated(body, where)
    prompts = [key for key in checked if key not in PREFILLED]
    if prompts:
        raise Invalid(
            f"A template's body pre-fills only tags, timeline events and action items;"
            f" {', '.join(prompts)} is guidance for the writer: send it in hints, which the"
            " editor shows beside the field and never stores as the report's text.",
            fields={f"{where}.{key}": "a prompt: send it in hints" for key in prompts},
        )
    for entries in (checked.get("timeline") or [], checked.get("actionItems") or []):
        for entry in entries:
            entry.pop("unconfirmed", None)  # every suggestion starts unconfirmed
    return checked


def validate_hints(hints: dict, *, where: str = "hints") -> dict:
    """A template's prompts, checked: shaped like a body's text (per field, API names)."""
    checked = _validated(hints, where)
    lists = [key for key in checked if key in PREFILLED]
    if lists:
        raise Invalid(
            f"{', '.join(lists)} cannot be hints: a template pre-fills them (timeline events"
            " and action items as unconfirmed suggestions); send them in body.",
            fields={f"{where}.{key}": "pre-filled: send it in body" for key in lists},
        )
    return checked


def _people(parsed: TemplateBody) -> list[str]:
    """Where a parsed body names people (contributors, action-item owners), by API path."""
    found = ["contributors"] if parsed.contributors else []
    for index, item in enumerate(parsed.action_items or []):
        if item.owner:
            found.append(f"actionItems[{index}].owner")
    return found


def template_data(slug: str, found: dict | None = None) -> dict:
    """The template's pre-fill as service data (snake_case names, validated). Whom a body
    stored before bodies were checked names is left out: a template grants no one rights
    (TemplateBody leaves out contributors; owners are dropped here)."""
    body = (found or get_template(slug))["body"]
    try:
        data = TemplateBody.model_validate(body).data()
    except ValidationError as exc:  # a broken catalog file or stored row is our bug
        raise ValueError(f"template {slug} is invalid: {exc}") from exc
    for item in data.get("action_items") or []:
        item.pop("owner", None)
    return {name: value for name, value in data.items() if api_name(name) in PREFILLED}


def prefill(slug: str, data: dict) -> dict:
    """DATA completed from template SLUG: the lists DATA leaves out come from the template,
    each entry unconfirmed; `template_hints` carries its prompts for the editor."""
    found = get_template(slug)
    template = template_data(slug, found)
    merged = {key: value for key, value in data.items() if key != "template"}
    for name, value in template.items():
        if name in merged:
            continue  # fields the body gives win, lists taken whole
        if name in ("timeline", "action_items"):
            value = [{**entry, "unconfirmed": True} for entry in value]
        merged[name] = value
    merged["template_hints"] = found["hints"]
    return merged


# Writing the team's templates ------------------------------------------------------------


def _check_slug(slug: str) -> None:
    if not SLUG.match(slug) or len(slug) > 100:
        raise Invalid(
            "A slug is lower-case letters, digits and single hyphens, such as 'db-failover'.",
            fields={"slug": "not a slug"},
        )
    if is_builtin(slug):
        raise Conflict(
            f"{slug!r} is a built-in template; choose another slug.",
            fields={"slug": "taken by a built-in template"},
        )


def _changeable(slug: str, by) -> Template:
    if is_builtin(slug):
        raise Conflict(
            f"{slug!r} is a built-in template, shipped with Hindsight; copy it under another"
            " slug to change it.",
            fields={"slug": "built-in"},
        )
    row = Template.objects.select_for_update().filter(slug=slug).first()
    if row is None:
        raise NotFound(f"There is no template {slug}.", fields={"slug": slug})
    if not row.can_be_changed_by(by):
        raise PermissionDenied("Only the template's creator and admins can change it.")
    return row


def create_template(data: dict, *, by) -> Template:
    """A team template from DATA (slug, name, description, body)."""
    if not by.can_write:
        raise PermissionDenied("Viewers cannot create templates.")
    _check_slug(data["slug"])
    body = validate_body(data.get("body") or {})
    hints = validate_hints(data.get("hints") or {})
    try:
        with write_transaction():
            return Template.objects.create(
                slug=data["slug"],
                name=data["name"],
                description=data.get("description") or "",
                body=body,
                hints=hints,
                created_by=by,
            )
    except IntegrityError:
        raise Conflict(
            f"There is already a template {data['slug']!r}.",
            fields={"slug": "already taken"},
        ) from None


def update_template(slug: str, data: dict, *, by) -> Template:
    with write_transaction():
        row = _changeable(slug, by)
        if "body" in data:
            data = {**data, "body": validate_body(data["body"] or {})}
        if "hints" in data:
            data = {**data, "hints": validate_hints(data["hints"] or {})}
        for field in ("name", "description", "body", "hints"):
            if field in data and data[field] is not None:
                setattr(row, field, data[field])
        row.save()
        return row


def delete_template(slug: str, *, by) -> None:
    """Remove a team template; post-mortems made from it keep what it filled in."""
    with write_transaction():
        _changeable(slug, by).delete()
