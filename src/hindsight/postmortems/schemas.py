from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from ninja import Schema
from pydantic import Field, field_validator

from hindsight.lib.schema import In, Out
from hindsight.lib.times import is_valid_event_time
from hindsight.postmortems.models import ItemStatus, Priority, Status
from hindsight.postmortems.sections import SECTION_NAMES, Category, EventKind, Horizon, Sections

Title = Annotated[str, Field(min_length=1, max_length=300)]
Prose = Annotated[str, Field(max_length=200_000)]
Line = Annotated[str, Field(min_length=1, max_length=254)]


class TimelineEventIn(In):
    """An event as sent; time and description may be left out of an entry that has an id
    (they keep their value), and are required for a new one (checked by the service)."""

    id: str | None = None
    time: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    description: Annotated[str, Field(min_length=1, max_length=20_000)] | None = None
    who: Annotated[str, Field(max_length=200)] | None = None
    notes: Annotated[str, Field(max_length=20_000)] | None = None
    kind: EventKind | None = None
    at: Any = Field(None, description="Read-only; accepted back and ignored.")

    @field_validator("time")
    @classmethod
    def known_time(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_event_time(value):
            raise ValueError(
                f"{value!r} is neither a time of day (14:35) nor an ISO 8601 timestamp"
                " (2026-03-01T14:35:00Z)"
            )
        return value

    def given(self) -> dict:
        data = super().given()
        data.pop("at", None)
        return data


class ActionItemFields(In):
    owner: Annotated[str, Field(max_length=254)] | None = None
    status: ItemStatus | None = None
    priority: Priority | None = None
    due_date: date | None = None
    horizon: Horizon | None = None
    why: Annotated[str, Field(max_length=20_000)] | None = None
    category: Category | None = None
    tracker_url: Annotated[str, Field(min_length=1, max_length=2000)] | None = Field(
        None, description="The issue in an external tracker (GitHub, Jira…): an http(s) address"
    )

    @field_validator("tracker_url")
    @classmethod
    def web_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// address")
        return value


class ActionItemIn(ActionItemFields):
    id: str | None = None
    description: Annotated[str, Field(min_length=1, max_length=20_000)] | None = None
    overdue: Any = Field(None, description="Read-only; accepted back and ignored.")


Tag = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^,\n]+$")]


class PostMortemCreate(Sections):
    template: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        None, description="Slug of a template (GET /api/templates) that pre-fills the report"
    )
    incident_id: Annotated[str, Field(min_length=1, max_length=64)]
    title: Title
    summary: Prose = ""
    impact: Prose | None = None
    root_cause: Prose | None = None
    timeline: list[TimelineEventIn] = []
    action_items: list[ActionItemIn] = []
    contributors: list[Line] = []
    tags: list[Tag] = []
    status: Literal["DRAFT", "IN_REVIEW"] = "DRAFT"

    def data(self) -> dict:
        """The fields sent (a template fills in only what the body leaves out)."""
        data = self.given()
        if "timeline" in data:
            data["timeline"] = [e.given() for e in self.timeline]
        if "action_items" in data:
            data["action_items"] = [_item_data(i) for i in self.action_items]
        return data


class PostMortemPatch(Sections):
    incident_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    title: Title | None = None
    summary: Prose | None = None
    impact: Prose | None = None
    root_cause: Prose | None = None
    timeline: list[TimelineEventIn] | None = None
    action_items: list[ActionItemIn] | None = None
    contributors: list[Line] | None = None
    tags: list[Tag] | None = None
    status: Status | None = None
    # Returned by GET and accepted back unchanged, so a client can send what it read.
    id: Any = None
    version: Any = None
    created_at: Any = None
    updated_at: Any = None
    created_by: Any = None
    published_at: Any = None
    action_items_done: Any = None
    action_items_total: Any = None
    due_at: Any = None
    overdue: Any = None

    READ_ONLY: ClassVar[set[str]] = {
        "id",
        "version",
        "created_at",
        "updated_at",
        "created_by",
        "published_at",
        "action_items_done",
        "action_items_total",
        "due_at",
        "overdue",
    }
    NOT_NULL: ClassVar[set[str]] = {
        "tags",
        "incident_id",
        "title",
        "summary",
        "timeline",
        "action_items",
        "contributors",
        "status",
    }

    def data(self) -> dict:
        data = {k: v for k, v in self.given().items() if k not in self.READ_ONLY}
        for name in self.NOT_NULL & data.keys():
            if data[name] is None:
                from hindsight.lib.errors import Invalid
                from hindsight.postmortems.services import api_name

                raise Invalid(
                    f"{api_name(name)} cannot be null.", fields={api_name(name): "cannot be null"}
                )
        if self.timeline is not None:
            data["timeline"] = [e.given() for e in self.timeline]
        if self.action_items is not None:
            data["action_items"] = [_item_data(i) for i in self.action_items]
        return data


class TemplateBody(PostMortemPatch):
    """What a template may pre-fill: anything but the incident and the workflow."""

    READ_ONLY: ClassVar[set[str]] = {
        *PostMortemPatch.READ_ONLY,
        "incident_id",
        "status",
    }


