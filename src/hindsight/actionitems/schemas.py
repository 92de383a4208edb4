from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from hindsight.lib.schema import CommaList, In, Out, QueryFilters, QueryFlag
from hindsight.postmortems.models import ItemStatus, Priority, Status
from hindsight.postmortems.schemas import ActionItemOut
from hindsight.postmortems.sections import Category, Horizon


class ActionItemFilters(QueryFilters):
    """Query parameters of GET /api/action-items (and the Action Items page)."""

    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = None
    owner: str | None = Field(
        None,
        description="The owner as written (any case); a user's name or email finds the items"
        " owned under either",
    )
    mine: Annotated[bool, QueryFlag] = Field(
        False, description="Only items owned by the caller (name or email)"
    )
    status: Annotated[list[ItemStatus], CommaList] = Field(
        default_factory=list, description="Repeat or comma-separate"
    )
    priority: Annotated[list[Priority], CommaList] = Field(
        default_factory=list, description="Repeat or comma-separate"
    )
    horizon: Annotated[list[Horizon], CommaList] = Field(
        default_factory=list, description="Repeat or comma-separate"
    )
    category: Annotated[list[Category], CommaList] = Field(
        default_factory=list, description="Repeat or comma-separate"
    )
    overdue: Annotated[bool | None, QueryFlag] = Field(
        None, description="true: past their due date and not DONE; false: all others"
    )
    due_this_week: Annotated[bool, QueryFlag] = Field(
        False, alias="dueThisWeek", description="Due today or in the next six days"
    )
    no_due_date: Annotated[bool, QueryFlag] = Field(False, alias="noDueDate")
    postmortem_id: str | None = Field(None, alias="postmortemId")
    service: str | None = Field(None, description="A service named on the incident")
    format: Literal["json", "csv"] = "json"


class ActionItemListed(ActionItemOut):
    """An item with the post-mortem it belongs to."""

    postmortem_id: str
    postmortem_title: str
    postmortem_status: Status
    postmortem_version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_postmortem_title(obj) -> str:
        return obj.postmortem.title

    @staticmethod
    def resolve_postmortem_status(obj) -> str:
        return obj.postmortem.status

    @staticmethod
    def resolve_postmortem_version(obj) -> int:
        return obj.postmortem.version


class ActionItemList(Out):
    items: list[ActionItemListed]
    total: int
    next_cursor: str | None


class BulkStatus(In):
    ids: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=32)]],
        Field(min_length=1, max_length=500, json_schema_extra={"uniqueItems": True}),
    ]
    status: ItemStatus


class BulkResult(Out):
    items: list[ActionItemListed]
    updated: int
