"""The JSON API: one NinjaAPI, a router per domain, and every error in one shape:

    {"error": "<code>", "message": "<for people>", "fields": {"<field>": "<what is wrong>"}, …}

A refused workflow move adds "allowed" (the statuses it may move to); a stale If-Match
adds "currentVersion".
"""

import json
import re

from csp.decorators import csp_update
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from pydantic import Field

from hindsight import __version__
from hindsight.accounts.auth import api_auth
from hindsight.actionitems.api import csv_router as action_items_csv_router
from hindsight.actionitems.api import router as action_items_router
from hindsight.incidents.api import router as incidents_router
from hindsight.insights.api import router as insights_router
from hindsight.lib.errors import DomainError
from hindsight.lib.http import ETAG_HEADER
from hindsight.notifications import api as notifications
from hindsight.postmortems.api import router as postmortems_router
from hindsight.postmortems.factors_api import router as factor_categories_router
from hindsight.postmortems.templates_api import router as templates_router
from hindsight.reviews.api import router as reviews_router


class JsonParser(Parser):
    def parse_body(self, request):
        return json.loads(request.body)


class ErrorOut(Schema):
    """Every error the API answers, whatever the status."""

    error: str = Field(description="A stable code, such as not_found or stale_version")
    message: str = Field(description="For people: what is wrong and what to do")
    fields: dict[str, str] = Field(description="Each offending field or header, and why")
    allowed: list[str] | None = Field(None, description="A refused move: where it may go")
    currentVersion: int | None = Field(None, description="A failed If-Match: the version now")
    openActionItems: list[str] | None = Field(
        None, description="A refused archive: the ids of the action items still open"
    )
    openActionItemDetails: list[dict[str, str]] | None = Field(
        None, description="The same items as {id, description, status}, to name them"
    )
    unconfirmed: dict[str, list[dict[str, str]]] | None = Field(
        None,
        description=(
            "A refused publish (409): the template suggestions nobody has confirmed yet,"
            " {timeline: [{id, time, description}], actionItems: [{id, description}]};"
            " confirm or edit them, or send confirmTemplateContent: true"
        ),
    )


# What each status means here; every operation documents those its shape can bring.
ERROR_STATUSES = {
    400: "Malformed request: the body is not JSON, or a conditional header is not entity tags",
    401: "No valid token (or session)",
    403: "Not allowed for this user",
    404: "No such resource, or one this user may not see",
    409: (
        "The record's state does not allow this (locked, illegal move, duplicate, publishing"
        " with unconfirmed template suggestions: `unconfirmed` lists them)"
    ),
    412: "If-Match names no current version",
    413: "The body is over 1 MiB",
    415: "The body is not of a type this operation reads",
    422: "A value is wrong; `fields` names each",
}
WRITES = {"post", "patch", "put", "delete"}
CACHE_CONTROL_HEADER = {
    "description": "Answers depend on who asks: private, no-cache",
    "schema": {"type": "string"},
}


def _error_statuses(method: str, operation: dict) -> set[int]:
    params = operation.get("parameters", [])
    headers = {p["name"] for p in params if p["in"] == "header"}
    content = operation.get("requestBody", {}).get("content", {})
    codes: set[int] = set()
    if operation.get("security"):
        codes |= {401, 403}
    if any(p["in"] == "path" for p in params):
        codes.add(404)
    if params or content:
        codes.add(422)
    if content:
        codes |= {400, 413}
        if any(not t.startswith("application/json") for t in content):
            codes.add(415)
    if method in WRITES and operation.get("security"):
        # A write can name other records (bulk ids, an incident) that are not there.
        codes |= {404, 409}
    if "If-Match" in headers:
        codes |= {400, 412}
    if "If-None-Match" in headers:
        codes.add(400)
    return codes


def _links(paths: dict) -> None:
    """OpenAPI links so a client (and schemathesis' stateful phase) can follow create → get
    → patch → delete: an item's id comes from the create answer or the request's path, and
    its If-Match from the ETag just received."""
    for path, item_ops in list(paths.items()):
        found = re.fullmatch(r"(.*)/\{(\w+)\}", path)
        if not found:
            continue
        collection, param = found.groups()
        targets = [
            (method, op)
            for sub, ops in paths.items()
            if sub == path or sub.startswith(path + "/")
            for method, op in ops.items()
        ]
        sources = []
        if "post" in paths.get(collection, {}):
            key = "slug" if param == "slug" else "id"
            sources.append((paths[collection]["post"], 201, f"$response.body#/{key}"))
        for method in ("get", "patch"):
            if method in item_ops:
                sources.append((item_ops[method], 200, f"$request.path.{param}"))
        for source, code, expression in sources:
            answer = source["responses"].get(code)
            if answer is None:
                continue
            links = answer.setdefault("links", {})
            for _, target in targets:
                if target is source:
                    continue
                values = {f"path.{param}": expression}
                conditional = any(p["name"] == "If-Match" for p in target.get("parameters", []))
                if conditional and "ETag" in answer.get("headers", {}):
                    values["header.If-Match"] = "$response.header.ETag"
                links[target["operationId"]] = {
                    "operationId": target["operationId"],
                    "parameters": values,
                }


class HindsightAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        schema["components"].setdefault("schemas", {})["Error"] = ErrorOut.model_json_schema()
        error = {"$ref": "#/components/schemas/Error"}
        paths = schema["paths"]
        for path, operations in paths.items():
            for method, operation in operations.items():
                responses = operation["responses"]
                headers = {p["name"] for p in operation.get("parameters", [])}
                # The version travels as ETag wherever it can be sent back as a condition,
                # and from the create that starts such a record.
                sends_etag = method != "delete" and (
                    headers & {"If-Match", "If-None-Match"}
                    or any(
                        "If-Match" in {p["name"] for p in op.get("parameters", [])}
                        for sub, ops in paths.items()
                        if re.fullmatch(re.escape(path) + r"/\{\w+\}", sub)
                        and method == "post"
                        or (sub == path and method == "get")
                        for op in ops.values()
                    )
                )
                for code, answer in responses.items():
                    if str(code).startswith("2"):
                        answer.setdefault("headers", {})
                        if sends_etag:
                            answer["headers"].setdefault("ETag", ETAG_HEADER)
                        if operation.get("security"):
                            answer["headers"]["Cache-Control"] = CACHE_CONTROL_HEADER
                        if not answer["headers"]:
                            del answer["headers"]
                for code in sorted(_error_statuses(method, operation)):
                    responses.setdefault(
                        code,
                        {
                            "description": ERROR_STATUSES[code],
                            "content": {"application/json": {"schema": error}},
                        },
                    )
                if "If-None-Match" in headers:
                    sent = responses.get(200, {}).get("headers", {}).get("ETag", ETAG_HEADER)
                    responses[304] = {
                        "description": "Not modified: If-None-Match names the current ETag",
                        "headers": {"ETag": sent},
                    }
        _links(paths)
        return schema


api = HindsightAPI(
    title="Hindsight API",
    version=__version__,
    description="Blameless incident post-mortems. Authenticate with `Authorization: Bearer <token>`"
    " (create one with `hindsight token new USER`).",
    auth=api_auth,
    parser=JsonParser(),
    urls_namespace="api",
    # Swagger UI (React) adds inline style elements and data: icons: the docs page alone
    # allows those two; scripts stay 'self' only, as on every other page.
    docs_decorator=csp_update({"style-src": ["'unsafe-inline'"], "img-src": ["data:"]}),
)


def _error(request, status: int, code: str, message: str, fields=None, **extra):
    body = {"error": code, "message": message, "fields": fields or {}, **extra}
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


def _field_path(loc) -> str:
    if loc and loc[0] in ("query", "path", "header", "cookie"):
        # Parameters are flat names; ninja may prefix the view argument that groups them
        # (filters.status[0]), which means nothing to the client.
        names = [p for p in loc if isinstance(p, str)]
        return names[-1] if len(names) > 1 else "body"
    parts = [p for p in loc if p not in ("body", "payload", "query", "path", "data")]
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _message(error: dict) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    if error.get("type") == "missing":
        return "required"
    return error.get("msg", "invalid").removeprefix("Value error, ")


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    fields: dict[str, str] = {}
    for error in exc.errors:
        fields.setdefault(_field_path(error.get("loc", ())), _message(error))
    summary = "; ".join(f"{name}: {text}" for name, text in fields.items())
    return _error(request, 422, "invalid", f"Invalid request: {summary}", fields)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    response = _error(
        request,
        401,
        "unauthorized",
        "Authentication required: send Authorization: Bearer <token>"
        " (create one with `hindsight token new USER`).",
        {"Authorization": "missing or invalid token"},
    )
    response["WWW-Authenticate"] = 'Bearer realm="hindsight"'
    return response


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    cause = exc.__cause__
    if isinstance(cause, json.JSONDecodeError):
        return _error(
            request,
            400,
            "malformed_json",
            f"The body is not valid JSON: {cause.msg} at line {cause.lineno} column {cause.colno}.",
            {"body": "malformed JSON"},
        )
    if isinstance(cause, UnicodeDecodeError):
        return _error(
            request, 400, "malformed_json", "The body is not UTF-8 text.", {"body": "not UTF-8"}
        )
    codes = {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        429: "throttled",
    }
    return _error(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    return _error(
        request,
        413,
        "too_large",
        "The request body is over the 1 MiB limit.",
        {"body": "over 1 MiB"},
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, "not_found", "No such resource.")


def unknown_endpoint(request, *args, **kwargs):
    """Paths under /api/ that name no endpoint: the API's error shape, not an HTML page."""
    body = {
        "error": "not_found",
        "message": f"There is no API endpoint at {request.path}; see /api/docs.",
        "fields": {},
    }
    return JsonResponse(body, status=404)


@api.get("/health", auth=None, tags=["health"], summary="Liveness check for load balancers")
def health(request):
    return {"status": "ok", "version": __version__}


api.add_router("/incidents", incidents_router)
api.add_router("/postmortems", postmortems_router)
api.add_router("/postmortems", reviews_router)
api.add_router("/action-items", action_items_router)
api.add_router("/action-items.csv", action_items_csv_router)
api.add_router("/channels", notifications.channels)
api.add_router("/deliveries", notifications.deliveries)
api.add_router("/templates", templates_router)
api.add_router("/insights", insights_router)
api.add_router("/factor-categories", factor_categories_router)
