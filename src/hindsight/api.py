"""The JSON API: one NinjaAPI, a router per domain, and every error in one shape:

    {"error": "<code>", "message": "<for people>", "fields": {"<field>": "<what is wrong>"}, …}

A refused workflow move adds "allowed" (the statuses it may move to); a stale If-Match
adds "currentVersion".
"""

import json

from csp.decorators import csp_update
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from hindsight import __version__
from hindsight.accounts.auth import api_auth
from hindsight.actionitems.api import csv_router as action_items_csv_router
from hindsight.actionitems.api import router as action_items_router
from hindsight.incidents.api import router as incidents_router
from hindsight.lib.errors import DomainError
from hindsight.notifications import api as notifications
from hindsight.postmortems.api import router as postmortems_router
from hindsight.postmortems.templates_api import router as templates_router
from hindsight.reviews.api import router as reviews_router


class JsonParser(Parser):
    def parse_body(self, request):
        return json.loads(request.body)


api = NinjaAPI(
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
