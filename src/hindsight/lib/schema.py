"""Base schemas: camelCase in JSON, snake_case in Python."""

import re

from ninja import Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel


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
    """`?status=DRAFT,IN_REVIEW` and `?status=DRAFT&status=IN_REVIEW` alike."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list | tuple):
        return [part.strip() for v in value for part in str(v).split(",") if part.strip()]
    return value


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
