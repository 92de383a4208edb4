"""Request-wide rules that no single view should repeat: no NUL character anywhere in what
a client sends, answers that depend on who asks are never kept by a shared cache, and a
query cancelled by PostgreSQL's statement timeout answers 503."""

import json
import logging
import re
from urllib.parse import parse_qsl, unquote_plus

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.signals import setting_changed
from django.db.utils import OperationalError
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control

from hindsight.lib.schema import current_query

NUL = "\x00"
_JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)
_FORM_NUL = re.compile(rb"%00")


request_log = logging.getLogger("django.request")


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def _nul_in_json(value, path: str = "") -> str | None:
    """The path (`timeline[0].description`) of the first string holding a NUL, or None."""
    if isinstance(value, str):
        return path or "body" if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return inner
            found = _nul_in_json(item, inner)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_in_json(item, f"{path}[{index}]")
            if found:
                return found
    return None


def _nul_in_body(request) -> str | None:
    try:
        body = request.body
    except RequestDataTooBig:
        return None  # the view answers 413 when it reads the body
    content_type = request.content_type or ""
    if b"\x00" in body:
        return "body"
    if content_type == "application/x-www-form-urlencoded" and _FORM_NUL.search(body):
        for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
            if NUL in name or NUL in value:
                return name
    if "json" in content_type and _JSON_NUL.search(body):
        # Only now parse: the pattern may be an escaped backslash followed by "u0000".
        try:
            return _nul_in_json(json.loads(body))
        except ValueError:
            return None  # malformed JSON is answered by the parser
    return None


def nul_in_request(request) -> str | None:
    """What in REQUEST holds a NUL character: "path", a parameter's name, a body field's
    path, or None. PostgreSQL cannot store NUL in text and SQLite cuts text at it, so
    it is refused before any view sees it, alike on both."""
    if NUL in request.path_info:
        return "path"
    query = request.META.get("QUERY_STRING", "")
    if "%00" in query or NUL in query:
        for name, value in parse_qsl(query, keep_blank_values=True):
            if NUL in name or NUL in value:
                return name
        if NUL in unquote_plus(query):
            return "query"
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        return _nul_in_body(request)
    return None


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = nul_in_request(request)
        if where is None:
            # The query string, for the API's QueryFilters (a parameter given twice).
            token = current_query.set(request.GET)
            try:
                return self.get_response(request)
            finally:
                current_query.reset(token)
        message = f"{where} contains a NUL character (U+0000), which is never accepted."
        if _is_api(request):
            body = {"error": "invalid", "message": message, "fields": {where: "contains NUL"}}
            return JsonResponse(body, status=422)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _statement_timed_out(exc: BaseException) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "57014"  # query_canceled


class PrivateAnswersMiddleware:
    """Every dynamic answer may depend on who asks (a draft, a token, a CSRF token), so
    none may be kept by a shared cache, and none is reused without asking again. Static
    files are answered by WhiteNoise before this runs and keep their long cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
        return response


class StatementTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        """A statement PostgreSQL cancelled for running too long: 503, not a 500."""
        if not isinstance(exc, OperationalError) or not _statement_timed_out(exc):
            return None
        message = "The query took too long and was stopped; narrow the request and retry."
        if _is_api(request):
            response = JsonResponse(
                {"error": "timeout", "message": message, "fields": {}}, status=503
            )
        else:
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "5"
        return response


class ApiServerErrorMiddleware:
    """A failure nothing else answered, under /api/: the API's error shape (JSON, 500), so a
    client reads `error` as it does for every other answer, never an HTML page. Logged as
    Django logs a 500 (the django.request logger, with the request, for ADMINS' mail)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if not _is_api(request) or settings.DEBUG:
            return None  # pages keep 500.html; DEBUG keeps Django's technical page
        request_log.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exc,
            extra={"status_code": 500, "request": request},
        )
        message = "The server failed to answer this request. It has been logged; retry later."
        return JsonResponse({"error": "server_error", "message": message, "fields": {}}, status=500)


class FixedPolicyCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, building the policy once instead of twice per response.

    Our policy uses no nonce and no view overrides it (no @csp_update), so the header is the
    same on every answer; django-csp rebuilds it from the settings for each one, which costs
    a bare answer a fifth of its time. Any response that does carry an override, or a request
    that asked for a nonce, takes django-csp's own path."""

    _headers: dict[bool, str] | None = None

    def process_response(self, request, response):
        overridden = any(
            getattr(response, f"_csp_{kind}{suffix}", None) is not None
            for kind in ("config", "update", "replace")
            for suffix in ("", "_ro")
        )
        if overridden or getattr(request, "_csp_nonce", None) is not None:
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        headers = FixedPolicyCSPMiddleware._headers
        if headers is None:
            headers = FixedPolicyCSPMiddleware._headers = {
                False: build_policy(),
                True: build_policy(report_only=True),
            }
        for report_only, name, setting in (
            (False, HEADER, "CONTENT_SECURITY_POLICY"),
            (True, HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            exempt = getattr(response, "_csp_exempt_ro" if report_only else "_csp_exempt", False)
            prefixes = tuple(
                (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            )
            if (
                headers[report_only]
                and name not in response
                and exempt is False
                and not request.path_info.startswith(prefixes)
            ):
                response[name] = headers[report_only]
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


@receiver(setting_changed)
def _forget_policy(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        FixedPolicyCSPMiddleware._headers = None
