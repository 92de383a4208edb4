"""Related and recurring post-mortems: "this happened before".

The database's full-text ranking (FTS5 bm25, PostgreSQL ts_rank) over the indexed text picks
up to CANDIDATES other post-mortems the caller may read that share words with this one's
title, root cause and contributing factors: its rarest words, at most QUERY_TERMS of them,
as many as together occur in no more than SCAN_BUDGET documents (the database's own counts,
search.document_frequencies), so a word nearly every report holds never makes the database
rank the whole table. (Should even the rarest word occur in more, the candidates are up to
CANDIDATES of the reports holding it, unranked.) Each candidate is then scored here, in
Python and so alike on both databases, from what the two reports share:

    score = 0.55 × text + 0.20 × services + 0.15 × factor categories + 0.10 × tags

where each part is the Dice overlap 2|A∩B| / (|A| + |B|) of the two sets (0 when both are
empty): `text` over the significant words (four letters or more, not common English words)
of title, root cause and contributing factors. A score is between 0 and 1.

A possible recurrence: the best match scores above RECURRENCE_THRESHOLD and had at least one
action item, all of them done before this report's incident started. That is the signal
that the fix did not fix it.

Each report also keeps its best match among all post-mortems (store_best_match; what /related
answers an admin first), with its score and that flag, so the factors insight counts
possible recurrences without ranking anything, and its KEPT best matches (`related_kept`,
ids and scores), so /related reads them instead of ranking: those the caller may read are
scored again from what they hold now and the best LIMIT shown. A write that changes what is
compared marks the report due, and `hindsight worker` finds due matches with its periodic
checks (refresh_due_best_matches): a write never waits for a ranking. Until then, and when
the caller may read fewer than LIMIT of the kept matches, /related ranks as above. A report
ranked is also put in the kept lists of the candidates it beats the last kept match of (the
score is symmetric), so a new report is found by the older ones it resembles.
"""

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from django.db import connection
from django.db.models import BooleanField, Case, F, JSONField, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from hindsight.lib.compiled import CompiledQuery
from hindsight.lib.errors import NotFound
from hindsight.lib.writers import write_transaction
from hindsight.postmortems import search
from hindsight.postmortems.document import RENDER_VERSION, Reader
from hindsight.postmortems.models import (
    ActionItem,
    Factor,
    FactorCategory,
    ItemStatus,
    PostMortem,
    Tag,
    readable_by,
)
from hindsight.postmortems.similarity import comparable, words_of

CANDIDATES = 200
QUERY_TERMS = 24
# Documents the candidate query may match in all: bounds the full-text ranking's work.
SCAN_BUDGET = 5000
RECURRENCE_THRESHOLD = 0.5
# Matches each report keeps: more than /related shows (up to 20), so a reader who may not
# read some of them (others' drafts) still has a full list.
KEPT = 30
WEIGHTS = {"text": 0.55, "services": 0.20, "categories": 0.15, "tags": 0.10}


@dataclass
class Report:
    id: str
    title: str
    status: str
    started_at: datetime | None
    words: set[str]
    root_words: set[str]
    services: set[str]
    tags: set[str]
    categories: dict[str, str | None]  # slug → name (None: not read, for a candidate)
    items: list[dict] = field(default_factory=list)
    factor_texts: tuple[str, ...] = ()

    def as_typed(self, title: str | None, root_cause: str | None) -> "Report":
        """This report with the title and root cause someone is typing in the editor, not
        yet saved (None keeps the stored one)."""
        title = self.title if title is None else title
        if root_cause is None:
            return replace(
                self, title=title, words=words_of(title, *self.factor_texts) | self.root_words
            )
        return replace(
            self,
            title=title,
            words=words_of(title, root_cause, *self.factor_texts),
            root_words=words_of(root_cause),
        )


def _dice(a: set, b: set) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


# What the score compares of a report's own row (the rest: _load_rows).
ROW = ("pk", "title", "status", "root_cause", "incident_started_at", "incident__services")
# A candidate's: what its write kept of it (similarity.compared).
CANDIDATE = ("pk", "title", "status", "incident_started_at", "compared", "render_version")


def _load(ids: list[str]) -> dict[str, Report]:
    """The reports ID with what the score compares, in three queries (their action items:
    _with_items)."""
    return _load_rows(PostMortem.objects.filter(pk__in=ids).values_list(*ROW))


