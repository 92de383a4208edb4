"""The report's structured sections beyond title, summary, impact and root cause.

Each section is optional. They are validated here and stored together in
PostMortem.sections (one JSON document, keyed by the Python names below, each value in
its API form), so a team's report can grow a section without a schema migration per field.
Numbers are numbers: pydantic refuses "1,200" where a count is expected.
"""

from enum import StrEnum
from typing import Annotated

from pydantic import Field, Strict, ValidationError, field_validator

from hindsight.lib.errors import Invalid
from hindsight.lib.schema import In
from hindsight.postmortems import limits

Short = Annotated[str, Field(max_length=limits.SHORT)]
Prose = Annotated[str, Field(max_length=limits.PROSE)]
# Strict: JSON's false is not the number 0 (pydantic would otherwise take it as one).
Count = Annotated[int, Strict(), Field(ge=0)]
Amount = Annotated[float, Strict(), Field(ge=0)]


def capped(entry, limit: int = limits.SECTION_ENTRIES):
    """A list of ENTRY holding at most LIMIT entries."""
    return Annotated[list[entry], Field(max_length=limit)]


class EventKind(StrEnum):
    TRIGGER = "TRIGGER"
    DETECTION = "DETECTION"
    INVESTIGATION = "INVESTIGATION"
    MISLEADING_PATH = "MISLEADING_PATH"
    MITIGATION = "MITIGATION"
    RESOLUTION = "RESOLUTION"
    COMMUNICATION = "COMMUNICATION"
    OTHER = "OTHER"


class Horizon(StrEnum):
    IMMEDIATE = "IMMEDIATE"  # this week
    SHORT_TERM = "SHORT_TERM"  # this month
    LONG_TERM = "LONG_TERM"  # this quarter


class Category(StrEnum):
    TEST = "TEST"
    MONITORING = "MONITORING"
    PROCESS = "PROCESS"
    ARCHITECTURE = "ARCHITECTURE"
    DOCUMENTATION = "DOCUMENTATION"
    OTHER = "OTHER"


class WhatHappened(In):
    what_broke: Prose | None = None
    what_users_saw: Prose | None = None
    logs: Prose | None = None
    monitoring: Prose | None = None


class UserImpact(In):
    total_affected: Count | None = None
    segments: Prose | None = None
    geography: Prose | None = None
    duration_minutes: Amount | None = None


class BusinessImpact(In):
    revenue_loss: Amount | None = None
    currency: Annotated[str, Field(max_length=3)] | None = None
    support_tickets: Count | None = None
    cancellations: Count | None = None
    sla_credits: Amount | None = None
    reputation: Prose | None = None


class EngineeringImpact(In):
    teams_involved: capped(Short) = []
    engineer_hours: Amount | None = None
    opportunity_cost: Prose | None = None


class ImpactAnalysis(In):
    users: UserImpact | None = None
    business: BusinessImpact | None = None
    engineering: EngineeringImpact | None = None


class RootCauseAnalysis(In):
    technical_cause: Prose | None = None
    why_it_existed: Prose | None = None
    why_not_caught: Prose | None = None


class ContributingFactor(In):
    factor: Annotated[str, Field(min_length=1, max_length=2000)]
    how_it_contributed: Prose | None = None
    why_it_existed: Prose | None = None
    # A slug from GET /api/factor-categories (checked against them by the write path).
    category: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,49}$")] | None = None


class Why(In):
    why: Annotated[str, Field(min_length=1, max_length=2000)]
    answer: Prose | None = None


class FiveWhys(In):
    problem: Prose | None = None
    whys: capped(Why) = []


class Resolution(In):
    how_fixed: Prose | None = None
    workarounds: Prose | None = None


class Review(In):
    """What went well, or what went wrong, by phase."""

    detection: Prose | None = None
    response: Prose | None = None
    communication: Prose | None = None
    remediation: Prose | None = None


class LessonsLearned(In):
    technical: Prose | None = None
    process: Prose | None = None
    communication: Prose | None = None


class Communication(In):
    audience: Annotated[str, Field(min_length=1, max_length=500)]
    message: Prose | None = None
    when: Short | None = None
    channel: Short | None = None


class Reference(In):
    label: Annotated[str, Field(min_length=1, max_length=500)]
    url: Annotated[str, Field(min_length=1, max_length=2000)]


class Appendix(In):
    related_postmortems: capped(Annotated[str, Field(min_length=1, max_length=64)]) = []
    references: capped(Reference) = []
    metrics: Prose | None = None
    logs: Prose | None = None


class CustomSection(In):
    heading: Annotated[str, Field(min_length=1, max_length=300)]
    body: Prose = ""

    @field_validator("heading")
    @classmethod
    def one_line(cls, value: str) -> str:
        if "\n" in value:
            raise ValueError("a heading is one line")
        return value.strip()


class Sections(In):
    """Every optional section, as accepted in POST/PATCH bodies and returned by GET."""

    detection_method: Short | None = None
    incident_commander: Short | None = None
    participants: capped(Short) = []
    hotfix_reference: Short | None = None
    executive_summary: Prose | None = None
    trigger: Prose | None = None  # the change or event that set the incident off
    what_happened: WhatHappened | None = None
    impact_analysis: ImpactAnalysis | None = None
    root_cause_analysis: RootCauseAnalysis | None = None
    contributing_factors: capped(ContributingFactor) = []
    five_whys: FiveWhys | None = None
    resolution: Resolution | None = None
    went_well: Review | None = None
    went_wrong: Review | None = None
    where_we_got_lucky: Prose | None = None
    lessons_learned: LessonsLearned | None = None
    recommendations: Prose | None = None
    communication: capped(Communication) = []
    acknowledgments: Prose | None = None
    appendix: Appendix | None = None
    custom_sections: capped(CustomSection, limits.CUSTOM_SECTIONS) = []


SECTION_NAMES: tuple[str, ...] = tuple(Sections.model_fields)
LIST_SECTIONS = frozenset(
    name for name, field in Sections.model_fields.items() if field.default == []
)


def empty_value(name: str):
    return [] if name in LIST_SECTIONS else None


def to_stored(name: str, value):
    """A validated section value in the JSON form it is stored and returned in."""
    if value is None:
        return empty_value(name)
    try:
        stored = Sections.model_validate({name: value})
    except ValidationError as exc:
        # A value the request's schema let through can still fail here once normalised
        # (a heading of only spaces); the client hears which field, never a 500.
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:])
        raise Invalid(
            f"{_alias(name)}{'.' + where if where else ''}: {first['msg']}",
            fields={_alias(name): first["msg"]},
        ) from None
    return stored.model_dump(mode="json", by_alias=True)[_alias(name)]


def _alias(name: str) -> str:
    return Sections.model_fields[name].alias or name
