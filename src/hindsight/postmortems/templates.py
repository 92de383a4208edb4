"""Post-mortem templates: data files shipped in catalog/ (one YAML file each).

A template is a partial POST body in the API's own form; choosing it on create pre-fills
sections, timeline events and action items, and whatever the body itself gives wins.
"""

from functools import cache
from importlib import resources

import yaml
from pydantic import ValidationError

from hindsight.lib.errors import Invalid


@cache
def _catalog() -> dict[str, dict]:
    found = {}
    for entry in sorted(resources.files("hindsight.postmortems").joinpath("catalog").iterdir()):
        if entry.name.endswith(".yaml"):
            document = yaml.safe_load(entry.read_text(encoding="utf-8"))
            found[document["slug"]] = document
    return found


def list_templates() -> list[dict]:
    """Slug, name and description of every template, in name order."""
    rows = [
        {"slug": slug, "name": t["name"], "description": t["description"], "builtin": True}
        for slug, t in _catalog().items()
    ]
    return sorted(rows, key=lambda row: row["name"].lower())


def get_template(slug: str) -> dict:
    template = _catalog().get(slug)
    if template is None:
        known = ", ".join(sorted(_catalog())) or "none"
        raise Invalid(
            f"There is no template {slug!r}; choose one of: {known}.",
            fields={"template": f"unknown template {slug}"},
        )
    return template


def template_data(slug: str) -> dict:
    """The template's body as service data (snake_case names, validated)."""
    from hindsight.postmortems.schemas import TemplateBody

    body = get_template(slug).get("postmortem") or {}
    try:
        return TemplateBody.model_validate(body).data()
    except ValidationError as exc:  # a broken catalog file is our bug, said plainly
        raise ValueError(f"template {slug} is invalid: {exc}") from exc


def prefill(slug: str, data: dict) -> dict:
    """DATA completed from template SLUG; fields DATA gives win."""
    given = {key: value for key, value in data.items() if key != "template"}
    return {**template_data(slug), **given}
