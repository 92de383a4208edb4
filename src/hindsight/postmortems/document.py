"""The stored document: each post-mortem as the API returns it, rendered by every write.

A read then costs one query (the visibility filter, the document and the two values a read
needs), the same for every worker and every id, instead of loading the report's rows and
validating them. What changes with time alone — whether the report and each action item
are overdue, and when the report is due (the due window is a setting) — is stored as it
stood at the write, with the instant until which it stays so and the settings it was
computed under: a read inside that instant sends the stored text as it is (no parse, no
encoding), and a later one applies `finish` to it.

The write path renders from the objects it has just written (`render` runs no query on a
report loaded with `with_report()` or built by the services). RENDER_VERSION names the
shape: raise it whenever the rendered JSON changes (a field added), and `refresh_stale`,
run by `hindsight migrate` and `serve`, rewrites older documents in batches, while a read
of a stale one renders it afresh.
"""

import hashlib
import json
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from hindsight.lib.compiled import CompiledQuery
from hindsight.lib.errors import NotFound
from hindsight.lib.markdown import Renderings
from hindsight.lib.schema import api_name
from hindsight.lib.writers import write_transaction
from hindsight.postmortems import fields, similarity
from hindsight.postmortems.models import (
    UNFINISHED,
    ActionItem,
    Contributor,
    ItemStatus,
    PostMortem,
    Tag,
    TimelineEvent,
    due_after,
    readable_by,
)
from hindsight.postmortems.sections import SECTION_NAMES

# 3: stored HTML; 4: the trigger section; 5: unconfirmed entries; 6: frontMatter;
# 7: stored with what changes with time, as it stood (document_terms, document_exact_until);
# 8: what the related post-mortems compare (compared)
RENDER_VERSION = 8

_TEXT_KEYS = tuple((f.name, f.api_name) for f in fields.REPORT_FIELDS)
_SECTION_KEYS = tuple((name, api_name(name)) for name in SECTION_NAMES)
_EVENT_KEYS = tuple((f.name, f.api_name) for f in fields.EVENT_FIELDS)
_ITEM_KEYS = tuple((f.name, f.api_name) for f in fields.ITEM_FIELDS)


def _dumps(data: dict) -> str:
    return json.dumps(data, cls=NinjaJSONEncoder, separators=(",", ":"))


def render(postmortem: PostMortem) -> dict:
    """The API's JSON of POSTMORTEM, without the values `finish` applies (from its
    prefetched rows: no query)."""
    items = postmortem.action_item_list
    body = {
        "id": postmortem.id,
        "incidentId": postmortem.incident_id,
        **{key: getattr(postmortem, name) for name, key in _TEXT_KEYS},
        "timeline": [
            {
                "id": event.id,
                **{key: fields.plain(getattr(event, name)) for name, key in _EVENT_KEYS},
                "at": fields.instant(event.at),
            }
            for event in postmortem.timeline
        ],
        "actionItems": [
            {"id": item.id, **{key: fields.plain(getattr(item, name)) for name, key in _ITEM_KEYS}}
            for item in items
        ],
        "contributors": postmortem.contributors,
        "tags": postmortem.tags,
        "status": postmortem.status,
        "publishedAt": fields.instant(postmortem.published_at),
        "createdAt": fields.instant(postmortem.created_at),
        "updatedAt": fields.instant(postmortem.updated_at),
        "createdBy": postmortem.created_by.username,
        "version": postmortem.version,
        "actionItemsDone": sum(item.status == ItemStatus.DONE for item in items),
        "actionItemsTotal": len(items),
    }
    for name, key in _SECTION_KEYS:
        body[key] = postmortem.section(name)
    return body


ROW_KEYS = (
    "id",
    "incidentId",
    "title",
    "summary",
    "status",
    "contributors",
    "tags",
    "publishedAt",
    "createdAt",
    "updatedAt",
    "createdBy",
    "version",
    "actionItemsTotal",
)


def list_row(body: dict) -> dict:
    """A list row (PostMortemSummary) from a rendered body."""
    row = {key: body[key] for key in ROW_KEYS}
    row["openActionItems"] = body["actionItemsTotal"] - body["actionItemsDone"]
    return row


