"""/api/templates: the built-in templates and the team's own (see templates.py)."""

from typing import Annotated, Any

from django.http import HttpResponse
from ninja import Router
from ninja import Status as HttpStatus
from pydantic import ConfigDict, Field

from hindsight.lib.errors import Invalid, NotFound
from hindsight.lib.schema import In, Out, never_null
from hindsight.postmortems import templates

router = Router(tags=["templates"])

Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=5000)]


HINTS = (
    "The template's prompts per field, shaped like a create body's text (camelCase:"
    " summary, rootCause, whatHappened.whatBroke, …): guidance the editor shows beside each"
    " field, never stored as the report's text"
)
BODY = (
    "What the template pre-fills, as a partial POST /api/postmortems body: tags, timeline"
    " and actionItems only. A new report stores the events and items as unconfirmed"
    " suggestions (unconfirmed: true) until someone edits or confirms them"
)


class TemplateSummary(Out):
    slug: str
    name: str
    description: str
    builtin: bool
    created_by: str | None = Field(None, description="null for built-in templates")
    hints: dict[str, Any] = Field(description=HINTS)


class TemplateOut(TemplateSummary):
    body: dict[str, Any] = Field(description=BODY)


class TemplateCreate(In):
    slug: Annotated[
        str,
        Field(min_length=1, max_length=100, json_schema_extra={"pattern": templates.SLUG.pattern}),
    ]
    name: Name
    description: Description = ""
    body: dict[str, Any] = Field(default_factory=dict, description=BODY)
    hints: dict[str, Any] = Field(default_factory=dict, description=HINTS)


class TemplatePatch(In):
    model_config = ConfigDict(json_schema_extra=never_null("name", "body"))
    name: Name | None = None
    description: Description | None = None
    body: dict[str, Any] | None = Field(None, description=BODY)
    hints: dict[str, Any] | None = Field(None, description=HINTS)
    # Returned by GET and accepted back unchanged, so a client can send what it read (a
    # different slug is refused: the slug names the template).
    slug: Any = Field(None, json_schema_extra={"readOnly": True})
    builtin: Any = None
    created_by: Any = None

    def data(self) -> dict:
        data = self.given()
        slug = data.pop("slug", None)
        for name in ("builtin", "created_by"):
            data.pop(name, None)
        for name in ("name", "body", "hints"):
            if name in data and data[name] is None:
                raise Invalid(f"{name} cannot be null.", fields={name: "cannot be null"})
        return {"slug": slug, **data} if slug is not None else data


def _present(slug: str) -> dict:
    template = templates.find_template(slug)
    if template is None:
        raise NotFound(f"There is no template {slug}.", fields={"slug": slug})
    return template


@router.get("", response=list[TemplateSummary], by_alias=True, summary="List templates")
def list_templates(request):
    return templates.list_templates()


@router.post("", response={201: TemplateOut}, by_alias=True, summary="Add a team template")
def create_template(request, payload: TemplateCreate, response: HttpResponse):
    row = templates.create_template(payload.given(), by=request.auth)
    response["Location"] = f"/api/templates/{row.slug}"
    return HttpStatus(201, _present(row.slug))


@router.get("/{slug}", response=TemplateOut, by_alias=True, summary="Get one template")
def get_template(request, slug: str):
    return _present(slug)


@router.patch("/{slug}", response=TemplateOut, by_alias=True, summary="Change a team template")
def patch_template(request, slug: str, payload: TemplatePatch):
    data = payload.data()
    if data.pop("slug", slug) != slug:
        raise Invalid(
            "A template's slug cannot change; create a new template instead.",
            fields={"slug": "read-only"},
        )
    templates.update_template(slug, data, by=request.auth)
    return _present(slug)


@router.delete("/{slug}", response={204: None}, summary="Delete a team template")
def delete_template(request, slug: str):
    templates.delete_template(slug, by=request.auth)
    return HttpStatus(204, None)
