"""Small HTTP helpers shared by the API routers: entity tags and the conditional headers
(If-Match, If-None-Match) as RFC 9110 §8.8.3 and §13.1 define them, and the site's own
address for links."""

import re
from dataclasses import dataclass

from django.conf import settings

from hindsight.lib.errors import DomainError


class BadPrecondition(DomainError):
    status = 400
    code = "bad_if_match"


class BadIfNoneMatch(DomainError):
    status = 400
    code = "bad_if_none_match"


def etag(opaque: int | str) -> str:
    """A strong entity tag: a record's version ("7"), or what an export computes from it."""
    return f'"{opaque}"'


# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text. A comma is
# an etagc, so a list is read tag by tag, never split on commas.
_ENTITY_TAG = re.compile(r'[ \t]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*')
_EMPTY_ELEMENT = re.compile(r"[ \t]*,")

# What a well-formed header looks like, for the OpenAPI (the parser above is the rule).
ETAG_LIST_PATTERN = (
    r'^[ \t]*(\*|(W/)?"[\x21\x23-\x7e]*"([ \t]*,[ \t]*(W/)?"[\x21\x23-\x7e]*")*)[ \t]*$'
)


def entity_tags(raw: str) -> list[tuple[bool, str]] | None:
    """The (weak, opaque-tag) pairs of an If-Match / If-None-Match list, None if malformed.
    Empty list elements (`"1", , "2"`) are allowed, as the list rule (§5.6.1) asks."""
    tags: list[tuple[bool, str]] = []
    pos, end = 0, len(raw)
    while pos < end:
        empty = _EMPTY_ELEMENT.match(raw, pos)
        if empty:
            pos = empty.end()
            continue
        if not raw[pos:].strip(" \t"):
            break
        match = _ENTITY_TAG.match(raw, pos)
        if match is None:
            return None
        tags.append((match.group(1) is not None, match.group(2)))
        pos = match.end()
        if pos < end and raw[pos] != ",":
            return None
    return tags or None


@dataclass(frozen=True)
class IfMatch:
    """A parsed If-Match: `*`, or the entity tags listed. Services ask `matches(version)`
    once they hold the record, so `*` matches any record the caller could load."""

    raw: str
    any: bool = False
    strong: frozenset[str] = frozenset()

    def matches(self, version: int) -> bool:
        # Strong comparison (§8.8.3.2): a weak tag never matches, and "07" is not "7". A
        # tag "7-<digest>" (a GET once time alone turned a flag, or an export) names version
        # 7 too: what follows the dash is no edit, so a write made against it loses none.
        return self.any or str(version) in {tag.split("-", 1)[0] for tag in self.strong}

    def __str__(self) -> str:
        return self.raw.strip()


def if_match(request) -> IfMatch | None:
    """The request's If-Match, None when absent. A malformed header is a 400; a well-formed
    one that names no current version is left for the service to answer 412."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    if raw.strip(" \t") == "*":
        return IfMatch(raw, any=True)
    tags = entity_tags(raw)
    if tags is None:
        raise BadPrecondition(
            f'If-Match must be "*" or entity tags as returned in ETag, such as "7", not {raw!r}.',
            fields={"If-Match": raw},
        )
    return IfMatch(raw, strong=frozenset(opaque for weak, opaque in tags if not weak))


def precondition_holds(condition: "IfMatch | int | None", version: int) -> bool:
    """Whether a write may go ahead: no condition, the version itself (the web forms send
    the version they were rendered from), or an If-Match that matches it."""
    if condition is None:
        return True
    if isinstance(condition, IfMatch):
        return condition.matches(version)
    return condition == version


def not_modified(request, current: int | str) -> bool:
    """Whether If-None-Match on a GET names the CURRENT version (or the opaque tag an export
    computed): `*`, or any tag of the list by weak comparison (§13.1.2), so `W/"7"` matches
    ETag "7". A malformed header is a 400."""
    raw = request.headers.get("If-None-Match")
    if raw is None:
        return False
    if raw.strip(" \t") == "*":
        return True
    tags = entity_tags(raw)
    if tags is None:
        raise BadIfNoneMatch(
            'If-None-Match must be "*" or entity tags as returned in ETag, such as "7",'
            f" not {raw!r}.",
            fields={"If-None-Match": raw},
        )
    return any(opaque == str(current) for _, opaque in tags)


# OpenAPI declarations of the conditional headers, added to an operation with openapi_extra
# by the views that honour them (the API's schema hook documents the 304/400/412 they bring).
# The format names the syntax for tools that generate values (.ci/schemathesis-hooks.py); the
# pattern states it.
_TAGS_SCHEMA = {
    "type": "string",
    "format": "entity-tags",
    "pattern": ETAG_LIST_PATTERN,
    "examples": ['"7"', "*"],
}
IF_MATCH_PARAMETER = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "schema": _TAGS_SCHEMA,
    "description": 'Change only if the current version is one of these ETags (`"7"`, a list,'
    " or `*` for any); otherwise 412 with `currentVersion`. A weak tag never matches.",
}
IF_NONE_MATCH_PARAMETER = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "schema": _TAGS_SCHEMA,
    "description": "Answer 304 with no body if the current ETag is one of these (weak"
    " comparison), or for `*`.",
}
ETAG_HEADER = {
    "description": 'The version as a strong entity tag, such as "7"',
    "schema": {"type": "string", "pattern": r'^"[0-9]+"$'},
    "required": True,
}
CONDITIONAL_WRITE = {"parameters": [IF_MATCH_PARAMETER]}
CONDITIONAL_READ = {"parameters": [IF_NONE_MATCH_PARAMETER]}


def site_url(request=None) -> str:
    """The address people open this site at, for absolute links (no trailing slash):
    HINDSIGHT_BASE_URL when it is set; else the scheme, host and port REQUEST came to, so
    `hindsight serve --port 8123` gives links to 8123 (behind a trusted proxy, the host it
    forwarded); with neither, the default base URL."""
    if settings.BASE_URL_CONFIGURED or request is None:
        return settings.BASE_URL
    return f"{request.scheme}://{request.get_host()}"