def columns(postmortem: PostMortem, *, now: datetime | None = None) -> dict:
    """The stored-document columns for POSTMORTEM as it stands in memory (its rows
    prefetched); keeps the rendering on it as `rendered` for the write's own answer."""
    now = now or timezone.now()
    body = render(postmortem)
    postmortem.rendered = body
    html = Renderings.of(markdown_texts(body), reuse=_current_renderings(postmortem)).dumps()
    postmortem.html = html
    resolved_at = postmortem.incident.resolved_at
    compared = similarity.compared(body, services=postmortem.incident.services)
    finish(body, status=postmortem.status, resolved_at=resolved_at, now=now)
    return {
        "document": _dumps(body),
        "document_terms": terms(),
        "document_exact_until": exact_until(body, resolved_at=resolved_at, now=now),
        "list_row": _dumps(list_row(body)),
        "html": html,
        "render_version": RENDER_VERSION,
        "compared": compared,
        # The stored Markdown export is of what was; the worker stores it again
        # (export.store_due_markdown), or the next export does.
        "markdown": "",
    }


def terms() -> str:
    """The settings that what changes with time is computed under: a document stored under
    others is finished afresh on read."""
    return f"due {settings.POSTMORTEM_DUE_HOURS}h, {settings.TIME_ZONE}"


def exact_until(body: dict, *, resolved_at: datetime | None, now: datetime) -> datetime | None:
    """The first instant after NOW at which `finish` would change the finished BODY (a flag
    turning overdue), or None if it never will by time alone: each flag turns only once."""
    turns = []
    due = due_after(resolved_at)
    if body["status"] in UNFINISHED and due is not None and not due < now:
        turns.append(due)
    for item in body["actionItems"]:
        if item["status"] != ItemStatus.DONE and item.get("dueDate") and not item["overdue"]:
            due_day = date.fromisoformat(item["dueDate"])
            if due_day == date.max:  # 9999-12-31 has no day after: it never falls overdue
                continue
            day_after = due_day + timedelta(days=1)
            turns.append(timezone.make_aware(datetime.combine(day_after, time.min)))
    return min(turns, default=None)


def _current_renderings(postmortem: PostMortem) -> dict[str, str]:
    """The HTML this version of the code stored for POSTMORTEM's texts, where it was loaded:
    a write renders only the texts it changed."""
    if "html" in postmortem.get_deferred_fields() or postmortem.render_version != RENDER_VERSION:
        return {}
    return Renderings.loads(postmortem.html).stored


# Keys of the body whose strings are never shown as Markdown.
_NOT_MARKDOWN = {
    "id",
    "incidentId",
    "status",
    "createdAt",
    "updatedAt",
    "publishedAt",
    "title",
    "contributors",
    "tags",
    "createdBy",
    "frontMatter",
}


def markdown_texts(body: dict) -> set[str]:
    """Every text of a rendered BODY a page or an export may show as Markdown: the report's
    prose, event notes, item reasons and each string in the sections (rendering a few
    one-line values too costs little; a text left out is only rendered on view)."""
    found: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    for key, value in body.items():
        if key in ("timeline", "actionItems"):
            for row in value:
                walk(row.get("notes") if key == "timeline" else row.get("why"))
        elif key not in _NOT_MARKDOWN:
            walk(value)
    return found


def renderings(postmortem: PostMortem) -> Renderings:
    """The stored HTML of POSTMORTEM's texts (none when written by an older RENDER_VERSION:
    each text is then rendered on view until refresh_stale stores them)."""
    if postmortem.render_version != RENDER_VERSION:
        return Renderings()
    return Renderings.loads(postmortem.html)


def restore(postmortem_ids) -> int:
    """Render and store the given reports again (after a change to their author's name, or
    of the code that renders them); returns how many."""
    count = 0
    for postmortem in PostMortem.objects.with_report().filter(pk__in=list(postmortem_ids)):
        PostMortem.objects.filter(pk=postmortem.pk).update(**columns(postmortem))
        count += 1
    return count


def on_user_renamed(sender, *, user, **kwargs) -> None:
    restore(PostMortem.objects.filter(created_by=user).values_list("pk", flat=True))


