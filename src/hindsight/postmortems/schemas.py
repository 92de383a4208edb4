"""The API's shapes of a post-mortem. Timeline events and action items are built from their
declaration in fields.py, so a field added there appears in every body and answer."""

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, JsonValue, StrictBool, create_model

from hindsight.lib.errors import Invalid
from hindsight.lib.schema import In, Out, TextOnly, api_name, never_null
from hindsight.postmortems import fields, limits
from hindsight.postmortems.models import Status
from hindsight.postmortems.sections import Sections

Line = Annotated[str, Field(min_length=1, max_length=limits.LINE)]
IncidentId = Annotated[str, Field(min_length=1, max_length=limits.INCIDENT_ID)]
READ_BACK = "Read-only; accepted back and ignored."


def _in_type(field: fields.EntryField):
    """The type a client may send for FIELD: its own, limited, checked, or null."""
    if field.derived:
        return (Any, Field(None, description=READ_BACK))
    base = field.type
    if base is str:
        constraints = Field(
            min_length=1 if field.required else None,
            max_length=field.max_length,
            json_schema_extra=({"pattern": field.pattern} if field.pattern else None)
            or field.json_schema,
        )
        base = Annotated[str, constraints]
    elif base in (date, datetime):
        base = Annotated[base, TextOnly]
    elif base is bool:
        base = StrictBool  # true or false, not 0 or "yes"
    if field.check is not None:
        base = Annotated[base, AfterValidator(field.check)]
    return (base | None, Field(None, description=field.description or None))


def _out_type(field: fields.EntryField):
    always = field.required or field.default is not None
    return (
        field.type if always else field.type | None,
        Field(description=field.description or None),
    )


def _entry_in(name: str, entry_fields, read_back: tuple[str, ...], doc: str):
    """A nested entry as sent. Required fields may be left out of an entry with an id (they
    keep their value) and are checked for a new one by the service."""
    required = [f.api_name for f in entry_fields if f.required]

    def new_entry_rule(schema: dict, model) -> None:
        # An entry names an existing one by id, or is new and gives the required fields.
        schema["anyOf"] = [
            {"required": ["id"], "properties": {"id": {"type": "string", "minLength": 1}}},
            {
                "required": required,
                "properties": {n: {"not": {"type": "null"}} for n in required},
            },
        ]

    base = type(
        f"_{name}Base", (In,), {"model_config": ConfigDict(json_schema_extra=new_entry_rule)}
    )
    return create_model(
        name,
        __base__=base,
        __doc__=doc,
        id=(str | None, None),
        **{f.name: _in_type(f) for f in entry_fields},
        **{extra: (Any, Field(None, description=READ_BACK)) for extra in read_back},
    )


class _ItemOut(Out):
    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj["overdue"] if isinstance(obj, dict) else obj.is_overdue


def _entry_out(name: str, entry_fields, base=Out, **extra):
    return create_model(
        name, __base__=base, id=(str, ...), **{f.name: _out_type(f) for f in entry_fields}, **extra
    )


def entry_data(entry: In, entry_fields) -> dict:
    """The writable fields an entry was sent with; a null where the field has a default
    means that default."""
    given = entry.given()
    data = {"id": given["id"]} if given.get("id") else {}
    for field in fields.writable(entry_fields):
        if field.name in given and not (given[field.name] is None and field.default is not None):
            data[field.name] = given[field.name]
    return data


TimelineEventIn = _entry_in(
    "TimelineEventIn", fields.EVENT_FIELDS, ("at",), "A timeline event as sent."
)
ActionItemIn = _entry_in("ActionItemIn", fields.ITEM_FIELDS, ("overdue",), "An action item.")

TimelineEventOut = _entry_out(
    "TimelineEventOut",
    fields.EVENT_FIELDS,
    at=(
        datetime | None,
        Field(description="The UTC instant; a time of day is taken on the incident's start date"),
    ),
)
ActionItemOut = _entry_out(
    "ActionItemOut",
    fields.ITEM_FIELDS,
    _ItemOut,
    overdue=(bool, Field(description="Past its due date and not DONE")),
)


Tag = Annotated[str, Field(min_length=1, max_length=limits.TAG, pattern=r"^[^,\n]+$")]


def _nested(data: dict, body) -> dict:
    if data.get("timeline") is not None:
        data["timeline"] = [entry_data(e, fields.EVENT_FIELDS) for e in body.timeline]
    if data.get("action_items") is not None:
        data["action_items"] = [entry_data(i, fields.ITEM_FIELDS) for i in body.action_items]
    return data


def _capped(name: str, entry):
    """The list NAME of ENTRY, at most as long as its declared limit."""
    return Annotated[list[entry], Field(max_length=fields.LIST_LIMITS[name])]


JsonObject = dict[str, JsonValue]


def _text(field: fields.EntryField, *, optional: bool):
    """The report's field FIELD as a body gives it: required, defaulted or nullable
    (OPTIONAL: every field may be left out, as in PATCH). A JSON object (the front matter)
    may always be left out; it is then empty."""
    if field.type is dict:
        value = Annotated[JsonObject, AfterValidator(field.check)]
        return (value | None, Field(None, description=field.description or None))
    text = Annotated[
        str, Field(min_length=1 if field.required else None, max_length=field.max_length)
    ]
    if optional or not (field.required or field.default is not None):
        return (text | None, None)
    return (text, ... if field.required else field.default)