def _load_rows(rows) -> dict[str, Report]:
    """The reports of ROWS (tuples of ROW, from any query) with their factors and tags, in
    two more queries; in the rows' order."""
    rows = list(rows)
    ids = [row[0] for row in rows]
    factors: dict[str, list[tuple[str, str | None, str | None]]] = {}
    for pm, text, slug, name in Factor.objects.filter(postmortem_id__in=ids).values_list(
        "postmortem_id", "text", "category_id", "category__name"
    ):
        factors.setdefault(pm, []).append((text, slug, name))
    tags: dict[str, list[str]] = {}
    for pm, name in Tag.objects.filter(postmortem_id__in=ids).values_list("postmortem_id", "name"):
        tags.setdefault(pm, []).append(name)
    reports = {}
    for pk, title, status, root, started, services in rows:
        own = factors.get(pk, [])
        values = comparable(
            title=title,
            root_cause=root,
            factors=[(text, slug) for text, slug, _ in own],
            services=services,
            tags=tags.get(pk),
        )
        reports[pk] = _report(pk, title, status, started, values)
        reports[pk].categories = {slug: name for _, slug, name in own if slug}
        reports[pk].factor_texts = tuple(text for text, _, _ in own if text)
    return reports


def _report(pk: str, title: str, status: str, started, values: dict) -> Report:
    """A report from what similarity.comparable says of it (its categories by slug alone)."""
    return Report(
        id=pk,
        title=title,
        status=status,
        started_at=started,
        words=set(values["words"]),
        root_words=set(values["root"]),
        services=set(values["services"]),
        tags=set(values["tags"]),
        categories=dict.fromkeys(values["categories"]),
    )


def _candidates(rows) -> list[Report]:
    """The reports of ROWS (tuples of CANDIDATE) from their `compared` column; a row an
    older version of the code wrote (refresh_stale rewrites those) from its rows instead."""
    reports, stale = [], []
    for pk, title, status, started, kept, version in rows:
        if version != RENDER_VERSION or not kept:
            stale.append(pk)
        else:
            reports.append(_report(pk, title, status, started, json.loads(kept)))
    return reports + list(_load(stale).values()) if stale else reports


def _kept_ids(pk) -> RawSQL:
    """The ids of PK itself and of its kept matches (related_kept's first elements), as a
    subquery: `pk IN` it reads each by its primary key (an OR of `pk =` and `pk IN` would
    make PostgreSQL scan the table)."""
    table = PostMortem._meta.db_table
    elements = (
        f"SELECT e.kept ->> 0 FROM {table} s, jsonb_array_elements(s.related_kept) e(kept)"
        if connection.vendor == "postgresql"
        else f"SELECT json_extract(e.value, '$[0]') FROM {table} s, json_each(s.related_kept) e"
    )
    return RawSQL(f"SELECT %s UNION ALL {elements} WHERE s.id = %s", [pk, pk])


def _items_json() -> RawSQL:
    """Each row's action items as JSON text, [[position, id, description, owner, status,
    completed_at], …] (null or [] for none): a correlated subquery along the items' index.
    (SQLite before 3.44 cannot order an aggregate's rows: _items_of sorts them.)"""
    table, items = PostMortem._meta.db_table, ActionItem._meta.db_table
    columns = "i.position, i.id, i.description, i.owner, i.status, i.completed_at"
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT json_agg(json_build_array({columns}))::text"
            f" FROM {items} i WHERE i.postmortem_id = {table}.id"
        )
    else:
        sql = (
            f"SELECT json_group_array(json_array({columns})) FROM {items} i"
            f" WHERE i.postmortem_id = {table}.id"
        )
    return RawSQL(sql, [], output_field=TextField())


# The report compared, as the caller may read it, with its kept matches and whether those
# are due to be found again; and the kept matches the caller may read, with their action
# items: one query.
_SUBJECT_WITH_KEPT = CompiledQuery(
    lambda shape, pk, *who: (
        PostMortem.objects.filter(readable_by(Reader(shape, *who)), pk__in=_kept_ids(pk))
        .annotate(
            kept=Case(When(pk=pk, then=F("related_kept")), output_field=JSONField(null=True)),
            items=_items_json(),
        )
        .values_list(*CANDIDATE, "kept", "best_match_due", "items")
    )
)
_CATEGORY_NAMES = CompiledQuery(
    lambda count, *slugs: FactorCategory.objects.filter(pk__in=slugs).values_list("slug", "name")
)
_ITEMS = CompiledQuery(
    lambda count, *ids: (
        ActionItem.objects.filter(postmortem_id__in=ids)
        .order_by("position", "id")
        .values_list("postmortem_id", "id", "description", "owner", "status", "completed_at")
    )
)