# Reading ------------------------------------------------------------------------------


def _apply_due(data: dict, status: str, resolved_at: datetime | None, now) -> None:
    """dueAt and overdue, as PostMortem.due_at and is_overdue define them."""
    due = due_after(resolved_at)
    data["dueAt"] = fields.instant(due)
    data["overdue"] = status in UNFINISHED and due is not None and due < now


def finish(body: dict, *, status: str, resolved_at: datetime | None, now=None) -> dict:
    """Apply to a stored BODY what changes with time alone."""
    now = now or timezone.now()
    _apply_due(body, status, resolved_at, now)
    today = timezone.localdate(now)
    for item in body["actionItems"]:
        item["overdue"] = _item_overdue(item, today)
    return body


def finish_row(row: dict, *, resolved_at: datetime | None, now) -> dict:
    _apply_due(row, row["status"], resolved_at, now)
    return row


def list_row_afresh(postmortem_id: str, *, now) -> dict:
    """A list row for a report whose stored document is stale."""
    postmortem = PostMortem.objects.with_report().get(pk=postmortem_id)
    row = list_row(render(postmortem))
    return finish_row(row, resolved_at=postmortem.incident.resolved_at, now=now)


def _item_overdue(item: dict, today: date) -> bool:
    due = item.get("dueDate")
    return item["status"] != ItemStatus.DONE and due is not None and due < today.isoformat()


# What a read selects: the document, the two values `finish` needs, and whether the stored
# text is still exact as it is.
READ_COLUMNS = (
    "status",
    "incident__resolved_at",
    "document",
    "render_version",
    "version",
    "document_terms",
    "document_exact_until",
)


def _exact(values: tuple, now: datetime) -> bool:
    """Whether the document in a row of READ_COLUMNS is, as stored, what `finish` makes."""
    *_, stored, render_version, _, stored_terms, until = values
    return (
        render_version == RENDER_VERSION
        and stored_terms == terms()
        and bool(stored)
        and (until is None or now < until)
    )


def body_from(values: tuple, postmortem_id: str) -> dict:
    """The finished body from a row of READ_COLUMNS; a missing or stale document is
    rendered afresh (and left for refresh_stale to store)."""
    status, resolved_at, stored, render_version, *_ = values
    if render_version != RENDER_VERSION:
        body = render(PostMortem.objects.with_report().get(pk=postmortem_id))
    else:
        body = json.loads(stored)
    return finish(body, status=status, resolved_at=resolved_at)


class Reader:
    """What the visibility rule needs of a user: their role as the query's shape, their id
    and names as its values."""

    def __init__(self, shape: tuple[bool, bool, int], pk, *identities):
        self.is_admin, self.can_write, _ = shape
        self.pk = pk
        self.identities = list(identities)

    @staticmethod
    def shape(user) -> tuple[bool, bool, int]:
        return (user.is_admin, user.can_write, len(user.identities))


# The read by id through the one visibility rule, compiled once per kind of user.
_READ = CompiledQuery(
    lambda shape, pk, *who: PostMortem.objects.filter(
        readable_by(Reader(shape, *who)), pk=pk
    ).values_list(*READ_COLUMNS)
)


def _read_values(user, postmortem_id: str) -> tuple:
    values = _READ.first(postmortem_id, user.pk, *user.identities, shape=Reader.shape(user))
    if values is None:
        raise NotFound(f"There is no post-mortem {postmortem_id}.", fields={"id": postmortem_id})
    return values


def read(user, postmortem_id: str) -> dict:
    """GET's body of a post-mortem USER may read, in one query; NotFound otherwise."""
    return body_from(_read_values(user, postmortem_id), postmortem_id)


def read_text(user, postmortem_id: str) -> tuple[str, str]:
    """GET's body of a post-mortem USER may read as JSON text, and its entity tag: `read`
    without parsing or encoding while the stored text is exact, tagged with the version.
    Once time alone has turned a flag (`overdue`), the body differs from what that version
    sent: the tag is then the version and a digest of the body, so a cached copy is not
    confirmed with a 304 (If-Match reads the version part alone: lib/http.IfMatch)."""
    values = _read_values(user, postmortem_id)
    version = values[4]
    if _exact(values, timezone.now()):
        return values[2], str(version)
    text = encode(body_from(values, postmortem_id))
    return text, f"{version}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}"


