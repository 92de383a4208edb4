from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, field_validator

from hindsight.incidents.models import ImpactCategory, IncidentType, Severity
from hindsight.lib.schema import (
    WEB_ADDRESS_PATTERN,
    In,
    Out,
    TextOnly,
    is_web_address,
    never_null,
)

Text = Annotated[str, Field(min_length=1, max_length=300)]


def _in_utc(value: datetime) -> datetime:
    """The instant in UTC, as it is stored; one that has none (0001-01-01T00:00+06:00 is
    before year 1 there) is refused."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the years 1 to 9999 once in UTC") from None


Timestamp = Annotated[AwareDatetime, TextOnly, AfterValidator(_in_utc)]


class Link(In):
    label: Annotated[str, Field(min_length=1, max_length=100)]
    url: Annotated[
        str,
        Field(min_length=1, max_length=2000, json_schema_extra={"pattern": WEB_ADDRESS_PATTERN}),
    ]

    @field_validator("url")
    @classmethod
    def web_address(cls, value: str) -> str:
        if not is_web_address(value):
            raise ValueError("must be an http:// or https:// address")
        return value


class IncidentFields(In):
    severity: Severity | None = None
    type: IncidentType | None = Field(
        None, description="INCIDENT (default) or NEAR_MISS: nothing broke for users"
    )
    impact_categories: (
        Annotated[list[ImpactCategory], Field(max_length=len(ImpactCategory))] | None
    ) = Field(None, description="What kind of impact it had (the VOID database's set)")
    services: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = None
    links: list[Link] | None = None
    started_at: Timestamp | None = None
    detected_at: Timestamp | None = None
    acknowledged_at: Timestamp | None = None
    mitigated_at: Timestamp | None = None
    resolved_at: Timestamp | None = None
    details: Annotated[str, Field(max_length=100_000)] | None = None


class IncidentCreate(IncidentFields):
    id: str | None = None
    title: Text


class IncidentPatch(IncidentFields):
    model_config = ConfigDict(json_schema_extra=never_null("title"))
    title: Text | None = None
    # Returned by GET and accepted back unchanged, so a client can send what it read.
    id: Any = None
    version: Any = None
    created_at: Any = None
    updated_at: Any = None
    created_by: Any = None
    time_to_detect: Any = None
    time_to_acknowledge: Any = None
    time_to_mitigate: Any = None
    time_to_resolve: Any = None

    READ_ONLY: ClassVar[set[str]] = {
        "id",
        "version",
        "created_at",
        "updated_at",
        "created_by",
        "time_to_detect",
        "time_to_acknowledge",
        "time_to_mitigate",
        "time_to_resolve",
    }

    def changes(self) -> dict:
        return {k: v for k, v in self.given().items() if k not in self.READ_ONLY}


class LinkOut(Out):
    label: str
    url: str


class IncidentOut(Out):
    id: str
    title: str
    severity: Severity | None
    type: IncidentType
    impact_categories: list[ImpactCategory]
    services: list[str]
    links: list[LinkOut]
    started_at: datetime | None
    detected_at: datetime | None
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    details: str
    time_to_detect: int | None = Field(description="detectedAt − startedAt, in seconds")
    time_to_acknowledge: int | None = Field(description="acknowledgedAt − startedAt, in seconds")
    time_to_mitigate: int | None = Field(description="mitigatedAt − startedAt, in seconds")
    time_to_resolve: int | None = Field(description="resolvedAt − startedAt, in seconds")
    version: int
    created_at: datetime
    updated_at: datetime


class IncidentList(Out):
    items: list[IncidentOut]
    total: int
    next_cursor: str | None
