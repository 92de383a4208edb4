from datetime import date, datetime
from typing import Annotated, Literal

from django.http import HttpResponse, JsonResponse
from ninja import Query, Router, Schema
from ninja import Status as HttpStatus
from pydantic import Field, WithJsonSchema

from hindsight.incidents.models import IncidentType, Severity
from hindsight.lib.errors import Invalid
from hindsight.lib.http import (
    CONDITIONAL_READ,
    CONDITIONAL_WRITE,
    etag,
    if_match,
    not_modified,
    site_url,
)
from hindsight.lib.schema import CommaList, IsoDate, QueryFilters, QueryFlag
from hindsight.postmortems import (
    document,
    export_formats,
    history,
    limits,
    listing,
    related,
    services,
)
from hindsight.postmortems.markdown.importer import import_markdown
from hindsight.postmortems.models import Status
from hindsight.postmortems.schemas import (
    History,
    HistoryDiff,
    PostMortemCreate,
    PostMortemList,
    PostMortemOut,
    PostMortemPatch,
)

router = Router(tags=["postmortems"])


class PostMortemFilters(QueryFilters):
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = None
    status: Annotated[list[Status], CommaList] = Field(
        default_factory=list, description="Repeat or comma-separate"
    )
    severity: Annotated[list[Severity], CommaList] = Field(
        default_factory=list, description="The incident's severity; repeat or comma-separate"
    )
    incident_id: str | None = Field(None, alias="incidentId")
    created_by: str | None = Field(None, alias="createdBy", description="A user name")
    tag: Annotated[list[str], CommaList] = Field(
        default_factory=list, description="Has this tag; repeat to need all"
    )
    service: str | None = Field(None, max_length=100, description=listing.SERVICE_HELP)
    overdue: Annotated[bool | None, QueryFlag] = Field(
        None, description="true: drafts and reviews past their due time; false: all others"
    )
    created_from: Annotated[date | None, IsoDate] = Field(
        None, alias="createdFrom", description="Created on this day (UTC) or later"
    )
    created_to: Annotated[date | None, IsoDate] = Field(
        None, alias="createdTo", description="Created on this day (UTC) or earlier"
    )
    type: IncidentType | None = Field(None, description="The incident's type")
    incident_from: Annotated[date | None, IsoDate] = Field(
        None, alias="incidentFrom", description="The incident started on this day (UTC) or later"
    )
    incident_to: Annotated[date | None, IsoDate] = Field(
        None, alias="incidentTo", description="The incident started on this day (UTC) or earlier"
    )
    factor_category: str | None = Field(
        None,
        alias="factorCategory",
        pattern=r"^[a-z0-9][a-z0-9-]{0,49}$",
        description="Has a contributing factor of this category (a slug)",
    )
    q: str | None = Field(
        None, max_length=200, description="Words in title, summary, impact, root cause"
    )
    sort: Literal[tuple(listing.SORTS)] | None = Field(None, description=listing.SORT_HELP)
    order: str = Field("desc", pattern="^(asc|desc)$")

    def filters(self) -> listing.ListFilters:
        return listing.ListFilters(
            **self.model_dump(include=set(listing.ListFilters.__dataclass_fields__))
        )


@router.get("", response=PostMortemList, by_alias=True, summary="List post-mortems")
def list_postmortems(request, filters: Query[PostMortemFilters]):
    return _json(listing.page(request.auth, filters.filters()).body())