_TextIn = create_model(
    "_TextIn", __base__=In, **{f.name: _text(f, optional=False) for f in fields.REPORT_FIELDS}
)
_TextPatch = create_model(
    "_TextPatch", __base__=In, **{f.name: _text(f, optional=True) for f in fields.REPORT_FIELDS}
)
_TextOut = create_model(
    "_TextOut",
    __base__=Out,
    **{
        f.name: (JsonObject, Field(description=f.description)) if f.type is dict else _out_type(f)
        for f in fields.REPORT_FIELDS
    },
)


class PostMortemCreate(Sections, _TextIn):
    template: Annotated[str, Field(min_length=1, max_length=limits.TEMPLATE_SLUG)] | None = Field(
        None, description="Slug of a template (GET /api/templates) that pre-fills the report"
    )
    incident_id: IncidentId
    timeline: _capped("timeline", TimelineEventIn) = []
    action_items: _capped("action_items", ActionItemIn) = []
    contributors: _capped("contributors", Line) = []
    tags: _capped("tags", Tag) = []
    status: Literal["DRAFT", "IN_REVIEW"] = "DRAFT"

    def data(self) -> dict:
        """The fields sent (a template fills in only what the body leaves out)."""
        return _nested(self.given(), self)


class PostMortemPatch(Sections, _TextPatch):
    incident_id: IncidentId | None = None
    timeline: _capped("timeline", TimelineEventIn) | None = None
    action_items: _capped("action_items", ActionItemIn) | None = None
    contributors: _capped("contributors", Line) | None = None
    tags: _capped("tags", Tag) | None = None
    status: Status | None = None
    confirm_template_content: StrictBool | None = Field(
        None,
        description=(
            "true confirms every timeline event and action item a template suggested"
            " (unconfirmed: true); publishing a report that holds any needs it (else 409)"
        ),
    )
    # What GET returns beyond these (id, version, createdAt…) is accepted back and ignored
    # (added below), so a client can send what it read.

    # Fields a client may set but not clear: null is refused rather than stored.
    NOT_NULL: ClassVar[frozenset[str]] = frozenset(
        {"tags", "incident_id", "title", "summary", "timeline", "action_items"}
        | {"contributors", "status", "front_matter"}
    )
    model_config = ConfigDict(json_schema_extra=never_null(*sorted(NOT_NULL)))
    WRITABLE: ClassVar[frozenset[str]] = frozenset()

    def data(self) -> dict:
        data = {k: v for k, v in self.given().items() if k in self.WRITABLE}
        for name in sorted(self.NOT_NULL & data.keys()):
            if data[name] is None:
                raise Invalid(
                    f"{api_name(name)} cannot be null.", fields={api_name(name): "cannot be null"}
                )
        return _nested(data, self)


class ActionItemPatch(ActionItemIn):
    postmortem_id: Any = Field(None, description=READ_BACK)
    model_config = ConfigDict(json_schema_extra=never_null("description"))

    def data(self) -> dict:
        data = entry_data(self, fields.ITEM_FIELDS)
        data.pop("id", None)
        if "description" in self.model_fields_set and self.description is None:
            raise Invalid("description cannot be null.", fields={"description": "cannot be null"})
        return data


class PostMortemOut(Sections, _TextOut):
    id: str
    incident_id: str
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

    model_config = {"json_schema_extra": {"additionalProperties": False}}


# Everything GET returns is accepted back by PATCH and ignored unless a client writes it.
_WRITABLE = frozenset(PostMortemPatch.model_fields)
PostMortemPatch = create_model(
    "PostMortemPatch",
    __base__=PostMortemPatch,
    **{
        name: (Any, Field(None, description=READ_BACK))
        for name in PostMortemOut.model_fields
        if name not in _WRITABLE
    },
)
PostMortemPatch.WRITABLE = _WRITABLE


class TemplateBody(PostMortemPatch):
    """What a template may pre-fill: anything but the incident, the workflow and people.
    Whom a template names would gain rights on every draft made from it (a contributor
    reads and edits it, an item's owner changes its follow-through), so templates.py
    refuses contributors and owners, and a stored body never fills them in."""

    WRITABLE: ClassVar[frozenset[str]] = PostMortemPatch.WRITABLE - {
        "incident_id",
        "status",
        "contributors",
        "confirm_template_content",
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


class HistoryEntryOut(Out):
    type: Literal["revision", "review", "comment"] = Field(
        description="revision: an accepted change; review: a reviewer's decision; comment: a"
        " review comment or reply (read-only entries beside the versions)"
    )
    version: int = Field(description="The version changed to, or the one reviewed or commented on")
    changed_by: str = Field(description="Who changed, reviewed or commented")
    changed_at: datetime
    changes: dict[str, JsonValue] = Field(
        description="Per field (API name) its old and new value: {field: {old, new}};"
        " empty unless a revision"
    )
    decision: Literal["APPROVED", "CHANGES_REQUESTED"] | None = Field(
        description="A review's decision"
    )
    body: str | None = Field(description="A comment's Markdown, or a review's note")
    section: str | None = Field(description="The part a comment is on")
    comment_id: int | None = Field(description="A comment's id")
    parent_id: int | None = Field(description="The comment a reply answers")


class History(Out):
    items: list[HistoryEntryOut] = Field(
        description="Oldest first: the revisions, and review decisions and comments beside them"
    )
    total: int


class HistoryDiff(Schema):
    from_version: int = Field(alias="from")
    to_version: int = Field(alias="to")
    changes: dict[str, JsonValue] = Field(
        description="Each field that differs: {old: value at from, new: value at to}"
    )
    revisions: list[RevisionSummary] = Field(description="The revisions after from up to to")