def _item_data(item: ActionItemIn) -> dict:
    """An item's given fields; a null status or priority means the default."""
    data = item.given()
    data.pop("overdue", None)
    for field in ("status", "priority"):
        if field in data and data[field] is None:
            del data[field]
    return data


class ActionItemPatch(ActionItemFields):
    description: Annotated[str, Field(min_length=1, max_length=20_000)] | None = None
    id: Any = None
    postmortem_id: Any = None
    overdue: Any = None

    def data(self) -> dict:
        data = _item_data(self)
        data.pop("id", None)
        data.pop("postmortem_id", None)
        if "description" in data and data["description"] is None:
            from hindsight.lib.errors import Invalid

            raise Invalid("description cannot be null.", fields={"description": "cannot be null"})
        return data


class TimelineEventOut(Out):
    id: str
    time: str = Field(description="As written: a time of day (14:35) or an ISO 8601 timestamp")
    at: datetime | None = Field(
        description="The UTC instant; a time of day is taken on the incident's start date"
    )
    description: str
    who: str | None
    notes: str | None
    kind: EventKind | None


class ActionItemOut(Out):
    id: str
    description: str
    owner: str | None
    status: ItemStatus
    priority: Priority
    due_date: date | None
    horizon: Horizon | None
    why: str | None
    category: Category | None
    tracker_url: str | None
    overdue: bool = Field(description="Past its due date and not DONE")

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj["overdue"] if isinstance(obj, dict) else obj.is_overdue


class PostMortemOut(Sections):
    id: str
    incident_id: str
    title: str
    summary: str
    impact: str | None
    root_cause: str | None
    timeline: list[TimelineEventOut]
    action_items: list[ActionItemOut]
    contributors: list[str]
    tags: list[str]
    status: Status
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    created_by: str
    version: int
    action_items_done: int
    action_items_total: int
    due_at: datetime | None = Field(
        description="When the report is due: the incident's resolution plus the due window"
    )
    overdue: bool = Field(description="Still DRAFT or IN_REVIEW after dueAt")

    @classmethod
    def present(cls, postmortem) -> dict:
        """The post-mortem as the API returns it (nested rows are read by the schema)."""
        return {
            "id": postmortem.id,
            "incident_id": postmortem.incident_id,
            "title": postmortem.title,
            "summary": postmortem.summary,
            "impact": postmortem.impact,
            "root_cause": postmortem.root_cause,
            "timeline": postmortem.timeline,
            "action_items": postmortem.action_item_list,
            "contributors": postmortem.contributors,
            "tags": postmortem.tags,
            "status": postmortem.status,
            "published_at": postmortem.published_at,
            "created_at": postmortem.created_at,
            "updated_at": postmortem.updated_at,
            "created_by": postmortem.created_by.username,
            "version": postmortem.version,
            "action_items_done": sum(
                i.status == ItemStatus.DONE for i in postmortem.action_item_list
            ),
            "action_items_total": len(postmortem.action_item_list),
            "due_at": postmortem.due_at,
            "overdue": postmortem.is_overdue,
            **{name: postmortem.section(name) for name in SECTION_NAMES},
        }


class PostMortemSummary(Out):
    """A list row: the report's headline without its timeline and action items."""

    id: str
    incident_id: str
    title: str
    summary: str
    status: Status
    contributors: list[str]
    tags: list[str]
    open_action_items: int
    action_items_total: int
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    created_by: str
    version: int
    due_at: datetime | None
    overdue: bool

    @staticmethod
    def resolve_created_by(obj) -> str:
        return obj.created_by.username

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj.is_overdue


class PostMortemList(Out):
    items: list[PostMortemSummary]
    total: int
    total_is_exact: bool = Field(
        True, description="false when more than 1,000 match: total is then a lower bound"
    )
    next_cursor: str | None


class ActionItemWithParent(ActionItemOut):
    postmortem_id: str
    postmortem_version: int


class RevisionOut(Out):
    version: int
    changed_by: str
    changed_at: datetime
    changes: dict[str, Any] = Field(
        description="Per field (API name) its old and new value: {field: {old, new}}"
    )

    @staticmethod
    def resolve_changed_by(obj) -> str:
        return obj.changed_by.username

    @staticmethod
    def resolve_changes(obj) -> dict:
        from hindsight.postmortems.history import present_changes

        return present_changes(obj.changes)


class RevisionSummary(Out):
    version: int
    changed_by: str
    changed_at: datetime
    fields: list[str] = Field(description="The fields this revision changed")

    @staticmethod
    def resolve_changed_by(obj) -> str:
        return obj.changed_by.username

    @staticmethod
    def resolve_fields(obj) -> list[str]:
        return list(obj.changes)


class History(Out):
    items: list[RevisionOut]
    total: int


class HistoryDiff(Schema):
    from_version: int = Field(alias="from")
    to_version: int = Field(alias="to")
    changes: dict[str, Any] = Field(
        description="Each field that differs: {old: value at from, new: value at to}"
    )
    revisions: list[RevisionSummary] = Field(description="The revisions after from up to to")