def _json(body: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(
        document.encode(body), status=status, content_type="application/json; charset=utf-8"
    )


@router.post("", response={201: PostMortemOut}, by_alias=True, summary="Create a post-mortem")
def create_postmortem(request, payload: PostMortemCreate):
    postmortem = services.create_postmortem(payload.data(), by=request.auth)
    response = _json(document.written(postmortem), status=201)
    response["ETag"] = etag(postmortem.version)
    response["Location"] = f"/api/postmortems/{postmortem.id}"
    return response


class ImportOut(Schema):
    postmortem: PostMortemOut
    recognised: list[str] = Field(description="Sections read into Hindsight's own fields")
    custom: list[str] = Field(description="Headings kept as custom sections")
    warnings: list[str] = Field(
        description="What was read with a doubt (a date whose day/month order the document"
        " does not settle), each in a sentence"
    )


MARKDOWN_TYPES = ("text/markdown", "text/x-markdown", "text/plain")


@router.post(
    "/import",
    response={201: ImportOut},
    by_alias=True,
    summary="Import a Markdown post-mortem",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                # Any UTF-8 text that is not blank is a document to read. The body of a text
                # type is text by definition, so the schema states only what the text must
                # hold: a `type` would let a checker "violate" it with a number or null that
                # reaches the server as the text "0" or "null", a document like any other.
                t: {
                    "schema": {
                        "description": "The Markdown document (UTF-8 text, not blank)",
                        "pattern": r"\S",
                    }
                }
                for t in MARKDOWN_TYPES
            },
        }
    },
)
def import_postmortem(
    request,
    incident_id: str | None = Query(None, alias="incidentId", max_length=64),  # noqa: B008
    incident_title: str | None = Query(  # noqa: B008
        None, alias="incidentTitle", min_length=1, max_length=limits.TITLE
    ),
):
    """The body is the document (UTF-8). Without incidentId, an incident is created from
    the document's date and severity, named incidentTitle or `Imported incident
    YYYY-MM-DD` (never after the document: incidents are seen by every viewer)."""
    content_type = request.content_type or ""
    if content_type not in MARKDOWN_TYPES:
        return JsonResponse(
            {
                "error": "unsupported_media_type",
                "message": f"Send the document as text/markdown, not {content_type or 'nothing'}.",
                "fields": {"Content-Type": content_type},
            },
            status=415,
        )
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"The document is not UTF-8 (byte {exc.start}).", fields={"body": "not UTF-8"}
        ) from None
    if not text.strip():
        raise Invalid("The document is empty.", fields={"body": "empty"})
    result = import_markdown(
        text, by=request.auth, incident_id=incident_id, incident_title=incident_title
    )
    body = {
        "postmortem": document.written(result.postmortem),
        "recognised": result.recognised,
        "custom": result.custom,
        "warnings": result.warnings,
    }
    response = _json(body, status=201)
    response["ETag"] = etag(result.postmortem.version)
    response["Location"] = f"/api/postmortems/{result.postmortem.id}"
    return response


READ_ETAG_HEADER = {
    "description": 'The version as a strong entity tag ("7"); once time alone has turned an'
    " `overdue` flag since that version was written, the version and a digest of the answer"
    ' ("7-…"), which If-Match takes as the version',
    "schema": {"type": "string", "pattern": r'^"[0-9]+(-[0-9a-f]{16})?"$'},
    "required": True,
}


