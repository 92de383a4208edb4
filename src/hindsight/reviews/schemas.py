from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictBool

from hindsight.lib.schema import In, Out
from hindsight.reviews.models import Decision
from hindsight.reviews.services import SECTIONS


class CommentIn(In):
    # At least one character that is not a space: a blank comment is refused.
    body: Annotated[
        str, Field(min_length=1, max_length=20_000, json_schema_extra={"pattern": r"\S"})
    ]
    section: str | None = Field(
        None,
        description="The API name of the part commented on, e.g. rootCause or timeline",
        json_schema_extra={"enum": [*SECTIONS, None]},
    )
    parent_id: int | None = Field(
        None,
        description="Reply to this comment (one that is not itself a reply); the reply is"
        " about the same section",
    )


class CommentResolve(In):
    resolved: StrictBool = Field(description="true resolves the thread, false reopens it")


class CommentOut(Out):
    id: int
    author: str
    section: str | None
    body: str = Field(description="Markdown")
    version: int = Field(description="The post-mortem's version the comment was written on")
    created_at: datetime
    parent_id: int | None = Field(description="The comment this one replies to, or null")
    resolved_at: datetime | None = Field(
        description="When the thread this comment starts was resolved; null while open"
        " (always null on a reply)"
    )
    resolved_by: str | None = Field(description="Who resolved it")

    @staticmethod
    def resolve_author(obj) -> str:
        return obj.author.username

    @staticmethod
    def resolve_resolved_by(obj) -> str | None:
        return obj.resolved_by.username if obj.resolved_by_id else None


class CommentList(Out):
    items: list[CommentOut]
    total: int


class ReviewersIn(In):
    reviewers: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=254)]],
        Field(min_length=1, max_length=50),
    ] = Field(description="User names or emails")


class ReviewIn(In):
    decision: Decision
    comment: Annotated[str, Field(max_length=20_000)] = ""


class ReviewOut(Out):
    id: int
    reviewer: str
    decision: Decision
    comment: str
    version: int = Field(description="The post-mortem's version that was reviewed")
    created_at: datetime

    @staticmethod
    def resolve_reviewer(obj) -> str:
        return obj.reviewer.username


class ReviewerOut(Out):
    reviewer: str
    requested_by: str
    requested_at: datetime
    decision: Decision | None = Field(description="Their latest decision in this round")
    reviewed_version: int | None


class ReviewState(Out):
    required_approvals: int
    approvals: list[str] = Field(description="Who approved the current text in the current round")
    round_started_at_version: int
    text_changed_at_version: int = Field(
        description="The version at which the report's text last changed: approvals of an"
        " earlier version no longer count"
    )
    reviewers: list[ReviewerOut]
    reviews: list[ReviewOut] = Field(description="Every decision, oldest first")