def _subject(user, postmortem_id: str, *, typed: bool) -> tuple[Report | None, list | None]:
    """The report USER may read to compare others with, and its kept matches (id and score,
    best first), those USER may read as Reports with their action items (None while they
    are due or never found): from its kept `compared` column (its categories' names are
    read once a reason needs them: _name_categories). From its rows when the editor's typed
    text is compared (that needs its factors' own texts; the kept matches are then not of
    use)."""
    if typed:
        readable = PostMortem.objects.filter(readable_by(user), pk=postmortem_id)
        return next(iter(_load_rows(readable.values_list(*ROW)).values()), None), None
    rows = _SUBJECT_WITH_KEPT.rows(
        postmortem_id, user.pk, *user.identities, shape=Reader.shape(user)
    )
    own = next((row for row in rows if row[0] == postmortem_id), None)
    if own is None:
        return None, None
    *columns, kept, due, _ = own
    [subject] = _candidates([columns])
    if due or kept is None:
        return subject, None
    others = [row for row in rows if row[0] != postmortem_id]
    reports = _candidates([columns for *columns, _, _, _ in others])
    items = {row[0]: row[-1] for row in others}
    for report in reports:
        report.items = _items_of(items[report.id])
    return subject, (kept, reports)


def _items_of(text: str | None) -> list[dict]:
    """The action items _items_json wrote, in their order (its instants as the database
    wrote them)."""
    items = []
    for _, pk, description, owner, status, completed_at in sorted(json.loads(text or "[]")):
        if completed_at is not None:
            completed_at = parse_datetime(completed_at)
            if timezone.is_naive(completed_at):  # SQLite keeps instants in UTC, unmarked
                completed_at = timezone.make_aware(completed_at, UTC)
        items.append(_item(pk, description, owner, status, completed_at))
    return items


def _item(pk: str, description: str, owner: str | None, status: str, completed_at) -> dict:
    """An action item as the score's reports hold it."""
    return {
        "id": pk,
        "description": description,
        "owner": owner,
        "status": status,
        "completed_at": completed_at,
    }


def _name_categories(subject: Report, shown: list[Report]) -> None:
    """SUBJECT's categories named, where the reasons of SHOWN name one (a report read from
    its kept row knows only their slugs)."""
    shared = {slug for other in shown for slug in other.categories if slug in subject.categories}
    if any(subject.categories[slug] is None for slug in shared):
        slugs = sorted(shared)
        subject.categories.update(_CATEGORY_NAMES.rows(*slugs, shape=len(slugs)))


def _kept_matches(subject: Report, kept: list, readable: list[Report], limit: int):
    """The best LIMIT of SUBJECT's KEPT matches (READABLE: those the caller may read),
    scored from what they hold now; None when the caller may read fewer than LIMIT of a
    full list (rank instead)."""
    best = _best(subject, readable)
    if len(best) < limit and len(kept) >= KEPT:
        return None
    return best[:limit]


def _with_items(reports: list[Report]) -> list[Report]:
    """REPORTS with their action items, in one query: only the few that are shown."""
    by_id = {r.id: r for r in reports}
    if not by_id:
        return reports
    for pm, *item in _ITEMS.rows(*by_id, shape=len(by_id)):
        by_id[pm].items.append(_item(*item))
    return reports


def _score(subject: Report, other: Report) -> float:
    return round(
        WEIGHTS["text"] * _dice(subject.words, other.words)
        + WEIGHTS["services"] * _dice(subject.services, other.services)
        + WEIGHTS["categories"] * _dice(set(subject.categories), set(other.categories))
        + WEIGHTS["tags"] * _dice(subject.tags, other.tags),
        4,
    )


def _reasons(subject: Report, other: Report) -> list[str]:
    """What SUBJECT and OTHER share, in words (only for those shown)."""
    reasons = [f"same service: {s}" for s in sorted(subject.services & other.services)]
    # Named as the subject's own rows name them: a candidate's categories are slugs alone.
    reasons += [
        f"shared factor category: {subject.categories[slug]}"
        for slug in sorted(set(subject.categories) & set(other.categories))
    ]
    shared_root = sorted(subject.root_words & other.root_words)
    if shared_root:
        reasons.append(f"similar root cause: {' '.join(shared_root[:4])}")
    elif subject.words & other.words:
        reasons.append(f"shared words: {' '.join(sorted(subject.words & other.words)[:4])}")
    reasons += [f"shared tag: {t}" for t in sorted(subject.tags & other.tags)]
    return reasons