@router.get(
    "/{postmortem_id}",
    response=PostMortemOut,
    by_alias=True,
    summary="Get one post-mortem",
    openapi_extra={
        "responses": {200: {"headers": {"ETag": READ_ETAG_HEADER}}},
        **CONDITIONAL_READ,
    },
)
def get_postmortem(request, postmortem_id: str):
    text, tag = document.read_text(request.auth, postmortem_id)
    if not_modified(request, tag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(text, content_type="application/json; charset=utf-8")
    response["ETag"] = etag(tag)
    return response


@router.patch(
    "/{postmortem_id}",
    response=PostMortemOut,
    by_alias=True,
    summary="Change a post-mortem (fields, nested lists, status)",
    openapi_extra=CONDITIONAL_WRITE,
)
def patch_postmortem(request, postmortem_id: str, payload: PostMortemPatch):
    postmortem = services.update_postmortem(
        postmortem_id, payload.data(), by=request.auth, if_match=if_match(request)
    )
    response = _json(document.written(postmortem))
    response["ETag"] = etag(postmortem.version)
    return response


@router.delete(
    "/{postmortem_id}",
    response={204: None},
    summary="Delete a draft",
    openapi_extra=CONDITIONAL_WRITE,
)
def delete_postmortem(request, postmortem_id: str):
    services.delete_postmortem(postmortem_id, by=request.auth, if_match=if_match(request))
    return HttpStatus(204, None)


EXPORT_ETAG_HEADER = {
    "description": "Markdown shows the report's own fields alone: its version, as GET's ETag"
    ' ("7"). JSON also shows the overdue flags, which move with time; HTML and PDF the'
    ' incident and links to the site: the version and a digest of those ("7-…"). Either way'
    " the tag changes whenever the file does.",
    "schema": {"type": "string", "pattern": r'^"[0-9]+(-[0-9a-f]{16})?"$'},
    "required": True,
}


def _export_schema(name: str) -> dict:
    if name == "json":
        # "type" replaces the string type the `response={200: str}` default gives the answer.
        return {"type": "object", "$ref": "#/components/schemas/PostMortemOut"}
    return {"type": "string", "format": "binary"} if name == "pdf" else {"type": "string"}


@router.get(
    "/{postmortem_id}/export",
    summary="Export as Markdown, HTML, PDF or JSON",
    response={200: str},
    openapi_extra={
        "responses": {
            200: {
                "content": {
                    f.content_type.split(";")[0]: {"schema": _export_schema(f.name)}
                    for f in export_formats.FORMATS.values()
                },
                "headers": {"ETag": EXPORT_ETAG_HEADER},
            }
        },
        **CONDITIONAL_READ,
    },
)
def export_postmortem(
    request,
    postmortem_id: str,
    format: Annotated[
        str, WithJsonSchema({"type": "string", "enum": list(export_formats.FORMATS)})
    ] = Query(  # noqa: B008
        "markdown",
        description="markdown (default), html, pdf or json",
    ),
):
    fmt = export_formats.get_format(format)
    if fmt.name in ("json", "markdown"):  # from the stored document: one query
        made = export_formats.from_document(request.auth, postmortem_id, fmt.name)
    else:
        postmortem = services.get_postmortem_for(request.auth, postmortem_id)
        made = export_formats.of(postmortem, fmt.name, site=site_url(request))
    if not_modified(request, made.tag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(made.make(), content_type=fmt.content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="{export_formats.filename_for(postmortem_id, fmt.name)}"'
        )
    response["ETag"] = etag(made.tag)
    return response


class HistoryFilters(QueryFilters):
    type: Annotated[list[Literal["revision", "review", "comment"]], CommaList] = Field(
        default_factory=list, description="Only these entries; repeat or comma-separate"
    )


@router.get(
    "/{postmortem_id}/history",
    response=History,
    by_alias=True,
    summary="Every accepted change (version, who, when, each field's old and new value), and"
    " the review decisions and comments beside them",
)
def get_history(request, postmortem_id: str, filters: Query[HistoryFilters]):
    postmortem = services.get_postmortem_for(request.auth, postmortem_id)
    rows = history.entries(postmortem, filters.type)
    return {"items": rows, "total": len(rows)}


class RelatedItem(Schema):
    id: str
    description: str
    owner: str | None


class RelatedPostMortem(Schema):
    id: str
    title: str
    status: str
    incidentStartedAt: datetime | None  # noqa: N815 - the JSON name
    score: float = Field(description="0 to 1 (README: Related post-mortems)")
    reasons: list[str]
    openActionItems: list[RelatedItem]  # noqa: N815
    possibleRecurrence: bool = Field(  # noqa: N815
        description="The best match scores above the threshold and all its action items"
        " were done before this incident started"
    )
    itemsCompletedAt: datetime | None  # noqa: N815


class RelatedAnswer(Schema):
    items: list[RelatedPostMortem]


@router.get(
    "/{postmortem_id}/related",
    response=RelatedAnswer,
    summary="The most similar other post-mortems you may read, best first",
)
def get_related(request, postmortem_id: str, limit: int = Query(5, ge=1, le=20)):  # noqa: B008
    return {"items": related.related(request.auth, postmortem_id, limit=limit)}


class LintFinding(Schema):
    rule: str = Field(description="The rule's id (docs/lint.md)")
    severity: str = Field(description="error, warning or info")
    message: str
    field: str = Field(description="The field it concerns, as a path: actionItems[0].owner")
    hint: str = Field(description="How to fix it")


class LintAnswer(Schema):
    findings: list[LintFinding]


@router.get(
    "/{postmortem_id}/lint",
    response=LintAnswer,
    summary="The quality lint: findings that keep a report specific and blameless",
)
def lint_postmortem(request, postmortem_id: str):
    findings = services.lint_postmortem(request.auth, postmortem_id)
    return {"findings": [f.as_dict() for f in findings]}


class DiffRange(QueryFilters):
    from_version: int = Field(alias="from", ge=1)
    to_version: int | None = Field(
        None, alias="to", ge=1, description="Default: the current version"
    )


@router.get(
    "/{postmortem_id}/history/diff",
    response=HistoryDiff,
    by_alias=True,
    summary="What changed between two versions (?from=3&to=7): per field, old and new",
)
def get_history_diff(request, postmortem_id: str, versions: Query[DiffRange]):
    postmortem = services.get_postmortem_for(request.auth, postmortem_id)
    return history.diff(postmortem, versions.from_version, versions.to_version)