_READ_WITH_MARKDOWN = CompiledQuery(
    lambda shape, pk, *who: PostMortem.objects.filter(
        readable_by(Reader(shape, *who)), pk=pk
    ).values_list(*READ_COLUMNS, "markdown")
)


def read_with_markdown(user, postmortem_id: str) -> tuple[dict, str]:
    """`read`, and the Markdown export stored with the report (see export.stored_markdown)."""
    values = _READ_WITH_MARKDOWN.first(
        postmortem_id, user.pk, *user.identities, shape=Reader.shape(user)
    )
    if values is None:
        raise NotFound(f"There is no post-mortem {postmortem_id}.", fields={"id": postmortem_id})
    return body_from(values[:-1], postmortem_id), values[-1]


def written(postmortem: PostMortem) -> dict:
    """The finished body of a post-mortem the services just wrote (or loaded)."""
    body = getattr(postmortem, "rendered", None) or render(postmortem)
    return finish(body, status=postmortem.status, resolved_at=postmortem.incident.resolved_at)


def load(user, postmortem_id: str) -> PostMortem:
    """A post-mortem USER may read, as objects, in one query: its nested rows are built from
    the stored document instead of loaded (a stale document falls back to loading them).
    For pages that show a report; writes load the rows themselves (services)."""
    postmortem = (
        PostMortem.objects.select_related("incident", "created_by")
        .defer("list_row", "markdown")
        .filter(pk=postmortem_id)
        .first()
    )
    if postmortem is not None and not _hydrate(postmortem):
        postmortem = PostMortem.objects.with_report().get(pk=postmortem_id)
    if postmortem is None or not postmortem.can_be_read_by(user):
        raise NotFound(f"There is no post-mortem {postmortem_id}.", fields={"id": postmortem_id})
    return postmortem


def _hydrate(postmortem: PostMortem) -> bool:
    """Fill POSTMORTEM's prefetched rows from its stored document, as `with_report()` would
    have loaded them; False if the document is stale."""
    if postmortem.render_version != RENDER_VERSION or not postmortem.document:
        return False
    body = json.loads(postmortem.document)
    postmortem._prefetched_objects_cache = {
        "timeline_events": [
            _row(TimelineEvent, postmortem, position, entry, _EVENT_KEYS)
            for position, entry in enumerate(body["timeline"])
        ],
        "action_items": [
            _row(ActionItem, postmortem, position, entry, _ITEM_KEYS)
            for position, entry in enumerate(body["actionItems"])
        ],
        "contributor_rows": [
            Contributor(postmortem=postmortem, value=value, key=value.lower(), position=position)
            for position, value in enumerate(body["contributors"])
        ],
        "tag_rows": [
            Tag(postmortem=postmortem, name=name, position=position)
            for position, name in enumerate(body["tags"])
        ],
    }
    return True


def _row(model, postmortem: PostMortem, position: int, entry: dict, keys):
    """A nested row from its entry in a stored document (values back in their Python types)."""
    values = {name: model._meta.get_field(name).to_python(entry[key]) for name, key in keys}
    return model(id=entry["id"], postmortem=postmortem, position=position, **values)


def encode(body: dict, **options) -> str:
    """An answer's JSON; compact, as the stored text a read may send instead is."""
    options.setdefault("separators", (",", ":") if options.get("indent") is None else None)
    return json.dumps(body, cls=NinjaJSONEncoder, **options)


# Stale documents ------------------------------------------------------------------------


def refresh_stale(*, batch: int = 500, progress=None) -> int:
    """Rewrite every document older than RENDER_VERSION (or missing), BATCH reports per
    transaction, so a large database is brought up to date without one long lock."""
    done = 0
    while True:
        stale = list(
            PostMortem.objects.exclude(render_version=RENDER_VERSION)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not stale:
            return done
        with write_transaction():
            done += restore(stale)
        if progress is not None:
            progress(done)
