"""Base schemas: camelCase in JSON, snake_case in Python."""

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
