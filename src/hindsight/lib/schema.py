"""Base schemas: camelCase in JSON, snake_case in Python."""

from ninja import Schema
from pydantic import ConfigDict
from pydantic.alias_generators import to_camel


class Out(Schema):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class In(Schema):
    """Request bodies refuse unknown fields, so a misspelt name is an error, not a no-op."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=False
    )

    def given(self) -> dict:
        """The fields the client sent, by Python name, nested models as plain data."""
        return self.model_dump(exclude_unset=True)