def _best(subject: Report, candidates) -> list[tuple[float, Report]]:
    """CANDIDATES scored for SUBJECT, best first (by id among equals). A candidate found by
    a stem alone (PostgreSQL: "exports" finds "export") may share nothing the score counts:
    it is not related."""
    scored = ((_score(subject, other), other) for other in candidates)
    return sorted((row for row in scored if row[0] > 0), key=lambda row: (-row[0], row[1].id))


def query_terms(words: set[str]) -> tuple[list[str], bool]:
    """The words of WORDS the candidate query looks for, rarest first, and whether to rank
    by them (see the module's docstring)."""
    frequency = search.document_frequencies(sorted(words))
    rarest = sorted(frequency, key=lambda w: (frequency[w], -len(w), w))[:QUERY_TERMS]
    terms, scanned = [], 0
    for word in rarest:
        if scanned + frequency[word] > SCAN_BUDGET:
            break
        terms.append(word)
        scanned += frequency[word]
    if not terms and rarest:
        return rarest[:1], False
    return terms, True


def _scored(subject: Report, others) -> list[tuple[float, Report]]:
    """The candidates of the queryset OTHERS for SUBJECT, scored, best first."""
    terms, ranked = query_terms(subject.words)
    # The ranking picks the candidates, read with it; their order no longer matters: the
    # score sorts them.
    rows = search.top_matches(others, terms, ranked=ranked, limit=CANDIDATES, columns=CANDIDATE)
    return _best(subject, _candidates(rows))


def _is_recurrence(score: float, match: Report, subject: Report) -> datetime | None:
    """When the best match MATCH, scored SCORE, is a possible recurrence: when its last
    item was done; else None."""
    if score <= RECURRENCE_THRESHOLD:
        return None
    return _all_done_before(match, subject.started_at)


def related(
    user,
    postmortem_id: str,
    *,
    limit: int = 5,
    typed_title: str | None = None,
    typed_root_cause: str | None = None,
) -> list[dict]:
    """The post-mortems most like POSTMORTEM_ID that USER may read, best first; with TYPED_*,
    as if its title and root cause were what the editor holds now."""
    typed = typed_title is not None or typed_root_cause is not None
    subject, kept = _subject(user, postmortem_id, typed=typed)
    if subject is None:
        raise NotFound(f"There is no post-mortem {postmortem_id}.", fields={"id": postmortem_id})
    if typed:
        subject = subject.as_typed(typed_title, typed_root_cause)
    best = _kept_matches(subject, *kept, limit) if kept is not None else None
    if best is None:
        others = PostMortem.objects.filter(readable_by(user)).exclude(pk=postmortem_id)
        best = _scored(subject, others)[:limit]
        _with_items([other for _, other in best])
    _name_categories(subject, [other for _, other in best])
    out = []
    for rank, (score, other) in enumerate(best):
        done_at = _is_recurrence(score, other, subject) if rank == 0 else None
        out.append(
            {
                "id": other.id,
                "title": other.title,
                "status": other.status,
                "incidentStartedAt": other.started_at,
                "score": score,
                "reasons": _reasons(subject, other),
                "openActionItems": [
                    {"id": i["id"], "description": i["description"], "owner": i["owner"]}
                    for i in other.items
                    if i["status"] != ItemStatus.DONE
                ],
                "possibleRecurrence": done_at is not None,
                "itemsCompletedAt": done_at,
            }
        )
    return out


def refresh_due_best_matches(limit: int = 200, *, among: list[str] | None = None) -> int:
    """store_best_match for up to LIMIT reports marked due (of AMONG, if given), those
    changed longest ago first; returns how many. `hindsight worker` runs it with its
    periodic checks. Each is cleared before it is ranked, in its own write, so a change made
    meanwhile leaves it due again."""
    due = PostMortem.objects.filter(best_match_due=True)
    if among is not None:
        due = due.filter(pk__in=among)
    done = 0
    for pk in due.order_by("updated_at").values_list("pk", flat=True)[:limit]:
        with write_transaction():
            if PostMortem.objects.filter(pk=pk, best_match_due=True).update(best_match_due=False):
                store_best_match(pk)
                done += 1
    return done


