"""Base schemas: camelCase in JSON, snake_case in Python."""

import re
import types
import typing
from contextvars import ContextVar
from datetime import date

from ninja import Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, model_validator
from pydantic.alias_generators import to_camel

# A true/false in a JSON body: not 0, 1 or "yes" (pydantic's lax bool would take them).
Flag = StrictBool


def api_name(name: str) -> str:
    """The camelCase name the API uses for a Python name (root_cause → rootCause)."""
    return to_camel(name)


class Out(Schema):
    # Responses are built from model instances and snake_case dicts, so read fields by their
    # Python names only: looking up the camelCase alias first would miss on every field and
    # fall back to Django's template-variable resolver, the costliest step of a list page.
    # The schema promises no keys beyond those declared (a client may rely on it, and the
    # schemathesis test holds the responses to it).
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=False,
        json_schema_extra={"additionalProperties": False},
    )


class In(BaseModel):
    """Request bodies refuse unknown fields, so a misspelt name is an error, not a no-op.

    A plain pydantic model, not ninja's Schema: bodies are JSON, never ORM objects, so
    ninja's per-model wrapper for reading attributes off objects would only cost time (a
    full create body has 17 nested models)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=False
    )

    def given(self) -> dict:
        """The fields the client sent, by Python name, nested models as plain data."""
        return self.model_dump(exclude_unset=True)


def _comma_separated(value):
    """`?status=DRAFT,IN_REVIEW` and `?status=DRAFT&status=IN_REVIEW` alike; a parameter
    given empty (`?status=`) names no value and is refused."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list | tuple):
        parts = [part.strip() for v in value for part in str(v).split(",") if part.strip()]
        if value and not parts:
            raise ValueError("names no value (leave the parameter out for all)")
        return parts
    return value


def _query_flag(value):
    """A query string's boolean: `true` or `false`, nothing else."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError("must be true or false")


# A boolean query parameter: true or false (not 0, 1, yes or on).
QueryFlag = BeforeValidator(_query_flag)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value):
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


# A date query parameter: YYYY-MM-DD only (pydantic would take "0" as 1970-01-01).
IsoDate = BeforeValidator(_iso_date)

# The request's query string, for QueryFilters (set by lib/middleware for API requests).
current_query: ContextVar = ContextVar("current_query", default=None)


class QueryFilters(Schema):
    """Query parameters: a parameter that takes one value refuses to be given twice (Django
    would keep the last one silently)."""

    @model_validator(mode="after")
    def _given_once(self):
        query = current_query.get()
        if query is None:
            return self
        for name, field in type(self).model_fields.items():
            if typing.get_origin(_bare(field.annotation)) is list:
                continue
            key = field.alias or name
            if len(query.getlist(key)) > 1:
                raise ValueError(f"{key} is given more than once; it takes one value")
        return self


def _bare(annotation):
    """list[X] out of Annotated[list[X], …] or list[X] | None."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return args[0] if len(args) == 1 else annotation
    return annotation


# A query list filter: repeat the parameter or comma-separate its values.
CommaList = BeforeValidator(_comma_separated)


def _text_only(value):
    """JSON has no date type: a date or an instant comes as text (pydantic would otherwise take
    a number as seconds since 1970, which the OpenAPI does not offer)."""
    if value is not None and not isinstance(value, str):
        raise ValueError("must be an ISO 8601 text")
    return value


# A date or an instant as the API takes it: ISO 8601 text only.
TextOnly = BeforeValidator(_text_only)

# A link the API stores (an incident's links, an item's tracker URL): http(s), a host of
# plain characters (no brackets: an IPv6 literal is no tracker's address), then anything
# but spaces. The OpenAPI states it; `is_web_address` holds it.
WEB_ADDRESS_PATTERN = r"^https?://[A-Za-z0-9._~%!$&'()*+,;=:@-]+([/?#]\S*)?$"
_WEB_ADDRESS = re.compile(WEB_ADDRESS_PATTERN)


def is_web_address(value: str) -> bool:
    return _WEB_ADDRESS.match(value) is not None


def never_null(*names: str):
    """A json_schema_extra documenting NAMES (Python names) as optional but never null: the
    model takes null to refuse it with a message naming the field, the OpenAPI says so."""

    def strip(schema: dict, model) -> None:
        for name in names:
            prop = schema.get("properties", {}).get(api_name(name))
            if prop is None:
                continue
            prop.pop("default", None)
            branches = [b for b in prop.pop("anyOf", None) or [] if b.get("type") != "null"]
            if len(branches) == 1:
                prop.update(branches[0])
            elif branches:
                prop["anyOf"] = branches

    return strip