def store_best_match(postmortem_id: str) -> None:
    """Keep POSTMORTEM_ID's best match among all other post-mortems, its score and whether it
    is a possible recurrence, and its KEPT best matches (refresh_due_best_matches calls this
    for each report a write marked due); put it in the kept matches of the candidates it
    beats the last kept match of, and make it the best match of those it beats the best
    match of; then the flag of every report whose kept best match this one is (its items
    may have changed). Written with UPDATE alone, so the reports' versions and documents
    stay as they were."""
    subject = _load([postmortem_id]).get(postmortem_id)
    if subject is None:
        return
    scored = _scored(subject, PostMortem.objects.exclude(pk=postmortem_id))
    stored = {"related_kept": [[other.id, score] for score, other in scored[:KEPT]]}
    if scored:
        score, match = scored[0]
        _with_items([match])
        stored.update(
            best_match_id=match.id,
            best_match_score=score,
            best_match_recurrence=_is_recurrence(score, match, subject) is not None,
        )
    else:
        stored.update(best_match_id=None, best_match_score=None, best_match_recurrence=False)
    PostMortem.objects.filter(pk=postmortem_id).update(**stored)
    _claim_matches(subject, scored)
    _refresh_recurrences_matching(subject)


def _claim_matches(subject: Report, scored) -> None:
    """SUBJECT joins the kept matches of each candidate in SCORED it is more like than that
    candidate's last kept match (the score is symmetric), and becomes the kept best match of
    those it is more like than their best match (one UPDATE each): so a new report is found
    by the older ones it resembles."""
    scores = {other.id: score for score, other in scored}
    beaten, claimed = [], {}
    for pk, best_score, started, kept in PostMortem.objects.filter(pk__in=list(scores)).values_list(
        "pk", "best_match_score", "incident_started_at", "related_kept"
    ):
        if best_score is None or scores[pk] > best_score:
            beaten.append((pk, started))
        if kept is not None and (joined := _with_match(kept, subject.id, scores[pk])) != kept:
            claimed[pk] = joined
    if claimed:
        PostMortem.objects.filter(pk__in=list(claimed)).update(
            related_kept=Case(
                *(When(pk=pk, then=Value(kept, JSONField())) for pk, kept in claimed.items()),
                output_field=JSONField(),
            )
        )
    if not beaten:
        return
    if not subject.items:
        _with_items([subject])
    flags = {
        pk: _is_recurrence(scores[pk], subject, _started(pk, started)) is not None
        for pk, started in beaten
    }
    PostMortem.objects.filter(pk__in=list(flags)).update(
        best_match_id=subject.id,
        best_match_score=Case(*(When(pk=pk, then=Value(scores[pk])) for pk in flags)),
        best_match_recurrence=Case(
            *(When(pk=pk, then=Value(flag)) for pk, flag in flags.items()),
            output_field=BooleanField(),
        ),
    )


def _with_match(kept: list, pk: str, score: float) -> list:
    """The kept matches KEPT with PK scored SCORE in its place (or in again at its new
    score), best first, at most KEPT."""
    entries = [entry for entry in kept if entry[0] != pk] + [[pk, score]]
    return sorted(entries, key=lambda entry: (-entry[1], entry[0]))[:KEPT]


def _refresh_recurrences_matching(match: Report) -> None:
    """The recurrence flag of each report whose kept best match MATCH is, from MATCH's
    action items as they are now: one UPDATE for the flags that turn on, one for those off."""
    referring = list(
        PostMortem.objects.filter(best_match_id=match.id).values_list(
            "pk", "best_match_score", "best_match_recurrence", "incident__started_at"
        )
    )
    if referring and not match.items:
        _with_items([match])
    turned: dict[bool, list[str]] = {True: [], False: []}
    for pk, score, flagged, started in referring:
        recurrence = _is_recurrence(score, match, _started(pk, started)) is not None
        if recurrence != flagged:
            turned[recurrence].append(pk)
    for recurrence, pks in turned.items():
        if pks:
            PostMortem.objects.filter(pk__in=pks).update(best_match_recurrence=recurrence)


def _started(pk: str, started: datetime | None) -> Report:
    """A report known only by its id and its incident's start: all _is_recurrence asks of
    the later report."""
    return Report(pk, "", "", started, set(), set(), set(), set(), {})


def _all_done_before(report: Report, started: datetime | None) -> datetime | None:
    """When the last of REPORT's action items was done, if it had any and all were done
    before STARTED; else None."""
    if not report.items or started is None:
        return None
    if any(i["status"] != ItemStatus.DONE or i["completed_at"] is None for i in report.items):
        return None
    last = max(i["completed_at"] for i in report.items)
    return last if last < started else None
